/**
 * Several worker processes on one subscription: every source gets exactly one thumbnail whatever the
 * duplicates and whichever instance takes each delivery.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStack, type Stack } from '@thumbnailer/emulators';
import { fixture, waitFor } from '@thumbnailer/testkit';
import {
  finalizeAttributes,
  pullOutcomes,
  startWorker,
  thumbnails,
  upload,
  type WorkerProcess,
  workerEnv,
} from './support.js';

describe('three worker instances on one subscription', () => {
  let stack: Stack;
  const workers: WorkerProcess[] = [];

  before(async () => {
    stack = await startStack();
    for (let i = 0; i < 3; i++) {
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

  it('writes exactly 30 thumbnails for 30 uploads plus duplicate notifications', async () => {
    const bucket = stack.storage().bucket(stack.provisioning.bucket);
    const topic = stack.pubsub().topic(stack.provisioning.topic);
    const image = await fixture('small-png');
    const names = Array.from({ length: 30 }, (_, i) => `many/photo-${String(i).padStart(2, '0')}.png`);
    const generations = await Promise.all(names.map((name) => upload(bucket, name, image, 'image/png')));
    // Every third object is announced three more times.
    await Promise.all(
      names.flatMap((name, i) =>
        i % 3 === 0
          ? Array.from({ length: 3 }, () =>
              topic.publishMessage({
                data: Buffer.alloc(0),
                attributes: finalizeAttributes(bucket.name, name, generations[i]!),
              }),
            )
          : [],
      ),
    );

    await waitFor(async () => (await thumbnails(bucket, 'many/')).length >= 30, {
      timeoutMs: 60_000,
      intervalMs: 250,
      message: '30 thumbnails',
    });
    // Every delivery settled with an ack: 30 bucket notifications + 30 duplicates.
    const acked = () =>
      workers
        .flatMap((w) => pullOutcomes(w.logs))
        .filter((l) => String(l.object).startsWith(`gs://${bucket.name}/many/`) && l.status !== 'retry');
    await waitFor(() => acked().length >= 60, {
      timeoutMs: 60_000,
      intervalMs: 250,
      message: '60 acked deliveries',
    });

    const list = await thumbnails(bucket, 'many/');
    assert.equal(list.length, 30);
    assert.deepEqual(new Set(list.map((t) => t.thumbnailOf)).size, 30);
    const processed = acked().filter((l) => l.status === 'processed');
    assert.equal(processed.length, 30, 'each source processed once across instances');
    assert.ok(
      acked().every((l) => l.status === 'processed' || l.status === 'duplicate'),
      'the rest were duplicates',
    );
  });
});
