/**
 * GET /metrics of the built worker before and after what it does: each counter and histogram moves by exactly
 * what happened — a processed image, a duplicate, a refusal, a storage outage.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Bucket } from '@google-cloud/storage';
import { startFaultProxy, startStack, type FaultProxy, type Stack } from '@thumbnailer/emulators';
import { fixture, parseExposition, sampleDelta, sampleValue, type Exposition } from '@thumbnailer/testkit';
import {
  objectData,
  pushStorageEvent,
  startWorker,
  upload,
  workerEnv,
  type WorkerProcess,
} from './support.js';

async function scrape(worker: WorkerProcess): Promise<Exposition> {
  const res = await fetch(`${worker.url}/metrics`);
  assert.equal(res.status, 200);
  return parseExposition(await res.text());
}

describe('worker metrics', () => {
  let stack: Stack;
  let bucket: Bucket;
  let proxy: FaultProxy;
  let worker: WorkerProcess;

  before(async () => {
    stack = await startStack();
    bucket = stack.storage().bucket(stack.provisioning.bucket);
    proxy = await startFaultProxy(stack.identities.worker.url);
    worker = await startWorker({ ...workerEnv(stack), STORAGE_EMULATOR_HOST: proxy.url });
  });
  after(async () => {
    await worker?.stop('SIGKILL');
    await proxy?.close();
    await stack?.stop();
  });

  it('count a processed image, its render, its latency and its three storage requests', async () => {
    await upload(bucket, 'm/photo.jpg', await fixture('landscape-jpeg'), 'image/jpeg');
    const data = await objectData(bucket, 'm/photo.jpg');
    const first = await scrape(worker);
    assert.equal((await pushStorageEvent(worker, 'finalized', data)).body.status, 'processed');
    const second = await scrape(worker);
    const events = (outcome: string) =>
      sampleDelta(first, second, 'thumbnailer_worker_events_total', { via: 'push', outcome });
    assert.equal(events('processed'), 1);
    assert.equal(events('duplicate') + events('skipped') + events('retry'), 0);
    assert.equal(sampleDelta(first, second, 'thumbnailer_worker_render_seconds_count'), 1);
    assert.equal(sampleDelta(first, second, 'thumbnailer_worker_latency_seconds_count'), 1);
    for (const op of ['metadata_read', 'media_read', 'create'])
      assert.equal(sampleDelta(first, second, 'thumbnailer_storage_requests_total', { op }), 1, op);
    assert.equal(sampleValue(second, 'thumbnailer_worker_in_flight'), 0);
    assert.ok((sampleValue(second, 'process_resident_memory_bytes') ?? 0) > 0, 'process metrics');

    // The same event again: a duplicate, answered from this process's memory without a storage request.
    const third = await scrape(worker);
    assert.equal((await pushStorageEvent(worker, 'finalized', data)).body.status, 'duplicate');
    const fourth = await scrape(worker);
    assert.equal(
      sampleDelta(third, fourth, 'thumbnailer_worker_events_total', { via: 'push', outcome: 'duplicate' }),
      1,
    );
    assert.equal(sampleDelta(third, fourth, 'thumbnailer_worker_render_seconds_count'), 0);
    assert.equal(
      sampleDelta(third, fourth, 'thumbnailer_storage_requests_total', { op: 'metadata_read' }),
      0,
    );
  });

  it('count a refusal by its code, and nothing rendered', async () => {
    await upload(bucket, 'm/notes.jpg', await fixture('text'), 'image/jpeg');
    const first = await scrape(worker);
    const reply = await pushStorageEvent(worker, 'finalized', await objectData(bucket, 'm/notes.jpg'));
    assert.equal(reply.body.status, 'skipped');
    const second = await scrape(worker);
    assert.equal(
      sampleDelta(first, second, 'thumbnailer_worker_events_total', { via: 'push', outcome: 'skipped' }),
      1,
    );
    assert.equal(
      sampleDelta(first, second, 'thumbnailer_worker_skipped_total', { reason: 'unsupported_format' }),
      1,
    );
    assert.equal(sampleDelta(first, second, 'thumbnailer_storage_requests_total', { op: 'create' }), 0);
  });

  it('count a delivery to be retried while storage is down, and the request that failed', async () => {
    await upload(bucket, 'm/outage.png', await fixture('small-png'), 'image/png');
    const data = await objectData(bucket, 'm/outage.png');
    const first = await scrape(worker);
    proxy.setMode('refuse');
    try {
      assert.equal((await pushStorageEvent(worker, 'finalized', data)).status, 503);
    } finally {
      proxy.setMode('pass');
    }
    const second = await scrape(worker);
    assert.equal(
      sampleDelta(first, second, 'thumbnailer_worker_events_total', { via: 'push', outcome: 'retry' }),
      1,
    );
    assert.equal(
      sampleDelta(first, second, 'thumbnailer_storage_requests_total', { op: 'metadata_read' }),
      1,
    );
  });
});
