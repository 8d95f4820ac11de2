/**
 * A rendition set through the built worker, under the deployed IAM: sizes, crops, formats and metadata of every
 * rendition; exactly one set whatever the duplicates and instances; a delivery after a partial set writes only what
 * is missing; and every file of the shared third-party corpus gets every rendition or one clear refusal.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Bucket } from '@google-cloud/storage';
import { startStack, type Stack } from '@thumbnailer/emulators';
import { corpusImage, corpusImageNames, fixture, waitFor } from '@thumbnailer/testkit';
import sharp from 'sharp';
import {
  objectData,
  publishFinalize,
  pullOutcomes,
  pushStorageEvent,
  renditionsOf,
  settledOutcomes,
  startWorker,
  upload,
  workerEnv,
  type WorkerProcess,
} from './support.js';

const SET = 'thumb:100x100,card:400x300:cover:webp,hero:1600x1600:avif:q60';

describe('a three-rendition set', () => {
  let stack: Stack;
  let bucket: Bucket;
  const workers: WorkerProcess[] = [];

  before(async () => {
    stack = await startStack();
    bucket = stack.storage().bucket(stack.provisioning.bucket);
    for (let i = 0; i < 2; i++) {
      workers.push(
        await startWorker({
          ...workerEnv(stack),
          RENDITIONS: SET,
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

  it('writes each rendition in its size, crop and format, upright, with its metadata', async () => {
    const name = 'set/rotated.jpg';
    const generation = await upload(bucket, name, await fixture('exif-rotated-jpeg'), 'image/jpeg');
    const set = await waitFor(
      async () => {
        const found = await renditionsOf(bucket, name);
        return found.length >= 3 ? found : undefined;
      },
      { timeoutMs: 30_000, message: 'three renditions' },
    );
    const by = new Map(set.map((r) => [r.metadata.rendition, r]));
    assert.deepEqual([...by.keys()].sort(), ['card', 'hero', 'thumb']);

    const thumb = by.get('thumb')!;
    assert.match(thumb.name, /\/set\/rotated\.jpg\.\d+\.jpg$/, 'the default rendition keeps the name of old');
    const card = by.get('card')!;
    assert.match(card.name, /\/set\/rotated\.jpg\.\d+\.card-[0-9a-f]{8}\.webp$/);
    const hero = by.get('hero')!;
    assert.match(hero.name, /\.hero-[0-9a-f]{8}\.avif$/);

    const info = async (objectName: string) =>
      sharp((await bucket.file(objectName).download())[0]).metadata();
    const [t, c, h] = await Promise.all([info(thumb.name), info(card.name), info(hero.name)]);
    // Stored 640×480 with EXIF orientation 6: displayed 480×640.
    assert.deepEqual([t.format, t.width, t.height], ['jpeg', 75, 100]);
    assert.deepEqual([c.format, c.width, c.height], ['webp', 400, 300], 'cover fills the box exactly');
    assert.deepEqual([h.format, h.width, h.height], ['heif', 480, 640], 'never enlarged');
    for (const meta of [t, c, h]) assert.equal(meta.exif, undefined, 'no EXIF carried over');

    for (const r of set) {
      assert.equal(r.metadata.thumbnailOf, `gs://${bucket.name}/${name}`);
      assert.equal(r.metadata.sourceGeneration, generation);
      assert.match(r.metadata.thumbhash ?? '', /^[A-Za-z0-9+/]+=*$/);
      assert.match(r.metadata.dominantColor ?? '', /^#[0-9a-f]{6}$/);
    }
    assert.equal(card.metadata.renditionSpec, '400x300:cover:webp:q80');
    assert.equal(hero.metadata.renditionSpec, '1600x1600:inside:avif:q60');
    assert.deepEqual([card.metadata.width, card.metadata.height], ['400', '300']);
    assert.equal(card.contentType, 'image/webp');
    assert.equal(hero.contentType, 'image/avif');
  });

  it('writes one set for five duplicate notifications across two instances', async () => {
    const name = 'set/dupes.png';
    const generation = await upload(bucket, name, await fixture('rgba-png'), 'image/png');
    await publishFinalize(stack.pubsub().topic(stack.provisioning.topic), bucket.name, name, generation, 5);
    const key = `${bucket.name}/${name}@${generation}`;
    await settledOutcomes(workers, key, 6, 'six deliveries settled');
    const set = await renditionsOf(bucket, name);
    assert.equal(set.length, 3);
    assert.equal(
      workers.flatMap((w) => pullOutcomes(w.logs)).filter((l) => l.key === key && l.status === 'processed')
        .length,
      1,
    );
  });
});

describe('a partial set', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.stop();
  });

  it('is completed by the next delivery, which writes only the missing renditions', async () => {
    const bucket = stack.storage().bucket(stack.provisioning.bucket);
    const name = 'partial/photo.jpg';
    await upload(bucket, name, await fixture('landscape-jpeg'), 'image/jpeg');
    const data = await objectData(bucket, name);
    // What a worker killed after its first rendition leaves behind: the first rendition only.
    const early = await startWorker({ ...workerEnv(stack), RENDITIONS: 'thumb:100x100' });
    try {
      assert.equal((await pushStorageEvent(early, 'finalized', data)).body.status, 'processed');
    } finally {
      await early.stop('SIGKILL');
    }
    const [thumbBefore] = await renditionsOf(bucket, name);
    const worker = await startWorker({ ...workerEnv(stack), RENDITIONS: SET });
    try {
      const proxy = stack.identities.worker;
      proxy.reset();
      const reply = await pushStorageEvent(worker, 'finalized', data);
      assert.equal(reply.body.status, 'processed', JSON.stringify(reply.body));
      assert.deepEqual(
        (reply.body.renditions as { rendition: string }[]).map((r) => r.rendition),
        ['thumb', 'card', 'hero'],
      );
      const counts = proxy.counts();
      assert.deepEqual(
        {
          metadataRead: counts.metadataRead,
          mediaRead: counts.mediaRead,
          create: counts.create,
          overwrite: counts.overwrite,
        },
        { metadataRead: 3, mediaRead: 1, create: 2, overwrite: 0 },
        'one read per rendition, one download, a write for each missing one only',
      );
      const after = await renditionsOf(bucket, name);
      assert.equal(after.length, 3);
      assert.deepEqual(
        after.find((r) => r.name === thumbBefore?.name)?.size,
        thumbBefore?.size,
        'the first rendition untouched',
      );
      const again = await pushStorageEvent(worker, 'finalized', data);
      assert.equal(again.body.status, 'duplicate');
    } finally {
      await worker.stop('SIGKILL');
    }
  });
});

describe('the shared corpus through a multi-rendition worker', () => {
  let stack: Stack;
  let worker: WorkerProcess;

  before(async () => {
    stack = await startStack();
    worker = await startWorker({
      ...workerEnv(stack),
      RENDITIONS: 'thumb:100x100,card:160x120:cover:webp,tiny:48x48:avif',
      MAX_CONCURRENCY: '2',
    });
  });
  after(async () => {
    await worker?.stop('SIGKILL');
    await stack?.stop();
  });

  it('gives every file every rendition or exactly one clear refusal, and never a retry', async () => {
    const bucket = stack.storage().bucket(stack.provisioning.bucket);
    const names = await corpusImageNames();
    const outcomes = new Map<string, Record<string, unknown>>();
    for (const file of names) {
      const name = `corpus/${file}`;
      await upload(bucket, name, await corpusImage(file));
      const reply = await pushStorageEvent(worker, 'finalized', await objectData(bucket, name));
      assert.equal(reply.status, 200, `${file}: ${JSON.stringify(reply.body)}`);
      outcomes.set(file, reply.body);
    }
    for (const [file, body] of outcomes) {
      const set = await renditionsOf(bucket, `corpus/${file}`);
      if (body.status === 'processed') {
        assert.equal(set.length, 3, `${file}: all three renditions`);
      } else {
        assert.equal(body.status, 'skipped', `${file}: ${JSON.stringify(body)}`);
        assert.match(
          String(body.reason),
          /^(empty_image|unsupported_format|corrupt_image|pixel_limit|too_many_frames|image_timeout): |^an empty object$/,
          `${file}: a refusal with its code`,
        );
        assert.equal(set.length, 0, `${file}: nothing written for a refused file`);
      }
    }
    const processed = [...outcomes.values()].filter((b) => b.status === 'processed').length;
    assert.ok(processed >= names.length / 2, `${processed} of ${names.length} corpus files rendered`);
  });
});
