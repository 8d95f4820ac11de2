import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, defaultRenditions, TransientError, type StoredObject } from '@thumbnailer/core';
import { runBackfill, type BackfillStorage } from './backfill.js';
import { createPacer } from './pacing.js';
import type { FinalizePlan, Pipeline } from './pipeline.js';

const object = (name: string): StoredObject => ({
  bucket: 'b',
  name,
  generation: '1',
  metageneration: '1',
  size: 10,
  contentType: 'image/png',
  timeCreated: new Date('2025-12-03T15:00:00Z'),
  metadata: {},
});

/** What the dry run reads of the bucket: a folder listing and name-ordered listings (in memory: pure logic). */
function memoryBucket(names: string[]): BackfillStorage {
  return {
    bucketName: 'b',
    folders: () => Promise.resolve([]),
    async *list(prefix: string) {
      for (const name of names) if (name.startsWith(prefix)) yield await Promise.resolve(object(name));
    },
  } as unknown as BackfillStorage;
}

describe('runBackfill, storage pushing back', () => {
  it('pauses the whole task on a 429, not only the object that met it, and then settles every object', async () => {
    // A 429 is a fault the emulators cannot produce; the pacing around it is pure logic.
    let now = 0;
    const pacer = createPacer({
      clock: () => now,
      sleep: (ms) => {
        now += ms;
        return Promise.resolve();
      },
      random: () => 1 - Number.EPSILON,
      baseDelayMs: 1000,
    });
    const starts: { name: string; at: number }[] = [];
    let refused = false;
    const pipeline: Pick<Pipeline, 'process' | 'plan'> = {
      process: () => Promise.reject(new Error('a dry run never processes')),
      async plan(event): Promise<FinalizePlan> {
        starts.push({ name: event.name, at: now });
        await new Promise((resolve) => setImmediate(resolve));
        if (!refused) {
          refused = true;
          throw new TransientError(
            'storage_unavailable',
            'Cloud Storage unavailable: 429 rate limit exceeded',
          );
        }
        return { status: 'complete' };
      },
    };
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      service: 'backfill',
      destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    const names = Array.from({ length: 8 }, (_, i) => `n${i}.png`);
    const summary = await runBackfill({
      storage: memoryBucket(names),
      input: { bucket: 'b', prefix: '' },
      thumbnailPrefix: 'thumbnails/',
      renditions: defaultRenditions(),
      buckets: new Set(['b']),
      taskIndex: 0,
      taskCount: 1,
      execution: 'local',
      dryRun: true,
      concurrency: 3,
      pipeline,
      logger,
      pacer,
    });
    assert.equal(summary.failed, 0);
    assert.equal(summary.report?.complete, names.length, 'the refused object was tried again and settled');
    // Three objects were in flight when the first was refused; nothing started after that until the pause ended.
    assert.deepEqual(
      starts.slice(0, 3).map((s) => s.at),
      [0, 0, 0],
    );
    assert.equal(starts.length, names.length + 1, 'one more attempt, for the refused object');
    assert.ok(
      starts.slice(3).every((s) => s.at >= 1000),
      `nothing started during the pause: ${JSON.stringify(starts)}`,
    );
    assert.equal(lines.filter((l) => String(l.message).startsWith('storage is pushing back')).length, 1);
  });
});
