/**
 * The backfill job as the Cloud Run Job runs it, under the backfill identity's IAM: tasks sharding a bucket by name
 * ranges (each object in exactly one shard, each task listing only its share), a re-run that writes nothing, and
 * nothing touched outside THUMBNAIL_PREFIX.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStack, type Stack } from '@thumbnailer/emulators';
import { fixture } from '@thumbnailer/testkit';
import {
  backfilledObjects,
  objectsOf,
  runBackfillJob,
  THUMBNAIL_PREFIX,
  thumbnails,
  upload,
  uploadAll,
  workerEnv,
  summed,
} from './support.js';

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

    const runAll = (execution: string) =>
      Promise.all(
        [0, 1, 2].map((index) =>
          runBackfillJob({
            ...workerEnv(stack, 'backfill'),
            INPUT_FOLDER: `gs://${bucket.name}/old/`,
            CLOUD_RUN_TASK_INDEX: String(index),
            CLOUD_RUN_TASK_COUNT: '3',
            CLOUD_RUN_EXECUTION: execution,
            MAX_CONCURRENCY: '2',
          }),
        ),
      );

    const first = await runAll('first');
    for (const run of first) assert.equal(run.code, 0, run.text.join('\n'));
    assert.equal(summed(first, 'total'), 50, 'every object in exactly one shard');
    assert.ok(
      first.every((r) => Number(r.summary?.total) > 0),
      'every shard got work',
    );
    assert.equal(summed(first, 'processed'), 49);
    assert.equal(summed(first, 'skipped'), 1, 'the text object');
    assert.equal(summed(first, 'duplicate'), 0);
    assert.equal(summed(first, 'failed'), 0);
    const objects = first.flatMap((r) => backfilledObjects(r.logs));
    assert.equal(new Set(objects).size, 50, 'each object handled by one task only');
    assert.equal(objects.length, 50);
    assert.equal((await thumbnails(bucket, 'old/')).length, 49);
    assert.equal((await thumbnails(bucket, 'elsewhere/')).length, 0);

    const second = await runAll('second');
    for (const run of second) assert.equal(run.code, 0, run.text.join('\n'));
    assert.equal(summed(second, 'total'), 50);
    assert.equal(summed(second, 'processed'), 0, 'a second run does no new work');
    assert.equal(summed(second, 'duplicate') + summed(second, 'skipped'), 50);
    assert.equal((await thumbnails(bucket, 'old/')).length, 49);
  });

  it('gives 4 tasks each a share of a bucket of hour folders, loose objects and one huge folder, each object to exactly one, listing about what one task lists', async (t) => {
    const bucket = stack.storage().bucket(stack.provisioning.bucket);
    const png = await fixture('small-png');
    const objects: { name: string; data: Buffer; contentType: string }[] = [];
    const add = (name: string) => objects.push({ name, data: png, contentType: 'image/png' });
    for (let h = 0; h < 30; h++)
      for (let i = 0; i < 2 + (h % 5); i++)
        add(`202511${String(1 + h).padStart(2, '0')}T${String(h % 24).padStart(2, '0')}Z/img-${i}.png`);
    for (let i = 0; i < 1200; i++) add(`20251130T09Z/photo-${String(i).padStart(4, '0')}.png`);
    for (const name of [
      '0-first.png',
      'Loose-Upper.png',
      'loose-a.png',
      'loose-b.png',
      'zz-after-thumbnails.png',
    ])
      add(name);
    // Not the job's to process: an earlier release's thumbnail lies under the prefix.
    await upload(bucket, `${THUMBNAIL_PREFIX}20251101T00Z/elsewhere.png.1.png`, png, 'image/png');
    await uploadAll(
      bucket,
      objects.filter((o) => !o.name.startsWith('old/')),
    );
    // The bucket also holds what the test above uploaded: old/ (done) and elsewhere/not-mine.png (not yet).
    const names = [...objects.map((o) => o.name), 'elsewhere/not-mine.png'].map(
      (n) => `gs://${bucket.name}/${n}`,
    );
    const proxy = stack.identities.backfill;
    const env = (index: number, tasks: number, execution: string) => ({
      ...workerEnv(stack, 'backfill'),
      INPUT_FOLDER: `gs://${bucket.name}/`,
      CLOUD_RUN_TASK_INDEX: String(index),
      CLOUD_RUN_TASK_COUNT: String(tasks),
      CLOUD_RUN_EXECUTION: execution,
      MAX_CONCURRENCY: '4',
      LOG_LEVEL: 'info',
    });
    const old = (await thumbnails(bucket, 'old/')).length;

    proxy.reset();
    const four = await Promise.all([0, 1, 2, 3].map((i) => runBackfillJob(env(i, 4, 'four'))));
    for (const run of four) assert.equal(run.code, 0, run.text.join('\n'));
    const fourList = proxy.counts().list;
    const fourRequests = proxy.requests();
    const handled = four.flatMap((r) => backfilledObjects(r.logs)).filter((o) => !o.includes('/old/'));
    assert.equal(handled.length, names.length, 'every object handled once');
    assert.deepEqual(new Set(handled), new Set(names));
    for (const run of four) assert.ok(Number(run.summary?.total) > 0, 'every task got a share');
    assert.equal(summed(four, 'failed'), 0);
    assert.equal(summed(four, 'processed'), names.length);
    const created = objectsOf(fourRequests, 'create');
    assert.equal(created.length, names.length, 'one rendition written per source, once');
    assert.equal(new Set(created).size, created.length);
    for (const r of fourRequests.filter((q) => ['create', 'overwrite', 'delete', 'update'].includes(q.class)))
      assert.ok((r.object ?? r.path).includes(THUMBNAIL_PREFIX), `a write under the prefix only: ${r.path}`);
    assert.equal(proxy.counts().refused, 0);

    proxy.reset();
    const one = await runBackfillJob(env(0, 1, 'one'));
    assert.equal(one.code, 0, one.text.join('\n'));
    const oneList = proxy.counts().list;
    assert.equal(Number(one.summary?.processed), 0, 'a re-run writes nothing');
    assert.equal(Number(one.summary?.duplicate), names.length + old);
    assert.deepEqual(objectsOf(proxy.requests(), 'create'), [], 'no rendition written on a re-run');
    // Only the text object is downloaded again: its content type is not an image's, so its bytes decide.
    assert.deepEqual(
      objectsOf(proxy.requests(), 'mediaRead'),
      ['old/07.txt'],
      'no image downloaded on a re-run',
    );

    t.diagnostic(`list requests: 4 tasks ${fourList} in all, 1 task ${oneList}`);
    assert.ok(fourList <= 1.5 * oneList + 4, `4 tasks listed ${fourList}, one task ${oneList}`);
  });

  it('exits non-zero with one line naming INPUT_FOLDER when it is missing', async () => {
    const run = await runBackfillJob({ ...workerEnv(stack, 'backfill') });
    assert.equal(run.code, 1);
    assert.match(run.text.join('\n'), /INPUT_FOLDER/);
  });
});
