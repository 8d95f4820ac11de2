import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import {
  createLogger,
  defaultRenditions,
  TransientError,
  type CreateResult,
  type DeleteResult,
  type DownloadResult,
  type StoredObject,
} from '@thumbnailer/core';
import { fixture } from '@thumbnailer/testkit';
import type { DeadLetter, HeldLetters } from './dead-letters.js';
import { createPipeline, type Pipeline, type PipelineStorage } from './pipeline.js';
import { reasonKey, replayDeadLetters, verdictOfOutcome, verdictOfPlan } from './replay.js';

const BUCKET = 'local-bucket';
const PREFIX = 'thumbnails/';
const CREATED = new Date('2025-12-03T15:59:12.345Z');
const logger = createLogger({
  service: 'replay',
  level: 'silent',
  destination: new Writable({ write: (_c, _e, cb) => cb() }),
});

/** The pipeline's storage seam in memory (one generation per name); names in `failing` answer as if unreachable. */
function memoryStorage(objects: Record<string, Buffer>) {
  const store = new Map(Object.entries(objects).map(([name, data]) => [name, { data, generation: '1' }]));
  const failing = new Set<string>();
  const writes: string[] = [];
  const stored = (name: string): StoredObject => ({
    bucket: BUCKET,
    name,
    generation: store.get(name)!.generation,
    metageneration: '1',
    size: store.get(name)!.data.length,
    contentType: 'image/png',
    timeCreated: CREATED,
    metadata: {},
  });
  const check = (name: string): void => {
    if (failing.has(name)) throw new TransientError('storage_unavailable', `${name}: unreachable`);
  };
  const storage: PipelineStorage = {
    stat(name, generation) {
      check(name);
      const o = store.get(name);
      return Promise.resolve(
        o && (generation === undefined || String(generation) === o.generation) ? stored(name) : undefined,
      );
    },
    download(name, generation): Promise<DownloadResult> {
      check(name);
      writes.push(`download ${name}`);
      const o = store.get(name);
      return Promise.resolve(
        o?.generation === String(generation) ? { status: 'ok', data: o.data } : { status: 'gone' },
      );
    },
    createOnly(name, data): Promise<CreateResult> {
      writes.push(`create ${name}`);
      if (store.has(name)) return Promise.resolve({ status: 'exists' });
      store.set(name, { data: Buffer.from(data), generation: '9' });
      return Promise.resolve({ status: 'created', object: stored(name) });
    },
    async *list(prefix) {
      await Promise.resolve();
      for (const name of [...store.keys()]) if (name.startsWith(prefix)) yield stored(name);
    },
    delete(name): Promise<DeleteResult> {
      writes.push(`delete ${name}`);
      return Promise.resolve(store.delete(name) ? { status: 'deleted' } : { status: 'gone' });
    },
  };
  return { storage, failing, writes, store };
}

/** HeldLetters over a fixed list: records acks and releases. */
function held(letters: DeadLetter[]): HeldLetters & { acked: string[]; released: number } {
  const out = {
    letters,
    full: false,
    acked: [] as string[],
    released: 0,
    ack(letter: DeadLetter) {
      out.acked.push(letter.id);
    },
    release() {
      out.released += 1;
      return Promise.resolve();
    },
  };
  return out;
}

let ids = 0;
function letter(attributes: Record<string, string>, payload?: object): DeadLetter {
  ids += 1;
  return {
    id: `m${ids}`,
    attributes: { payloadFormat: payload ? 'JSON_API_V1' : 'NONE', ...attributes },
    data: Buffer.from(payload ? JSON.stringify(payload) : ''),
    publishTime: new Date(),
    sourceDeliveries: 10,
  };
}

const notification = (eventType: string, name: string, bucket = BUCKET) => ({
  eventType,
  bucketId: bucket,
  objectId: name,
  objectGeneration: '1',
});

async function setUp() {
  const png = await fixture('small-png');
  const memory = memoryStorage({ 'a.png': png, 'done.png': png, 'live.png': png });
  const pipeline = createPipeline({
    storage: () => memory.storage,
    buckets: new Set([BUCKET]),
    thumbnailPrefix: PREFIX,
    renditions: defaultRenditions(100),
    maxConcurrency: 2,
    logger,
  });
  // done.png already has its rendition.
  assert.equal((await pipeline.process({ ...eventOf('done.png'), via: 'pull' })).status, 'processed');
  memory.writes.length = 0;
  const letters = {
    missing: letter(notification('OBJECT_FINALIZE', 'a.png')),
    complete: letter(notification('OBJECT_FINALIZE', 'done.png')),
    // The payload says when it was created: the plan still confirms the generation exists.
    gone: letter(notification('OBJECT_FINALIZE', 'gone.png'), {
      bucket: BUCKET,
      name: 'gone.png',
      timeCreated: CREATED.toISOString(),
      size: '10',
      contentType: 'image/png',
    }),
    remove: letter(notification('OBJECT_DELETE', 'gone.png')),
    live: letter(notification('OBJECT_DELETE', 'live.png')),
    other: letter(notification('OBJECT_FINALIZE', 'x.png', 'other-bucket')),
    broken: letter({ eventType: 'OBJECT_FINALIZE', bucketId: BUCKET }),
  };
  return { memory, pipeline, letters };
}

/** One replay over `batch` with the test's bucket and prefix. */
function replay(pipeline: Pipeline, batch: HeldLetters, apply: boolean) {
  return replayDeadLetters({
    held: batch,
    subscription: 'thumbnailer-dead-letter',
    pipeline,
    buckets: new Set([BUCKET]),
    thumbnailPrefix: PREFIX,
    apply,
    concurrency: 2,
    logger,
  });
}

function eventOf(name: string) {
  return {
    via: 'pull' as const,
    kind: 'finalize' as const,
    bucket: BUCKET,
    name,
    generation: '1',
    eventTime: undefined,
    object: {},
  };
}

describe('replayDeadLetters', () => {
  it('classifies a dry run by what the pipeline would do now, and acks and writes nothing', async () => {
    const { memory, pipeline, letters } = await setUp();
    const batch = held(Object.values(letters));
    const { entries, summary } = await replay(pipeline, batch, false);
    const byId = new Map(entries.map((e) => [e.messageId, reasonKey(e)]));
    assert.deepEqual(Object.fromEntries(Object.entries(letters).map(([what, l]) => [what, byId.get(l.id)])), {
      missing: 'missing',
      complete: 'complete',
      gone: 'gone',
      remove: 'remove',
      live: 'skipped:live',
      other: 'skipped:bucket_not_served',
      broken: 'unusable:malformed_event',
    });
    assert.ok(entries.every((e) => e.action === 'would_ack' && e.sourceDeliveries === 10));
    assert.deepEqual(batch.acked, []);
    assert.equal(batch.released, 1);
    assert.deepEqual(memory.writes, [], 'no download, write or delete');
    assert.deepEqual(summary, {
      mode: 'dry-run',
      subscription: 'thumbnailer-dead-letter',
      messages: 7,
      full: false,
      reasons: {
        missing: 1,
        complete: 1,
        gone: 1,
        remove: 1,
        'skipped:live': 1,
        'skipped:bucket_not_served': 1,
        'unusable:malformed_event': 1,
      },
      settled: 7,
      left: 0,
    });
  });

  it('re-drives with apply, acks what settled and leaves what failed for a later run', async () => {
    const { memory, pipeline, letters } = await setUp();
    memory.failing.add('a.png');
    const batch = held([letters.missing, letters.complete, letters.remove, letters.broken]);
    const { entries, summary } = await replay(pipeline, batch, true);
    assert.deepEqual(
      entries.map((e) => [reasonKey(e), e.action]),
      [
        ['retry:storage_unavailable', 'left'],
        ['complete', 'acked'],
        ['remove', 'acked'],
        ['unusable:malformed_event', 'acked'],
      ],
    );
    assert.deepEqual(batch.acked.sort(), [letters.complete.id, letters.remove.id, letters.broken.id].sort());
    assert.equal(batch.released, 1);
    assert.deepEqual({ settled: summary.settled, left: summary.left }, { settled: 3, left: 1 });

    memory.failing.clear();
    const again = await replay(pipeline, held([letters.missing]), true);
    assert.deepEqual(
      again.entries.map((e) => [e.reason, e.action]),
      [['missing', 'acked']],
    );
    assert.ok(
      memory.writes.some((w) => w.startsWith(`create ${PREFIX}`)),
      memory.writes.join(', '),
    );
  });

  it('counts a dry run’s storage failure as failing now, to be left', async () => {
    const { memory, pipeline, letters } = await setUp();
    memory.failing.add('a.png');
    const batch = held([letters.missing]);
    const { entries } = await replay(pipeline, batch, false);
    assert.deepEqual(
      entries.map((e) => [reasonKey(e), e.action]),
      [['retry:storage_unavailable', 'would_leave']],
    );
  });
});

describe('verdicts', () => {
  it('counts a source whose content type is not an image’s as missing, since the bytes decide', () => {
    assert.deepEqual(verdictOfPlan({ status: 'not_image_by_type', missing: ['thumb'] }), {
      reason: 'missing',
      detail: "missing: thumb (its content type is not an image's: the bytes decide)",
    });
  });

  it('names an image refusal by its code and a gone source as gone', () => {
    const refused = verdictOfOutcome({
      status: 'skipped',
      reason: 'corrupt_image: cannot decode',
      code: 'corrupt_image',
      permanent: true,
    });
    assert.equal(reasonKey(refused), 'skipped:corrupt_image');
    assert.equal(reasonKey(verdictOfOutcome({ status: 'skipped', reason: 'gone', code: 'gone' })), 'gone');
    assert.equal(reasonKey(verdictOfOutcome({ status: 'removed', key: 'k', removed: 2 })), 'remove');
  });
});
