/**
 * Every source generation's lifecycle, told on EVENTS_TOPIC and kept in the bucket: a `ready` event once its
 * renditions exist (at least once, one id), `failed` for a real source refused for good, and its renditions removed
 * — with a `removed` event — once the generation is gone (deleted, or overwritten in a bucket without versioning),
 * whatever order the events arrive in; a forged delete for a live generation removes nothing. Every published
 * event is checked against its JSON Schema.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Message, Subscription } from '@google-cloud/pubsub';
import type { Bucket } from '@google-cloud/storage';
import { startStack, type Stack } from '@thumbnailer/emulators';
import { corpusImage, fixture, waitFor } from '@thumbnailer/testkit';
import { assertValidEvent } from '../schemas.js';
import {
  objectData,
  publishFinalize,
  pushStorageEvent,
  renditionsOf,
  settledOutcomes,
  startWorker,
  upload,
  workerEnv,
  type WorkerProcess,
} from './support.js';

const SET = 'thumb:100x100,card:400x300:cover:webp';
const TYPE = {
  ready: 'dev.thumbnailer.renditions.v1.ready',
  failed: 'dev.thumbnailer.renditions.v1.failed',
  removed: 'dev.thumbnailer.renditions.v1.removed',
};

interface Received {
  attributes: Record<string, string>;
  data: Record<string, unknown>;
}

describe('lifecycle events and cleanup', () => {
  let stack: Stack;
  let bucket: Bucket;
  let events: Subscription;
  const received: Received[] = [];
  const workers: WorkerProcess[] = [];

  before(async () => {
    stack = await startStack();
    bucket = stack.storage().bucket(stack.provisioning.bucket);
    const pubsub = stack.pubsub();
    const [topic] = await pubsub.createTopic('lifecycle-events');
    [events] = await topic.createSubscription('lifecycle-events-tail');
    events.on('message', (message: Message) => {
      const data = JSON.parse(message.data.toString()) as Record<string, unknown>;
      assertValidEvent(String(message.attributes['ce-type']), data);
      received.push({ attributes: message.attributes, data });
      message.ack();
    });
    for (let i = 0; i < 2; i++) {
      workers.push(
        await startWorker({
          ...workerEnv(stack),
          RENDITIONS: SET,
          EVENTS_TOPIC: 'lifecycle-events',
          PUBSUB_SUBSCRIPTION: stack.provisioning.subscription,
          MAX_CONCURRENCY: '2',
        }),
      );
    }
  });
  after(async () => {
    await events?.close();
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await stack?.stop();
  });

  const of = (type: string, name: string) =>
    received.filter((e) => e.attributes['ce-type'] === type && e.data.name === name);

  it('publishes ready for a generation, with one id under five duplicates on two instances', async () => {
    const name = 'life/ready.jpg';
    const generation = await upload(bucket, name, await fixture('landscape-jpeg'), 'image/jpeg');
    await publishFinalize(stack.pubsub().topic(stack.provisioning.topic), bucket.name, name, generation, 5);
    const key = `${bucket.name}/${name}@${generation}`;
    await settledOutcomes(workers, key, 6, 'six deliveries settled');
    const ready = await waitFor(() => (of(TYPE.ready, name).length > 0 ? of(TYPE.ready, name) : undefined), {
      message: 'a ready event',
    });
    assert.deepEqual(new Set(ready.map((e) => e.attributes['ce-id'])), new Set([`${key}/${TYPE.ready}`]));
    const [event] = ready;
    assert.equal(
      event?.attributes['ce-source'],
      `//storage.googleapis.com/projects/_/buckets/${bucket.name}`,
    );
    assert.equal(event?.attributes['ce-subject'], `objects/${name}`);
    assert.equal(event?.attributes['ce-specversion'], '1.0');
    const renditions = event?.data.renditions as { rendition: string; uri: string }[];
    assert.deepEqual(
      renditions.map((r) => r.rendition),
      ['thumb', 'card'],
    );
    const stored = await renditionsOf(bucket, name);
    assert.deepEqual(
      renditions.map((r) => r.uri).sort(),
      stored.map((r) => `gs://${bucket.name}/${r.name}`).sort(),
    );
  });

  it('publishes failed, with its code, for real sources refused for good', async () => {
    for (const [file, code] of [
      ['pil-broken.png', 'corrupt_image'],
      ['sharp-65536-uint32-limit.png', 'pixel_limit'],
    ] as const) {
      const name = `life/${file}`;
      await upload(bucket, name, await corpusImage(file), 'image/png');
      const reply = await pushStorageEvent(workers[0]!, 'finalized', await objectData(bucket, name));
      assert.equal(reply.body.status, 'skipped', JSON.stringify(reply.body));
      const [failed] = await waitFor(
        () => (of(TYPE.failed, name).length ? of(TYPE.failed, name) : undefined),
        {
          message: `a failed event for ${file}`,
        },
      );
      assert.equal(failed?.data.code, code, file);
    }
  });

  it('removes the renditions of a deleted generation, once, and says which', async () => {
    const name = 'life/deleted.jpg';
    const generation = await upload(bucket, name, await fixture('landscape-jpeg'), 'image/jpeg');
    await waitFor(async () => (await renditionsOf(bucket, name)).length === 2, { message: 'the renditions' });
    const uris = (await renditionsOf(bucket, name)).map((r) => `gs://${bucket.name}/${r.name}`).sort();
    await bucket.file(name).delete();
    await waitFor(async () => (await renditionsOf(bucket, name)).length === 0, {
      timeoutMs: 30_000,
      message: 'the renditions removed after the OBJECT_DELETE notification',
    });
    const [removed] = await waitFor(
      () => (of(TYPE.removed, name).length ? of(TYPE.removed, name) : undefined),
      {
        message: 'a removed event',
      },
    );
    assert.deepEqual([...(removed?.data.removed as string[])].sort(), uris);
    assert.equal(removed?.data.generation, generation);
    // Eventarc's deleted event for the same generation, later: nothing left, nothing removed, still success.
    const again = await pushStorageEvent(workers[1]!, 'deleted', { bucket: bucket.name, name, generation });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, {
      status: 'removed',
      key: `${bucket.name}/${name}@${generation}`,
      removed: 0,
    });
  });

  it('keeps a newer generation and removes only the overwritten one, whatever order the events arrive in', async () => {
    const name = 'life/overwritten.jpg';
    const first = await upload(bucket, name, await fixture('landscape-jpeg'), 'image/jpeg');
    await waitFor(async () => (await renditionsOf(bucket, name)).length === 2, {
      message: 'first renditions',
    });
    const second = await upload(bucket, name, await fixture('portrait-jpeg'), 'image/jpeg');
    await waitFor(
      async () => {
        const set = await renditionsOf(bucket, name);
        return set.length === 2 && set.every((r) => r.metadata.sourceGeneration === second);
      },
      { timeoutMs: 30_000, message: 'only the second generation’s renditions left' },
    );
    assert.ok(of(TYPE.removed, name).some((e) => e.data.generation === first));
  });

  it('writes nothing for a finalize that arrives after its generation was deleted', async () => {
    const name = 'life/late-finalize.jpg';
    const data = await (async () => {
      const quiet = stack.storage().bucket(bucket.name).file(name);
      await quiet.save(await fixture('landscape-jpeg'), { resumable: false, contentType: 'image/jpeg' });
      const snapshot = await objectData(bucket, name);
      await quiet.delete();
      return snapshot;
    })();
    const reply = await pushStorageEvent(workers[0]!, 'finalized', data);
    assert.equal(reply.body.status, 'skipped');
    assert.match(String(reply.body.reason), /gone/);
    assert.equal((await renditionsOf(bucket, name)).length, 0);
  });

  it('removes nothing for a forged delete of a live generation', async () => {
    const name = 'life/live.jpg';
    await upload(bucket, name, await fixture('landscape-jpeg'), 'image/jpeg');
    await waitFor(async () => (await renditionsOf(bucket, name)).length === 2, { message: 'the renditions' });
    const reply = await pushStorageEvent(workers[0]!, 'deleted', await objectData(bucket, name));
    assert.equal(reply.body.status, 'skipped');
    assert.match(String(reply.body.reason), /still exists/);
    assert.equal((await renditionsOf(bucket, name)).length, 2);
  });

  it('was never refused a permission: deletes stayed under the thumbnail prefix', () => {
    assert.equal(stack.identities.worker.counts().refused, 0);
    for (const r of stack.identities.worker.requests().filter((q) => q.class === 'delete'))
      assert.match(r.path, /\/o\/thumbnails\//);
  });
});

describe('a worker that died between writing and publishing', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.stop();
  });

  it('is made good by the next delivery: a duplicate that publishes ready', async () => {
    const bucket = stack.storage().bucket(stack.provisioning.bucket);
    const pubsub = stack.pubsub();
    const [topic] = await pubsub.createTopic('late-events');
    const [tail] = await topic.createSubscription('late-events-tail');
    const received: Received[] = [];
    tail.on('message', (message: Message) => {
      const data = JSON.parse(message.data.toString()) as Record<string, unknown>;
      assertValidEvent(String(message.attributes['ce-type']), data);
      received.push({ attributes: message.attributes, data });
      message.ack();
    });
    const name = 'late/unannounced.jpg';
    await upload(bucket, name, await fixture('landscape-jpeg'), 'image/jpeg');
    const data = await objectData(bucket, name);
    // No subscription here: the push is each worker's only delivery. The first one writes and publishes nothing.
    const silent = await startWorker({ ...workerEnv(stack), RENDITIONS: SET });
    const announcing = await startWorker({
      ...workerEnv(stack),
      RENDITIONS: SET,
      EVENTS_TOPIC: 'late-events',
    });
    try {
      assert.equal((await pushStorageEvent(silent, 'finalized', data)).body.status, 'processed');
      const reply = await pushStorageEvent(announcing, 'finalized', data);
      assert.equal(reply.body.status, 'duplicate');
      const [ready] = await waitFor(() => (received.length ? received : undefined), {
        message: 'the ready event on redelivery',
      });
      assert.equal(ready?.attributes['ce-type'], TYPE.ready);
      assert.equal((ready?.data.renditions as unknown[]).length, 2);
    } finally {
      await tail.close();
      await Promise.all([silent.stop('SIGKILL'), announcing.stop('SIGKILL')]);
    }
  });
});
