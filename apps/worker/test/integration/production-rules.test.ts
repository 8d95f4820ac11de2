/**
 * Exactly once under production rules: the worker's storage goes through the IAM proxy with the roles
 * infra/terraform grants it (no overwrite, no delete outside the thumbnail prefix), in both orders of the
 * precondition and the permission check. What one image costs in storage requests, what is settled for good, what
 * a stalled storage call does, and how fast a killed worker's images come back.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Bucket } from '@google-cloud/storage';
import { startFaultProxy, startStack, type IamOrder, type Stack } from '@thumbnailer/emulators';
import { corpusImagesDir, fixture, waitFor } from '@thumbnailer/testkit';
import {
  objectData,
  publishFinalize,
  pullOutcomes,
  pushStorageEvent,
  settledOutcomes,
  startWorker,
  thumbnails,
  upload,
  workerEnv,
  type WorkerProcess,
} from './support.js';

const EVENTS_DIR = join(corpusImagesDir(), '..', 'events');

for (const order of ['permission-first', 'precondition-first'] as const satisfies readonly IamOrder[]) {
  describe(`exactly once with the deployed roles, ${order}`, () => {
    let stack: Stack;
    let bucket: Bucket;
    const workers: WorkerProcess[] = [];

    before(async () => {
      stack = await startStack({}, { iamOrder: order });
      bucket = stack.storage().bucket(stack.provisioning.bucket);
      for (let i = 0; i < 2; i++) {
        workers.push(
          await startWorker({
            ...workerEnv(stack),
            PUBSUB_SUBSCRIPTION: stack.provisioning.subscription,
            MAX_CONCURRENCY: '2',
          }),
        );
      }
    });
    after(async () => {
      await Promise.all(workers.map((w) => w.stop('SIGKILL')));
      await stack?.stop();
    });

    it('makes one thumbnail for a notification, five duplicates on two instances and two pushes, settling all', async () => {
      const name = `once/${order}.jpg`;
      const generation = await upload(bucket, name, await fixture('landscape-jpeg'), 'image/jpeg');
      await publishFinalize(stack.pubsub().topic(stack.provisioning.topic), bucket.name, name, generation, 5);
      const pushes = await Promise.all(
        workers.map(async (w) => pushStorageEvent(w, 'finalized', await objectData(bucket, name))),
      );
      for (const reply of pushes) {
        assert.equal(reply.status, 200, JSON.stringify(reply.body));
        assert.ok(['processed', 'duplicate'].includes(String(reply.body.status)));
      }
      const key = `${bucket.name}/${name}@${generation}`;
      const settled = await settledOutcomes(
        workers,
        key,
        6,
        'the notification and its five duplicates settled',
      );
      const processed = [...settled, ...pushes.map((p) => p.body)].filter((l) => l.status === 'processed');
      assert.equal(processed.length, 1, 'exactly one delivery wrote it');
      assert.equal((await thumbnails(bucket, name)).length, 1);
      for (const w of workers) assert.equal(w.logs.filter((l) => l.status === 'retry').length, 0, 'no retry');
    });
  });
}

describe('what one image costs, and what is settled for good', () => {
  let stack: Stack;
  let bucket: Bucket;
  let worker: WorkerProcess;
  const served = 'a-missing-bucket';

  before(async () => {
    stack = await startStack();
    bucket = stack.storage().bucket(stack.provisioning.bucket);
    worker = await startWorker({ ...workerEnv(stack), BUCKETS: `${stack.provisioning.bucket},${served}` });
  });
  after(async () => {
    await worker?.stop('SIGKILL');
    await stack?.stop();
  });

  const costOf = async (send: () => Promise<unknown>) => {
    const proxy = stack.identities.worker;
    proxy.reset();
    await send();
    return proxy.counts();
  };

  it('makes a thumbnail with three storage requests when the event carries the object: read, download, write', async () => {
    const name = 'cost/photo.jpg';
    await upload(bucket, name, await fixture('landscape-jpeg'), 'image/jpeg');
    const data = await objectData(bucket, name);
    let reply: Awaited<ReturnType<typeof pushStorageEvent>> | undefined;
    const counts = await costOf(async () => (reply = await pushStorageEvent(worker, 'finalized', data)));
    assert.equal(reply?.body.status, 'processed', JSON.stringify(reply?.body));
    assert.deepEqual(
      {
        metadataRead: counts.metadataRead,
        mediaRead: counts.mediaRead,
        create: counts.create,
        total: counts.total,
      },
      { metadataRead: 1, mediaRead: 1, create: 1, total: 3 },
    );

    // A duplicate reaching an instance that has not seen it: one metadata read, no download, no write.
    const fresh = await startWorker(workerEnv(stack));
    try {
      let again: Awaited<ReturnType<typeof pushStorageEvent>> | undefined;
      const dup = await costOf(async () => (again = await pushStorageEvent(fresh, 'finalized', data)));
      assert.equal(again?.body.status, 'duplicate');
      assert.deepEqual({ metadataRead: dup.metadataRead, total: dup.total }, { metadataRead: 1, total: 1 });
    } finally {
      await fresh.stop('SIGKILL');
    }
  });

  it('skips a bucket it does not serve, naming it, without a single storage request', async () => {
    let reply: Awaited<ReturnType<typeof pushStorageEvent>> | undefined;
    const counts = await costOf(
      async () =>
        (reply = await pushStorageEvent(worker, 'finalized', {
          bucket: 'someone-elses-bucket',
          name: 'photo.jpg',
          generation: '1733238000123456',
        })),
    );
    assert.equal(reply?.status, 200);
    assert.equal(reply?.body.status, 'skipped');
    assert.match(String(reply?.body.reason), /someone-elses-bucket/);
    assert.equal(counts.total, 0);
  });

  it("skips Google's own StorageObjectData test event once (its bucket is not served)", async () => {
    const body = await readFile(
      join(EVENTS_DIR, 'gce-testdata-storage-StorageObjectData-simple.json'),
      'utf8',
    );
    const reply = await pushStorageEvent(worker, 'finalized', JSON.parse(body) as Record<string, unknown>);
    assert.equal(reply.status, 200);
    assert.equal(reply.body.status, 'skipped');
  });

  it('settles a missing object and a missing bucket once as skipped, with no write', async () => {
    for (const target of [
      { bucket: bucket.name, name: 'never/uploaded.jpg' },
      { bucket: served, name: 'photo.jpg' },
    ]) {
      let reply: Awaited<ReturnType<typeof pushStorageEvent>> | undefined;
      const counts = await costOf(
        async () =>
          (reply = await pushStorageEvent(worker, 'finalized', {
            ...target,
            generation: '1733238000123456',
            contentType: 'image/jpeg',
            timeCreated: '2025-12-03T15:00:00.000Z',
          })),
      );
      assert.equal(reply?.status, 200, JSON.stringify(reply?.body));
      assert.equal(reply?.body.status, 'skipped');
      assert.match(String(reply?.body.reason), /gone/);
      assert.equal(counts.create + counts.overwrite, 0, `${target.bucket}: nothing written`);
    }
  });

  it('refuses a generation that is not a positive int64 as an unusable event (400), never a retry', async () => {
    const reply = await pushStorageEvent(worker, 'finalized', {
      bucket: bucket.name,
      name: 'x.jpg',
      generation: '99999999999999999999',
    });
    assert.equal(reply.status, 400);
    assert.equal(reply.body.status, 'error');
  });
});

describe('a stalled storage call', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.stop();
  });

  it('fails as transient by its deadline, frees its slot, and the worker goes on once storage answers', async () => {
    const bucket = stack.storage().bucket(stack.provisioning.bucket);
    const names = ['stall/0.png', 'stall/1.png', 'stall/2.png'];
    await Promise.all(names.map(async (n) => upload(bucket, n, await fixture('small-png'), 'image/png')));
    const data = await Promise.all(names.map((n) => objectData(bucket, n)));
    // The fault sits between the worker and its IAM proxy: connections open, nothing ever answered.
    const proxy = await startFaultProxy(stack.identities.worker.url);
    const worker = await startWorker({
      ...workerEnv(stack),
      STORAGE_EMULATOR_HOST: proxy.url,
      STORAGE_TIMEOUT_SECONDS: '2',
      MAX_CONCURRENCY: '2',
    });
    try {
      proxy.setMode('blackhole');
      const stalled = await Promise.all(data.map((d) => pushStorageEvent(worker, 'finalized', d)));
      for (const reply of stalled) {
        assert.equal(reply.status, 503, JSON.stringify(reply.body));
        assert.equal(reply.body.status, 'retry');
      }
      assert.equal((await fetch(`${worker.url}/healthz`)).status, 200);
      proxy.setMode('pass');
      const after = await Promise.all(data.map((d) => pushStorageEvent(worker, 'finalized', d)));
      assert.deepEqual(
        after.map((r) => r.body.status),
        ['processed', 'processed', 'processed'],
        'every slot came back',
      );
    } finally {
      await worker.stop('SIGKILL');
      await proxy.close();
    }
  });
});

describe('a worker killed mid-batch', () => {
  let stack: Stack;
  const workers: WorkerProcess[] = [];

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await stack?.stop();
  });

  it('leaves nothing held: another instance finishes every image once, as soon as Pub/Sub redelivers', async () => {
    const env = {
      ...workerEnv(stack),
      PUBSUB_SUBSCRIPTION: stack.provisioning.subscription,
      MAX_CONCURRENCY: '2',
    };
    const first = await startWorker(env);
    workers.push(first);
    const bucket = stack.storage().bucket(stack.provisioning.bucket);
    const image = await fixture('landscape-jpeg');
    const names = Array.from({ length: 8 }, (_, i) => `killed/${i}.jpg`);
    await Promise.all(names.map((name) => upload(bucket, name, image, 'image/jpeg')));
    await waitFor(() => pullOutcomes(first.logs).some((l) => l.status === 'processed'), {
      timeoutMs: 30_000,
      message: 'the first worker under way',
    });
    await first.stop('SIGKILL');
    const killedAt = Date.now();
    const second = await startWorker(env);
    workers.push(second);
    await waitFor(async () => (await thumbnails(bucket, 'killed/')).length >= 8, {
      timeoutMs: 90_000,
      intervalMs: 250,
      message: 'all 8 thumbnails after the kill',
    });
    const list = await thumbnails(bucket, 'killed/');
    assert.equal(new Set(list.map((t) => t.thumbnailOf)).size, 8, 'each source once');
    assert.equal(list.length, 8);
    // A figure for the notes, not an assertion: redelivery is the subscription's ack deadline.
    process.stdout.write(`# recovered 8 images ${Date.now() - killedAt} ms after the SIGKILL\n`);
  });
});
