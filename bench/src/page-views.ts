// What one GET / costs in a busy hour: storage requests, listing bytes and web CPU per page view, for the built web
// app in GALLERY=public and GALLERY=session, against the pre-issue-12 gallery (gallery-reference.ts) in the same run.
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { formatTimestamp, StorageAdapter, thumbnailObjectName } from '@thumbnailer/core';
import type { startStack } from '@thumbnailer/emulators';
import { waitFor } from '@thumbnailer/testkit';
import { referenceRecentUploads } from './gallery-reference.js';
import { cpuMs } from './proc.js';
import { percentile } from './stats.js';
import { fixed, formatTable } from './table.js';
import type { WebChild } from './upload.js';

const BUSY_HOUR_UPLOADS = 2000;
const VIEWS = 100;
const REFERENCE_VIEWS = 20;

interface StorageRequest {
  path: string;
  bytes: number;
}

// fake-gcs-server logs each request: `… "GET /storage/v1/b/bucket/o?prefix=x HTTP/1.1" 200 825`.
const REQUEST_LINE = /"([A-Z]+) (\S+) HTTP\/[\d.]+\\?" (\d{3}) (\d+)/;

/** The storage emulator's request log (pass `onLog` to startStack), to count what an action costs. */
export function storageRequestLog() {
  const seen: StorageRequest[] = [];
  return {
    seen,
    onLog: (source: string, line: string): void => {
      const match = source === 'storage' ? REQUEST_LINE.exec(line) : null;
      if (match) seen.push({ path: decodeURIComponent(match[2] ?? ''), bytes: Number(match[4]) });
    },
  };
}

type Stack = Awaited<ReturnType<typeof startStack>>;

interface PageViewContext {
  stack: Stack;
  requests: ReturnType<typeof storageRequestLog>;
  startWeb: (env: Record<string, string>) => Promise<WebChild>;
  log: (line: string) => void;
}

interface Cost {
  label: string;
  views: number;
  requests: number;
  listings: number;
  bytes: number;
  cpuMs: number | undefined;
  latenciesMs: number[];
}

export async function runPageViews(ctx: PageViewContext): Promise<string> {
  const { stack, requests } = ctx;
  const bucket = stack.storage().bucket(stack.provisioning.bucket);
  let marks = 0;
  /** Storage requests between two requests of our own, once the emulator has logged both. */
  const mark = async (): Promise<number> => {
    const name = `bench-mark-${++marks}`;
    await bucket
      .file(name)
      .getMetadata()
      .catch(() => undefined);
    return waitFor(() => {
      const at = requests.seen.findIndex((r) => r.path.includes(name));
      return at >= 0 ? at : undefined;
    });
  };
  const measure = async (
    label: string,
    views: number,
    cpu: () => Promise<number | undefined>,
    view: () => Promise<void>,
  ): Promise<Cost> => {
    const start = (await mark()) + 1;
    const cpuBefore = await cpu();
    const latenciesMs: number[] = [];
    for (let i = 0; i < views; i++) {
      const t = performance.now();
      await view();
      latenciesMs.push(performance.now() - t);
    }
    const cpuAfter = await cpu();
    const made = requests.seen.slice(start, await mark());
    return {
      label,
      views,
      requests: made.length,
      listings: made.filter((r) => /\/o(\?|$)/.test(r.path)).length,
      bytes: made.reduce((sum, r) => sum + r.bytes, 0),
      cpuMs: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore,
      latenciesMs,
    };
  };

  /** Plays the worker: the thumbnail of `name`, where and as the worker writes it. */
  const writeThumbnail = async (name: string, png: Buffer): Promise<void> => {
    const [file] = await bucket.file(name).getMetadata();
    const thumbnail = thumbnailObjectName(
      'thumbnails/',
      { name, generation: String(file.generation), created: new Date(String(file.timeCreated)) },
      'png',
    );
    await bucket.file(thumbnail).save(png, {
      resumable: false,
      contentType: 'image/png',
      metadata: {
        metadata: { thumbnailOf: `gs://${bucket.name}/${name}`, sourceGeneration: String(file.generation) },
      },
    });
  };

  // A busy hour: uploads in the current hour folder, each with its thumbnail, as the worker names them.
  const hour = formatTimestamp(new Date());
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#3a6' } })
    .png()
    .toBuffer();
  ctx.log(`page views: seeding ${BUSY_HOUR_UPLOADS} uploads and their thumbnails in ${hour}/`);
  for (let i = 0; i < BUSY_HOUR_UPLOADS; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, BUSY_HOUR_UPLOADS - i) }, async (_, j) => {
        const name = `${hour}/busy-${String(i + j).padStart(5, '0')}.png`;
        await bucket.file(name).save(png, { resumable: false, contentType: 'image/png' });
        await writeThumbnail(name, png);
      }),
    );
  }

  const adapter = new StorageAdapter(bucket);
  const ownCpu = () => {
    const { user, system } = process.cpuUsage();
    return Promise.resolve((user + system) / 1000);
  };
  const reference = await measure(
    'reference: pre-#12 gallery, every view',
    REFERENCE_VIEWS,
    ownCpu,
    async () => {
      await referenceRecentUploads(adapter, 'thumbnails/', new Date());
    },
  );

  const costs: Cost[] = [reference];
  for (const mode of ['public', 'session'] as const) {
    const web = await ctx.startWeb({ GALLERY: mode });
    try {
      let cookie = '';
      if (mode === 'session') {
        for (let i = 0; i < 12; i++) {
          const form = new FormData();
          form.append('file', new Blob([png], { type: 'image/png' }), `mine-${i}.png`);
          const res = await fetch(`${web.base}/upload`, {
            method: 'POST',
            body: form,
            headers: { accept: 'application/json', cookie },
          });
          await writeThumbnail(((await res.json()) as { name: string }).name, png);
          const pairs = res.headers.getSetCookie().map((line) => line.split(';')[0] ?? '');
          cookie = [cookie, ...pairs].filter(Boolean).join('; ');
        }
      }
      const view = async () => {
        const res = await fetch(`${web.base}/`, { headers: { cookie } });
        await res.text();
        if (res.status !== 200) throw new Error(`GET / answered ${res.status}`);
      };
      const childCpu = () => cpuMs(web.pid);
      costs.push(await measure(`GALLERY=${mode}, first view`, 1, childCpu, view));
      costs.push(await measure(`GALLERY=${mode}, next ${VIEWS} views`, VIEWS, childCpu, view));
    } finally {
      await web.stop();
    }
  }

  const per = (cost: Cost, value: number | undefined) =>
    value === undefined ? undefined : value / cost.views;
  const rows = costs.map((cost) => [
    cost.label,
    String(cost.views),
    fixed(per(cost, cost.requests), 2),
    fixed(per(cost, cost.listings), 2),
    fixed(per(cost, cost.bytes / 1024), 1),
    fixed(per(cost, cost.cpuMs), 1),
    fixed(percentile(cost.latenciesMs, 50), 1),
  ]);
  const publicWarm = costs.find((c) => c.label.startsWith('GALLERY=public, next'));
  const sessionWarm = costs.find((c) => c.label.startsWith('GALLERY=session, next'));
  const ratio = (cost: Cost | undefined, pick: (c: Cost) => number | undefined) => {
    const a = cost && pick(cost);
    const b = pick(reference);
    return a === undefined || b === undefined || b === 0
      ? undefined
      : a / cost!.views / (b / reference.views);
  };
  return [
    `### A page view (GET /) in an hour of ${BUSY_HOUR_UPLOADS} uploads with their thumbnails`,
    '',
    formatTable(
      [
        { header: 'gallery', align: 'left' },
        { header: 'views' },
        { header: 'storage requests/view' },
        { header: 'listings/view' },
        { header: 'KiB from storage/view' },
        { header: 'web CPU ms/view' },
        { header: 'p50 ms' },
      ],
      rows,
    ),
    '',
    `Web CPU per view against the reference: public ${fixed(
      ratio(publicWarm, (c) => c.cpuMs),
      3,
      '×',
    )}, ` +
      `session ${fixed(
        ratio(sessionWarm, (c) => c.cpuMs),
        3,
        '×',
      )}; storage requests per view: public ` +
      `${fixed(
        ratio(publicWarm, (c) => c.requests),
        3,
        '×',
      )}, session ${fixed(
        ratio(sessionWarm, (c) => c.requests),
        3,
        '×',
      )}. ` +
      'The reference runs in the bench process (no HTTP, no HTML) and so is measured at less than it would cost in the ' +
      'app; the emulator ignores the JSON API `fields` parameter, so listing bytes are those of whole objects.',
  ].join('\n');
}
