// The core thumbnail benchmark: core's rendition engine (default set) over the corpus, one and two lanes, beside
// Pillow's Image.thumbnail and the djpeg -scale 1/8 decode floor measured in the same run, with ratios and
// verdicts; then the rendition set against the single-thumbnail path core had before (legacy.ts), and the
// placeholders' own cost.
import { CORPUS_ENTRIES } from './corpus.js';
import { pairedRatio, pairsOf, type Pair, type PairedRatio } from './paired.js';
import type { PipelineSpec } from './pipelines.js';
import { runWorkers } from './runner.js';
import {
  floorWorkers,
  isFigures,
  nodeWorker,
  pillowWorkers,
  runRounds,
  type Config,
  type Outcome,
  type SuiteContext,
  type SuiteResult,
} from './suite.js';
import { fixed, formatTable } from './table.js';
import { verdictLine, type Target } from './verdicts.js';

const JPEG_12MP = 'jpeg-12mp';

const coreBuffer: PipelineSpec = { kind: 'core', input: 'buffer' };
const coreFile: PipelineSpec = { kind: 'core', input: 'file' };

/** The three-rendition set of the decode-once claim: 100, 400 and 1600 px. */
export const THREE_SET = 'thumb:100x100,card:400x400:webp,hero:1600x1600';
const LARGEST = 1600;

/** Rendition configurations, one lane, bytes in memory; each row names the reference it is divided by. */
const RENDITION_ROWS: readonly {
  id: string;
  label: string;
  /** What the reference column calls this row. */
  short?: string;
  spec: PipelineSpec;
  reference?: string;
}[] = [
  {
    id: 'legacy-100',
    label: 'old single-thumbnail path, 100 px',
    short: 'old 100 px',
    spec: { kind: 'legacy', input: 'buffer', size: 100 },
  },
  {
    id: 'core-buffer-1',
    label: 'core, default set (thumb:100x100) + placeholders',
    spec: coreBuffer,
    reference: 'legacy-100',
  },
  {
    id: 'legacy-1600',
    label: `old single-thumbnail path, ${LARGEST} px: the largest rendition alone`,
    short: `old ${LARGEST} px`,
    spec: { kind: 'legacy', input: 'buffer', size: LARGEST },
  },
  {
    id: 'core-hero-1',
    label: `core, hero:${LARGEST}x${LARGEST} alone + placeholders`,
    spec: { kind: 'core', input: 'buffer', renditions: `hero:${LARGEST}x${LARGEST}` },
    reference: 'legacy-1600',
  },
  {
    id: 'core-set3-1',
    label: `core, ${THREE_SET} + placeholders`,
    spec: { kind: 'core', input: 'buffer', renditions: THREE_SET },
    reference: 'legacy-1600',
  },
  {
    id: 'placeholders-100',
    label: 'ThumbHash + dominant colour alone, from a 100 px decode',
    spec: { kind: 'placeholders', input: 'buffer', size: 100 },
  },
  {
    id: 'placeholders-1600',
    label: `ThumbHash + dominant colour alone, from a ${LARGEST} px decode`,
    spec: { kind: 'placeholders', input: 'buffer', size: LARGEST },
  },
];
/** Rows reported in the rendition table only ('core-buffer-1' is in both). */
const RENDITION_ONLY = new Set(RENDITION_ROWS.map((r) => r.id).filter((id) => id !== 'core-buffer-1'));

export function coreConfigs(ctx: SuiteContext): Config[] {
  const rendition = (row: (typeof RENDITION_ROWS)[number]): Config => ({
    id: row.id,
    label: row.label,
    lanes: 1,
    workers: [nodeWorker(ctx, row.spec)],
  });
  // Each reference runs right before the rows divided by it, so both see the same load on the machine.
  const [legacy100, ...others] = RENDITION_ROWS.filter((row) => RENDITION_ONLY.has(row.id));
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
    ...(legacy100 ? [rendition(legacy100)] : []),
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
    ...others.map(rendition),
  ];
}

const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined ? undefined : a / b;

/** The one-lane configurations compared per image class, in the order the class table prints them. */
const CLASS_CONFIGS = [
  { id: 'pillow-1', label: 'Pillow' },
  { id: 'floor-1', label: 'floor' },
  { id: 'naive-buffer-1', label: 'naive bytes' },
  { id: 'naive-file-1', label: 'naive file' },
  { id: 'core-buffer-1', label: 'core bytes' },
  { id: 'core-file-1', label: 'core file' },
] as const;

/** One configuration's mean CPU ms per image of one class (one lane), with its ratios to the references. */
export interface ClassFigure {
  /** Configuration id (`pillow-1`, `floor-1`, `core-buffer-1`, …). */
  configuration: string;
  /** Short name, as the class table's column header. */
  label: string;
  cpuMs: number | undefined;
  /** Pillow's CPU ms ÷ this one's: speed relative to Pillow (higher is better). */
  vsPillow: number | undefined;
  /** This CPU ms ÷ the decode floor's: time relative to the floor (lower is better; JPEG classes only). */
  vsFloor: number | undefined;
}

/** The core suite's per-class figures, classes in corpus order, configurations in `CLASS_CONFIGS` order. */
export interface CoreData {
  classes: { imageClass: string; files: number; figures: ClassFigure[] }[];
}

export function coreData(outcomes: ReadonlyMap<string, Outcome>): CoreData {
  const cpu = (id: string, name: string) => {
    const o = outcomes.get(id);
    return isFigures(o) ? o.classes[name]?.cpuMs : undefined;
  };
  const classes = [...new Set(CORPUS_ENTRIES.map((e) => e.imageClass))].map((name) => ({
    imageClass: name,
    files: CORPUS_ENTRIES.filter((e) => e.imageClass === name).length,
    figures: CLASS_CONFIGS.map(({ id, label }) => ({
      configuration: id,
      label,
      cpuMs: cpu(id, name),
      vsPillow: ratio(cpu('pillow-1', name), cpu(id, name)),
      vsFloor: ratio(cpu(id, name), cpu('floor-1', name)),
    })),
  }));
  return { classes };
}

export function coreReport(
  allConfigs: readonly Config[],
  outcomes: ReadonlyMap<string, Outcome>,
  paired: PairedOutcome,
): string {
  const configs = allConfigs.filter((config) => !RENDITION_ONLY.has(config.id));
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
  const classRows = coreData(outcomes).classes.map(({ imageClass, files, figures }) => {
    const of = (id: string) => figures.find((f) => f.configuration === id);
    return [
      `${imageClass} (${files})`,
      ...CLASS_CONFIGS.map(({ id }) => fixed(of(id)?.cpuMs, 1)),
      fixed(of('core-buffer-1')?.vsPillow, 2, '×'),
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
        ...CLASS_CONFIGS.map(({ label }) => ({ header: label })),
        { header: 'core vs Pillow' },
      ],
      classRows,
    ),
    '',
    '### Verdicts',
    '',
    ...verdicts.map(verdictLine),
    '',
    renditionReport(outcomes, paired),
  ].join('\n');
}

/** The rendition engine against the old single-thumbnail path, and the placeholders alone (CPU time, one lane). */
function renditionReport(outcomes: ReadonlyMap<string, Outcome>, paired: PairedOutcome): string {
  const get = (id: string | undefined) => {
    const o = id === undefined ? undefined : outcomes.get(id);
    return isFigures(o) ? o : undefined;
  };
  const jpegCpu = (id: string | undefined) => get(id)?.classes[JPEG_12MP]?.cpuMs;
  /** Mean CPU ms of one image's own call over the corpus (per-image figures: the untimed preparation is left out). */
  const corpusCpu = (id: string | undefined) => {
    const classes = get(id)?.classes;
    if (!classes) return undefined;
    let sum = 0;
    for (const entry of CORPUS_ENTRIES) {
      const cpu = classes[entry.imageClass]?.cpuMs;
      if (cpu === undefined) return undefined;
      sum += cpu;
    }
    return sum / CORPUS_ENTRIES.length;
  };
  const rows = RENDITION_ROWS.map((row) => {
    const own = get(row.id);
    if (!own) return [row.label, errorOf(outcomes.get(row.id))];
    const reference = RENDITION_ROWS.find((r) => r.id === row.reference)?.short ?? '';
    return [
      row.label,
      reference,
      fixed(jpegCpu(row.id), 1),
      fixed(ratio(jpegCpu(row.id), jpegCpu(row.reference)), 2, '×'),
      fixed(corpusCpu(row.id), 1),
      fixed(ratio(corpusCpu(row.id), corpusCpu(row.reference)), 2, '×'),
      fixed(own.imagesPerSec, 1),
      fixed(own.peakRssMiB, 0),
    ];
  });
  const jpegNote = (id: string, reference: string) =>
    `12 MP JPEG ${fixed(ratio(jpegCpu(id), jpegCpu(reference)), 2, '×')}`;
  const worstPlaceholders = Math.max(
    ...['placeholders-100', 'placeholders-1600'].map((id) => corpusCpu(id) ?? Number.NaN),
  );
  const verdicts: Target[] = [
    {
      name: `three renditions (${THREE_SET}) ÷ the largest alone (old path, ${LARGEST} px), whole corpus, CPU time`,
      value: ratio(corpusCpu('core-set3-1'), corpusCpu('legacy-1600')),
      kind: 'atMost',
      bound: 1.3,
      unit: '×',
      note: `${jpegNote('core-set3-1', 'legacy-1600')}; ÷ core's own hero alone: ${fixed(
        ratio(corpusCpu('core-set3-1'), corpusCpu('core-hero-1')),
        2,
        '×',
      )}`,
    },
    {
      name: 'default set ÷ the old single-thumbnail path, whole corpus, CPU time, paired in one process',
      value: 'pairs' in paired ? paired.corpus?.ratio : undefined,
      kind: 'atMost',
      bound: 1.0,
      unit: '×',
      note:
        'pairs' in paired
          ? `95% interval ${interval(paired.corpus)}; 12 MP JPEG ${fixed(paired.jpeg?.ratio, 3, '×')} ` +
            `(${interval(paired.jpeg)}); in separate processes: corpus ` +
            `${fixed(ratio(corpusCpu('core-buffer-1'), corpusCpu('legacy-100')), 2, '×')}, ` +
            jpegNote('core-buffer-1', 'legacy-100')
          : paired.error,
    },
    {
      name: 'ThumbHash + dominant colour per image, worse of the 100 px and 1600 px decodes, CPU ms',
      value: Number.isFinite(worstPlaceholders) ? worstPlaceholders : undefined,
      kind: 'atMost',
      bound: 3,
      unit: ' ms',
      note: `from 100 px ${fixed(corpusCpu('placeholders-100'), 2, ' ms')}, from ${LARGEST} px ${fixed(
        corpusCpu('placeholders-1600'),
        2,
        ' ms',
      )}`,
    },
  ];
  const classNames = [...new Set(CORPUS_ENTRIES.map((e) => e.imageClass))];
  const classIds = ['legacy-100', 'core-buffer-1', 'legacy-1600', 'core-hero-1', 'core-set3-1'];
  const classRows = classNames.map((name) => [
    `${name} (${CORPUS_ENTRIES.filter((e) => e.imageClass === name).length})`,
    ...classIds.map((id) => fixed(get(id)?.classes[name]?.cpuMs, 1)),
    fixed(ratio(get('core-buffer-1')?.classes[name]?.cpuMs, get('legacy-100')?.classes[name]?.cpuMs), 2, '×'),
    fixed(ratio(get('core-set3-1')?.classes[name]?.cpuMs, get('legacy-1600')?.classes[name]?.cpuMs), 2, '×'),
  ]);
  return [
    '### Renditions: decoded once (one lane, bytes in memory, CPU time)',
    '“vs reference” divides CPU ms per image by the reference row’s (the old single-thumbnail path, ' +
      'bench/src/legacy.ts, measured in the same run). CPU ms are the mean of each image’s own call (the ' +
      'placeholder rows: from an intermediate decoded beforehand, untimed). Core rows include the placeholders.',
    '',
    formatTable(
      [
        { header: 'configuration', align: 'left' },
        { header: 'reference', align: 'left' },
        { header: '12 MP JPEG CPU ms' },
        { header: 'vs reference' },
        { header: 'corpus CPU ms/image' },
        { header: 'vs reference' },
        { header: 'corpus images/s' },
        { header: 'peak RSS MiB' },
      ],
      rows,
    ),
    '',
    'Mean CPU ms per image by class:',
    '',
    formatTable(
      [
        { header: 'class (files)', align: 'left' },
        { header: 'old 100 px' },
        { header: 'default set' },
        { header: `old ${LARGEST} px` },
        { header: 'hero alone' },
        { header: 'three renditions' },
        { header: 'default ÷ old 100' },
        { header: `three ÷ old ${LARGEST}` },
      ],
      classRows,
    ),
    '',
    pairedReport(paired),
    '',
    '### Rendition verdicts',
    '',
    ...verdicts.map(verdictLine),
  ].join('\n');
}

function errorOf(outcome: Outcome | undefined): string {
  return outcome && 'error' in outcome ? `unavailable: ${outcome.error}` : 'unavailable';
}

/** The default set against the old path, paired image by image in one process: all pairs, and per subset. */
export type PairedOutcome =
  { pairs: number; corpus: PairedRatio | undefined; jpeg: PairedRatio | undefined } | { error: string };

/** Passes over the corpus per paired round: each pass is 13 pairs, about 2 s. */
const PAIRED_PASSES = 4;

/**
 * ctx.rounds fresh paired workers (the old path as a, the default set as b, one after the other on the same bytes,
 * the order swapping every image), after the interleaved rounds.
 */
async function runPaired(ctx: SuiteContext): Promise<PairedOutcome> {
  const legacy = RENDITION_ROWS.find((row) => row.id === 'legacy-100')!;
  const worker = nodeWorker(ctx, legacy.spec, {
    alternate: coreBuffer,
    passes: ctx.quick ? 1 : PAIRED_PASSES,
  });
  const pairs: Pair[] = [];
  for (let round = 1; round <= ctx.rounds; round++) {
    const [result] = await runWorkers([worker], { timePath: ctx.tools.time, timeoutMs: 180_000 });
    if (!result || result.error) return { error: result?.error ?? 'no result' };
    pairs.push(...pairsOf(result.images));
    ctx.log(`  round ${round}: old path and default set, paired: ${pairs.length} pairs so far`);
  }
  const classOf = new Map(CORPUS_ENTRIES.map((e) => [e.name, e.imageClass]));
  return {
    pairs: pairs.length,
    corpus: pairedRatio(pairs),
    jpeg: pairedRatio(pairs.filter((p) => classOf.get(p.name) === JPEG_12MP)),
  };
}

const interval = (r: PairedRatio | undefined): string =>
  r ? `${r.low.toFixed(3)}–${r.high.toFixed(3)}×` : '—';

function pairedReport(paired: PairedOutcome): string {
  if (!('pairs' in paired)) return `Paired in one process: unavailable: ${paired.error}`;
  const row = (label: string, r: PairedRatio | undefined) => [
    label,
    String(r?.pairs ?? 0),
    fixed(r?.aCpuMs, 2),
    fixed(r?.bCpuMs, 2),
    fixed(r && r.bCpuMs - r.aCpuMs, 2),
    fixed(r?.ratio, 3, '×'),
    interval(r),
  ];
  return [
    'Paired in one process: each image through the old path and the default set back to back on the same bytes, ' +
      'the order swapping every image, so what moves between processes (heap, caches, other load) cancels out; ' +
      'the interval is the 95% confidence interval of the mean paired difference.',
    '',
    formatTable(
      [
        { header: 'images', align: 'left' },
        { header: 'pairs' },
        { header: 'old 100 px CPU ms' },
        { header: 'default set CPU ms' },
        { header: 'difference ms' },
        { header: 'default ÷ old' },
        { header: '95% interval' },
      ],
      [row('whole corpus', paired.corpus), row('12 MP JPEGs', paired.jpeg)],
    ),
  ].join('\n');
}

export async function runCoreSuite(ctx: SuiteContext): Promise<SuiteResult<CoreData>> {
  const configs = coreConfigs(ctx);
  ctx.log(
    `core suite: ${configs.length} configurations × ${ctx.rounds} rounds, interleaved, then the paired rounds`,
  );
  const outcomes = await runRounds(ctx, configs);
  const paired = await runPaired(ctx);
  return { report: coreReport(configs, outcomes, paired), data: coreData(outcomes) };
}
