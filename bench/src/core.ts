// The core thumbnail benchmark: core's createThumbnail over the corpus, one and two lanes, beside Pillow's
// Image.thumbnail and the djpeg -scale 1/8 decode floor measured in the same run, with ratios and verdicts.
import { CORPUS_ENTRIES } from './corpus.js';
import type { PipelineSpec } from './pipelines.js';
import {
  floorWorkers,
  isFigures,
  nodeWorker,
  pillowWorkers,
  runRounds,
  type Config,
  type Outcome,
  type SuiteContext,
} from './suite.js';
import { fixed, formatTable } from './table.js';
import { verdictLine, type Target } from './verdicts.js';

const JPEG_12MP = 'jpeg-12mp';

const coreBuffer: PipelineSpec = { kind: 'core', input: 'buffer' };
const coreFile: PipelineSpec = { kind: 'core', input: 'file' };

export function coreConfigs(ctx: SuiteContext): Config[] {
  return [
    { id: 'pillow-1', label: 'Pillow Image.thumbnail', lanes: 1, workers: pillowWorkers(ctx, 1) },
    { id: 'floor-1', label: 'floor: djpeg -scale 1/8 (JPEG only)', lanes: 1, workers: floorWorkers(ctx, 1) },
    {
      id: 'naive-buffer-1',
      label: 'sharp naive, bytes read per image',
      lanes: 1,
      workers: [nodeWorker(ctx, { kind: 'sharp', input: 'buffer-read' })],
    },
    {
      id: 'naive-file-1',
      label: 'sharp naive, file path',
      lanes: 1,
      workers: [nodeWorker(ctx, { kind: 'sharp', input: 'file' })],
    },
    { id: 'core-buffer-1', label: 'core, bytes in memory', lanes: 1, workers: [nodeWorker(ctx, coreBuffer)] },
    { id: 'core-file-1', label: 'core, file path', lanes: 1, workers: [nodeWorker(ctx, coreFile)] },
    {
      id: 'core-buffer-1-tuned',
      label: 'core, bytes, MALLOC_ARENA_MAX=2 + sharp.cache(false)',
      lanes: 1,
      workers: [nodeWorker(ctx, { ...coreBuffer, cache: false }, { env: { MALLOC_ARENA_MAX: '2' } })],
    },
    {
      id: 'core-buffer-1-jemalloc',
      label: 'core, bytes, jemalloc + sharp.cache(false)',
      lanes: 1,
      workers: ctx.tools.jemalloc
        ? [nodeWorker(ctx, { ...coreBuffer, cache: false }, { env: { LD_PRELOAD: ctx.tools.jemalloc } })]
        : { unavailable: 'libjemalloc2 is not installed' },
    },
    { id: 'pillow-2', label: 'Pillow, 2 processes', lanes: 2, workers: pillowWorkers(ctx, 2) },
    { id: 'floor-2', label: 'floor, 2 processes', lanes: 2, workers: floorWorkers(ctx, 2) },
    {
      id: 'core-buffer-2p',
      label: 'core, bytes, 2 processes',
      lanes: 2,
      workers: [nodeWorker(ctx, coreBuffer), nodeWorker(ctx, coreBuffer)],
    },
    {
      id: 'core-buffer-2i',
      label: 'core, bytes, 2 in flight in 1 process',
      lanes: 2,
      workers: [nodeWorker(ctx, coreBuffer, { inflight: 2 })],
    },
  ];
}

const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined ? undefined : a / b;

export function coreReport(configs: readonly Config[], outcomes: ReadonlyMap<string, Outcome>): string {
  const get = (id: string) => {
    const o = outcomes.get(id);
    return isFigures(o) ? o : undefined;
  };
  const jpegOf = (id: string) => get(id)?.classes[JPEG_12MP];
  const columns = [
    { header: 'configuration', align: 'left' as const },
    { header: 'lanes' },
    { header: 'images/s' },
    { header: 'ms/image' },
    { header: 'CPU ms/image' },
    { header: 'vs Pillow' },
    { header: 'vs Pillow, CPU' },
    { header: 'vs floor' },
    { header: 'vs floor, CPU' },
    { header: 'peak RSS MiB' },
  ];
  const jpegRows = configs.map((config) => {
    const own = jpegOf(config.id);
    if (!own) return [config.label, String(config.lanes), errorOf(outcomes.get(config.id))];
    const pillow = jpegOf(`pillow-${config.lanes}`);
    const floor = jpegOf(`floor-${config.lanes}`);
    return [
      config.label,
      String(config.lanes),
      fixed(own.imagesPerSec, 1),
      fixed(own.meanMs, 1),
      fixed(own.cpuMs, 1),
      fixed(ratio(own.imagesPerSec, pillow?.imagesPerSec), 2, '×'),
      fixed(ratio(pillow?.cpuMs, own.cpuMs), 2, '×'),
      fixed(ratio(floor?.imagesPerSec, own.imagesPerSec), 2, '×'),
      fixed(ratio(own.cpuMs, floor?.cpuMs), 2, '×'),
      fixed(get(config.id)?.peakRssMiB, 0),
    ];
  });
  const corpusRows = configs
    .filter((config) => !config.id.startsWith('floor'))
    .map((config) => {
      const figures = get(config.id);
      if (!figures) return [config.label, String(config.lanes), errorOf(outcomes.get(config.id))];
      const pillow = get(`pillow-${config.lanes}`);
      return [
        config.label,
        String(config.lanes),
        fixed(figures.imagesPerSec, 1),
        fixed(figures.meanMs, 1),
        fixed(figures.cpuMsPerImage, 1),
        fixed(ratio(figures.imagesPerSec, pillow?.imagesPerSec), 2, '×'),
        fixed(ratio(pillow?.cpuMsPerImage, figures.cpuMsPerImage), 2, '×'),
        fixed(figures.peakRssMiB, 0),
      ];
    });
  const classes = [...new Set(CORPUS_ENTRIES.map((e) => e.imageClass))];
  const classRows = classes.map((name) => {
    const cpu = (id: string) => get(id)?.classes[name]?.cpuMs;
    return [
      `${name} (${CORPUS_ENTRIES.filter((e) => e.imageClass === name).length})`,
      fixed(cpu('pillow-1'), 1),
      fixed(cpu('floor-1'), 1),
      fixed(cpu('naive-buffer-1'), 1),
      fixed(cpu('naive-file-1'), 1),
      fixed(cpu('core-buffer-1'), 1),
      fixed(cpu('core-file-1'), 1),
      fixed(ratio(cpu('pillow-1'), cpu('core-buffer-1')), 2, '×'),
    ];
  });

  const core1 = get('core-buffer-1');
  const pillow1 = get('pillow-1');
  const worstRss = (ids: string[]) => {
    const rss = ids.map((id) => get(id)?.peakRssMiB).filter((v): v is number => v !== undefined);
    return rss.length > 0 ? Math.max(...rss) : undefined;
  };
  const coreRss = worstRss(['core-buffer-1', 'core-file-1', 'core-buffer-2p', 'core-buffer-2i']);
  const wall = (value: number | undefined) => `wall-clock ${fixed(value, 2, '×')}`;
  const verdicts: Target[] = [
    {
      name: 'core vs Pillow on 12 MP JPEG, per core (CPU time; bytes in memory)',
      value: ratio(jpegOf('pillow-1')?.cpuMs, jpegOf('core-buffer-1')?.cpuMs),
      kind: 'atLeast',
      bound: 1.0,
      unit: '×',
      note: wall(ratio(jpegOf('core-buffer-1')?.imagesPerSec, jpegOf('pillow-1')?.imagesPerSec)),
    },
    {
      name: 'core vs Pillow on the whole corpus, per core (CPU time)',
      value: ratio(pillow1?.cpuMsPerImage, core1?.cpuMsPerImage),
      kind: 'atLeast',
      bound: 1.3,
      unit: '×',
      note: wall(ratio(core1?.imagesPerSec, pillow1?.imagesPerSec)),
    },
    {
      name: 'core time ÷ decode floor on 12 MP JPEG (CPU time)',
      value: ratio(jpegOf('core-buffer-1')?.cpuMs, jpegOf('floor-1')?.cpuMs),
      kind: 'atMost',
      bound: 1.1,
      unit: '×',
      note: wall(ratio(jpegOf('floor-1')?.imagesPerSec, jpegOf('core-buffer-1')?.imagesPerSec)),
    },
    {
      name: 'two-core scaling, 2 processes ÷ 1 (whole corpus, wall-clock)',
      value: ratio(get('core-buffer-2p')?.imagesPerSec, core1?.imagesPerSec),
      kind: 'atLeast',
      bound: 1.8,
      unit: '×',
      note: `Pillow scaled ${fixed(ratio(get('pillow-2')?.imagesPerSec, pillow1?.imagesPerSec), 2, '×')} in the same run`,
    },
    {
      name: 'two-core scaling, 2 in flight in 1 process ÷ 1 (whole corpus, wall-clock)',
      value: ratio(get('core-buffer-2i')?.imagesPerSec, core1?.imagesPerSec),
      kind: 'atLeast',
      bound: 1.8,
      unit: '×',
    },
    {
      name: 'core peak RSS per process, worst configuration with the default allocator',
      value: coreRss,
      kind: 'atMost',
      bound: 200,
      unit: ' MiB',
      note:
        `with MALLOC_ARENA_MAX=2 + sharp.cache(false): ${fixed(get('core-buffer-1-tuned')?.peakRssMiB, 0, ' MiB')}, ` +
        `jemalloc + sharp.cache(false): ${fixed(get('core-buffer-1-jemalloc')?.peakRssMiB, 0, ' MiB')}`,
    },
  ];

  return [
    '### 12 MP JPEG (baseline, 2 of 6 EXIF-rotated)',
    'vs Pillow = speed ÷ Pillow speed with the same lanes (higher is better); vs floor = time ÷ djpeg -scale 1/8 ' +
      'time with the same lanes (lower is better). Wall-clock figures suffer from other load on the machine; the ' +
      'CPU-time ratios do not. ms/image = mean latency of one image.',
    '',
    formatTable(columns, jpegRows),
    '',
    `### Whole corpus (${CORPUS_ENTRIES.length} files: 12 MP JPEGs, progressive, CMYK, RGBA PNG, WebP, animated GIF)`,
    '',
    formatTable([...columns.slice(0, 7), columns[9]!], corpusRows),
    '',
    '### Mean CPU ms per image by class, one lane',
    '',
    formatTable(
      [
        { header: 'class (files)', align: 'left' },
        { header: 'Pillow' },
        { header: 'floor' },
        { header: 'naive bytes' },
        { header: 'naive file' },
        { header: 'core bytes' },
        { header: 'core file' },
        { header: 'core vs Pillow' },
      ],
      classRows,
    ),
    '',
    '### Verdicts',
    '',
    ...verdicts.map(verdictLine),
  ].join('\n');
}

function errorOf(outcome: Outcome | undefined): string {
  return outcome && 'error' in outcome ? `unavailable: ${outcome.error}` : 'unavailable';
}

export async function runCoreSuite(ctx: SuiteContext): Promise<string> {
  const configs = coreConfigs(ctx);
  ctx.log(`core suite: ${configs.length} configurations × ${ctx.rounds} rounds, interleaved`);
  const outcomes = await runRounds(ctx, configs);
  return coreReport(configs, outcomes);
}
