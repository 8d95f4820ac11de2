/**
 * The backfill job stopped and started again, and its dry run, under the backfill identity's IAM: a task killed
 * part-way continues after its checkpoint's watermark and writes every rendition once; a dry run writes nothing and
 * foretells what the real run then does, request for request.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStack, type Stack } from '@thumbnailer/emulators';
import { fixture, waitFor } from '@thumbnailer/testkit';
import {
  backfilledObjects,
  objectsOf,
  runBackfillJob,
  startBackfillJob,
  THUMBNAIL_PREFIX,
  thumbnails,
  uploadAll,
  workerEnv,
  summed,
} from './support.js';

describe('backfill job, stopped and resumed', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
  });

  after(async () => {
    await stack?.stop();
  });

  it('continues after its watermark when killed part-way and started again, writing each rendition once', async () => {
    const bucket = stack.storage().bucket(stack.provisioning.bucket);
    const png = await fixture('small-png');
    const names = Array.from({ length: 160 }, (_, i) => `kill/${String(i).padStart(3, '0')}.png`);
    await uploadAll(
      bucket,
      names.map((name) => ({ name, data: png, contentType: 'image/png' })),
    );
    const env = {
      ...workerEnv(stack, 'backfill'),
      INPUT_FOLDER: `gs://${bucket.name}/kill/`,
      CLOUD_RUN_EXECUTION: 'exec-kill',
      MAX_CONCURRENCY: '2',
      MAX_RATE: '20',
    };
    const proxy = stack.identities.backfill;
    proxy.reset();

    const first = await startBackfillJob(env);
    const folder = `${THUMBNAIL_PREFIX}.backfill/exec-kill/`;
    const checkpoint = await waitFor(
      async () => {
        const [files] = await bucket.getFiles({ prefix: folder });
        const file = files.find((f) => f.name.endsWith('/task-0.json'));
        if (!file) return undefined;
        const state = JSON.parse((await file.download())[0].toString()) as { watermark?: string };
        return state.watermark ? state : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, message: 'a checkpoint with a watermark' },
    );
    await first.stop('SIGKILL');
    const killed = await first.finished;
    assert.equal(killed.signal, 'SIGKILL');
    const [state] = await bucket
      .file((await bucket.getFiles({ prefix: folder }))[0].find((f) => f.name.endsWith('/task-0.json'))!.name)
      .download();
    const { watermark } = JSON.parse(state.toString()) as { watermark: string };
    assert.ok(watermark >= checkpoint.watermark!, 'the watermark only moves forward');
    const settledBefore = names.filter((n) => n <= watermark).length;
    assert.ok(
      settledBefore > 0 && settledBefore < names.length,
      `killed part-way (${settledBefore} settled)`,
    );

    const second = await runBackfillJob(env);
    assert.equal(second.code, 0, second.text.join('\n'));
    assert.equal(second.summary?.resumed, true);
    const again = backfilledObjects(second.logs).map((o) => o.replace(`gs://${bucket.name}/`, ''));
    assert.ok(
      again.every((name) => name > watermark),
      'the restart handles only what comes after the watermark',
    );
    assert.deepEqual(new Set(again), new Set(names.filter((n) => n > watermark)), 'and everything after it');
    assert.equal(Number(second.summary?.total), names.length, 'the summary covers the whole share');
    assert.equal(Number(second.summary?.failed), 0);

    const created = objectsOf(proxy.requests(), 'create');
    assert.equal(created.length, names.length, 'each rendition written once over both runs');
    assert.equal(new Set(created).size, names.length);
    assert.equal((await thumbnails(bucket, 'kill/')).length, names.length);
    assert.deepEqual(objectsOf(proxy.requests(), 'overwrite'), [], 'nothing overwritten but checkpoints');

    // A finished checkpoint means the next run of the same execution starts over (and finds all done).
    proxy.reset();
    const third = await runBackfillJob({ ...env, MAX_RATE: '' });
    assert.equal(third.code, 0, third.text.join('\n'));
    assert.equal(third.summary?.resumed, false);
    assert.equal(Number(third.summary?.duplicate), names.length);
    assert.deepEqual(objectsOf(proxy.requests(), 'create'), []);
  });

  it('writes nothing in a dry run, and counts what the real run that follows then does, request for request', async () => {
    const bucket = stack.storage().bucket(stack.provisioning.bucket);
    const png = await fixture('small-png');
    const jpeg = await fixture('landscape-jpeg');
    const text = await fixture('text');
    const renditions = 'thumb:100x100,card:40x30:cover:webp';
    const base = (index: number) => ({
      ...workerEnv(stack, 'backfill'),
      CLOUD_RUN_TASK_INDEX: String(index),
      CLOUD_RUN_TASK_COUNT: '2',
      MAX_CONCURRENCY: '3',
      LOG_LEVEL: 'debug',
    });
    // Before: dry/done/ has both renditions, dry/half/ only the thumbnail.
    const objects = [
      ...Array.from({ length: 12 }, (_, i) => ({
        name: `dry/new/${i}.png`,
        data: png,
        contentType: 'image/png',
      })),
      ...Array.from({ length: 5 }, (_, i) => ({
        name: `dry/done/${i}.jpg`,
        data: jpeg,
        contentType: 'image/jpeg',
      })),
      ...Array.from({ length: 4 }, (_, i) => ({
        name: `dry/half/${i}.png`,
        data: png,
        contentType: 'image/png',
      })),
      ...Array.from({ length: 3 }, (_, i) => ({
        name: `dry/notes-${i}.txt`,
        data: text,
        contentType: 'text/plain',
      })),
      { name: 'dry/empty.png', data: Buffer.alloc(0), contentType: 'image/png' },
      { name: 'dry/folder/', data: Buffer.alloc(0), contentType: 'application/x-directory' },
    ];
    await uploadAll(bucket, objects);
    for (const [folder, set] of [
      ['done', renditions],
      ['half', 'thumb:100x100'],
    ] as const) {
      const run = await runBackfillJob({
        ...base(0),
        CLOUD_RUN_TASK_COUNT: '1',
        INPUT_FOLDER: `gs://${bucket.name}/dry/${folder}/`,
        RENDITIONS: set,
      });
      assert.equal(run.code, 0, run.text.join('\n'));
    }
    const env = (index: number, dry: boolean) => ({
      ...base(index),
      INPUT_FOLDER: `gs://${bucket.name}/dry/`,
      RENDITIONS: renditions,
      CLOUD_RUN_EXECUTION: dry ? 'dry' : 'real',
      DRY_RUN: String(dry),
    });
    const proxy = stack.identities.backfill;
    const before = (await bucket.getFiles())[0].map((f) => f.name).sort();

    proxy.reset();
    const dry = await Promise.all([0, 1].map((i) => runBackfillJob(env(i, true))));
    for (const run of dry) assert.equal(run.code, 0, run.text.join('\n'));
    const counts = proxy.counts();
    assert.deepEqual(
      [counts.create, counts.overwrite, counts.delete, counts.update],
      [0, 0, 0, 0],
      'a dry run writes nothing',
    );
    assert.deepEqual((await bucket.getFiles())[0].map((f) => f.name).sort(), before, 'not even a checkpoint');
    const report = (field: string): number =>
      dry.reduce((n, r) => n + Number((r.summary?.report as Record<string, unknown>)[field]), 0);
    const estimated = (op: string): number =>
      dry.reduce(
        (n, r) =>
          n +
          Number(
            (r.summary?.report as { estimate: { requests: Record<string, number> } }).estimate.requests[op],
          ),
        0,
      );
    const skippedByReason = dry.reduce<Record<string, number>>((all, r) => {
      for (const [reason, n] of Object.entries(
        (r.summary?.report as { skipped: Record<string, number> }).skipped,
      ))
        all[reason] = (all[reason] ?? 0) + n;
      return all;
    }, {});
    assert.equal(report('missing'), 16, '12 new + 4 with the card missing');
    assert.equal(report('renditionsMissing'), 12 * 2 + 4);
    assert.equal(report('complete'), 5);
    assert.equal(report('notImageByType'), 3);
    assert.deepEqual(skippedByReason, { empty: 1, folder: 1 });
    assert.equal(estimated('list'), counts.list, 'the listing a real run makes is the dry run’s own');
    for (const run of dry)
      assert.ok(
        Number((run.summary?.report as { estimate: { cpuSeconds: number } }).estimate.cpuSeconds) > 0,
      );

    proxy.reset();
    const real = await Promise.all([0, 1].map((i) => runBackfillJob(env(i, false))));
    for (const run of real) assert.equal(run.code, 0, run.text.join('\n'));
    const requests = proxy.requests();
    assert.equal(summed(real, 'processed'), report('missing'));
    assert.equal(summed(real, 'duplicate'), report('complete'));
    assert.equal(
      summed(real, 'skipped'),
      report('notImageByType') + 2,
      'the text objects, once their bytes were read',
    );
    assert.equal(summed(real, 'failed'), 0);
    assert.equal(objectsOf(requests, 'create').length, estimated('create'), 'writes');
    assert.equal(objectsOf(requests, 'mediaRead').length, estimated('media_read'), 'downloads');
    assert.equal(objectsOf(requests, 'metadataRead').length, estimated('metadata_read'), 'metadata reads');
    assert.deepEqual(
      new Set(real.flatMap((r) => backfilledObjects(r.logs))),
      new Set(objects.map((o) => `gs://${bucket.name}/${o.name}`)),
    );
  });
});
