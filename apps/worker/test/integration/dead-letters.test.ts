/**
 * Dead letters: `npm run replay-dead-letters` (dist/replay-main.js) against messages on the dead-letter topic, under
 * the worker's deployed permissions. The notifications are the ones fake-gcs-server really published for real
 * uploads and deletes, forwarded to the dead-letter topic as Pub/Sub forwards them (same attributes and data, plus
 * the delivery count attribute); and one comes there the real way, dead-lettered by pstest after ten nacks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Message } from '@google-cloud/pubsub';
import { startFaultProxy, startStack, type Stack } from '@thumbnailer/emulators';
import { fixture, waitFor } from '@thumbnailer/testkit';
import { assertValidEvent } from '../schemas.js';
import {
  finalizeAttributes,
  pullOutcomes,
  runReplay,
  startWorker,
  thumbnails,
  upload,
  workerEnv,
  type LogLine,
  type WorkerProcess,
} from './support.js';

/** Short idle stop: the emulator delivers what it holds within milliseconds. */
const IDLE = ['--idle-seconds', '2'];

interface Received {
  attributes: Record<string, string>;
  data: Buffer;
}

describe('npm run replay-dead-letters', () => {
  let stack: Stack;
  let env: Record<string, string>;
  const workers: WorkerProcess[] = [];

  before(async () => {
    stack = await startStack();
    env = { ...workerEnv(stack), EVENTS_TOPIC: stack.provisioning.eventsTopic ?? '' };
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await stack?.stop();
  });

  /** Pulls the worker's subscription (no worker runs) until `count` notifications under `prefix` arrived; acks them. */
  async function notifications(prefix: string, count: number): Promise<Received[]> {
    const subscription = stack.pubsub().subscription(stack.provisioning.subscription);
    const received: Received[] = [];
    subscription.on('message', (message: Message) => {
      if (message.attributes.objectId?.startsWith(prefix))
        received.push({ attributes: { ...message.attributes }, data: message.data });
      message.ack();
    });
    try {
      await waitFor(() => received.length >= count, {
        timeoutMs: 20_000,
        message: `${count} notifications under ${prefix}`,
      });
    } finally {
      await subscription.close();
    }
    return received;
  }

  /** Puts a message on the dead-letter topic as Pub/Sub forwards one after ten delivery attempts. */
  async function deadLetter(
    attributes: Record<string, string>,
    data: Buffer = Buffer.alloc(0),
  ): Promise<void> {
    await stack
      .pubsub()
      .topic(stack.provisioning.deadLetterTopic ?? '')
      .publishMessage({
        data,
        attributes: { ...attributes, CloudPubSubDeadLetterSourceDeliveryCount: '10' },
      });
  }

  /** Every event published to EVENTS_TOPIC so far (acked), schema-checked. */
  async function drainEvents(idleMs = 1500): Promise<{ type: string; data: Record<string, unknown> }[]> {
    const subscription = stack.pubsub().subscription(stack.provisioning.eventsSubscription ?? '');
    const events: { type: string; data: Record<string, unknown> }[] = [];
    let last = Date.now();
    subscription.on('message', (message: Message) => {
      const type = message.attributes['ce-type'] ?? '';
      const data = JSON.parse(message.data.toString('utf8')) as Record<string, unknown>;
      assertValidEvent(type, data);
      events.push({ type, data });
      last = Date.now();
      message.ack();
    });
    try {
      await waitFor(() => Date.now() - last >= idleMs, {
        timeoutMs: 30_000,
        message: 'the events to stop coming',
      });
    } finally {
      await subscription.close();
    }
    return events;
  }

  const counts = (summary: LogLine | undefined): unknown => summary?.reasons;

  it('counts the dead letters by reason without acking or writing anything, then re-drives them with --apply', async () => {
    const bucket = stack.storage().bucket(stack.provisioning.bucket);
    const images = {
      'replay/photo.jpg': await fixture('landscape-jpeg'),
      'replay/small.png': await fixture('small-png'),
    };
    const generations = new Map<string, string>();
    for (const [name, data] of Object.entries(images))
      generations.set(name, await upload(bucket, name, data));
    const gone = await upload(bucket, 'replay/gone.png', images['replay/small.png']);
    await bucket.file('replay/gone.png').delete();
    // Three finalizes and the delete of replay/gone.png, as fake-gcs-server published them.
    const real = await notifications('replay/', 4);
    assert.deepEqual(real.map((n) => `${n.attributes.eventType} ${n.attributes.objectId}`).sort(), [
      'OBJECT_DELETE replay/gone.png',
      'OBJECT_FINALIZE replay/gone.png',
      'OBJECT_FINALIZE replay/photo.jpg',
      'OBJECT_FINALIZE replay/small.png',
    ]);
    for (const n of real) await deadLetter(n.attributes, n.data);
    await deadLetter(finalizeAttributes('someone-elses-bucket', 'replay/x.png', '1'));
    const { objectId: _, ...withoutObject } = finalizeAttributes(bucket.name, 'replay/broken.png', '1');
    await deadLetter(withoutObject);

    const expected = {
      missing: 2,
      gone: 1,
      remove: 1,
      'skipped:bucket_not_served': 1,
      'unusable:malformed_event': 1,
    };
    const proxy = stack.identities.worker;
    for (const round of [1, 2]) {
      proxy.reset();
      const dry = await runReplay(env, IDLE);
      assert.equal(dry.code, 0, dry.text.join('\n'));
      assert.equal(dry.summary?.mode, 'dry-run');
      assert.equal(dry.summary?.messages, 6, `round ${round}: each message counted once`);
      assert.deepEqual(counts(dry.summary), expected, `round ${round}`);
      assert.equal(dry.entries.length, 6);
      assert.ok(dry.entries.every((e) => e.action === 'would_ack'));
      const known = dry.entries.filter((e) => e.reason !== 'unusable');
      assert.ok(
        known.every((e) => e.sourceDeliveries === 10),
        'the original delivery attempts',
      );
      assert.equal(
        dry.entries.find((e) => e.key === `${bucket.name}/replay/gone.png@${gone}` && e.reason === 'remove')
          ?.action,
        'would_ack',
      );
      // Metadata reads only: nothing downloaded, nothing written or deleted, nothing refused.
      const seen = proxy.counts();
      assert.ok(seen.metadataRead > 0, JSON.stringify(seen));
      assert.deepEqual(
        { ...seen, metadataRead: 0, total: 0 },
        {
          metadataRead: 0,
          mediaRead: 0,
          list: 0,
          create: 0,
          overwrite: 0,
          uploadData: 0,
          delete: 0,
          update: 0,
          bucketRead: 0,
          other: 0,
          refused: 0,
          total: 0,
        },
      );
    }
    const limited = await runReplay(env, ['--max-messages', '4', ...IDLE]);
    assert.equal(limited.summary?.messages, 4);
    assert.equal(limited.summary?.full, true, 'says that more may be waiting');
    assert.deepEqual(await thumbnails(bucket, 'replay/'), []);
    assert.deepEqual(await drainEvents(), [], 'a dry run publishes no event');

    const applied = await runReplay(env, ['--apply', ...IDLE]);
    assert.equal(applied.code, 0, applied.text.join('\n'));
    assert.equal(applied.summary?.mode, 'apply');
    assert.deepEqual(counts(applied.summary), expected);
    assert.equal(applied.summary?.settled, 6);
    assert.equal(applied.summary?.left, 0);
    assert.ok(applied.entries.every((e) => e.action === 'acked'));
    const made = await thumbnails(bucket, 'replay/');
    assert.deepEqual(made.map((t) => t.thumbnailOf).sort(), [
      `gs://${bucket.name}/replay/photo.jpg`,
      `gs://${bucket.name}/replay/small.png`,
    ]);
    const events = await drainEvents();
    assert.deepEqual(events.map((e) => `${e.type} ${String(e.data.key)}`).sort(), [
      `dev.thumbnailer.renditions.v1.ready ${bucket.name}/replay/photo.jpg@${generations.get('replay/photo.jpg')}`,
      `dev.thumbnailer.renditions.v1.ready ${bucket.name}/replay/small.png@${generations.get('replay/small.png')}`,
      `dev.thumbnailer.renditions.v1.removed ${bucket.name}/replay/gone.png@${gone}`,
    ]);

    const after = await runReplay(env, IDLE);
    assert.equal(after.code, 0);
    assert.equal(after.summary?.messages, 0, 'the subscription is empty');
  });

  it('stops with one line naming DEAD_LETTER_SUBSCRIPTION when that subscription does not exist', async () => {
    const run = await runReplay({ ...env, DEAD_LETTER_SUBSCRIPTION: 'no-such-subscription' }, IDLE);
    assert.equal(run.code, 1);
    assert.equal(run.summary, undefined);
    const line = run.text.find((l) => l.startsWith('cannot read the dead-letter subscription'));
    assert.match(
      line ?? run.text.join('\n'),
      /^cannot read the dead-letter subscription no-such-subscription: \S.*no-such-subscription/,
    );
    assert.ok(!run.text.some((l) => /^\s+at /.test(l)), 'one line, no stack');
  });

  it('leaves a message whose storage fails on the subscription, exits 1, and replays it once storage is back', async () => {
    const bucket = stack.storage().bucket(stack.provisioning.bucket);
    const name = 'unreachable/photo.png';
    const generation = await upload(bucket, name, await fixture('small-png'), 'image/png');
    await deadLetter(finalizeAttributes(bucket.name, name, generation));
    const proxy = await startFaultProxy(stack.identities.worker.url);
    try {
      proxy.setMode('refuse');
      const failing = await runReplay({ ...env, STORAGE_EMULATOR_HOST: proxy.url }, ['--apply', ...IDLE]);
      assert.equal(failing.code, 1, failing.text.join('\n'));
      assert.equal(failing.summary?.left, 1);
      assert.deepEqual(
        failing.entries.map((e) => [e.reason, e.code, e.action]),
        [['retry', 'storage_unavailable', 'left']],
      );
    } finally {
      await proxy.close();
    }
    assert.deepEqual(await thumbnails(bucket, 'unreachable/'), []);

    const still = await runReplay(env, IDLE);
    assert.deepEqual(counts(still.summary), { missing: 1 }, 'still on the dead-letter subscription');
    const replayed = await runReplay(env, ['--apply', ...IDLE]);
    assert.equal(replayed.code, 0, replayed.text.join('\n'));
    assert.equal((await thumbnails(bucket, 'unreachable/')).length, 1);
    await drainEvents();
  });

  it('gets a notification the worker nacked ten times during a storage outage from pstest, and replays it after the outage', async () => {
    const proxy = await startFaultProxy(stack.identities.worker.url);
    try {
      proxy.setMode('refuse');
      const worker = await startWorker({
        ...env,
        STORAGE_EMULATOR_HOST: proxy.url,
        PUBSUB_SUBSCRIPTION: stack.provisioning.subscription,
      });
      workers.push(worker);
      const bucket = stack.storage().bucket(stack.provisioning.bucket);
      const name = 'outage/photo.jpg';
      const generation = await upload(bucket, name, await fixture('landscape-jpeg'), 'image/jpeg');
      const retries = (): number =>
        pullOutcomes(worker.logs).filter(
          (l) => l.status === 'retry' && l.object === `gs://${bucket.name}/${name}`,
        ).length;
      await waitFor(() => retries() >= 10, {
        timeoutMs: 240_000,
        intervalMs: 500,
        message: 'ten nacked deliveries',
      });
      await worker.stop('SIGTERM');
      assert.equal(retries(), 10, 'delivered ten times, then dead-lettered');
      proxy.setMode('pass');

      // The worker also nacked the bucket's own notifications of earlier tests' uploads: only ours counts here.
      const dry = await runReplay(env, IDLE);
      const ours = dry.entries.filter((e) => e.key === `${bucket.name}/${name}@${generation}`);
      assert.deepEqual(
        ours.map((e) => e.reason),
        ['missing'],
      );
      const applied = await runReplay(env, ['--apply', ...IDLE]);
      assert.equal(applied.code, 0, applied.text.join('\n'));
      assert.deepEqual(
        (await thumbnails(bucket, 'outage/')).map((t) => t.thumbnailOf),
        [`gs://${bucket.name}/${name}`],
      );
    } finally {
      await proxy.close();
    }
  });
});
