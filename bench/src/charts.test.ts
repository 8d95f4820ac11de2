import { test } from 'node:test';
import assert from 'node:assert/strict';
import { caption, charted, coreChart, uploadChart, workerChart, type RunInfo } from './charts.js';
import type { ClassFigure, CoreData } from './core.js';
import type { WorkerData, WorkerSetting } from './e2e.js';
import type { SuiteContext } from './suite.js';
import type { UploadData, UploadRow } from './upload.js';

const run: RunInfo = {
  startedAt: new Date('2026-12-02T14:40:31Z'),
  machine: '2 cores, Test CPU, 24 GiB, Node v20.20.2',
  loadAverage: [1.04, 2.5, 3.25],
  rounds: 2,
  passes: 3,
  quick: false,
};

function figure(
  configuration: string,
  cpuMs: number | undefined,
  pillow: number,
  floor?: number,
): ClassFigure {
  return {
    configuration,
    label: configuration,
    cpuMs,
    vsPillow: cpuMs === undefined ? undefined : pillow / cpuMs,
    vsFloor: cpuMs === undefined || floor === undefined ? undefined : cpuMs / floor,
  };
}

/** Classes deliberately out of alphabetical order; the WebP class has no floor (djpeg reads JPEG only). */
const core: CoreData = {
  classes: [
    {
      imageClass: 'webp',
      files: 2,
      figures: [
        figure('pillow-1', 95.2, 95.2),
        figure('floor-1', undefined, 95.2),
        figure('naive-buffer-1', 61.5, 95.2),
        figure('core-buffer-1', 66.5, 95.2),
      ],
    },
    {
      imageClass: 'jpeg-12mp',
      files: 6,
      figures: [
        figure('pillow-1', 47.3, 47.3, 51.4),
        figure('floor-1', 51.4, 47.3, 51.4),
        figure('naive-buffer-1', 59.5, 47.3, 51.4),
        figure('core-buffer-1', 53.2, 47.3, 51.4),
      ],
    },
  ],
};

const requests = (all: number) => ({ all, writes: 2, refused: 0 });
function setting(concurrency: number, imagesPerSec: number, p50Ms: number, p95Ms: number): WorkerSetting {
  return {
    concurrency,
    imagesPerSec,
    vsCore: imagesPerSec / 31.1,
    p50Ms,
    p95Ms,
    cpuMsPerImage: {},
    peakRssMiB: 200,
    requests: requests(concurrency + 4),
  };
}
/** Settings out of order: the chart sorts them by MAX_CONCURRENCY. */
const worker: WorkerData = {
  backlog: 48,
  latencyUploads: 6,
  latencyGapMs: 600,
  latencyTargetMs: 250,
  settings: [setting(4, 18, 139, 164), setting(1, 12.03, 116, 162), setting(2, 17.8, 105, 142)],
  big: { concurrency: 4, imagesPerSec: 4.64, peakRssMiB: 297, requests: requests(30) },
  direct: { concurrency: 4, imagesPerSec: 18.5, vsCore: 18.5 / 31.1, cpuMsPerImage: {} },
  core: { imagesPerSec: 31.1, cpuMsPerImage: 61.3 },
};

function row(id: UploadRow['id'], uploadsPerSec: number, p50Ms: number, p95Ms: number): UploadRow {
  return { id, label: `table label ${id}`, uploadsPerSec, p50Ms, p95Ms, failures: 0 };
}
const upload: UploadData = {
  concurrency: 16,
  fileMiB: 14.6,
  slowClients: 8,
  rows: [
    row('floor', 5, 2789, 3073),
    row('distinct', 2.5, 4438, 6322),
    row('same-name', 2.25, 5105, 6944),
    row('beside-slow', 1.95, 4764, 7375),
  ],
  slowP50Ratio: 1.07,
  slowP50Target: 1.5,
  webPeakRssMiB: 262,
};

// The specs are plain JSON; the tests read them as such.
type Json = Record<string, unknown>;
const json = (value: unknown): Json => JSON.parse(JSON.stringify(value)) as Json;
const obj = (value: unknown): Json => value as Json;
const list = (value: unknown): Json[] => value as Json[];

/** Every data row of a panel's layers, with the layer's mark type. */
function barsOf(panel: Json): Json[] {
  return list(panel.layer).flatMap((layer) => list(obj(layer.data).values));
}
function panelsOf(spec: Json): Json[] {
  return spec.vconcat ? list(spec.vconcat) : [spec];
}
/** The encodings of the first (bar) layer group of a panel: y, yOffset, and the bar mark's x and color. */
function encodingOf(panel: Json): { y: Json; yOffset?: Json; x: Json; color: Json } {
  const bars = list(panel.layer).find((layer) => layer.encoding !== undefined && 'y' in obj(layer.encoding))!;
  const shared = obj(bars.encoding);
  const mark = obj(list(bars.layer)[0]!.encoding);
  return {
    y: obj(shared.y),
    yOffset: shared.yOffset as Json | undefined,
    x: obj(mark.x),
    color: obj(mark.color),
  };
}
const subtitle = (spec: Json): string => (obj(spec.title).subtitle as string[]).join('\n');

test('the core chart draws one bar per class and reference that has a figure, classes in the data order', () => {
  const spec = json(coreChart(core, run));
  const bars = barsOf(spec).filter((b) => 'series' in b);
  // Pillow, floor and core for JPEG; Pillow and core for WebP (no floor); the naive rows are not drawn.
  assert.equal(bars.length, 5);
  assert.deepEqual(
    bars.map((b) => [b.group, b.value]),
    [
      ['webp (2)', 95.2],
      ['webp (2)', 66.5],
      ['jpeg-12mp (6)', 47.3],
      ['jpeg-12mp (6)', 51.4],
      ['jpeg-12mp (6)', 53.2],
    ],
  );
  const { y, yOffset, x, color } = encodingOf(spec);
  assert.deepEqual(y.sort, ['webp (2)', 'jpeg-12mp (6)'], 'not sorted alphabetically');
  assert.deepEqual(yOffset?.sort, obj(color.scale).domain);
  assert.equal(list(obj(color.scale).domain).length, 3);
  assert.match(String(x.title), /CPU ms per image/);
  assert.ok(bars.every((b) => String(b.label).endsWith(' ms')));
});

test("the core chart notes core's speed against Pillow and its time against the floor, per class", () => {
  const notes = barsOf(json(coreChart(core, run)))
    .filter((b) => 'note' in b)
    .map((b) => b.note);
  assert.deepEqual(notes, ['1.43× Pillow speed', '0.89× Pillow speed · 1.04× floor time']);
});

test('the core chart says what was measured, the references, the rounds and when, where and under what load', () => {
  const spec = json(coreChart(core, run));
  assert.match(String(obj(spec.title).text), /Pillow.*decode floor/);
  const text = subtitle(spec);
  assert.match(text, /CPU ms/);
  assert.match(text, /Pillow Image\.thumbnail/);
  assert.match(text, /djpeg -scale 1\/8/);
  assert.match(text, /2 rounds × 3 passes/);
  assert.match(text, /2026-12-02 14:40 UTC · 2 cores, Test CPU, 24 GiB, Node v20\.20\.2/);
  assert.match(text, /load average 1\.0 \/ 2\.5 \/ 3\.3 \(1\/5\/15 min\) at start/);
  assert.equal(spec.background, '#ffffff', 'a solid background for light and dark themes');
});

test('the worker chart draws every setting sorted by MAX_CONCURRENCY, with core as a reference line', () => {
  const spec = json(workerChart(worker, run));
  const [throughput, latency] = panelsOf(spec);
  assert.ok(throughput && latency);
  const sorted = ['MAX_CONCURRENCY 1', 'MAX_CONCURRENCY 2', 'MAX_CONCURRENCY 4'];
  assert.deepEqual(encodingOf(throughput).y.sort, sorted);
  assert.deepEqual(encodingOf(latency).y.sort, sorted);
  const values = barsOf(throughput);
  assert.deepEqual(
    values.filter((b) => 'group' in b).map((b) => [b.group, b.value, b.note]),
    [
      ['MAX_CONCURRENCY 1', 12.03, '0.39× core · 5.0 storage requests/image'],
      ['MAX_CONCURRENCY 2', 17.8, '0.57× core · 6.0 storage requests/image'],
      ['MAX_CONCURRENCY 4', 18, '0.58× core · 8.0 storage requests/image'],
    ],
  );
  assert.deepEqual(
    values.filter((b) => !('group' in b)),
    [{ value: 31.1, label: 'core, 2 processes: 31.1 images/s' }],
  );
  assert.match(String(encodingOf(throughput).x.title), /images\/s/);
  assert.match(subtitle(spec), /core's rendition engine in two processes/);
});

test('the worker chart draws p50 and p95 of every setting against the latency target', () => {
  const [, latency] = panelsOf(json(workerChart(worker, run)));
  const values = barsOf(latency!);
  assert.deepEqual(
    values.filter((b) => 'group' in b).map((b) => [b.group, b.series, b.value, b.label]),
    [
      ['MAX_CONCURRENCY 1', 'p50', 116, '116 ms'],
      ['MAX_CONCURRENCY 1', 'p95', 162, '162 ms'],
      ['MAX_CONCURRENCY 2', 'p50', 105, '105 ms'],
      ['MAX_CONCURRENCY 2', 'p95', 142, '142 ms'],
      ['MAX_CONCURRENCY 4', 'p50', 139, '139 ms'],
      ['MAX_CONCURRENCY 4', 'p95', 164, '164 ms'],
    ],
  );
  assert.deepEqual(
    values.filter((b) => !('group' in b)),
    [{ value: 250, label: 'p50 target 250 ms' }],
  );
  assert.match(String(encodingOf(latency!).x.title), /latency, ms/);
});

test('the worker chart without a core figure draws no reference line and says it was not measured', () => {
  const spec = json(
    workerChart({ ...worker, core: { imagesPerSec: undefined, cpuMsPerImage: undefined } }, run),
  );
  const [throughput] = panelsOf(spec);
  assert.equal(list(throughput!.layer).length, 1);
  assert.match(subtitle(spec), /not measured/);
});

test('the upload chart draws every row in table order, the floor as the reference, and the slow-clients ratio', () => {
  const spec = json(uploadChart(upload, run));
  const [throughput, latency] = panelsOf(spec);
  const values = barsOf(throughput!);
  assert.deepEqual(
    values.map((b) => [b.series, b.value, b.note]),
    [
      ['floor (reference)', 5, undefined],
      ['apps/web', 2.5, '0.50× floor'],
      ['apps/web', 2.25, '0.45× floor'],
      ['apps/web', 1.95, '0.39× floor'],
    ],
  );
  assert.deepEqual(
    encodingOf(throughput!).y.sort,
    values.map((b) => b.group),
  );
  assert.match(String(values[3]!.group), /8 slow clients/);
  assert.equal(barsOf(latency!).length, 8);
  assert.equal(barsOf(latency!).find((b) => 'note' in b)?.note, 'p50 1.07× the p50 without slow clients');
  assert.match(String(encodingOf(throughput!).x.title), /uploads\/s/);
  assert.match(String(encodingOf(latency!).x.title), /ms/);
  assert.match(subtitle(spec), /1\.07× the p50 without them \(target ≤ 1\.5×\)/);
  assert.match(subtitle(spec), /straight to the storage emulator/);
});

test('a smoke run says so in every caption', () => {
  assert.match(caption({ ...run, quick: true }), /SMOKE RUN/);
  assert.doesNotMatch(caption(run), /SMOKE/);
});

test('a charted suite returns its report unchanged and draws its charts from its data', async () => {
  const suite = charted(
    () => Promise.resolve({ report: '| table |', data: core }),
    (data, info) => [{ file: `${data.classes.length}.svg`, spec: coreChart(data, info) }],
  );
  const output = await suite({} as SuiteContext);
  assert.equal(output.report, '| table |');
  assert.deepEqual(
    output.charts(run).map((c) => c.file),
    ['2.svg'],
  );
});
