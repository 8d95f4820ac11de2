/**
 * The Pub/Sub connection drops (emulator unreachable): the subscriber recovers on its own and nothing is lost.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFaultProxy, startStack, type FaultProxy, type Stack } from '@thumbnailer/emulators';
import { fixture, waitFor } from '@thumbnailer/testkit';
import { startWorker, thumbnails, upload, type WorkerProcess, workerEnv } from './support.js';

describe('worker when Pub/Sub goes away', () => {
  let stack: Stack;
  let proxy: FaultProxy;
  let worker: WorkerProcess;

  before(async () => {
    stack = await startStack();
    proxy = await startFaultProxy(stack.pubsubHost);
    worker = await startWorker({
      ...workerEnv(stack),
      PUBSUB_EMULATOR_HOST: proxy.url,
      PUBSUB_SUBSCRIPTION: stack.provisioning.subscription,
    });
  });

  after(async () => {
    await worker?.stop('SIGKILL');
    await proxy?.close();
    await stack?.stop();
  });

  it('resumes pulling after its connection to Pub/Sub is cut, and loses nothing published meanwhile', async () => {
    const bucket = stack.storage().bucket(stack.provisioning.bucket);
    const image = await fixture('small-png');
    await upload(bucket, 'before/0.png', image, 'image/png');
    await waitFor(async () => (await thumbnails(bucket, 'before/')).length === 1, {
      timeoutMs: 20_000,
      message: 'the thumbnail made before the outage',
    });

    proxy.setMode('refuse');
    await Promise.all([0, 1, 2].map((i) => upload(bucket, `during/${i}.png`, image, 'image/png')));
    proxy.setMode('pass');

    await waitFor(async () => (await thumbnails(bucket, 'during/')).length === 3, {
      timeoutMs: 90_000,
      intervalMs: 250,
      message: 'the thumbnails of objects uploaded while Pub/Sub was unreachable',
    });
    assert.equal((await fetch(`${worker.url}/healthz`)).status, 200);
  });

  it('re-opens the subscriber with backoff when its subscription disappears, as on an emulator restart', async () => {
    const pubsub = stack.pubsub();
    const { topic, subscription } = stack.provisioning;
    await pubsub.subscription(subscription).delete();
    // An emulator restart: the stream breaks, and the subscription is gone when the client reconnects.
    proxy.setMode('refuse');
    proxy.setMode('pass');
    await waitFor(() => worker.logs.some((l) => l.message === 'subscriber failed; re-opening'), {
      timeoutMs: 30_000,
      message: 'the subscriber error logged',
    });
    await pubsub.topic(topic).createSubscription(subscription);

    const bucket = stack.storage().bucket(stack.provisioning.bucket);
    await upload(bucket, 'recreated/0.png', await fixture('small-png'), 'image/png');
    await waitFor(async () => (await thumbnails(bucket, 'recreated/')).length === 1, {
      timeoutMs: 60_000,
      intervalMs: 250,
      message: 'a thumbnail through the re-created subscription',
    });
    assert.ok(worker.logs.filter((l) => l.message === 'pulling').length >= 2, 'the subscriber was re-opened');
  });
});
