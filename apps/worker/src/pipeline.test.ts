import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import {
  createLogger,
  defaultRenditions,
  parseRenditions,
  TransientError,
  type CreateResult,
  type DeleteResult,
  type BufferPool,
  type DownloadResult,
  type RenditionSpec,
  type StoredObject,
} from '@thumbnailer/core';
import { fixture } from '@thumbnailer/testkit';
import { assertValidEvent } from '../test/schemas.js';
import type { ObjectEvent } from './events.js';
import { EVENT_TYPES, type Notice, type Notifier } from './notify.js';
import { createPipeline, filterEvent, type PipelineStorage } from './pipeline.js';

const BUCKET = 'local-bucket';
const PREFIX = 'thumbnails/';
const CREATED = new Date('2025-12-03T15:59:12.345Z');
const logger = createLogger({
  service: 'worker',
  level: 'silent',
  destination: new Writable({ write: (_c, _e, cb) => cb() }),
});

interface MemoryObject {
  data: Buffer;
  contentType?: string;
  generation?: string;
  metadata?: Record<string, string>;
}

/**
 * The pipeline's storage seam in memory: objects by name (one generation each), every call recorded in order.
 * `fail` makes one kind of call throw what storage would throw.
 */
function memoryStorage(objects: Record<string, MemoryObject> = {}) {
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
      metadata: o.metadata ?? {},
    };
  };
  const storage: PipelineStorage & {
    calls: string[];
    fail: typeof fail;
    store: typeof store;
    written: Map<string, { data: Buffer; metadata: Record<string, string> }>;
    /** Each download the pipeline asked into a pool: the pool and the bytes handed out (as the adapter does). */
    pooled: { pool: BufferPool; data: Buffer }[];
  } = {
    calls,
    fail,
    store,
    written: new Map(),
    pooled: [],
    stat(name: string, generation?: string | number) {
      calls.push(`stat ${name}`);
      if (fail.stat) return Promise.reject(fail.stat);
      const o = store.get(name);
      const match = o && (generation === undefined || String(generation) === o.generation);
      return Promise.resolve(match ? stored(name) : undefined);
    },
    download(name: string, generation: string | number, pool?: BufferPool): Promise<DownloadResult> {
      calls.push(`download ${name}`);
      if (fail.download) return Promise.reject(fail.download);
      const o = store.get(name);
      if (!o || o.generation !== String(generation)) return Promise.resolve({ status: 'gone' });
      if (!pool) return Promise.resolve({ status: 'ok', data: o.data });
      const data = pool.take(o.data.length).subarray(0, o.data.length);
      o.data.copy(data);
      storage.pooled.push({ pool, data });
      return Promise.resolve({ status: 'ok', data });
    },
    createOnly(name: string, data: Buffer | string, options = {}): Promise<CreateResult> {
      calls.push(`createOnly ${name}`);
      if (fail.createOnly) return Promise.reject(fail.createOnly);
      if (store.has(name)) return Promise.resolve({ status: 'exists' });
      const buffer = Buffer.from(data);
      const metadata = options.metadata ?? {};
      store.set(name, { data: buffer, generation: '9', contentType: options.contentType, metadata });
      storage.written.set(name, { data: buffer, metadata });
      return Promise.resolve({ status: 'created', object: stored(name) });
    },
    async *list(prefix: string) {
      calls.push(`list ${prefix}`);
      await Promise.resolve();
      for (const name of [...store.keys()].sort()) if (name.startsWith(prefix)) yield stored(name);
    },
    delete(name: string, ifGenerationMatch?: string): Promise<DeleteResult> {
      calls.push(`delete ${name}`);
      const o = store.get(name);
      if (!o) return Promise.resolve({ status: 'gone' });
      if (ifGenerationMatch !== undefined && ifGenerationMatch !== o.generation)
        return Promise.resolve({ status: 'precondition_failed' });
      store.delete(name);
      return Promise.resolve({ status: 'deleted' });
    },
  };
  return storage;
}

/** A notifier that keeps what was published, each checked against its JSON Schema. */
function capturingNotifier(): Notifier & { notices: Notice[] } {
  const notices: Notice[] = [];
  return {
    notices,
    publish(notice) {
      assertValidEvent(EVENT_TYPES[notice.kind], notice.data);
      notices.push(notice);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
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
const withMetadata = (name: string, contentType: string, overrides: Partial<ObjectEvent> = {}) =>
  event(name, { size: 10, contentType, timeCreated: CREATED }, overrides);

function pipelineOver(
  storage: PipelineStorage,
  options: { signal?: AbortSignal; renditions?: readonly RenditionSpec[]; notifier?: Notifier } = {},
) {
  return createPipeline({
    storage: () => storage,
    buckets: new Set([BUCKET]),
    thumbnailPrefix: PREFIX,
    renditions: options.renditions ?? defaultRenditions(100),
    maxConcurrency: 2,
    logger,
    ...(options.notifier ? { notifier: options.notifier } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

const TARGET_JPG = 'thumbnails/20251203T15Z/up/photo.jpg.1.jpg';
const photo = async (): Promise<MemoryObject> => ({
  data: await fixture('landscape-jpeg'),
  contentType: 'image/jpeg',
});

describe('filterEvent', () => {
  const cases: [string, ObjectEvent, RegExp | undefined][] = [
    ['passes a finalize of a source in a served bucket', event('up/photo.jpg'), undefined],
    ['passes a delete of a source', event('up/photo.jpg', {}, { kind: 'delete' }), undefined],
    ['keeps an archived version’s renditions', event('a.jpg', {}, { kind: 'archive' }), /archived/],
    ['skips a metadata update', event('a.jpg', {}, { kind: 'metadata_update' }), /not a finalize or delete/],
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
      else assert.match(String(got?.reason), reason);
    });
  }
});

describe('the pipeline, one default rendition', () => {
  it('makes the thumbnail with three storage requests when the event carries the object metadata', async () => {
    const storage = memoryStorage({ 'up/photo.jpg': await photo() });
    const outcome = await pipelineOver(storage).process(withMetadata('up/photo.jpg', 'image/jpeg'));
    assert.ok(outcome.status === 'processed');
    assert.equal(outcome.renditions[0]?.uri, `gs://${BUCKET}/${TARGET_JPG}`);
    assert.deepEqual(storage.calls, [
      `stat ${TARGET_JPG}`,
      'download up/photo.jpg',
      `createOnly ${TARGET_JPG}`,
    ]);
    const written = storage.written.get(TARGET_JPG)!;
    assert.equal(written.metadata.thumbnailOf, `gs://${BUCKET}/up/photo.jpg`);
    assert.equal(written.metadata.sourceGeneration, '1');
    assert.equal(written.metadata.rendition, 'thumb');
    assert.equal(written.metadata.renditionSpec, '100x100:inside:jpeg:q80');
    assert.match(written.metadata.dominantColor ?? '', /^#[0-9a-f]{6}$/);
    assert.ok((written.metadata.thumbhash ?? '').length > 10);
  });

  it('downloads every source into the same pooled buffer, given back once its render has settled or refused', async () => {
    const storage = memoryStorage({
      'up/photo.jpg': await photo(),
      'up/broken.jpg': {
        data: (await fixture('landscape-jpeg')).subarray(0, 2000),
        contentType: 'image/jpeg',
      },
      'up/again.jpg': await photo(),
    });
    const pipeline = pipelineOver(storage);
    assert.equal((await pipeline.process(withMetadata('up/photo.jpg', 'image/jpeg'))).status, 'processed');
    assert.equal((await pipeline.process(withMetadata('up/broken.jpg', 'image/jpeg'))).status, 'skipped');
    assert.equal((await pipeline.process(withMetadata('up/again.jpg', 'image/jpeg'))).status, 'processed');
    const [first, broken, again] = storage.pooled;
    assert.ok(first && broken && again, 'each download was asked into a pool');
    assert.equal(broken.pool, first.pool);
    assert.equal(broken.data.buffer, first.data.buffer, 'the buffer came back after the first render');
    assert.equal(again.data.buffer, first.data.buffer, 'and after the refused one');
    assert.equal(first.pool.size, 1, 'free again after the last');
  });

  it('reads the source metadata first when the event carries none (a NONE-payload notification)', async () => {
    const storage = memoryStorage({ 'up/photo.jpg': await photo() });
    assert.equal((await pipelineOver(storage).process(event('up/photo.jpg'))).status, 'processed');
    assert.deepEqual(storage.calls, [
      'stat up/photo.jpg',
      `stat ${TARGET_JPG}`,
      'download up/photo.jpg',
      `createOnly ${TARGET_JPG}`,
    ]);
  });

  it('answers a duplicate of a finished generation with one metadata read: no download, no decode, no write', async () => {
    const storage = memoryStorage({
      'up/photo.jpg': await photo(),
      [TARGET_JPG]: { data: Buffer.from('done') },
    });
    const outcome = await pipelineOver(storage).process(withMetadata('up/photo.jpg', 'image/jpeg'));
    assert.deepEqual(outcome, { status: 'duplicate', key: `${BUCKET}/up/photo.jpg@1` });
    assert.deepEqual(storage.calls, [`stat ${TARGET_JPG}`]);
  });

  it('skips a generation that is gone with no write, and a missing one with a single metadata read', async () => {
    const storage = memoryStorage();
    const gone = await pipelineOver(storage).process(withMetadata('up/gone.jpg', 'image/jpeg'));
    assert.ok(gone.status === 'skipped' && gone.permanent && gone.code === 'gone');
    assert.equal(storage.calls.filter((c) => c.startsWith('createOnly')).length, 0);

    const bare = memoryStorage();
    const missing = await pipelineOver(bare).process(event('up/missing.jpg'));
    assert.ok(missing.status === 'skipped' && missing.code === 'gone');
    assert.deepEqual(bare.calls, ['stat up/missing.jpg'], 'one metadata read, no download, no write');
  });

  it('refuses bytes that are not an image once, permanently, writing nothing and telling subscribers', async () => {
    const storage = memoryStorage({
      'up/notes.jpg': { data: await fixture('text'), contentType: 'image/jpeg' },
    });
    const notifier = capturingNotifier();
    const outcome = await pipelineOver(storage, { notifier }).process(
      withMetadata('up/notes.jpg', 'image/jpeg'),
    );
    assert.ok(outcome.status === 'skipped' && outcome.permanent && outcome.code === 'unsupported_format');
    assert.equal(storage.written.size, 0);
    assert.deepEqual(
      notifier.notices.map((n) => [n.kind, n.kind === 'failed' ? n.data.code : undefined]),
      [['failed', 'unsupported_format']],
    );
  });

  it('names the thumbnail by the decoded format when the content type lied, checking the announced name first', async () => {
    const storage = memoryStorage({
      'up/photo.png': { data: await fixture('landscape-jpeg'), contentType: 'image/png' },
    });
    const outcome = await pipelineOver(storage).process(withMetadata('up/photo.png', 'image/png'));
    assert.ok(outcome.status === 'processed' && outcome.renditions[0]?.uri.endsWith('up/photo.png.1.jpg'));
    assert.deepEqual(storage.calls, [
      'stat thumbnails/20251203T15Z/up/photo.png.1.png',
      'download up/photo.png',
      'createOnly thumbnails/20251203T15Z/up/photo.png.1.jpg',
    ]);
  });

  it('answers duplicate when another delivery wrote the thumbnail between the check and the write', async () => {
    const storage = memoryStorage({ 'up/photo.jpg': await photo() });
    const realCreate = storage.createOnly.bind(storage);
    storage.createOnly = async (name, data, options) => {
      await realCreate(name, Buffer.from('the other delivery'));
      return realCreate(name, data, options);
    };
    const outcome = await pipelineOver(storage).process(withMetadata('up/photo.jpg', 'image/jpeg'));
    assert.deepEqual(outcome, { status: 'duplicate', key: `${BUCKET}/up/photo.jpg@1` });
  });

  it('runs same-key deliveries in one process once: the others wait and are duplicates', async () => {
    const storage = memoryStorage({ 'up/photo.jpg': await photo() });
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
    const storage = memoryStorage({ 'up/photo.jpg': await photo() });
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

  it('renders no more images at once than it has CPUs for, while the other images download meanwhile', async () => {
    const names = ['a', 'b', 'c', 'd'].map((n) => `up/${n}.jpg`);
    const data = (await photo()).data;
    const storage = memoryStorage(
      Object.fromEntries(names.map((n) => [n, { data, contentType: 'image/jpeg' }])),
    );
    let renders = 0;
    let mostRenders = 0;
    let rendered = 0;
    let downloadsBeforeFirstRendered = 0;
    const download = storage.download.bind(storage);
    storage.download = (name, generation) => {
      if (rendered === 0) downloadsBeforeFirstRendered++;
      return download(name, generation);
    };
    const pipeline = createPipeline({
      storage: () => storage,
      buckets: new Set([BUCKET]),
      thumbnailPrefix: PREFIX,
      renditions: defaultRenditions(100),
      maxConcurrency: 4,
      renderConcurrency: 1,
      logger,
      metrics: {
        latency: () => undefined,
        async timeRender(work) {
          mostRenders = Math.max(mostRenders, ++renders);
          try {
            return await work();
          } finally {
            renders--;
            rendered++;
          }
        },
      },
    });
    const outcomes = await Promise.all(names.map((n) => pipeline.process(withMetadata(n, 'image/jpeg'))));
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['processed', 'processed', 'processed', 'processed'],
    );
    assert.equal(mostRenders, 1, 'one render at a time');
    assert.equal(downloadsBeforeFirstRendered, 4, 'every image was downloaded while the first one rendered');
  });

  it('starts nothing once shutting down: the delivery is retried', async () => {
    const controller = new AbortController();
    controller.abort();
    const storage = memoryStorage();
    await assert.rejects(
      pipelineOver(storage, { signal: controller.signal }).process(withMetadata('a.jpg', 'image/jpeg')),
      { code: 'shutting_down' },
    );
    assert.deepEqual(storage.calls, []);
  });
});

describe('the pipeline, a rendition set', () => {
  const renditions = parseRenditions('thumb:100x100,card:400x300:cover:webp,hero:1600x1600:avif:q60');

  it('writes every rendition once from one download, with one metadata read and one write each', async () => {
    const storage = memoryStorage({ 'up/photo.jpg': await photo() });
    const notifier = capturingNotifier();
    const outcome = await pipelineOver(storage, { renditions, notifier }).process(
      withMetadata('up/photo.jpg', 'image/jpeg'),
    );
    assert.ok(outcome.status === 'processed');
    assert.deepEqual(
      outcome.renditions.map((r) => [r.rendition, r.contentType]),
      [
        ['thumb', 'image/jpeg'],
        ['card', 'image/webp'],
        ['hero', 'image/avif'],
      ],
    );
    assert.deepEqual(
      outcome.renditions.map((r) => [r.width, r.height]),
      [
        [100, 75],
        [400, 300],
        [640, 480], // never enlarged: the source is 640×480
      ],
    );
    const count = (verb: string) => storage.calls.filter((c) => c.startsWith(verb)).length;
    assert.deepEqual([count('stat'), count('download'), count('createOnly')], [3, 1, 3]);
    const [ready] = notifier.notices;
    assert.ok(ready?.kind === 'ready' && ready.data.renditions.length === 3);
  });

  it('writes only the renditions that are missing (a worker killed after its first one left the rest)', async () => {
    const first = memoryStorage({ 'up/photo.jpg': await photo() });
    const done = await pipelineOver(first, { renditions: renditions.slice(0, 1) }).process(
      withMetadata('up/photo.jpg', 'image/jpeg'),
    );
    assert.ok(done.status === 'processed');
    const before = new Map(first.written);
    first.calls.length = 0;
    first.written.clear();
    const outcome = await pipelineOver(first, { renditions }).process(
      withMetadata('up/photo.jpg', 'image/jpeg'),
    );
    assert.ok(outcome.status === 'processed' && outcome.renditions.length === 3);
    assert.deepEqual(
      [...first.written.keys()].map((n) => /\.1\.([a-z]+)-/.exec(n)?.[1]).sort(),
      ['card', 'hero'],
      'only card and hero written',
    );
    assert.ok(![...first.written.keys()].some((n) => before.has(n)), 'the thumb is not written again');
  });

  it('answers a complete set as a duplicate without downloading, and still tells subscribers it is ready', async () => {
    const storage = memoryStorage({ 'up/photo.jpg': await photo() });
    await pipelineOver(storage, { renditions }).process(withMetadata('up/photo.jpg', 'image/jpeg'));
    storage.calls.length = 0;
    const notifier = capturingNotifier();
    const outcome = await pipelineOver(storage, { renditions, notifier }).process(
      withMetadata('up/photo.jpg', 'image/jpeg'),
    );
    assert.equal(outcome.status, 'duplicate');
    assert.deepEqual(
      storage.calls.map((c) => c.split(' ')[0]),
      ['stat', 'stat', 'stat'],
    );
    assert.equal(notifier.notices[0]?.kind, 'ready', 'a worker that died before publishing is made good');

    const quiet = capturingNotifier();
    const backfilled = await pipelineOver(storage, { renditions, notifier: quiet }).process(
      withMetadata('up/photo.jpg', 'image/jpeg', { via: 'backfill' }),
    );
    assert.equal(backfilled.status, 'duplicate');
    assert.deepEqual(quiet.notices, [], 'a backfill over a complete set announces nothing again');
  });
});

describe('the pipeline, planned (dry runs)', () => {
  const renditions = parseRenditions('thumb:100x100,card:400x300:cover:webp');

  it('tells what a run would do with metadata reads only', async () => {
    const storage = memoryStorage({
      'up/photo.jpg': await photo(),
      'up/notes.bin': { data: Buffer.from('x') },
    });
    const pipeline = pipelineOver(storage, { renditions });
    assert.deepEqual(await pipeline.plan(withMetadata('up/photo.jpg', 'image/jpeg')), {
      status: 'missing',
      missing: ['thumb', 'card'],
    });
    await pipeline.process(withMetadata('up/photo.jpg', 'image/jpeg'));
    storage.calls.length = 0;
    assert.deepEqual(await pipeline.plan(withMetadata('up/photo.jpg', 'image/jpeg')), { status: 'complete' });
    assert.ok(
      storage.calls.every((c) => c.startsWith('stat ')),
      'metadata reads only',
    );
    assert.equal(
      (await pipeline.plan(withMetadata('up/notes.bin', 'application/octet-stream'))).status,
      'not_image_by_type',
    );
    assert.equal((await pipeline.plan(event('thumbnails/x.jpg'))).status, 'skipped');
  });
});

describe('the pipeline, deletions', () => {
  async function rendered() {
    const storage = memoryStorage({ 'up/photo.jpg': await photo() });
    const outcome = await pipelineOver(storage).process(withMetadata('up/photo.jpg', 'image/jpeg'));
    assert.equal(outcome.status, 'processed');
    return storage;
  }
  const deleted = (overrides: Partial<ObjectEvent> = {}) =>
    withMetadata('up/photo.jpg', 'image/jpeg', { kind: 'delete', ...overrides });

  it('removes the renditions of a generation that is gone, and says so', async () => {
    const storage = await rendered();
    storage.store.delete('up/photo.jpg');
    const notifier = capturingNotifier();
    const outcome = await pipelineOver(storage, { notifier }).process(deleted());
    assert.deepEqual(outcome, { status: 'removed', key: `${BUCKET}/up/photo.jpg@1`, removed: 1 });
    assert.ok(!storage.store.has(TARGET_JPG));
    assert.deepEqual(
      notifier.notices.map((n) => (n.kind === 'removed' ? n.data.removed : n.kind)),
      [[`gs://${BUCKET}/${TARGET_JPG}`]],
    );
  });

  it('removes nothing for a delete event whose generation still exists (replayed or forged)', async () => {
    const storage = await rendered();
    const outcome = await pipelineOver(storage).process(deleted());
    assert.ok(outcome.status === 'skipped' && outcome.code === 'live');
    assert.ok(storage.store.has(TARGET_JPG));
  });

  it("never touches another source's renditions that share the name prefix, nor another generation's", async () => {
    const storage = await rendered();
    storage.store.delete('up/photo.jpg');
    // Another source named so that its thumbnail starts with this one's prefix, and this source's newer generation.
    storage.store.set('thumbnails/20251203T15Z/up/photo.jpg.1.x.2.jpg', {
      data: Buffer.from('x'),
      generation: '5',
      metadata: { thumbnailOf: `gs://${BUCKET}/up/photo.jpg.1.x`, sourceGeneration: '2' },
    });
    storage.store.set('thumbnails/20251203T15Z/up/photo.jpg.2.jpg', {
      data: Buffer.from('y'),
      generation: '6',
      metadata: { thumbnailOf: `gs://${BUCKET}/up/photo.jpg`, sourceGeneration: '2' },
    });
    const outcome = await pipelineOver(storage).process(deleted());
    assert.ok(outcome.status === 'removed' && outcome.removed === 1);
    assert.ok(storage.store.has('thumbnails/20251203T15Z/up/photo.jpg.1.x.2.jpg'));
    assert.ok(storage.store.has('thumbnails/20251203T15Z/up/photo.jpg.2.jpg'));
  });

  it('answers a delete of what is already gone with removed 0, and a repeat without any request', async () => {
    const storage = memoryStorage();
    const pipeline = pipelineOver(storage);
    assert.deepEqual(await pipeline.process(deleted()), {
      status: 'removed',
      key: `${BUCKET}/up/photo.jpg@1`,
      removed: 0,
    });
    const calls = storage.calls.length;
    assert.equal((await pipeline.process(deleted())).status, 'removed');
    assert.equal(storage.calls.length, calls);
  });

  it('does not let a finished finalize make the delete of the same generation a duplicate', async () => {
    const storage = memoryStorage({ 'up/photo.jpg': await photo() });
    const pipeline = pipelineOver(storage);
    assert.equal((await pipeline.process(withMetadata('up/photo.jpg', 'image/jpeg'))).status, 'processed');
    storage.store.delete('up/photo.jpg');
    assert.deepEqual(await pipeline.process(deleted()), {
      status: 'removed',
      key: `${BUCKET}/up/photo.jpg@1`,
      removed: 1,
    });
  });
});
