import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Storage, type File } from '@google-cloud/storage';
import {
  bucketPolicy,
  objectResource,
  startFaultProxy,
  startIamProxy,
  startStack,
  storageClientFor,
  type IamProxy,
  type IamProxyOptions,
  type Stack,
} from '../../src/index.js';

const bucketName = 'iam-proxy-test';

/**
 * An error carrying this HTTP status: an ApiError's `code`, or (a resumable upload's start) a GaxiosError's
 * `response.status`.
 */
function code(expected: number) {
  return (error: { code?: unknown; message?: unknown; response?: { status?: unknown } }) => {
    assert.equal(
      typeof error.code === 'number' ? error.code : error.response?.status,
      expected,
      String(error.message),
    );
    return true;
  };
}

describe('the IAM proxy in front of fake-gcs-server', () => {
  let stack: Stack;
  const proxies: IamProxy[] = [];
  /** A proxy granting `roles` on the test bucket and a client through it. */
  const as = async (
    roles: Parameters<typeof bucketPolicy>[0]['roles'],
    options: Pick<IamProxyOptions, 'order' | 'mediaReads'> = {},
  ) => {
    const proxy = await startIamProxy({
      upstream: stack.storageHost,
      policy: bucketPolicy({ identity: 'tester', bucket: bucketName, roles }),
      ...options,
    });
    proxies.push(proxy);
    const client = storageClientFor(proxy.url, stack.projectId);
    return { proxy, bucket: client.bucket(bucketName) };
  };
  const admin = () => stack.storage().bucket(bucketName);
  const contentOf = async (name: string) => (await admin().file(name).download())[0].toString();
  const createOnly = { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } } as const;

  before(async () => {
    stack = await startStack({ projectId: 'iam-test', bucket: bucketName });
  });
  after(async () => {
    await Promise.all(proxies.map((proxy) => proxy.close()));
    await stack?.stop();
  });
  beforeEach(async () => {
    await admin().deleteFiles({ force: true });
  });

  it('refuses objectCreator’s create-only write over an existing object with 403 permission-first and 412 precondition-first', async () => {
    await admin().file('taken.txt').save('first', { resumable: false });
    const { proxy, bucket } = await as(['roles/storage.objectCreator']);
    assert.equal(proxy.order, 'permission-first');
    await assert.rejects(
      bucket.file('taken.txt').save('second', createOnly),
      (error: Error & { code?: unknown }) => {
        assert.equal(error.code, 403);
        assert.equal(
          error.message,
          "tester@test.iam.gserviceaccount.com does not have storage.objects.delete access to the Google Cloud Storage object. Permission 'storage.objects.delete' denied on resource (or it may not exist).",
        );
        return true;
      },
    );
    proxy.setOrder('precondition-first');
    await assert.rejects(bucket.file('taken.txt').save('second', createOnly), code(412));
    assert.equal(await contentOf('taken.txt'), 'first');
    // A new name is a plain create, which objectCreator may do in either order.
    await bucket.file('new.txt').save('new', createOnly);
    assert.equal(await contentOf('new.txt'), 'new');
    // With storage.objects.delete the permission holds, so the failing precondition answers in either order.
    const user = await as(['roles/storage.objectUser']);
    await assert.rejects(user.bucket.file('taken.txt').save('third', createOnly), code(412));
    assert.equal(await contentOf('taken.txt'), 'first');
    assert.deepEqual(
      [proxy, user.proxy].map((p) => [p.counts().create, p.counts().overwrite, p.counts().refused]),
      [
        [1, 2, 1],
        [0, 1, 0],
      ],
    );
  });

  it('refuses an overwrite without precondition to objectCreator, and lets objectUser and objectAdmin replace', async () => {
    await admin().file('photo.jpg').save('v1', { resumable: false });
    const creator = await as(['roles/storage.objectCreator']);
    await assert.rejects(creator.bucket.file('photo.jpg').save('v2', { resumable: false }), code(403));
    assert.equal(await contentOf('photo.jpg'), 'v1');
    const user = await as(['roles/storage.objectUser']);
    await user.bucket.file('photo.jpg').save('v2', { resumable: false });
    assert.equal(await contentOf('photo.jpg'), 'v2');
    const objectAdmin = await as(['roles/storage.objectAdmin']);
    await objectAdmin.bucket.file('photo.jpg').save('v3', { resumable: false });
    assert.equal(await contentOf('photo.jpg'), 'v3');
    assert.deepEqual(
      [creator, user, objectAdmin].map(({ proxy }) => [proxy.counts().overwrite, proxy.counts().refused]),
      [
        [1, 1],
        [1, 0],
        [1, 0],
      ],
    );
  });

  it('lets objectViewer read, download and list, and refuses objectCreator all three, a missing object included', async () => {
    await admin().file('a/one.txt').save('one', { resumable: false });
    const viewer = await as(['roles/storage.objectViewer']);
    const [metadata] = await viewer.bucket.file('a/one.txt').getMetadata();
    assert.equal(metadata.name, 'a/one.txt');
    assert.equal((await viewer.bucket.file('a/one.txt').download())[0].toString(), 'one');
    const [files] = await viewer.bucket.getFiles({ prefix: 'a/' });
    assert.deepEqual(
      files.map((f) => f.name),
      ['a/one.txt'],
    );
    await assert.rejects(viewer.bucket.file('a/missing.txt').getMetadata(), code(404));

    const creator = await as(['roles/storage.objectCreator']);
    await assert.rejects(creator.bucket.file('a/one.txt').getMetadata(), code(403));
    await assert.rejects(creator.bucket.file('a/one.txt').download(), code(403));
    await assert.rejects(creator.bucket.getFiles({ prefix: 'a/' }), code(403));
    // The permission is checked first: without storage.objects.get a missing object is 403, not 404.
    await assert.rejects(creator.bucket.file('a/missing.txt').getMetadata(), code(403));
  });

  it('sends an allowed download to fake-gcs-server with a 307 when it redirects media reads, and still refuses one without storage.objects.get', async () => {
    await admin().file('r/photo.bin').save(Buffer.alloc(300_000, 7), { resumable: false });
    const [saved] = await admin().file('r/photo.bin').getMetadata();
    const viewer = await as(['roles/storage.objectViewer'], { mediaReads: 'redirect' });
    const [bytes] = await viewer.bucket.file('r/photo.bin', { generation: saved.generation }).download();
    assert.deepEqual(bytes, Buffer.alloc(300_000, 7));
    const path = `/download/storage/v1/b/${bucketName}/o/r%2Fphoto.bin?alt=media&generation=${saved.generation}`;
    const answer = await fetch(`${viewer.proxy.url}${path}`, { redirect: 'manual' });
    assert.equal(answer.status, 307);
    assert.equal(answer.headers.get('location'), `${new URL(stack.storageHost).origin}${path}`);
    // Metadata is still relayed: only the bytes skip the proxy.
    assert.equal((await viewer.bucket.file('r/photo.bin').getMetadata())[0].name, 'r/photo.bin');
    assert.deepEqual(
      { mediaRead: viewer.proxy.counts().mediaRead, metadataRead: viewer.proxy.counts().metadataRead },
      { mediaRead: 2, metadataRead: 1 },
    );

    const creator = await as(['roles/storage.objectCreator'], { mediaReads: 'redirect' });
    await assert.rejects(creator.bucket.file('r/photo.bin').download(), code(403));
    assert.equal(creator.proxy.counts().refused, 1);
  });

  it('answers the bucket’s metadata only to a role with storage.buckets.get, and a missing bucket with 404', async () => {
    const viewer = await as(['roles/storage.objectViewer']);
    await assert.rejects(viewer.bucket.getMetadata(), code(403));
    const reader = await as(['roles/storage.legacyBucketReader']);
    const [metadata] = await reader.bucket.getMetadata();
    assert.equal(metadata.name, bucketName);
    const client = storageClientFor(viewer.proxy.url, stack.projectId);
    await assert.rejects(client.bucket('no-such-bucket').file('x').getMetadata(), code(404));
  });

  it('confines a delete to the prefix of its condition, and grants no list through an object-prefix condition', async () => {
    await admin().file('thumbnails/t.jpg').save('t', { resumable: false });
    await admin().file('20251203T15Z/o.jpg').save('o', { resumable: false });
    const prefix = objectResource(bucketName, 'thumbnails/');
    const { bucket, proxy } = await as([
      'roles/storage.objectCreator',
      { role: 'roles/storage.objectUser', resourceNamePrefix: prefix },
    ]);
    await bucket.file('thumbnails/t.jpg').delete();
    await assert.rejects(bucket.file('20251203T15Z/o.jpg').delete(), code(403));
    const [[inside], [outside]] = await Promise.all([
      admin().file('thumbnails/t.jpg').exists(),
      admin().file('20251203T15Z/o.jpg').exists(),
    ]);
    assert.deepEqual([inside, outside], [false, true]);
    // A list is checked against the bucket, projects/_/buckets/<bucket>, which the condition does not match.
    await assert.rejects(bucket.getFiles({ prefix: 'thumbnails/' }), code(403));
    // Inside the prefix the condition also grants the delete an overwrite needs.
    await admin().file('thumbnails/u.jpg').save('u1', { resumable: false });
    await bucket.file('thumbnails/u.jpg').save('u2', { resumable: false });
    assert.equal(await contentOf('thumbnails/u.jpg'), 'u2');
    assert.equal(proxy.counts().delete, 2);
  });

  it('checks a copy: get on the source, create on the destination, delete when the destination exists', async () => {
    await admin().file('src.txt').save('source', { resumable: false });
    await admin().file('dst-taken.txt').save('taken', { resumable: false });
    const creator = await as(['roles/storage.objectCreator']);
    await assert.rejects(creator.bucket.file('src.txt').copy('dst.txt'), code(403));
    const writer = await as(['roles/storage.objectViewer', 'roles/storage.objectCreator']);
    await writer.bucket.file('src.txt').copy('dst.txt');
    assert.equal(await contentOf('dst.txt'), 'source');
    await assert.rejects(writer.bucket.file('src.txt').copy('dst-taken.txt'), code(403));
    assert.equal(await contentOf('dst-taken.txt'), 'taken');
    assert.deepEqual([writer.proxy.counts().create, writer.proxy.counts().overwrite], [1, 1]);
  });

  it('refuses what it cannot classify, and batch requests, with a 403 that says so', async () => {
    const { proxy } = await as(['roles/storage.objectAdmin']);
    for (const [method, path] of [
      ['GET', `/storage/v1/b/${bucketName}/o/x/acl`],
      ['PUT', '/_internal/config'],
      ['POST', '/batch/storage/v1'],
      ['GET', '/'],
    ] as const) {
      const response = await fetch(`${proxy.url}${path}`, {
        method,
        body: method === 'GET' ? undefined : '{}',
      });
      assert.equal(response.status, 403, `${method} ${path}`);
      const body = (await response.json()) as { error: { code: number; message: string; errors: unknown[] } };
      assert.equal(body.error.code, 403);
      assert.match(body.error.message, /^IAM proxy: could not classify /);
      assert.deepEqual(body.error.errors, [
        { message: body.error.message, domain: 'global', reason: 'forbidden' },
      ]);
    }
    assert.deepEqual([proxy.counts().other, proxy.counts().refused, proxy.counts().total], [4, 4, 4]);
  });

  it('counts each request under its class, refusals included, and starts again from zero on reset()', async () => {
    await admin().file('c/existing.txt').save('x', { resumable: false });
    const { proxy, bucket } = await as(['roles/storage.objectViewer', 'roles/storage.objectCreator']);
    await bucket.file('c/existing.txt').getMetadata();
    await bucket.file('c/existing.txt').download();
    await bucket.getFiles({ prefix: 'c/' });
    await bucket.file('c/new.txt').save('n', createOnly);
    await assert.rejects(bucket.file('c/existing.txt').save('y', createOnly), code(403));
    await assert.rejects(bucket.file('c/existing.txt').delete(), code(403));
    await assert.rejects(bucket.file('c/existing.txt').setMetadata({ metadata: { a: 'b' } }), code(403));
    await assert.rejects(bucket.getMetadata(), code(403));
    assert.deepEqual(proxy.counts(), {
      metadataRead: 1,
      mediaRead: 1,
      list: 1,
      create: 1,
      overwrite: 1,
      uploadData: 0,
      delete: 1,
      update: 1,
      bucketRead: 1,
      other: 0,
      refused: 4,
      total: 8,
    });
    proxy.reset();
    assert.equal(proxy.counts().total, 0);
  });

  it('passes a resumable upload through, session and all, and checks its overwrite at the start and at the end', async () => {
    const { proxy, bucket } = await as(['roles/storage.objectCreator']);
    const bytes = Buffer.alloc(300_000, 7);
    await bucket.file('r/big.bin').save(bytes, { resumable: true });
    assert.deepEqual((await admin().file('r/big.bin').download())[0], bytes);
    const counts = proxy.counts();
    assert.equal(counts.create, 1);
    assert.ok(counts.uploadData >= 1, `uploadData ${counts.uploadData}`);
    assert.equal(counts.refused, 0);

    await assert.rejects(bucket.file('r/big.bin').save(bytes, { resumable: true }), code(403));
    proxy.setOrder('precondition-first');
    await assert.rejects(
      bucket.file('r/big.bin').save(bytes, { resumable: true, preconditionOpts: { ifGenerationMatch: 0 } }),
      code(412),
    );

    // The object appears after the session started: the bytes that would replace it are refused.
    proxy.setOrder('permission-first');
    const late: File = bucket.file('r/late.bin');
    const [sessionUri] = await late.createResumableUpload();
    assert.ok(sessionUri.startsWith(proxy.url), `${sessionUri} stays behind the proxy`);
    await admin().file('r/late.bin').save('first', { resumable: false });
    const response = await fetch(sessionUri, { method: 'PUT', body: 'second' });
    assert.equal(response.status, 403);
    await response.body?.cancel();
    assert.equal(await contentOf('r/late.bin'), 'first');
  });

  it('makes a client call through a black-holing fault proxy fail by the client’s own timeout', async () => {
    const fault = await startFaultProxy(stack.storageHost);
    try {
      fault.setMode('blackhole');
      const client = new Storage({
        projectId: stack.projectId,
        apiEndpoint: fault.url,
        timeout: 300,
        retryOptions: { autoRetry: false },
      });
      await assert.rejects(client.bucket(bucketName).file('anything').getMetadata(), (error: Error) => {
        assert.match(`${error.name} ${error.message}`, /abort|timeout|timed out/i);
        return true;
      });
    } finally {
      await fault.close();
    }
  });
});
