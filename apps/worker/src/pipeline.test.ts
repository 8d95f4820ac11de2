import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import {
  createLogger,
  TransientError,
  type CreateResult,
  type DownloadResult,
  type StoredObject,
} from '@thumbnailer/core';
import { fixture } from '@thumbnailer/testkit';
import type { ObjectEvent } from './events.js';
import { createPipeline, filterEvent, type PipelineStorage } from './pipeline.js';

const BUCKET = 'local-bucket';
const PREFIX = 'thumbnails/';
const CREATED = new Date('2025-12-03T15:59:12.345Z');
const logger = createLogger({
  service: 'worker',
  level: 'silent',
  destination: new Writable({ write: (_c, _e, cb) => cb() }),
});

/**
 * The pipeline's storage seam in memory: objects by name (one generation each), every call recorded in order.
 * `fail` makes one kind of call throw what storage would throw.
 */
function memoryStorage(
  objects: Record<string, { data: Buffer; contentType?: string; generation?: string }> = {},
) {
  const calls: string[] = [];
  const store = new Map(Object.entries(objects).map(([name, o]) => [name, { generation: '1', ...o }]));
  const fail: Partial<Record<'stat' | 'download' | 'createOnly', Error>> = {};
  const stored = (name: string): StoredObject => {
    const o = store.get(name)!;
    return {
      bucket: BUCKET,
      name,
      generation: o.generation,
      metageneration: '1',
      size: o.data.length,
      contentType: o.contentType,
      timeCreated: CREATED,
      metadata: {},
    };
  };
  const storage: PipelineStorage & { calls: string[]; fail: typeof fail; written: Map<string, Buffer> } = {
    calls,
    fail,
    written: new Map(),
    stat(name: string, generation?: string | number) {
      calls.push(`stat ${name}`);
      if (fail.stat) return Promise.reject(fail.stat);
      const o = store.get(name);
      const match = o && (generation === undefined || String(generation) === o.generation);
      return Promise.resolve(match ? stored(name) : undefined);
    },
    download(name: string, generation: string | number): Promise<DownloadResult> {
      calls.push(`download ${name}`);
      if (fail.download) return Promise.reject(fail.download);
      const o = store.get(name);
      return Promise.resolve(
        o && o.generation === String(generation) ? { status: 'ok', data: o.data } : { status: 'gone' },
      );
    },
    createOnly(name: string, data: Buffer | string): Promise<CreateResult> {
      calls.push(`createOnly ${name}`);
      if (fail.createOnly) return Promise.reject(fail.createOnly);
      if (store.has(name)) return Promise.resolve({ status: 'exists' });
      const buffer = Buffer.from(data);
      store.set(name, { data: buffer, generation: '9' });
      storage.written.set(name, buffer);
      return Promise.resolve({ status: 'created', object: stored(name) });
    },
  };
  return storage;
}

function event(
  name: string,
  object: ObjectEvent['object'] = {},
  overrides: Partial<ObjectEvent> = {},
): ObjectEvent {
  return {
    via: 'pull',
    kind: 'finalize',
    bucket: BUCKET,
    name,
    generation: '1',
    eventTime: undefined,
    object,
    ...overrides,
  };
}

/** An event that carries the object's metadata, as a JSON_API_V1 notification or an Eventarc payload does. */
const withMetadata = (name: string, contentType: string) =>
  event(name, { size: 10, contentType, timeCreated: CREATED });

function pipelineOver(storage: PipelineStorage, signal?: AbortSignal) {
  return createPipeline({
    storage: () => storage,
    buckets: new Set([BUCKET]),
    thumbnailPrefix: PREFIX,
    thumbnailSize: 100,
    maxConcurrency: 2,
    logger,
    ...(signal ? { signal } : {}),
  });
}

const TARGET_JPG = 'thumbnails/20251203T15Z/up/photo.jpg.1.jpg';

describe('filterEvent', () => {
  const cases: [string, ObjectEvent, RegExp | undefined][] = [
    ['passes a finalize of a source in a served bucket', event('up/photo.jpg'), undefined],
    ['skips a delete', event('up/photo.jpg', {}, { kind: 'delete' }), /not a finalize event \(delete\)/],
    [
      'skips a bucket it does not serve, naming it',
      event('x.jpg', {}, { bucket: 'other' }),
      /bucket other is not served/,
    ],
    [
      'skips its own output under the prefix',
      event('thumbnails/x.jpg'),
      /a thumbnail \(under thumbnails\/\)/,
    ],
    [
      'skips an object carrying thumbnailOf',
      event('x.jpg', { metadata: { thumbnailOf: 'gs://b/o' } }),
      /thumbnailOf/,
    ],
    ['skips a folder placeholder', event('folder/'), /folder placeholder/],
    ['skips an empty object', event('x.jpg', { size: 0 }), /empty object/],
  ];
  for (const [what, e, reason] of cases) {
    it(what, () => {
      const got = filterEvent(e, new Set([BUCKET]), PREFIX);
      if (reason === undefined) assert.equal(got, undefined);
      else assert.match(String(got), reason);
    });
  }
});

describe('the pipeline', () => {
  it('makes one thumbnail with three storage requests when the event carries the object metadata', async () => {
    const storage = memoryStorage({
      'up/photo.jpg': { data: await fixture('landscape-jpeg'), contentType: 'image/jpeg' },
    });
    const outcome = await pipelineOver(storage).process(withMetadata('up/photo.jpg', 'image/jpeg'));
    assert.deepEqual(outcome, {
      status: 'processed',
      key: `${BUCKET}/up/photo.jpg@1`,
      thumbnail: `gs://${BUCKET}/${TARGET_JPG}`,
    });
    assert.deepEqual(storage.calls, [
      `stat ${TARGET_JPG}`,
      'download up/photo.jpg',
      `createOnly ${TARGET_JPG}`,
    ]);
  });

  it('reads the source metadata first when the event carries none (a NONE-payload notification)', async () => {
    const storage = memoryStorage({
      'up/photo.jpg': { data: await fixture('landscape-jpeg'), contentType: 'image/jpeg' },
    });
    const outcome = await pipelineOver(storage).process(event('up/photo.jpg'));
    assert.equal(outcome.status, 'processed');
    assert.deepEqual(storage.calls, [
      'stat up/photo.jpg',
      `stat ${TARGET_JPG}`,
      'download up/photo.jpg',
      `createOnly ${TARGET_JPG}`,
    ]);
  });

  it('answers a duplicate of a finished generation with one metadata read: no download, no decode, no write', async () => {
    const storage = memoryStorage({
      'up/photo.jpg': { data: await fixture('landscape-jpeg'), contentType: 'image/jpeg' },
      [TARGET_JPG]: { data: Buffer.from('done') },
    });
    const outcome = await pipelineOver(storage).process(withMetadata('up/photo.jpg', 'image/jpeg'));
    assert.deepEqual(outcome, { status: 'duplicate', key: `${BUCKET}/up/photo.jpg@1` });
    assert.deepEqual(storage.calls, [`stat ${TARGET_JPG}`]);
  });

  it('skips a generation that is gone with no write, and a missing one without a metadata read first', async () => {
    const storage = memoryStorage();
    const gone = await pipelineOver(storage).process(withMetadata('up/gone.jpg', 'image/jpeg'));
    assert.equal(gone.status, 'skipped');
    assert.ok(gone.status === 'skipped' && gone.permanent);
    assert.equal(storage.calls.filter((c) => c.startsWith('createOnly')).length, 0);

    const bare = memoryStorage();
    const missing = await pipelineOver(bare).process(event('up/missing.jpg'));
    assert.ok(missing.status === 'skipped' && /gone/.test(missing.reason));
    assert.deepEqual(bare.calls, ['stat up/missing.jpg'], 'one metadata read, no download, no write');
  });

  it('refuses bytes that are not an image once, permanently, writing nothing', async () => {
    const storage = memoryStorage({
      'up/notes.jpg': { data: await fixture('text'), contentType: 'image/jpeg' },
    });
    const outcome = await pipelineOver(storage).process(withMetadata('up/notes.jpg', 'image/jpeg'));
    assert.ok(
      outcome.status === 'skipped' && outcome.permanent && /^unsupported_format/.test(outcome.reason),
    );
    assert.equal(storage.written.size, 0);
  });

  it('names the thumbnail by the decoded format when the content type lied, checking the announced name first', async () => {
    const storage = memoryStorage({
      'up/photo.png': { data: await fixture('landscape-jpeg'), contentType: 'image/png' },
    });
    const outcome = await pipelineOver(storage).process(withMetadata('up/photo.png', 'image/png'));
    assert.ok(outcome.status === 'processed' && outcome.thumbnail.endsWith('up/photo.png.1.jpg'));
    assert.deepEqual(storage.calls, [
      'stat thumbnails/20251203T15Z/up/photo.png.1.png',
      'download up/photo.png',
      'createOnly thumbnails/20251203T15Z/up/photo.png.1.jpg',
    ]);
  });

  it('answers duplicate when another delivery wrote the thumbnail between the check and the write', async () => {
    const storage = memoryStorage({
      'up/photo.jpg': { data: await fixture('landscape-jpeg'), contentType: 'image/jpeg' },
    });
    const realCreate = storage.createOnly.bind(storage);
    storage.createOnly = async (name, data) => {
      await realCreate(name, Buffer.from('the other delivery'));
      return realCreate(name, data);
    };
    const outcome = await pipelineOver(storage).process(withMetadata('up/photo.jpg', 'image/jpeg'));
    assert.deepEqual(outcome, { status: 'duplicate', key: `${BUCKET}/up/photo.jpg@1` });
  });

  it('runs same-key deliveries in one process once: the second waits and is a duplicate', async () => {
    const storage = memoryStorage({
      'up/photo.jpg': { data: await fixture('landscape-jpeg'), contentType: 'image/jpeg' },
    });
    const pipeline = pipelineOver(storage);
    const outcomes = await Promise.all(
      [1, 2, 3].map(() => pipeline.process(withMetadata('up/photo.jpg', 'image/jpeg'))),
    );
    assert.deepEqual(outcomes.map((o) => o.status).sort(), ['duplicate', 'duplicate', 'processed']);
    assert.equal(storage.calls.filter((c) => c.startsWith('download')).length, 1);
    const later = await pipeline.process(withMetadata('up/photo.jpg', 'image/jpeg'));
    assert.equal(later.status, 'duplicate');
    assert.equal(storage.calls.length, 3, 'a key finished here costs no storage request');
  });

  it('throws a transient storage failure for redelivery and does the work again on the next delivery', async () => {
    const storage = memoryStorage({
      'up/photo.jpg': { data: await fixture('landscape-jpeg'), contentType: 'image/jpeg' },
    });
    const pipeline = pipelineOver(storage);
    storage.fail.download = new TransientError('storage_unavailable', 'down');
    await assert.rejects(pipeline.process(withMetadata('up/photo.jpg', 'image/jpeg')), {
      code: 'storage_unavailable',
    });
    delete storage.fail.download;
    assert.equal((await pipeline.process(withMetadata('up/photo.jpg', 'image/jpeg'))).status, 'processed');
  });

  it('skips a bucket it does not serve without any storage request', async () => {
    const storage = memoryStorage();
    const outcome = await pipelineOver(storage).process(event('x.jpg', {}, { bucket: 'someone-elses' }));
    assert.ok(outcome.status === 'skipped' && /someone-elses/.test(outcome.reason));
    assert.deepEqual(storage.calls, []);
  });

  it('starts nothing once shutting down: the delivery is retried', async () => {
    const controller = new AbortController();
    controller.abort();
    const storage = memoryStorage();
    await assert.rejects(
      pipelineOver(storage, controller.signal).process(withMetadata('a.jpg', 'image/jpeg')),
      {
        code: 'shutting_down',
      },
    );
    assert.deepEqual(storage.calls, []);
  });
});
