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
import { verdictLine } from './verdicts.js';

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
  const reference = (prefix: 'pillow' | 'floor', lanes: number) => get(`${prefix}-${lanes}`);
  const columns = [
    { header: 'configuration', align: 'left' as const },
    { header: 'lanes' },
    { header: 'images/s' },
    { header: 'ms/image' },
    { header: 'speed vs Pillow' },
    { header: 'time vs floor' },
    { header: 'peak RSS MiB' },
  ];
  const jpegRows = configs.map((config) => {
    const figures = get(config.id);
    const own = figures?.classes[JPEG_12MP];
    const pillow = reference('pillow', config.lanes)?.classes[JPEG_12MP];
    const floor = reference('floor', config.lanes)?.classes[JPEG_12MP];
    if (!own) return [config.label, String(config.lanes), errorOf(outcomes.get(config.id))];
    return [
      config.label,
      String(config.lanes),
      fixed(own.imagesPerSec, 1),
      fixed(own.meanMs, 1),
      fixed(ratio(own.imagesPerSec, pillow?.imagesPerSec), 2, '×'),
      fixed(ratio(floor?.imagesPerSec, own.imagesPerSec), 2, '×'),
      fixed(figures?.peakRssMiB, 0),
    ];
  });
  const corpusRows = configs
    .filter((config) => !config.id.startsWith('floor'))
    .map((config) => {
      const figures = get(config.id);
      if (!figures) return [config.label, String(config.lanes), errorOf(outcomes.get(config.id))];
      return [
        config.label,
        String(config.lanes),
        fixed(figures.imagesPerSec, 1),
        fixed(figures.meanMs, 1),
        fixed(figures.cpuMsPerImage, 1),
        fixed(ratio(figures.imagesPerSec, reference('pillow', config.lanes)?.imagesPerSec), 2, '×'),
        fixed(figures.peakRssMiB, 0),
      ];
    });
  const classes = [...new Set(CORPUS_ENTRIES.map((e) => e.imageClass))];
  const classRows = classes.map((name) => {
    const ms = (id: string) => get(id)?.classes[name]?.meanMs;
    return [
      `${name} (${CORPUS_ENTRIES.filter((e) => e.imageClass === name).length})`,
      fixed(ms('pillow-1'), 1),
      fixed(ms('floor-1'), 1),
      fixed(ms('naive-buffer-1'), 1),
      fixed(ms('naive-file-1'), 1),
      fixed(ms('core-buffer-1'), 1),
      fixed(ms('core-file-1'), 1),
      fixed(ratio(ms('pillow-1'), ms('core-buffer-1')), 2, '×'),
    ];
  });

  const core1 = get('core-buffer-1');
  const core2p = get('core-buffer-2p');
  const core2i = get('core-buffer-2i');
  const coreRss = ['core-buffer-1', 'core-file-1', 'core-buffer-2p', 'core-buffer-2i']
    .map((id) => get(id)?.peakRssMiB)
    .filter((v): v is number => v !== undefined);
  const verdicts = [
    {
      name: 'core vs Pillow on 12 MP JPEG, one core (bytes in memory)',
      value: ratio(
        core1?.classes[JPEG_12MP]?.imagesPerSec,
        get('pillow-1')?.classes[JPEG_12MP]?.imagesPerSec,
      ),
      kind: 'atLeast' as const,
      bound: 1.0,
      unit: '×',
    },
    {
      name: 'core vs Pillow on the whole corpus, one core',
      value: ratio(core1?.imagesPerSec, get('pillow-1')?.imagesPerSec),
      kind: 'atLeast' as const,
      bound: 1.3,
      unit: '×',
    },
    {
      name: 'core time vs the decode floor on 12 MP JPEG, one core',
      value: ratio(get('floor-1')?.classes[JPEG_12MP]?.imagesPerSec, core1?.classes[JPEG_12MP]?.imagesPerSec),
      kind: 'atMost' as const,
      bound: 1.1,
      unit: '×',
    },
    {
      name: 'two-core scaling, 2 processes vs 1 (whole corpus)',
      value: ratio(core2p?.imagesPerSec, core1?.imagesPerSec),
      kind: 'atLeast' as const,
      bound: 1.8,
      unit: '×',
    },
    {
      name: 'two-core scaling, 2 in flight in 1 process vs 1 (whole corpus)',
      value: ratio(core2i?.imagesPerSec, core1?.imagesPerSec),
      kind: 'atLeast' as const,
      bound: 1.8,
      unit: '×',
    },
    {
      name: 'core peak RSS per process, worst configuration',
      value: coreRss.length > 0 ? Math.max(...coreRss) : undefined,
      kind: 'atMost' as const,
      bound: 200,
      unit: ' MiB',
    },
  ];

  return [
    '### 12 MP JPEG (baseline, 2 of 6 EXIF-rotated)',
    'speed vs Pillow = images/s ÷ Pillow images/s with the same lanes (higher is better); time vs floor = time ÷ ' +
      'djpeg -scale 1/8 time with the same lanes (lower is better); ms/image = mean latency of one image; ' +
      'CPU ms/image = CPU time ÷ images (robust to other load on the machine).',
    '',
    formatTable(columns, jpegRows),
    '',
    `### Whole corpus (${CORPUS_ENTRIES.length} files: 12 MP JPEGs, progressive, CMYK, RGBA PNG, WebP, animated GIF)`,
    '',
    formatTable([...columns.slice(0, 4), { header: 'CPU ms/image' }, columns[4]!, columns[6]!], corpusRows),
    '',
    '### Mean ms per image by class, one lane',
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
