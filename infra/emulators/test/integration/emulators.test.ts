import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Message } from '@google-cloud/pubsub';
import { waitFor } from '@thumbnailer/testkit';
import {
  identities,
  provision,
  startEmulators,
  startFaultProxy,
  startStack,
  subscriptionFilter,
  type EmulatorSet,
} from '../../src/index.js';

type Stack = Awaited<ReturnType<typeof startStack>>;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function notificationConfigs(stack: Stack): Promise<{ topic: string }[]> {
  const response = await fetch(
    `${stack.storageHost}/storage/v1/b/${stack.provisioning.bucket}/notificationConfigs`,
  );
  assert.equal(response.status, 200);
  const body = (await response.json()) as { items?: { topic: string }[] };
  return body.items ?? [];
}

describe('the emulator stack', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ projectId: 'self-test', bucket: 'self-test-bucket' });
  });
  after(() => stack?.stop());

  it('hands out env values in the forms the client libraries expect, storage only through an identity’s proxy', () => {
    assert.match(stack.storageHost, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(stack.pubsubHost, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(stack.env, {
      PUBSUB_EMULATOR_HOST: stack.pubsubHost,
      GOOGLE_CLOUD_PROJECT: 'self-test',
      METADATA_SERVER_DETECTION: 'none',
    });
    const hosts = identities.map((identity) => {
      const env = stack.envFor(identity);
      assert.deepEqual(env, { ...stack.env, STORAGE_EMULATOR_HOST: stack.identities[identity].url });
      assert.match(env.STORAGE_EMULATOR_HOST ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
      return env.STORAGE_EMULATOR_HOST;
    });
    assert.equal(
      new Set([...hosts, stack.storageHost]).size,
      4,
      'three distinct proxies, none of them the emulator',
    );
  });

  it('puts each identity behind the roles infra/terraform grants it: the worker creates and reads anywhere, replaces and deletes only under the thumbnail prefix', async () => {
    const worker = stack.storageFor('worker').bucket(stack.provisioning.bucket);
    assert.equal(stack.storageFor('worker'), stack.storageFor('worker'));
    const proxy = stack.identities.worker;
    proxy.reset();
    await worker.file('20251203T15Z/original.jpg').save('original', { resumable: false });
    const [content] = await worker.file('20251203T15Z/original.jpg').download();
    assert.equal(content.toString(), 'original');
    await assert.rejects(
      worker.file('20251203T15Z/original.jpg').save('again', { resumable: false }),
      (error: { code?: unknown }) => error.code === 403,
      'an original is never replaced',
    );
    await assert.rejects(
      worker.file('20251203T15Z/original.jpg').delete(),
      (error: { code?: unknown }) => error.code === 403,
      'an original is never deleted',
    );
    await worker.file('thumbnails/20251203T15Z/x.jpg').save('thumb', { resumable: false });
    await worker.file('thumbnails/20251203T15Z/x.jpg').delete();
    assert.deepEqual(
      [proxy.counts().create, proxy.counts().mediaRead, proxy.counts().overwrite, proxy.counts().delete],
      [2, 1, 1, 2],
    );
    assert.equal(proxy.counts().refused, 2);
    assert.equal(proxy.policy.serviceAccount, 'thumbnailer-worker@self-test.iam.gserviceaccount.com');
    assert.equal(stack.identities.web.order, 'permission-first');
  });

  it('answers a second create-only write of the same object with 412 and keeps the first', async () => {
    const file = stack.storage().bucket(stack.provisioning.bucket).file('create-only.txt');
    const createOnly = { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } };
    await file.save(Buffer.from('first'), createOnly);
    await assert.rejects(file.save(Buffer.from('second'), createOnly), (error: { code?: unknown }) => {
      assert.equal(error.code, 412);
      return true;
    });
    const [content] = await file.download();
    assert.equal(content.toString(), 'first');
  });

  it('publishes a finalize to the subscription with the production attributes and a JSON payload', async () => {
    const received: Message[] = [];
    const subscription = stack.pubsub().subscription(stack.provisioning.subscription);
    subscription.on('message', (message: Message) => {
      received.push(message);
      message.ack();
    });
    subscription.on('error', (error) => assert.fail(error));
    try {
      const objectName = '20251203T15Z/notified photo.jpg';
      const file = stack.storage().bucket(stack.provisioning.bucket).file(objectName);
      await file.save(Buffer.from('not really a jpeg'), { resumable: false, contentType: 'image/jpeg' });
      const [metadata] = await file.getMetadata();

      const message = await waitFor(() => received.find((m) => m.attributes.objectId === objectName), {
        timeoutMs: 20_000,
        message: 'the OBJECT_FINALIZE notification',
      });
      assert.equal(message.attributes.eventType, 'OBJECT_FINALIZE');
      assert.equal(message.attributes.bucketId, stack.provisioning.bucket);
      assert.equal(message.attributes.payloadFormat, 'JSON_API_V1');
      assert.equal(typeof message.attributes.objectGeneration, 'string');
      assert.equal(message.attributes.objectGeneration, String(metadata.generation));
      const payload = JSON.parse(message.data.toString('utf8')) as { name?: unknown; bucket?: unknown };
      assert.equal(payload.name, objectName);
      assert.equal(payload.bucket, stack.provisioning.bucket);
    } finally {
      await subscription.close();
    }
  });

  it('filters notifications of objects under the thumbnail prefix out of the subscription', async () => {
    const [metadata] = await stack.pubsub().subscription(stack.provisioning.subscription).getMetadata();
    assert.equal(metadata.filter, subscriptionFilter('thumbnails/'));
    assert.equal(metadata.filter, 'NOT hasPrefix(attributes.objectId, "thumbnails/")');

    const received: string[] = [];
    const subscription = stack.pubsub().subscription(stack.provisioning.subscription);
    subscription.on('message', (message: Message) => {
      received.push(message.attributes.objectId ?? '');
      message.ack();
    });
    subscription.on('error', (error) => assert.fail(error));
    try {
      const bucket = stack.storage().bucket(stack.provisioning.bucket);
      // Published first, so it has been filtered by the time the later notification is delivered.
      await bucket.file('thumbnails/20251203T15Z/filtered.jpg').save('x', { resumable: false });
      await bucket.file('thumbnails-not/kept.jpg').save('x', { resumable: false });
      await waitFor(() => received.includes('thumbnails-not/kept.jpg'), {
        timeoutMs: 20_000,
        message: 'the notification of an object outside the prefix',
      });
      assert.deepEqual(
        received.filter((name) => name.startsWith('thumbnails/')),
        [],
      );
    } finally {
      await subscription.close();
    }
  });

  it('provisions twice without error and without a second notification config', async () => {
    const clients = { storage: stack.storage(), pubsub: stack.pubsub(), storageHost: stack.storageHost };
    await provision(clients, stack.provisioning);
    await provision(clients, stack.provisioning);
    const configs = await notificationConfigs(stack);
    assert.deepEqual(
      configs.map((config) => config.topic),
      [`projects/self-test/topics/${stack.provisioning.topic}`],
    );
    const [subscriptions] = await stack.pubsub().topic(stack.provisioning.topic).getSubscriptions();
    assert.deepEqual(
      subscriptions.map((subscription) => subscription.name),
      [`projects/self-test/subscriptions/${stack.provisioning.subscription}`],
    );
  });

  it('provisions the dead-letter topic and subscription, the worker subscription’s 10-attempt policy, and the events topic with a subscription', async () => {
    const p = stack.provisioning;
    const pubsub = stack.pubsub();
    const [worker] = await pubsub.subscription(p.subscription).getMetadata();
    assert.deepEqual(worker.deadLetterPolicy, {
      deadLetterTopic: `projects/self-test/topics/${p.deadLetterTopic}`,
      maxDeliveryAttempts: 10,
    });
    const [deadLetters] = await pubsub.subscription(p.deadLetterSubscription ?? '').getMetadata();
    assert.equal(deadLetters.topic, `projects/self-test/topics/${p.deadLetterTopic}`);
    assert.equal(deadLetters.deadLetterPolicy, null, 'dead letters are never dead-lettered again');
    const [events] = await pubsub.subscription(p.eventsSubscription ?? '').getMetadata();
    assert.equal(events.topic, `projects/self-test/topics/${p.eventsTopic}`);
    assert.deepEqual(
      [p.deadLetterTopic, p.deadLetterSubscription, p.eventsTopic, p.eventsSubscription],
      [
        'gcs-notifications-dead-letter',
        'thumbnailer-dead-letter',
        'thumbnailer-events',
        'thumbnailer-events-tail',
      ],
    );
  });

  it('gives a subscription made before dead letters existed its dead-letter policy by a metadata update', async () => {
    const pubsub = stack.pubsub();
    const p = { ...stack.provisioning, subscription: 'made-before-dead-letters' };
    const [legacy] = await pubsub.topic(p.topic).createSubscription(p.subscription);
    try {
      const clients = { storage: stack.storage(), pubsub, storageHost: stack.storageHost };
      await provision(clients, p);
      await provision(clients, p);
      const [metadata] = await legacy.getMetadata();
      assert.equal(
        metadata.deadLetterPolicy?.deadLetterTopic,
        `projects/self-test/topics/${p.deadLetterTopic}`,
      );
      assert.equal(metadata.deadLetterPolicy?.maxDeliveryAttempts, 10);
    } finally {
      await legacy.delete();
    }
  });

  it('forwards a message nacked ten times to the dead-letter subscription, attributes and data unchanged', async () => {
    const pubsub = stack.pubsub();
    const p = stack.provisioning;
    const attributes = { eventType: 'OBJECT_FINALIZE', objectId: 'dead/letter.png', marker: 'ten-nacks' };
    await pubsub.topic(p.topic).publishMessage({ data: Buffer.from('{"x":1}'), attributes });
    let nacks = 0;
    const worker = pubsub.subscription(p.subscription);
    worker.on('message', (message: Message) => {
      if (message.attributes.marker !== 'ten-nacks') return message.ack();
      nacks += 1;
      message.nack();
    });
    const forwarded: Message[] = [];
    const deadLetters = pubsub.subscription(p.deadLetterSubscription ?? '');
    deadLetters.on('message', (message: Message) => {
      forwarded.push(message);
      message.ack();
    });
    try {
      await waitFor(() => forwarded.length > 0, { timeoutMs: 20_000, message: 'the dead letter' });
      assert.equal(nacks, 10);
      assert.deepEqual(
        forwarded[0]?.attributes,
        attributes,
        'pstest adds no CloudPubSubDeadLetter* attribute',
      );
      assert.equal(forwarded[0]?.data.toString(), '{"x":1}');
    } finally {
      await Promise.all([worker.close(), deadLetters.close()]);
    }
  });

  it('puts a fault proxy in front of storage that passes, refuses, answers 503, black-holes, and passes again', async () => {
    const proxy = await startFaultProxy(stack.storageHost);
    try {
      const bucketUrl = `${proxy.url}/storage/v1/b/${stack.provisioning.bucket}`;
      assert.match(proxy.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal((await fetch(bucketUrl)).status, 200);

      proxy.setMode('refuse');
      await assert.rejects(fetch(bucketUrl), TypeError);

      proxy.setMode('error503');
      const unavailable = await fetch(bucketUrl);
      assert.equal(unavailable.status, 503);
      await unavailable.body?.cancel();

      proxy.setMode('blackhole');
      await assert.rejects(fetch(bucketUrl, { signal: AbortSignal.timeout(300) }), { name: 'TimeoutError' });

      proxy.setMode('pass');
      const [exists] = await stack.storage().bucket(stack.provisioning.bucket).exists();
      assert.equal(exists, true);
      assert.equal((await fetch(bucketUrl)).status, 200);
    } finally {
      await proxy.close();
    }
  });
});

describe('stopping the emulators', () => {
  it('stop() ends both processes and can be called again', async () => {
    const set: EmulatorSet = await startEmulators();
    assert.ok(isAlive(set.pids.storage) && isAlive(set.pids.pubsub));
    await set.stop();
    assert.equal(isAlive(set.pids.storage), false);
    assert.equal(isAlive(set.pids.pubsub), false);
    await set.stop();
  });

  it('takes its emulators down when the process that started them gets SIGTERM', async () => {
    const fixture = fileURLToPath(new URL('fixtures/hold-emulators.ts', import.meta.url));
    const holder = spawn(process.execPath, ['--import', 'tsx', fixture], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(createInterface({ input: holder.stdout }), 'line')) as [string];
    const pids = JSON.parse(line) as { storage: number; pubsub: number };
    assert.ok(isAlive(pids.storage) && isAlive(pids.pubsub));

    holder.kill('SIGTERM');
    const [, signal] = (await once(holder, 'exit')) as [number | null, NodeJS.Signals | null];
    assert.equal(signal, 'SIGTERM');
    await waitFor(() => !isAlive(pids.storage) && !isAlive(pids.pubsub), {
      message: 'the emulators to exit after their parent got SIGTERM',
    });
  });
});
