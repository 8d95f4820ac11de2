// Backfill benchmark: the built job (apps/worker/dist/backfill-main.js, child processes like the Cloud Run Job's
// tasks) over the local emulator stack, reaching storage only through the backfill identity's IAM proxy, whose
// request counts give the per-source figures. 10,000 tiny generated sources in 100 hour folders: a 4-task dry run,
// 4 tasks, their re-run with every rendition present (the re-run cost), one task's re-run; the thumbnails deleted;
// one task from nothing. Ratios are against the one-task runs of the same bench run. The bucket notification is
// removed first (no worker listens here; fake-gcs-server would publish every write to the Pub/Sub emulator).
// fake-gcs-server's memory backend finds an object by a linear scan, so its time per request grows with the
// bucket: wall times here are the emulator's; the request counts are exact.
import sharp from 'sharp';
import type { Bucket } from '@google-cloud/storage';
import { startStack, type Stack, type StorageRequestCounts } from '@thumbnailer/emulators';
import { startBuiltApp } from './apps.js';
import type { SuiteContext } from './suite.js';
import { fixed, formatTable } from './table.js';
import { verdictLine } from './verdicts.js';

const SOURCES = 10_000;
const QUICK_SOURCES = 1_000;
const FOLDERS = 100;
const CONCURRENCY = 4;

interface Row {
  label: string;
  tasks: number;
  seconds: number;
  counts: StorageRequestCounts;
  /** The tasks' own CPU seconds, from their summaries. */
  cpuSeconds: number;
  summaries: Record<string, unknown>[];
}

/** A few tiny images (64×48), each a different colour, PNG and JPEG. */
async function tinyImages(): Promise<{ data: Buffer; contentType: string }[]> {
  const out: { data: Buffer; contentType: string }[] = [];
  for (let i = 0; i < 8; i++) {
    const image = sharp({
      create: { width: 64, height: 48, channels: 3, background: { r: 30 * i, g: 255 - 30 * i, b: 90 } },
    });
    out.push(
      i % 2
        ? { data: await image.png().toBuffer(), contentType: 'image/png' }
        : { data: await image.jpeg().toBuffer(), contentType: 'image/jpeg' },
    );
  }
  return out;
}

async function inParallel<T>(items: readonly T[], parallel: number, work: (item: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let i = next++; i < items.length; i = next++) await work(items[i]!);
    }),
  );
}

/** One task of the job, to its end: its summary log line. */
async function runTask(stack: Stack, env: Record<string, string>): Promise<Record<string, unknown>> {
  const task = await startBuiltApp('worker', 'backfill-main.js', {
    METADATA_SERVER_DETECTION: 'none',
    LOG_LEVEL: 'info',
    ...stack.envFor('backfill'),
    BUCKETS: stack.provisioning.bucket,
    THUMBNAIL_PREFIX: 'thumbnails/',
    MAX_CONCURRENCY: String(CONCURRENCY),
    ...env,
  });
  const { code } = await task.exited;
  const summary = task.logs.find((line) => line.message === 'backfill summary');
  if (code !== 0 || !summary) throw new Error(`backfill task exited ${code}: ${task.recentOutput()}`);
  return summary;
}

async function runTasks(
  stack: Stack,
  label: string,
  tasks: number,
  env: Record<string, string>,
): Promise<Row> {
  const proxy = stack.identities.backfill;
  proxy.reset();
  const started = performance.now();
  const summaries = await Promise.all(
    Array.from({ length: tasks }, (_, i) =>
      runTask(stack, { ...env, CLOUD_RUN_TASK_INDEX: String(i), CLOUD_RUN_TASK_COUNT: String(tasks) }),
    ),
  );
  return {
    label,
    tasks,
    seconds: (performance.now() - started) / 1000,
    counts: proxy.counts(),
    cpuSeconds: summaries.reduce((n, s) => n + Number(s.cpuSeconds ?? 0), 0),
    summaries,
  };
}

async function deleteThumbnails(bucket: Bucket): Promise<void> {
  const [files] = await bucket.getFiles({ prefix: 'thumbnails/' });
  await inParallel(files, 32, (file) => file.delete());
}

export async function runBackfillSuite(ctx: SuiteContext): Promise<string> {
  const sources = ctx.quick ? QUICK_SOURCES : SOURCES;
  const stack = await startStack();
  try {
    const bucket = stack.storage().bucket(stack.provisioning.bucket);
    const [notifications] = await bucket.getNotifications();
    await Promise.all(notifications.map((n) => n.delete()));
    const images = await tinyImages();
    ctx.log(`backfill suite: uploading ${sources} tiny sources into ${FOLDERS} hour folders`);
    const objects = Array.from({ length: sources }, (_, i) => {
      const folder = `202511${String(1 + (i % 25)).padStart(2, '0')}T${String(i % 4).padStart(2, '0')}Z`;
      const image = images[i % images.length]!;
      return {
        name: `${folder}/img-${String(i).padStart(5, '0')}.${image.contentType === 'image/png' ? 'png' : 'jpg'}`,
        ...image,
      };
    });
    await inParallel(objects, 32, (o) =>
      bucket.file(o.name).save(o.data, { resumable: false, contentType: o.contentType }),
    );
    const input = { INPUT_FOLDER: `gs://${bucket.name}/` };
    const rows: Row[] = [];
    const step = async (label: string, tasks: number, env: Record<string, string>) => {
      ctx.log(`backfill suite: ${label}`);
      const row = await runTasks(stack, label, tasks, { ...input, ...env });
      rows.push(row);
      return row;
    };
    const dry = await step('4 tasks, dry run, nothing present', 4, {
      CLOUD_RUN_EXECUTION: 'dry',
      DRY_RUN: 'true',
    });
    const four = await step('4 tasks, nothing present', 4, { CLOUD_RUN_EXECUTION: 'four' });
    const fourAgain = await step('4 tasks, every rendition present (re-run)', 4, {
      CLOUD_RUN_EXECUTION: 'four-again',
    });
    const oneAgain = await step('1 task, every rendition present (re-run)', 1, {
      CLOUD_RUN_EXECUTION: 'one-again',
    });
    ctx.log('backfill suite: deleting the thumbnails');
    await deleteThumbnails(bucket);
    const one = await step('1 task, nothing present (reference)', 1, { CLOUD_RUN_EXECUTION: 'one' });
    // The table in the order a reader compares: the references first.
    const order = (row: Row): number => [one, oneAgain, dry, four, fourAgain].indexOf(row);
    rows.sort((a, b) => order(a) - order(b));

    const per = (n: number) => n / sources;
    const writes = (c: StorageRequestCounts) => c.create + c.overwrite + c.delete + c.update;
    /** Re-runs against the one-task re-run, everything else against the one-task run. */
    const reference = (row: Row) => (row === oneAgain || row === fourAgain ? oneAgain : one);
    const table = formatTable(
      [
        { header: 'configuration', align: 'left' },
        { header: 'tasks' },
        { header: 'wall s' },
        { header: 'sources/s' },
        { header: 'wall vs 1 task' },
        { header: 'list requests' },
        { header: 'list vs 1 task' },
        { header: 'metadata reads/source' },
        { header: 'downloads/source' },
        { header: 'writes/source' },
        { header: 'job CPU ms/source' },
      ],
      rows.map((row) => {
        const ref = reference(row);
        return [
          row.label,
          String(row.tasks),
          fixed(row.seconds, 1),
          fixed(sources / row.seconds, 0),
          row === ref ? '1.00×' : fixed(row.seconds / ref.seconds, 2, '×'),
          String(row.counts.list),
          row === ref ? '1.00×' : fixed(row.counts.list / ref.counts.list, 2, '×'),
          fixed(per(row.counts.metadataRead), 2),
          fixed(per(row.counts.mediaRead), 2),
          fixed(per(writes(row.counts)), 3),
          fixed((1000 * row.cpuSeconds) / sources, 2),
        ];
      }),
    );
    const estimate = dry.summaries.reduce<Record<string, number>>((all, s) => {
      const requests = (s.report as { estimate: { requests: Record<string, number> } }).estimate.requests;
      for (const [op, n] of Object.entries(requests)) all[op] = (all[op] ?? 0) + n;
      return all;
    }, {});
    const estimatedCpu = dry.summaries.reduce(
      (n, s) => n + Number((s.report as { estimate: { cpuSeconds: number } }).estimate.cpuSeconds),
      0,
    );
    const lines = [
      `${sources} sources of 64×48 px (PNG and JPEG) in ${FOLDERS} hour folders; default rendition; MAX_CONCURRENCY ${CONCURRENCY} per task; every task and both emulators share the machine's cores.`,
      '',
      table,
      '',
      `Checkpoint and plan requests are included (a few per task). Dry run estimate for the 4-task run: ` +
        `${estimate.metadata_read} metadata reads, ${estimate.media_read} downloads, ${estimate.create} writes, ` +
        `${estimate.list} list requests, ≈ ${estimatedCpu.toFixed(1)} CPU-seconds; measured: ` +
        `${four.counts.metadataRead} metadata reads, ${four.counts.mediaRead} downloads, ${writes(four.counts)} writes, ` +
        `${four.counts.list} list requests, ${four.cpuSeconds.toFixed(1)} CPU-seconds.`,
      '',
      `Per-source CPU for apps/worker/src/costs.ts: written ${fixed((1000 * four.cpuSeconds) / sources, 2)} ms, ` +
        `complete ${fixed((1000 * fourAgain.cpuSeconds) / sources, 2)} ms (4-task runs).`,
      '',
      verdictLine({
        name: 'list requests of 4 tasks ÷ (1.5 × one task + 4)',
        value: four.counts.list / (1.5 * one.counts.list + 4),
        kind: 'atMost',
        bound: 1,
        unit: '×',
      }),
      verdictLine({
        name: 'writes per source on a re-run (checkpoints included)',
        value: per(writes(fourAgain.counts)),
        kind: 'atMost',
        bound: 0.01,
        unit: '',
      }),
      verdictLine({
        name: 'downloads per source on a re-run',
        value: per(fourAgain.counts.mediaRead),
        kind: 'atMost',
        bound: 0.01,
        unit: '',
      }),
    ];
    return lines.join('\n');
  } finally {
    await stack.stop();
  }
}
