/**
 * The backfill job as the Cloud Run Job runs it: three tasks over one folder, then a second run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStack, type Stack } from '@thumbnailer/emulators';
import { fixture } from '@thumbnailer/testkit';
import { runBackfillJob, thumbnails, upload, workerEnv } from './support.js';

describe('backfill job', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
  });

  after(async () => {
    await stack?.stop();
  });

  it('processes each of 50 objects once across 3 shards, reports it, and does nothing on a second run', async () => {
    const bucket = stack.storage().bucket(stack.provisioning.bucket);
    const png = await fixture('small-png');
    const jpeg = await fixture('landscape-jpeg');
    const text = await fixture('text');
    const names = Array.from(
      { length: 50 },
      (_, i) => `old/${String(i).padStart(2, '0')}.${i === 7 ? 'txt' : i % 2 ? 'png' : 'jpg'}`,
    );
    await Promise.all(
      names.map((name, i) =>
        upload(
          bucket,
          name,
          i === 7 ? text : i % 2 ? png : jpeg,
          i === 7 ? 'text/plain' : i % 2 ? 'image/png' : 'image/jpeg',
        ),
      ),
    );
    await upload(bucket, 'elsewhere/not-mine.png', png, 'image/png');

    const runAll = () =>
      Promise.all(
        [0, 1, 2].map((index) =>
          runBackfillJob({
            ...workerEnv(stack, 'backfill'),
            INPUT_FOLDER: `gs://${bucket.name}/old/`,
            CLOUD_RUN_TASK_INDEX: String(index),
            CLOUD_RUN_TASK_COUNT: '3',
            MAX_CONCURRENCY: '2',
          }),
        ),
      );

    const first = await runAll();
    for (const run of first) assert.equal(run.code, 0, run.text.join('\n'));
    const sum = (runs: typeof first, field: string) =>
      runs.reduce((n, r) => n + Number(r.summary?.[field] ?? NaN), 0);
    assert.equal(sum(first, 'total'), 50, 'every object in exactly one shard');
    assert.ok(
      first.every((r) => Number(r.summary?.total) > 0),
      'every shard got work',
    );
    assert.equal(sum(first, 'processed'), 49);
    assert.equal(sum(first, 'skipped'), 1, 'the text object');
    assert.equal(sum(first, 'duplicate'), 0);
    assert.equal(sum(first, 'failed'), 0);
    const objects = first.flatMap((r) =>
      r.logs.filter((l) => l.via === 'backfill').map((l) => String(l.object)),
    );
    assert.equal(new Set(objects).size, 50, 'each object handled by one task only');
    assert.equal(objects.length, 50);
    assert.equal((await thumbnails(bucket, 'old/')).length, 49);
    assert.equal((await thumbnails(bucket, 'elsewhere/')).length, 0);

    const second = await runAll();
    for (const run of second) assert.equal(run.code, 0, run.text.join('\n'));
    assert.equal(sum(second, 'total'), 50);
    assert.equal(sum(second, 'processed'), 0, 'a second run does no new work');
    assert.equal(sum(second, 'duplicate') + sum(second, 'skipped'), 50);
    assert.equal((await thumbnails(bucket, 'old/')).length, 49);
  });

  it('exits non-zero with one line naming INPUT_FOLDER when it is missing', async () => {
    const run = await runBackfillJob({ ...workerEnv(stack, 'backfill') });
    assert.equal(run.code, 1);
    assert.match(run.text.join('\n'), /INPUT_FOLDER/);
  });
});
