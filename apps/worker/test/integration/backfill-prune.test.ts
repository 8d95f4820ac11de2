/**
 * The backfill job when RENDITIONS changes, under the backfill identity's IAM (which may delete only under
 * THUMBNAIL_PREFIX): a re-run fills in the new rendition and writes nothing else; PRUNE then deletes exactly the
 * retired renditions, told by their metadata, in a dry run only counting them; thumbnails of earlier releases stay
 * while the default rendition does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Bucket } from '@google-cloud/storage';
import { startStack, type Stack } from '@thumbnailer/emulators';
import { fixture } from '@thumbnailer/testkit';
import { objectsOf, runBackfillJob, THUMBNAIL_PREFIX, upload, uploadAll, workerEnv } from './support.js';

/** Every object under the prefix (checkpoints aside), with the metadata that says what it is. */
async function renditions(
  bucket: Bucket,
): Promise<{ name: string; rendition: string; spec: string; of: string }[]> {
  const [files] = await bucket.getFiles({ prefix: THUMBNAIL_PREFIX });
  return files
    .filter((f) => !f.name.includes('/.backfill/'))
    .map((f) => ({
      name: f.name,
      rendition: String(
        f.metadata.metadata?.rendition ?? (f.metadata.metadata?.thumbnailOf ? 'legacy' : 'none'),
      ),
      spec: String(f.metadata.metadata?.renditionSpec ?? ''),
      of: String(f.metadata.metadata?.thumbnailOf ?? ''),
    }));
}

const count = (list: { rendition: string; spec: string }[], rendition: string, spec?: string): number =>
  list.filter((r) => r.rendition === rendition && (spec === undefined || r.spec === spec)).length;

describe('backfill job, when RENDITIONS changes', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
  });

  after(async () => {
    await stack?.stop();
  });

  it('fills in a new rendition, then prunes exactly the retired ones, keeping earlier releases’ thumbnails while the default rendition stays', async () => {
    const bucket = stack.storage().bucket(stack.provisioning.bucket);
    const png = await fixture('small-png');
    const names = Array.from({ length: 12 }, (_, i) => `p/${String(i).padStart(2, '0')}.png`);
    await uploadAll(
      bucket,
      names.map((name) => ({ name, data: png, contentType: 'image/png' })),
    );
    // Four sources already have a thumbnail from an earlier release: the legacy name, thumbnailOf and
    // sourceGeneration only.
    for (const name of names.slice(0, 4)) {
      const [meta] = await bucket.file(name).getMetadata();
      const folder =
        new Date(String(meta.timeCreated)).toISOString().replace(/:.*$/, '').replace(/-/g, '') + 'Z';
      await upload(bucket, `${THUMBNAIL_PREFIX}${folder}/${name}.${meta.generation}.png`, png, 'image/png');
      await bucket.file(`${THUMBNAIL_PREFIX}${folder}/${name}.${meta.generation}.png`).setMetadata({
        metadata: { thumbnailOf: `gs://${bucket.name}/${name}`, sourceGeneration: String(meta.generation) },
      });
    }
    // Outside INPUT_FOLDER and not a rendition: never touched.
    await upload(bucket, 'other/x.png', png, 'image/png');
    await upload(bucket, `${THUMBNAIL_PREFIX}notes.txt`, Buffer.from('kept'), 'text/plain');
    const proxy = stack.identities.backfill;
    let execution = 0;
    const run = async (env: Record<string, string>) => {
      proxy.reset();
      const result = await runBackfillJob({
        ...workerEnv(stack, 'backfill'),
        CLOUD_RUN_EXECUTION: `prune-${++execution}`,
        CLOUD_RUN_TASK_COUNT: '1',
        ...env,
      });
      assert.equal(result.code, 0, result.text.join('\n'));
      const requests = proxy.requests();
      for (const r of requests.filter((q) => ['create', 'overwrite', 'delete', 'update'].includes(q.class)))
        assert.ok((r.object ?? r.path).includes(THUMBNAIL_PREFIX), `writes under the prefix only: ${r.path}`);
      assert.equal(proxy.counts().refused, 0);
      return { ...result, created: objectsOf(requests, 'create'), deleted: objectsOf(requests, 'delete') };
    };
    const input = `gs://${bucket.name}/p/`;
    const before = 'thumb:100x100,card:40x30:cover:webp';
    const now = 'thumb:100x100,card:50x50:cover:webp';

    await run({ INPUT_FOLDER: `gs://${bucket.name}/other/`, RENDITIONS: before });
    const first = await run({ INPUT_FOLDER: input, RENDITIONS: before });
    assert.equal(first.created.length, 12 + 8, 'a card for each source, a thumbnail for those without one');
    const oldCard = (await renditions(bucket)).find((r) => r.rendition === 'card')!.spec;
    assert.equal(oldCard, '40x30:cover:webp:q80');

    const second = await run({ INPUT_FOLDER: input, RENDITIONS: now });
    assert.equal(second.created.length, 12, 'only the new card is written');
    assert.ok(second.created.every((name) => name.includes('.card-')));
    assert.equal(Number(second.summary?.processed), 12);

    const dry = await run({ INPUT_FOLDER: input, RENDITIONS: now, PRUNE: 'true', DRY_RUN: 'true' });
    assert.equal((dry.summary?.report as { retired: number }).retired, 12, 'the old cards, counted');
    assert.deepEqual([dry.created, dry.deleted], [[], []], 'and nothing deleted');
    assert.equal(proxy.counts().delete, 0);

    const pruned = await run({ INPUT_FOLDER: input, RENDITIONS: now, PRUNE: 'true' });
    assert.equal(Number(pruned.summary?.pruned), 12);
    assert.deepEqual(pruned.created, [], 'pruning writes no rendition');
    const left = await renditions(bucket);
    const ofP = left.filter((r) => r.of.includes('/p/'));
    assert.equal(pruned.deleted.length, 12);
    assert.ok(pruned.deleted.every((name) => !left.some((r) => r.name === name)));
    assert.equal(count(ofP, 'card', oldCard), 0, 'every old card is gone');
    assert.equal(count(ofP, 'card', '50x50:cover:webp:q80'), 12, 'the new cards stay');
    assert.equal(count(ofP, 'thumb'), 8, 'the thumbnails stay');
    assert.equal(
      count(ofP, 'legacy'),
      4,
      'the earlier release’s thumbnails stay: the default rendition is current',
    );
    assert.equal(
      count(
        left.filter((r) => r.of.includes('/other/')),
        'card',
        oldCard,
      ),
      1,
      'outside INPUT_FOLDER: kept',
    );
    assert.ok(
      left.some((r) => r.name === `${THUMBNAIL_PREFIX}notes.txt`),
      'not a rendition: kept',
    );

    const again = await run({ INPUT_FOLDER: input, RENDITIONS: now, PRUNE: 'true' });
    assert.deepEqual([again.created, again.deleted], [[], []], 'a second prune finds nothing to do');

    const noThumb = await run({ INPUT_FOLDER: input, RENDITIONS: 'card:50x50:cover:webp', PRUNE: 'true' });
    assert.equal(
      noThumb.deleted.length,
      12,
      'the default rendition left RENDITIONS: thumbnails and legacy ones go',
    );
    const last = (await renditions(bucket)).filter((r) => r.of.includes('/p/'));
    assert.equal(count(last, 'thumb') + count(last, 'legacy'), 0);
    assert.equal(count(last, 'card', '50x50:cover:webp:q80'), 12);
    assert.deepEqual(noThumb.created, []);
  });

  it('makes the default rendition anew when THUMBNAIL_SIZE changed, since it keeps its name', async () => {
    const bucket = stack.storage().bucket(stack.provisioning.bucket);
    const jpeg = await fixture('landscape-jpeg');
    const names = ['size/a.jpg', 'size/b.jpg', 'size/c.jpg'];
    await uploadAll(
      bucket,
      names.map((name) => ({ name, data: jpeg, contentType: 'image/jpeg' })),
    );
    const env = (size: string, extra: Record<string, string> = {}) => ({
      ...workerEnv(stack, 'backfill'),
      INPUT_FOLDER: `gs://${bucket.name}/size/`,
      THUMBNAIL_SIZE: size,
      CLOUD_RUN_EXECUTION: `size-${size}-${Object.keys(extra).join('-')}`,
      ...extra,
    });
    const sizes = async () =>
      (await bucket.getFiles({ prefix: THUMBNAIL_PREFIX }))[0]
        .filter((f) => String(f.metadata.metadata?.thumbnailOf ?? '').includes('/size/'))
        .map((f) => `${f.name.split('/').at(-1)} ${String(f.metadata.metadata?.renditionSpec)}`)
        .sort();
    assert.equal((await runBackfillJob(env('100'))).code, 0);
    const before = await sizes();
    assert.equal(before.length, 3);
    assert.ok(before.every((line) => line.endsWith(' 100x100:inside:jpeg:q80')));

    const plain = await runBackfillJob(env('50'));
    assert.equal(
      Number(plain.summary?.duplicate),
      3,
      'without PRUNE the old size counts as done (same name)',
    );

    const pruned = await runBackfillJob(env('50', { PRUNE: 'true' }));
    assert.equal(pruned.code, 0, pruned.text.join('\n'));
    assert.deepEqual([Number(pruned.summary?.pruned), Number(pruned.summary?.remade)], [3, 3]);
    const after = await sizes();
    assert.deepEqual(
      after.map((line) => line.split(' ')[0]),
      before.map((line) => line.split(' ')[0]),
      'the same names',
    );
    assert.ok(
      after.every((line) => line.endsWith(' 50x50:inside:jpeg:q80')),
      after.join(', '),
    );
  });
});
