// Upload benchmark: N concurrent large uploads to the built web app (apps/web/dist/main.js, a child process)
// over the local emulator stack, beside the same bytes written straight to the storage emulator (the floor), and
// again with eight slow clients trickling bodies beside them; then what a page view costs (page-views.ts).
import { connect, type Socket } from 'node:net';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { freePort, startStack, type NodeApp } from '@thumbnailer/emulators';
import { startBuiltApp } from './apps.js';
import { prng } from './corpus.js';
import { peakRssMiB } from './proc.js';
import { percentile } from './stats.js';
import { BENCH_DIR, type SuiteContext, type SuiteResult } from './suite.js';
import { fixed, formatTable } from './table.js';
import { verdictLine } from './verdicts.js';
import { runPageViews, storageRequestLog } from './page-views.js';

const CONCURRENCY = 16;
const BATCHES = 1;
const SLOW_CLIENTS = 8;
/** Upload p50 beside the slow clients ÷ without them, at most. */
const SLOW_P50_TARGET = 1.5;

/**
 * Eight clients that send an upload's headers and then one byte a second, reconnecting whenever the app cuts them
 * off (408), for as long as `during` runs.
 */
async function withSlowClients<T>(
  base: string,
  during: () => Promise<T>,
): Promise<{ result: T; cut: number }> {
  const { hostname, port } = new URL(base);
  let running = true;
  let cut = 0;
  const sockets = new Set<Socket>();
  const open = (): void => {
    const socket = connect(Number(port), hostname);
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.write(
      `POST /upload HTTP/1.1\r\nHost: ${hostname}\r\nAccept: application/json\r\n` +
        'Content-Type: multipart/form-data; boundary=slow\r\nContent-Length: 16000000\r\n\r\n--slow\r\n',
    );
    const timer = setInterval(() => socket.write('x'), 1000);
    socket.once('close', () => {
      clearInterval(timer);
      sockets.delete(socket);
      if (running) {
        cut += 1;
        open();
      }
    });
  };
  for (let i = 0; i < SLOW_CLIENTS; i++) open();
  try {
    return { result: await during(), cut };
  } finally {
    running = false;
    for (const socket of sockets) socket.destroy();
  }
}

/** A ~15 MiB 12 MP JPEG (heavy grain, q98, 4:4:4), generated once next to the corpus. */
async function largeUpload(): Promise<Buffer> {
  const path = join(BENCH_DIR, '.corpus', 'upload-15mib.jpg');
  if (
    await stat(path).then(
      (s) => s.size > 0,
      () => false,
    )
  )
    return readFile(path);
  const [width, height] = [4000, 3000];
  const random = prng(4242);
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = 64 + Math.floor(random() * 128);
  const bytes = await sharp(raw, { raw: { width, height, channels: 3 } })
    .blur(0.5)
    .jpeg({ quality: 90, chromaSubsampling: '4:4:4' })
    .toBuffer();
  await writeFile(path, bytes);
  return bytes;
}

interface Batch {
  latenciesMs: number[];
  wallMs: number;
  failures: string[];
}

async function batches(send: () => Promise<void>): Promise<Batch[]> {
  const out: Batch[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const failures: string[] = [];
    const started = performance.now();
    const latenciesMs = await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        const t = performance.now();
        await send().catch((error: Error) => failures.push(error.message));
        return performance.now() - t;
      }),
    );
    out.push({ latenciesMs, wallMs: performance.now() - started, failures });
  }
  return out;
}

/** One row of the upload table: a batch of concurrent uploads by one path. */
export interface UploadRow {
  id: 'floor' | 'distinct' | 'same-name' | 'beside-slow';
  label: string;
  uploadsPerSec: number;
  p50Ms: number;
  p95Ms: number;
  failures: number;
}

/** The upload suite's figures, rows in table order (the floor first). */
export interface UploadData {
  concurrency: number;
  fileMiB: number;
  slowClients: number;
  rows: UploadRow[];
  /** p50 beside the slow clients ÷ p50 of the distinct-names row, and the most it should be. */
  slowP50Ratio: number;
  slowP50Target: number;
  webPeakRssMiB: number | undefined;
}

export async function runUploadSuite(ctx: SuiteContext): Promise<SuiteResult<UploadData>> {
  const bytes = await largeUpload();
  ctx.log(
    `upload suite: ${CONCURRENCY} concurrent uploads of ${(bytes.length / 2 ** 20).toFixed(1)} MiB × ${BATCHES}`,
  );
  const requests = storageRequestLog();
  const stack = await startStack({}, { onLog: requests.onLog });
  const web = await startWebChild(stack, {});
  // The app logs each stored upload with the time it spent after the body was parsed (probe + store).
  let seen = 0;
  const inAppMs = (): number[] => {
    const stored = web.logs.slice(seen).filter((line) => line.event === 'upload_stored');
    seen = web.logs.length;
    return stored.map((line) => Number(line.ms));
  };
  const base = web.base;
  try {
    const bucket = stack.storage().bucket(stack.provisioning.bucket);
    let n = 0;
    const direct = await batches(async () => {
      await bucket
        .file(`bench-direct/${n++}.jpg`)
        .save(bytes, { resumable: false, contentType: 'image/jpeg' });
    });
    const upload = (filename: () => string) => async () => {
      const form = new FormData();
      form.append('file', new Blob([bytes], { type: 'image/jpeg' }), filename());
      const response = await fetch(`${base}/upload`, {
        method: 'POST',
        body: form,
        headers: { accept: 'application/json' },
      });
      await response.arrayBuffer();
      if (response.status !== 201) throw new Error(`HTTP ${response.status}`);
    };
    let m = 0;
    const distinctNames = await batches(upload(() => `photo-${m++}.jpg`));
    const inAppDistinct = inAppMs();
    // Everyone's camera calls it IMG_0001.JPG: same name, same hour folder → create-only collisions.
    const sameName = await batches(upload(() => 'IMG_0001.JPG'));
    const inAppSame = inAppMs();
    let k = 0;
    const slow = await withSlowClients(base, () => batches(upload(() => `beside-slow-${k++}.jpg`)));
    inAppMs();
    const webRss = await peakRssMiB(web.pid);
    const row = (id: UploadRow['id'], label: string, runs: Batch[], rss: number | undefined) => {
      const latencies = runs.flatMap((r) => r.latenciesMs);
      const uploadsPerSec = (runs.length * CONCURRENCY * 1000) / runs.reduce((s, r) => s + r.wallMs, 0);
      const failures = runs.flatMap((r) => r.failures);
      const figures: UploadRow = {
        id,
        label,
        uploadsPerSec,
        p50Ms: percentile(latencies, 50),
        p95Ms: percentile(latencies, 95),
        failures: failures.length,
      };
      return {
        figures,
        cells: [
          label,
          fixed(uploadsPerSec, 2),
          fixed(figures.p50Ms, 0),
          fixed(figures.p95Ms, 0),
          String(failures.length) + (failures[0] ? ` (${failures[0]})` : ''),
          fixed(rss, 0),
        ],
      };
    };
    const floor = row('floor', 'straight to the storage emulator (floor)', direct, undefined);
    const app = row('distinct', 'POST /upload to apps/web, distinct file names', distinctNames, undefined);
    const same = row('same-name', 'POST /upload to apps/web, all named IMG_0001.JPG', sameName, undefined);
    const besideSlow = row(
      'beside-slow',
      `POST /upload to apps/web, distinct names, ${SLOW_CLIENTS} slow clients trickling beside`,
      slow.result,
      webRss,
    );
    const slowRatio = besideSlow.figures.p50Ms / app.figures.p50Ms;
    const inApp = (ms: number[]) =>
      `p50 ${fixed(percentile(ms, 50), 0)} ms, p95 ${fixed(percentile(ms, 95), 0)} ms (${ms.length} uploads)`;
    const data: UploadData = {
      concurrency: CONCURRENCY,
      fileMiB: bytes.length / 2 ** 20,
      slowClients: SLOW_CLIENTS,
      rows: [floor, app, same, besideSlow].map((r) => r.figures),
      slowP50Ratio: slowRatio,
      slowP50Target: SLOW_P50_TARGET,
      webPeakRssMiB: webRss,
    };
    const report = [
      `### ${CONCURRENCY} concurrent uploads of a ${(bytes.length / 2 ** 20).toFixed(1)} MiB 12 MP JPEG, ${BATCHES} batches`,
      '',
      formatTable(
        [
          { header: 'path', align: 'left' },
          { header: 'uploads/s' },
          { header: 'p50 ms' },
          { header: 'p95 ms' },
          { header: 'failures' },
          { header: 'web peak RSS MiB' },
        ],
        [floor.cells, app.cells, same.cells, besideSlow.cells],
      ),
      '',
      `web ÷ floor throughput: ${fixed(app.figures.uploadsPerSec / floor.figures.uploadsPerSec, 2, '×')} with distinct names, ` +
        `${fixed(same.figures.uploadsPerSec / floor.figures.uploadsPerSec, 2, '×')} with one name. Inside the app after the body ` +
        `was parsed (probe + store, from its upload_stored log lines): distinct ${inApp(inAppDistinct)}; ` +
        `one name ${inApp(inAppSame)}. The web peak RSS column is the whole run's. With ${SLOW_CLIENTS} slow ` +
        `clients (headers, then 1 byte/s; ${slow.cut} times cut off with 408 and reconnected) the uploads' p50 is ` +
        `${fixed(slowRatio, 2, '×')} the p50 without them.`,
      '',
      verdictLine({
        name: 'web peak RSS under the upload burst',
        value: webRss,
        kind: 'atMost',
        bound: 500,
        unit: ' MiB',
      }),
      verdictLine({
        name: `upload p50 beside ${SLOW_CLIENTS} slow clients ÷ without`,
        value: slowRatio,
        kind: 'atMost',
        bound: SLOW_P50_TARGET,
        unit: '×',
      }),
      '',
      await runPageViews({ stack, requests, startWeb: (env) => startWebChild(stack, env), log: ctx.log }),
    ].join('\n');
    return { report, data };
  } finally {
    await web.stop();
    await stack.stop();
  }
}

export interface WebChild extends NodeApp {
  base: string;
}

/** The built web app (apps/web/dist/main.js) as a child process on the stack, ready once /healthz answers. */
async function startWebChild(
  stack: Awaited<ReturnType<typeof startStack>>,
  env: Record<string, string>,
): Promise<WebChild> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const web = await startBuiltApp(
    'web',
    'main.js',
    {
      // The web identity's IAM proxy: the permissions infra/terraform grants the web service account.
      ...stack.envFor('web'),
      GOOGLE_CLOUD_PROJECT: stack.provisioning.projectId,
      UPLOAD_BUCKET: stack.provisioning.bucket,
      SESSION_SECRET: 'bench-session-secret-0123456789',
      RATE_LIMIT_PER_MINUTE: '100000',
      PORT: String(port),
      ...env,
    },
    { url: `${base}/healthz` },
  );
  return { ...web, base };
}
