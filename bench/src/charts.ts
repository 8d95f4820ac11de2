// Chart specs (Vega-Lite) from the suites' figures: pure functions of a suite's data and of when and where it ran.
// chart-files.ts renders them to SVG; bench/charts/ holds the committed output.
import type { TopLevelSpec } from 'vega-lite';
import type { CoreData } from './core.js';
import type { WorkerData } from './e2e.js';
import type { SuiteContext, SuiteResult } from './suite.js';
import type { UploadData } from './upload.js';

/** When and where a suite ran: every chart's caption says it. */
export interface RunInfo {
  startedAt: Date;
  /** e.g. "2 cores, Intel(R) Xeon(R) Processor, 24 GiB, Node v20.20.2". */
  machine: string;
  /** 1, 5 and 15 minute load averages when the suite started. */
  loadAverage: readonly number[];
  rounds: number;
  passes: number;
  /** A `--quick` smoke run: its figures say nothing, and its captions say so. */
  quick: boolean;
}

export interface Chart {
  /** File name inside the charts directory, e.g. `core-cpu-by-class.svg`. */
  file: string;
  spec: TopLevelSpec;
}

/** A suite's report with its charts, drawn once the run's details are known. */
export interface ChartedReport {
  report: string;
  charts: (run: RunInfo) => Chart[];
}

/** Wraps a suite that returns data so that it returns its report and the charts of that data. */
export function charted<Data>(
  run: (ctx: SuiteContext) => Promise<SuiteResult<Data>>,
  draw: (data: Data, run: RunInfo) => Chart[],
): (ctx: SuiteContext) => Promise<ChartedReport> {
  return async (ctx) => {
    const { report, data } = await run(ctx);
    return { report, charts: (info) => draw(data, info) };
  };
}

/** A layered panel: what one chart shows alone or several show stacked. */
type Panel = Extract<Extract<TopLevelSpec, { vconcat: unknown }>['vconcat'][number], { layer: unknown }>;

/**
 * A row of a chart's data: the category on the y axis, the series (colour), the value, the label printed at the
 * bar's end, and an optional note printed in a column right of the plot (ratios to the reference).
 */
interface Bar {
  group: string;
  series: string;
  value: number;
  label: string;
  note?: string;
}

// A solid white card with dark text: readable on GitHub's light and dark themes alike.
const BACKGROUND = '#ffffff';
const TEXT = '#1f2328';
const MUTED = '#57606a';
const OURS = '#1f6fb4';
const OURS_LIGHT = '#8dbbe3';
const PILLOW = '#e3741c';
const FLOOR = '#8c8c8c';
const REFERENCE = '#b3261e';
const WIDTH = 480;
/** Room right of the longest bar (or rule) for its label, as a share of the value axis. */
const LABEL_ROOM = 1.3;

function frame(title: string, subtitle: readonly string[]) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: title,
    background: BACKGROUND,
    padding: 16,
    title: { text: title, subtitle: [...subtitle] },
    config: {
      font: 'Helvetica, Arial, "Liberation Sans", sans-serif',
      title: {
        anchor: 'start' as const,
        fontSize: 15,
        color: TEXT,
        subtitleFontSize: 11,
        subtitleColor: MUTED,
        subtitlePadding: 6,
        offset: 14,
      },
      axis: {
        labelFontSize: 11,
        titleFontSize: 11,
        labelColor: TEXT,
        titleColor: TEXT,
        labelLimit: 0,
        gridColor: '#e1e4e8',
        domainColor: '#8c959f',
        tickColor: '#8c959f',
      },
      legend: {
        labelFontSize: 11,
        labelColor: TEXT,
        titleColor: TEXT,
        labelLimit: 0,
        orient: 'bottom' as const,
        direction: 'vertical' as const,
      },
      view: { stroke: null },
    },
  };
}

/** "2026-12-02 14:40 UTC · <machine> · load average 1.0 / 1.2 / 1.3 (1/5/15 min) at start". */
export function caption(run: RunInfo): string {
  const when = `${run.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const load = run.loadAverage.map((v) => v.toFixed(1)).join(' / ');
  const smoke = run.quick ? ' · SMOKE RUN (--quick): these figures say nothing' : '';
  return `${when} · ${run.machine} · load average ${load} (1/5/15 min) at start${smoke}`;
}

/**
 * Horizontal bars, grouped by `group` (y, in `groups` order) and coloured by series (in `series` order, side by
 * side where a group has several), each labelled at its end; notes in a column right of the plot; `rules` draws
 * dashed reference lines across it, under the bars.
 */
function barsPanel(options: {
  bars: readonly Bar[];
  groups: readonly string[];
  series: readonly { name: string; color: string }[];
  valueTitle: string;
  rules?: readonly { value: number; label: string; color: string }[];
  /** Titles this panel's legend (concatenated panels keep their colours apart). */
  legendTitle?: string;
}): Panel {
  const { bars, groups, series, rules = [] } = options;
  const max = Math.max(...bars.map((b) => b.value), ...rules.map((r) => r.value), 0);
  const x = {
    field: 'value',
    type: 'quantitative' as const,
    title: options.valueTitle,
    scale: { domain: [0, max * LABEL_ROOM], nice: false },
    axis: { tickCount: 6 },
  };
  const grouped =
    new Set(bars.map((b) => `${b.group}\n${b.series}`)).size > new Set(bars.map((b) => b.group)).size;
  const text = { type: 'text' as const, align: 'left' as const, baseline: 'middle' as const, fontSize: 10 };
  return {
    width: WIDTH,
    height: { step: grouped ? 15 : 24 },
    // Reference lines first, so that the bars and their labels are drawn over them.
    layer: [
      ...rules.map((rule) => ({
        data: { values: [{ value: rule.value, label: rule.label }] },
        layer: [
          {
            mark: { type: 'rule' as const, color: rule.color, strokeDash: [5, 3], strokeWidth: 1.5 },
            encoding: { x },
          },
          {
            mark: { ...text, color: rule.color, baseline: 'bottom' as const, dx: 4, y: -2 },
            encoding: { x, text: { field: 'label', type: 'nominal' as const } },
          },
        ],
      })),
      {
        data: { values: bars.map((b) => ({ ...b })) },
        encoding: {
          y: { field: 'group', type: 'nominal' as const, sort: [...groups], title: null },
          ...(grouped
            ? { yOffset: { field: 'series', type: 'nominal' as const, sort: series.map((s) => s.name) } }
            : {}),
        },
        layer: [
          {
            mark: { type: 'bar' as const, cornerRadiusEnd: 2 },
            encoding: {
              x,
              color: {
                field: 'series',
                type: 'nominal' as const,
                scale: { domain: series.map((s) => s.name), range: series.map((s) => s.color) },
                legend: { title: options.legendTitle ?? null },
              },
            },
          },
          {
            mark: { ...text, dx: 4, color: TEXT },
            encoding: { x, text: { field: 'label', type: 'nominal' as const } },
          },
          {
            transform: [{ filter: 'isValid(datum.note)' }],
            mark: { ...text, x: WIDTH + 12, color: TEXT },
            encoding: { text: { field: 'note', type: 'nominal' as const } },
          },
        ],
      },
    ],
  };
}

/** "0.89× Pillow speed", or nothing when the ratio is not known. */
const times = (value: number | undefined, what: string): string[] =>
  value === undefined || !Number.isFinite(value) ? [] : [`${value.toFixed(2)}× ${what}`];

/** A note from its parts, or none when there are none. */
const noteOf = (parts: readonly string[]): { note?: string } =>
  parts.length > 0 ? { note: parts.join(' · ') } : {};

/** p50 and p95 bars of each group (the ones measured), in that order. */
function percentileBars(
  rows: readonly { group: string; p50Ms: number; p95Ms: number; p50Note?: string }[],
): Bar[] {
  return rows.flatMap((row) =>
    (
      [
        ['p50', row.p50Ms, row.p50Note],
        ['p95', row.p95Ms, undefined],
      ] as const
    )
      .filter(([, ms]) => Number.isFinite(ms))
      .map(([series, ms, note]) => ({
        group: row.group,
        series,
        value: ms,
        label: `${ms.toFixed(0)} ms`,
        ...noteOf(note === undefined ? [] : [note]),
      })),
  );
}

const PERCENTILES = [
  { name: 'p50', color: OURS },
  { name: 'p95', color: OURS_LIGHT },
];

/** The series of the core chart: the two references and core's engine with the bytes in memory. */
export const CORE_SERIES = [
  { configuration: 'pillow-1', name: 'Pillow Image.thumbnail (the previous service)', color: PILLOW },
  { configuration: 'floor-1', name: 'decode floor: djpeg -scale 1/8 (JPEG only)', color: FLOOR },
  { configuration: 'core-buffer-1', name: 'core: renderRenditions, bytes in memory', color: OURS },
] as const;

/** (a) CPU ms per image by class: core beside Pillow and the decode floor, from the same run. */
export function coreChart(data: CoreData, run: RunInfo): TopLevelSpec {
  const groups = data.classes.map((c) => `${c.imageClass} (${c.files})`);
  const bars = data.classes.flatMap((c, i) =>
    CORE_SERIES.flatMap((series): Bar[] => {
      const figure = c.figures.find((f) => f.configuration === series.configuration);
      if (figure?.cpuMs === undefined || !Number.isFinite(figure.cpuMs)) return [];
      const ratios =
        series.configuration === 'core-buffer-1'
          ? [...times(figure.vsPillow, 'Pillow speed'), ...times(figure.vsFloor, 'floor time')]
          : [];
      return [
        {
          group: groups[i]!,
          series: series.name,
          value: figure.cpuMs,
          label: `${figure.cpuMs.toFixed(1)} ms`,
          ...noteOf(ratios),
        },
      ];
    }),
  );
  return {
    ...frame('Core vs Pillow vs the decode floor: CPU time per image, by image class', [
      "Mean CPU ms of one image's thumbnail call, one lane, median of " +
        `${run.rounds} rounds × ${run.passes} passes (bench core suite). Lower is better.`,
      "Core: the rendition engine's default set thumb:100x100, ThumbHash and dominant colour included.",
      'Reference, same run: Pillow Image.thumbnail and the DCT-scaled decode floor djpeg -scale 1/8 (JPEG only).',
      "Right: Pillow's time ÷ core's (speed vs Pillow, higher is better) · core's time ÷ the floor's.",
      "Pillow keeps only a GIF's first frame; core renders every frame.",
      caption(run),
    ]),
    ...barsPanel({
      bars,
      groups,
      series: CORE_SERIES,
      valueTitle: 'CPU ms per image (lower is better)',
    }),
  };
}

/** (b) The worker per MAX_CONCURRENCY: sustained images/s against core's two-lane rate, then latency. */
export function workerChart(data: WorkerData, run: RunInfo): TopLevelSpec {
  const setting = (concurrency: number) => `MAX_CONCURRENCY ${concurrency}`;
  const settings = [...data.settings].sort((a, b) => a.concurrency - b.concurrency);
  const groups = settings.map((s) => setting(s.concurrency));
  const throughput: Bar[] = settings.map((s) => ({
    group: setting(s.concurrency),
    series: `worker, ${data.backlog} queued 12 MP uploads`,
    value: s.imagesPerSec,
    label: `${s.imagesPerSec.toFixed(1)} images/s`,
    ...noteOf([...times(s.vsCore, 'core'), `${s.requests.all.toFixed(1)} storage requests/image`]),
  }));
  const latency = percentileBars(
    settings.map((s) => ({ group: setting(s.concurrency), p50Ms: s.p50Ms, p95Ms: s.p95Ms })),
  );
  const core = data.core.imagesPerSec;
  return {
    ...frame('Worker end to end: throughput and upload → thumbnail latency per MAX_CONCURRENCY', [
      'The built worker pulling bucket notifications from the local emulators, which share its CPUs.',
      `Throughput: ${data.backlog} queued 12 MP uploads drained per setting (steady state).`,
      `Latency: ${data.latencyUploads} uploads ${data.latencyGapMs} ms apart to a fresh idle worker.`,
      "Reference, same run: core's rendition engine in two processes on the same JPEGs" +
        (core === undefined ? ' (not measured).' : ` (${core.toFixed(1)} images/s).`),
      'Right: worker ÷ core, and the storage requests the worker sent per image.',
      caption(run),
    ]),
    vconcat: [
      barsPanel({
        bars: throughput,
        groups,
        series: [{ name: `worker, ${data.backlog} queued 12 MP uploads`, color: OURS }],
        valueTitle: 'sustained throughput, images/s (higher is better)',
        rules:
          core === undefined
            ? []
            : [{ value: core, label: `core, 2 processes: ${core.toFixed(1)} images/s`, color: REFERENCE }],
      }),
      barsPanel({
        bars: latency,
        groups,
        series: PERCENTILES,
        valueTitle: 'upload → thumbnail latency, ms (lower is better)',
        rules: [
          { value: data.latencyTargetMs, label: `p50 target ${data.latencyTargetMs} ms`, color: MUTED },
        ],
        legendTitle: 'latency',
      }),
    ],
    resolve: { scale: { color: 'independent' } },
  };
}

/** The upload table's rows as the chart names them (the table's labels are long). */
function uploadRowName(row: UploadData['rows'][number], data: UploadData): string {
  switch (row.id) {
    case 'floor':
      return 'straight to the storage emulator (floor)';
    case 'distinct':
      return 'POST /upload, distinct names';
    case 'same-name':
      return 'POST /upload, all named IMG_0001.JPG';
    case 'beside-slow':
      return `POST /upload, distinct names, ${data.slowClients} slow clients beside`;
  }
}

/** (c) Uploads/s of each path against the storage floor, then their latency, and the slow-clients ratio. */
export function uploadChart(data: UploadData, run: RunInfo): TopLevelSpec {
  const groups = data.rows.map((r) => uploadRowName(r, data));
  const floor = data.rows.find((r) => r.id === 'floor');
  const throughput: Bar[] = data.rows.map((r) => ({
    group: uploadRowName(r, data),
    series: r.id === 'floor' ? 'floor (reference)' : 'apps/web',
    value: r.uploadsPerSec,
    label: `${r.uploadsPerSec.toFixed(2)} uploads/s`,
    ...noteOf([
      ...(r.id === 'floor' ? [] : times(floor && r.uploadsPerSec / floor.uploadsPerSec, 'floor')),
      ...(r.failures > 0 ? [`${r.failures} failed`] : []),
    ]),
  }));
  const latency = percentileBars(
    data.rows.map((r) => ({
      group: uploadRowName(r, data),
      p50Ms: r.p50Ms,
      p95Ms: r.p95Ms,
      ...(r.id === 'beside-slow'
        ? { p50Note: `p50 ${data.slowP50Ratio.toFixed(2)}× the p50 without slow clients` }
        : {}),
    })),
  );
  return {
    ...frame(
      `Uploads: ${data.concurrency} concurrent ${data.fileMiB.toFixed(1)} MiB 12 MP JPEGs, throughput and latency`,
      [
        'POST /upload to the built web app (body read, probed by a decode, stored create-only)',
        'over the local storage emulator; one batch per row.',
        'Reference, same run: the same bytes written straight to the storage emulator with',
        '@google-cloud/storage (the floor); right: ÷ the floor.',
        `Beside ${data.slowClients} slow clients (headers, then 1 byte/s) the p50 is ` +
          `${data.slowP50Ratio.toFixed(2)}× the p50 without them (target ≤ ${data.slowP50Target}×).`,
        caption(run),
      ],
    ),
    vconcat: [
      barsPanel({
        bars: throughput,
        groups,
        series: [
          { name: 'floor (reference)', color: FLOOR },
          { name: 'apps/web', color: OURS },
        ],
        valueTitle: 'throughput, uploads/s (higher is better)',
      }),
      barsPanel({
        bars: latency,
        groups,
        series: PERCENTILES,
        valueTitle: 'upload latency, ms (lower is better)',
        legendTitle: 'latency',
      }),
    ],
    resolve: { scale: { color: 'independent' } },
  };
}

export const coreCharts = (data: CoreData, run: RunInfo): Chart[] => [
  { file: 'core-cpu-by-class.svg', spec: coreChart(data, run) },
];
export const workerCharts = (data: WorkerData, run: RunInfo): Chart[] => [
  { file: 'worker-throughput-latency.svg', spec: workerChart(data, run) },
];
export const uploadCharts = (data: UploadData, run: RunInfo): Chart[] => [
  { file: 'upload-throughput.svg', spec: uploadChart(data, run) },
];
