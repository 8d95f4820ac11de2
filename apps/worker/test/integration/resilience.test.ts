/**
 * Storage outages and shutdowns: nothing is lost, nothing is done twice.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFaultProxy, startStack, type Stack } from '@thumbnailer/emulators';
import { fixture, waitFor } from '@thumbnailer/testkit';
import { pullOutcomes, startWorker, thumbnails, upload, type WorkerProcess, workerEnv } from './support.js';

describe('worker resilience', () => {
  let stack: Stack;
  const workers: WorkerProcess[] = [];

  before(async () => {
    stack = await startStack();
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await stack?.stop();
  });

  it('nacks and answers 503 while storage is unreachable, then completes everything once it is back', async () => {
    // The fault sits between the worker and its IAM proxy: the outage is seen under the deployed permissions.
    const proxy = await startFaultProxy(stack.identities.worker.url);
    try {
      const worker = await startWorker({
        ...workerEnv(stack),
        STORAGE_EMULATOR_HOST: proxy.url,
        PUBSUB_SUBSCRIPTION: stack.provisioning.subscription,
        MAX_CONCURRENCY: '2',
      });
      workers.push(worker);
      proxy.setMode('refuse');

      const bucket = stack.storage().bucket(stack.provisioning.bucket);
      const image = await fixture('small-png');
      const names = Array.from({ length: 5 }, (_, i) => `outage/${i}.png`);
      const generations = await Promise.all(names.map((name) => upload(bucket, name, image, 'image/png')));

      await waitFor(() => pullOutcomes(worker.logs).some((l) => l.status === 'retry'), {
        timeoutMs: 30_000,
        message: 'a nacked delivery while storage is down',
      });
      const during = await fetch(`${worker.url}/event`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'ce-id': 'outage-1',
          'ce-source': `//storage.googleapis.com/projects/_/buckets/${bucket.name}`,
          'ce-specversion': '1.0',
          'ce-type': 'google.cloud.storage.object.v1.finalized',
        },
        body: JSON.stringify({ bucket: bucket.name, name: names[0], generation: generations[0] }),
      });
      assert.equal(during.status, 503);
      assert.equal(((await during.json()) as { status: string }).status, 'retry');
      assert.equal((await thumbnails(bucket, 'outage/')).length, 0);

      proxy.setMode('pass');
      await waitFor(async () => (await thumbnails(bucket, 'outage/')).length >= 5, {
        timeoutMs: 60_000,
        intervalMs: 250,
        message: 'all 5 thumbnails after the outage',
      });
      assert.equal((await thumbnails(bucket, 'outage/')).length, 5);
      assert.equal((await fetch(`${worker.url}/healthz`)).status, 200);
      await worker.stop('SIGKILL');
    } finally {
      await proxy.close();
    }
  });

  it('exits within 10 s of SIGTERM mid-batch, and after a restart every thumbnail exists once', async () => {
    const env = {
      ...workerEnv(stack),
      PUBSUB_SUBSCRIPTION: stack.provisioning.subscription,
      MAX_CONCURRENCY: '2',
    };
    const first = await startWorker(env);
    workers.push(first);
    const bucket = stack.storage().bucket(stack.provisioning.bucket);
    const image = await fixture('landscape-jpeg');
    const names = Array.from({ length: 12 }, (_, i) => `batch/${String(i).padStart(2, '0')}.jpg`);
    await Promise.all(names.map((name) => upload(bucket, name, image, 'image/jpeg')));

    await waitFor(() => pullOutcomes(first.logs).some((l) => l.status === 'processed'), {
      timeoutMs: 30_000,
      message: 'the first worker under way',
    });
    const { code, ms } = await first.stop('SIGTERM');
    // The contract bound (Cloud Run's SIGTERM → SIGKILL window), not a timing measurement of the work.
    assert.ok(ms < 10_000, `exited ${ms} ms after SIGTERM`);
    assert.equal(code, 0);
    assert.ok(first.logs.some((l) => l.message === 'shutting down'));

    const second = await startWorker(env);
    workers.push(second);
    await waitFor(async () => (await thumbnails(bucket, 'batch/')).length >= 12, {
      timeoutMs: 60_000,
      intervalMs: 250,
      message: 'all 12 thumbnails after the restart',
    });
    const list = await thumbnails(bucket, 'batch/');
    assert.equal(list.length, 12);
    assert.equal(new Set(list.map((t) => t.thumbnailOf)).size, 12, 'none twice');
  });
});
