import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Storage, type Bucket } from '@google-cloud/storage';
import {
  bucketPolicy,
  startEmulators,
  startFaultProxy,
  startIamProxy,
  storageClientFor,
  type EmulatorSet,
  type IamOrder,
} from '@thumbnailer/emulators';
import { fixture } from '@thumbnailer/testkit';
import { BufferPool, StorageAdapter, TransientError } from '../../src/index.js';

let emulators: EmulatorSet;
let bucket: Bucket;
let storage: StorageAdapter;
let bucketCount = 0;

async function freshBucket(): Promise<StorageAdapter> {
  const b = emulators.storage().bucket(`core-it-${process.pid}-${++bucketCount}`);
  await b.create();
  return new StorageAdapter(b);
}

describe('core against the Cloud Storage emulator', () => {
  before(async () => {
    emulators = await startEmulators();
    storage = await freshBucket();
    bucket = storage.bucket;
  });
  after(async () => {
    await emulators?.stop();
  });

  describe('StorageAdapter', () => {
    it('creates an object once; a second create-only write says "exists" and changes nothing', async () => {
      const first = await storage.createOnly('once.txt', 'first', {
        contentType: 'text/plain',
        metadata: { thumbnailOf: 'gs://b/o' },
      });
      assert.equal(first.status, 'created');
      assert.ok(first.status === 'created' && /^\d+$/.test(first.object.generation));
      const second = await storage.createOnly('once.txt', 'second');
      assert.deepEqual(second, { status: 'exists' });
      const [content] = await bucket.file('once.txt').download();
      assert.equal(content.toString(), 'first');
      const meta = await storage.stat('once.txt');
      assert.equal(meta?.metadata.thumbnailOf, 'gs://b/o');
      assert.equal(meta?.contentType, 'text/plain');
    });

    it('downloads exactly the asked generation and says "gone" for a superseded or deleted one', async () => {
      const bytes = await fixture('small-png');
      const created = await storage.createOnly('pinned.png', bytes, { contentType: 'image/png' });
      assert.equal(created.status, 'created');
      if (created.status !== 'created') return;
      const got = await storage.download('pinned.png', created.object.generation);
      assert.ok(got.status === 'ok' && got.data.equals(bytes));
      await bucket.file('pinned.png').save('newer', { resumable: false });
      assert.deepEqual(await storage.download('pinned.png', created.object.generation), { status: 'gone' });
      assert.deepEqual(await storage.download('never-existed.png', '1'), { status: 'gone' });
    });

    it('downloads into a pooled buffer sized by the answer’s Content-Length, reuses it, and gives it back on "gone"', async () => {
      const pool = new BufferPool({ keep: 1, maxBytes: 64 << 20 });
      const small = await fixture('small-png');
      // Larger than the small one's buffer (1 MiB), in many chunks: every byte must land where it belongs.
      const large = Buffer.alloc(5 * (1 << 20) + 12_345);
      for (let i = 0; i < large.length; i++) large[i] = (i * 31 + (i >> 16)) & 0xff;
      const a = await storage.createOnly('pool/small.png', small);
      const b = await storage.createOnly('pool/large.bin', large);
      assert.ok(a.status === 'created' && b.status === 'created');
      const first = await storage.download('pool/small.png', a.object.generation, pool);
      assert.ok(first.status === 'ok' && first.data.equals(small));
      pool.give(first.data);
      const second = await storage.download('pool/large.bin', b.object.generation, pool);
      assert.ok(second.status === 'ok' && second.data.equals(large), 'the buffer holds every byte in order');
      // Taken at its final size, 6 MiB (whole MiB), not grown by doubling from 1 MiB to 8 MiB.
      assert.equal(second.data.buffer.byteLength, 6 << 20);
      pool.give(second.data);
      const third = await storage.download('pool/small.png', a.object.generation, pool);
      assert.ok(third.status === 'ok' && third.data.equals(small));
      assert.equal(third.data.buffer, second.data.buffer, 'the larger buffer is the one reused');
      pool.give(third.data);
      assert.deepEqual(await storage.download('pool/never-existed.png', '1', pool), { status: 'gone' });
      assert.equal(pool.size, 1, 'the buffer of the failed download is back in the pool');
    });

    it('reads timeCreated and generation, and says undefined for a missing object', async () => {
      await storage.createOnly('stat.txt', 'x');
      const meta = await storage.stat('stat.txt');
      assert.ok(meta?.timeCreated instanceof Date && !Number.isNaN(meta.timeCreated.getTime()));
      assert.equal(await storage.stat('missing.txt'), undefined);
    });

    it('deletes an object only at the generation it is told, and says "gone" when there is none', async () => {
      const created = await storage.createOnly('del.txt', 'x');
      assert.ok(created.status === 'created');
      assert.deepEqual(await storage.delete('del.txt', created.object.generation), { status: 'deleted' });
      assert.deepEqual(await storage.delete('del.txt'), { status: 'gone' });
    });

    it('replaces an object only at the generation it is told, and refuses when another writer came first', async () => {
      const first = await storage.replace('state.json', '{"n":1}', { ifGenerationMatch: '0' });
      assert.equal(first.status, 'written');
      if (first.status !== 'written') return;
      assert.deepEqual(await storage.replace('state.json', '{"n":0}', { ifGenerationMatch: '0' }), {
        status: 'precondition_failed',
      });
      const second = await storage.replace('state.json', '{"n":2}', {
        ifGenerationMatch: first.object.generation,
        contentType: 'application/json',
      });
      assert.ok(second.status === 'written' && second.object.generation !== first.object.generation);
      assert.deepEqual(
        await storage.replace('state.json', '{"n":3}', { ifGenerationMatch: first.object.generation }),
        { status: 'precondition_failed' },
        'a stale generation',
      );
      const [content] = await bucket.file('state.json').download();
      assert.equal(content.toString(), '{"n":2}');
    });

    it('lists every object under a prefix across pages', async () => {
      await Promise.all(['a', 'b', 'c', 'd', 'e'].map((n) => storage.createOnly(`list/${n}.txt`, n)));
      await storage.createOnly('other/x.txt', 'x');
      const names: string[] = [];
      for await (const o of storage.list('list/', { pageSize: 2 })) names.push(o.name);
      assert.deepEqual(names.sort(), ['list/a.txt', 'list/b.txt', 'list/c.txt', 'list/d.txt', 'list/e.txt']);
    });

    it('lists a name range (startOffset inclusive, endOffset exclusive) and the folders under a prefix', async () => {
      await Promise.all(
        ['r/a/1', 'r/a/2', 'r/b/1', 'r/c/1', 'r/loose.txt'].map((n) => storage.createOnly(n, n)),
      );
      const names: string[] = [];
      for await (const o of storage.list('r/', { startOffset: 'r/a/2', endOffset: 'r/c/', pageSize: 1 }))
        names.push(o.name);
      assert.deepEqual(names, ['r/a/2', 'r/b/1']);
      assert.deepEqual(await storage.folders('r/'), ['r/a/', 'r/b/', 'r/c/']);
    });

    it('turns an outage (503 answers, reset connections) into TransientError(storage_unavailable)', async () => {
      const proxy = await startFaultProxy(emulators.storageHost);
      try {
        const viaProxy = new Storage({
          projectId: emulators.projectId,
          apiEndpoint: proxy.url,
          retryOptions: { autoRetry: false },
        });
        const adapter = new StorageAdapter(viaProxy.bucket(bucket.name));
        await adapter.createOnly('outage.txt', 'x');
        assert.equal((await adapter.stat('outage.txt'))?.name, 'outage.txt', 'passes through while healthy');
        for (const mode of ['error503', 'refuse'] as const) {
          proxy.setMode(mode);
          await assert.rejects(
            adapter.stat('outage.txt'),
            (err: unknown) => err instanceof TransientError && err.code === 'storage_unavailable',
            mode,
          );
          await assert.rejects(
            adapter.createOnly('outage-2.txt', 'x'),
            (err: unknown) => err instanceof TransientError && err.code === 'storage_unavailable',
            mode,
          );
        }
        proxy.setMode('pass');
        assert.deepEqual(await adapter.createOnly('outage.txt', 'again'), { status: 'exists' }, 'recovers');
      } finally {
        await proxy.close();
      }
    });
  });

  /**
   * Every storage failure the apps branch on, produced for real: the real client against fake-gcs-server behind
   * an IAM-enforcing proxy (with the roles named) or a fault proxy. Each row says what the adapter makes of it.
   */
  describe('real storage failures, table-driven', () => {
    type Expected = 'exists' | 'created' | 'gone' | 'undefined' | `transient:${string}` | 'rethrown:404';
    interface Row {
      what: string;
      roles: string[];
      order?: IamOrder;
      fault?: 'error503' | 'refuse' | 'blackhole';
      call: (adapter: StorageAdapter) => Promise<unknown>;
      expected: Expected;
    }
    const viewerCreator = ['roles/storage.objectViewer', 'roles/storage.objectCreator'];
    const rows: Row[] = [
      ...(['permission-first', 'precondition-first'] as const).map((order): Row => ({
        what: `a create-only write over an existing object without delete (${order}) is "exists"`,
        roles: viewerCreator,
        order,
        call: (a) => a.createOnly('table/existing.txt', 'again'),
        expected: 'exists',
      })),
      {
        what: 'a create-only write of a new object by objectCreator is "created"',
        roles: viewerCreator,
        call: (a) => a.createOnly(`table/new-${Date.now()}.txt`, 'x'),
        expected: 'created',
      },
      {
        what: 'a write refused for lack of create is transient (the deployment must grant it)',
        roles: ['roles/storage.objectViewer'],
        call: (a) => a.createOnly('table/not-allowed.txt', 'x'),
        expected: 'transient:storage_forbidden',
      },
      {
        what: 'a metadata read of a missing object with objectViewer is undefined',
        roles: viewerCreator,
        call: (a) => a.stat('table/missing.txt'),
        expected: 'undefined',
      },
      {
        what: 'a metadata read without get is transient (Cloud Storage answers 403, not 404)',
        roles: ['roles/storage.objectCreator'],
        call: (a) => a.stat('table/missing.txt'),
        expected: 'transient:storage_forbidden',
      },
      {
        what: 'a download of a generation that is gone is "gone"',
        roles: viewerCreator,
        call: (a) => a.download('table/existing.txt', '1'),
        expected: 'gone',
      },
      {
        what: 'a 503 from storage is transient',
        roles: viewerCreator,
        fault: 'error503',
        call: (a) => a.stat('table/existing.txt'),
        expected: 'transient:storage_unavailable',
      },
      {
        what: 'a refused connection is transient',
        roles: viewerCreator,
        fault: 'refuse',
        call: (a) => a.createOnly('table/outage.txt', 'x'),
        expected: 'transient:storage_unavailable',
      },
      {
        what: 'a connection that never answers fails by the deadline as transient',
        roles: viewerCreator,
        fault: 'blackhole',
        call: (a) => a.download('table/existing.txt', '1'),
        expected: 'transient:storage_unavailable',
      },
    ];

    before(async () => {
      await bucket.file('table/existing.txt').save('first', { resumable: false });
    });

    for (const row of rows) {
      it(row.what, async () => {
        const iam = await startIamProxy({
          upstream: emulators.storageHost,
          policy: bucketPolicy({ identity: 'worker', bucket: bucket.name, roles: row.roles }),
          ...(row.order ? { order: row.order } : {}),
        });
        const fault = row.fault ? await startFaultProxy(iam.url) : undefined;
        try {
          fault?.setMode(row.fault ?? 'pass');
          const client = storageClientFor(fault?.url ?? iam.url, emulators.projectId);
          client.retryOptions.autoRetry = false;
          const adapter = new StorageAdapter(client.bucket(bucket.name), { deadlineMs: 1_500 });
          let got: string;
          try {
            const result = await row.call(adapter);
            got =
              result === undefined ? 'undefined' : String((result as { status?: string }).status ?? 'value');
          } catch (err) {
            got =
              err instanceof TransientError
                ? `transient:${err.code}`
                : `rethrown:${String((err as { code?: unknown }).code)}`;
          }
          assert.equal(got, row.expected);
          if (row.order === 'permission-first')
            assert.ok(iam.counts().refused >= 1, 'the proxy refused the write');
        } finally {
          await fault?.close();
          await iam.close();
        }
      });
    }
  });
});
