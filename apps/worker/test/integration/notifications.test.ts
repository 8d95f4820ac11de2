/**
 * One worker pulling from the emulated subscription, fed by real bucket notifications (fake-gcs-server →
 * Pub/Sub emulator), plus duplicates published by the test and the same objects sent to POST /event.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Bucket } from '@google-cloud/storage';
import type { Topic } from '@google-cloud/pubsub';
import { startStack, type Stack } from '@thumbnailer/emulators';
import { fixture, waitFor } from '@thumbnailer/testkit';
import sharp from 'sharp';
import {
  finalizeAttributes,
  publishFinalize,
  pullOutcomes,
  startWorker,
  THUMBNAIL_PREFIX,
  thumbnails,
  upload,
  workerEnv,
  type WorkerProcess,
} from './support.js';

describe('worker on bucket notifications', () => {
  let stack: Stack;
  let bucket: Bucket;
  let topic: Topic;
  let worker: WorkerProcess;

  before(async () => {
    stack = await startStack();
    bucket = stack.storage().bucket(stack.provisioning.bucket);
    topic = stack.pubsub().topic(stack.provisioning.topic);
    worker = await startWorker({
      ...workerEnv(stack),
      PUBSUB_SUBSCRIPTION: stack.provisioning.subscription,
      MAX_CONCURRENCY: '4',
    });
  });

  after(async () => {
    await worker?.stop('SIGKILL');
    await stack?.stop();
  });

  it('writes a thumbnail with the right size, format, orientation, metadata and content type', async () => {
    const name = 'upload/20251203T15Z/rotated.jpg';
    const generation = await upload(bucket, name, await fixture('exif-rotated-jpeg'), 'image/jpeg');

    const thumb = await waitFor(async () => (await thumbnails(bucket, name))[0], {
      timeoutMs: 20_000,
      message: 'a thumbnail of the uploaded image',
    });
    assert.ok(thumb.name.startsWith(THUMBNAIL_PREFIX));
    assert.match(thumb.name, /^thumbnails\/\d{8}T\d{2}Z\//);
    assert.ok(thumb.name.endsWith('.jpg'));

    const file = bucket.file(thumb.name);
    const [metadata] = await file.getMetadata();
    assert.equal(metadata.contentType, 'image/jpeg');
    assert.equal(metadata.metadata?.thumbnailOf, `gs://${bucket.name}/${name}`);
    assert.equal(metadata.metadata?.sourceGeneration, generation);

    const [data] = await file.download();
    const info = await sharp(data).metadata();
    assert.equal(info.format, 'jpeg');
    // Stored 640×480 with EXIF orientation 6 → displayed 480×640 → thumbnail 75×100, upright, no EXIF left.
    assert.deepEqual([info.width, info.height], [75, 100]);
    assert.equal(info.exif, undefined);
    assert.equal(info.orientation, undefined);
    // The marker sits at the displayed top-right corner.
    const { data: pixels, info: raw } = await sharp(data).raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => {
      const i = (y * raw.width + x) * raw.channels;
      return { r: pixels[i]!, g: pixels[i + 1]!, b: pixels[i + 2]! };
    };
    const topRight = at(raw.width - 4, 3);
    const topLeft = at(3, 3);
    // MARKER is pure red.
    assert.ok(
      topRight.r > 200 && topRight.g < 80 && topRight.b < 80,
      `top-right ${JSON.stringify(topRight)}`,
    );
    assert.ok(!(topLeft.r > 200 && topLeft.g < 80), `top-left is not the marker ${JSON.stringify(topLeft)}`);
  });

  it('makes one thumbnail for five identical notifications and the same object on POST /event, acking all', async () => {
    const name = 'upload/dupes/landscape.jpg';
    const generation = await upload(bucket, name, await fixture('landscape-jpeg'), 'image/jpeg');
    const published = await publishFinalize(topic, bucket.name, name, generation, 5);

    const responses = await Promise.all(
      Array.from({ length: 2 }, () =>
        fetch(`${worker.url}/event`, {
          method: 'POST',
          headers: {
            'ce-id': `evt-${generation}`,
            'ce-source': `//storage.googleapis.com/projects/_/buckets/${bucket.name}`,
            'ce-specversion': '1.0',
            'ce-type': 'google.cloud.storage.object.v1.finalized',
            'ce-subject': `objects/${name}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ bucket: bucket.name, name, generation }),
        }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> })),
      ),
    );
    for (const { status, body } of responses) {
      assert.equal(status, 200, JSON.stringify(body));
      assert.ok(['processed', 'duplicate'].includes(String(body.status)), JSON.stringify(body));
      assert.equal(body.key, `${bucket.name}/${name}@${generation}`);
    }

    // The bucket's own notification plus the five duplicates: every one settled with an ack.
    const key = `${bucket.name}/${name}@${generation}`;
    const settled = await waitFor(
      () => {
        const lines = pullOutcomes(worker.logs).filter((l) => l.key === key);
        const ids = new Set(lines.filter((l) => l.status !== 'retry').map((l) => String(l.messageId)));
        return published.every((id) => ids.has(id)) && ids.size >= 6 ? lines : undefined;
      },
      { timeoutMs: 30_000, message: 'all six deliveries of the object acked' },
    );
    assert.ok(settled.every((l) => ['processed', 'duplicate', 'retry'].includes(String(l.status))));
    const processed = [
      ...settled,
      ...worker.logs.filter((l) => l.via === 'cloudevent' && l.key === key),
    ].filter((l) => l.status === 'processed');
    assert.equal(processed.length, 1, 'exactly one delivery made the thumbnail');
    assert.equal((await thumbnails(bucket, name)).length, 1);
  });

  it('never thumbnails a thumbnail: the subscription filters out its notification, and /event skips it', async () => {
    const name = 'upload/loop/small.png';
    await upload(bucket, name, await fixture('small-png'), 'image/png');
    const thumb = await waitFor(async () => (await thumbnails(bucket, name))[0], {
      timeoutMs: 20_000,
      message: 'the thumbnail',
    });
    // A later upload's thumbnail proves the earlier thumbnail's notification has had its chance to arrive.
    const later = 'upload/loop/later.png';
    await upload(bucket, later, await fixture('small-png'), 'image/png');
    await waitFor(async () => (await thumbnails(bucket, later))[0], {
      timeoutMs: 20_000,
      message: 'the later thumbnail',
    });
    const object = `gs://${bucket.name}/${thumb.name}`;
    assert.deepEqual(
      pullOutcomes(worker.logs).filter((l) => l.object === object),
      [],
      "the thumbnail's notification never reached the worker",
    );

    // Eventarc has no such filter: the same object pushed to /event is skipped by the worker itself.
    const [metadata] = await bucket.file(thumb.name).getMetadata();
    const response = await fetch(`${worker.url}/event`, {
      method: 'POST',
      headers: {
        'ce-id': `evt-thumb-${String(metadata.generation)}`,
        'ce-source': `//storage.googleapis.com/projects/_/buckets/${bucket.name}`,
        'ce-specversion': '1.0',
        'ce-type': 'google.cloud.storage.object.v1.finalized',
        'ce-subject': `objects/${thumb.name}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ ...metadata, bucket: bucket.name, name: thumb.name }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(body.status, 'skipped');
    assert.match(String(body.reason), /thumbnail/);
    assert.equal((await thumbnails(bucket, name)).length, 1);
    assert.equal((await thumbnails(bucket, THUMBNAIL_PREFIX)).length, 0, 'no thumbnail of a thumbnail');
  });

  it('skips text, corrupt and pixel-bomb objects once, with their reasons, and stays healthy', async () => {
    const cases = [
      {
        name: 'upload/bad/notes.txt',
        fixture: 'text',
        contentType: 'text/plain',
        reason: /unsupported_format/,
      },
      {
        name: 'upload/bad/cut.jpg',
        fixture: 'truncated-jpeg',
        contentType: 'image/jpeg',
        reason: /corrupt_image/,
      },
      {
        name: 'upload/bad/bomb.png',
        fixture: 'pixel-bomb-png',
        contentType: 'image/png',
        reason: /pixel_limit/,
      },
    ] as const;
    for (const c of cases) await upload(bucket, c.name, await fixture(c.fixture), c.contentType);

    for (const c of cases) {
      const object = `gs://${bucket.name}/${c.name}`;
      const lines = await waitFor(
        () => {
          const found = pullOutcomes(worker.logs).filter((l) => l.object === object);
          return found.length ? found : undefined;
        },
        { timeoutMs: 20_000, message: `the outcome for ${c.name}` },
      );
      assert.equal(lines.length, 1, `${c.name} settled once`);
      assert.equal(lines[0]?.status, 'skipped');
      assert.equal(lines[0]?.severity, 'WARNING');
      assert.match(String(lines[0]?.reason), c.reason);
      assert.equal((await thumbnails(bucket, c.name)).length, 0);
    }
    const health = await fetch(`${worker.url}/healthz`);
    assert.equal(health.status, 200);
  });

  it('answers POST /event with 400 for an unusable request and 200 skipped for a metadata update', async () => {
    const bad = await fetch(`${worker.url}/event`, { method: 'POST', body: 'not an event' });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { status: string }).status, 'error');

    const push = await fetch(`${worker.url}/event`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        message: {
          attributes: {
            ...finalizeAttributes(bucket.name, 'x.jpg', '1'),
            eventType: 'OBJECT_METADATA_UPDATE',
          },
          data: '',
          messageId: '1',
        },
        subscription: 'projects/p/subscriptions/s',
      }),
    });
    assert.equal(push.status, 200);
    assert.deepEqual(await push.json(), {
      status: 'skipped',
      reason: 'not a finalize or delete event (metadata_update)',
    });
  });
});
