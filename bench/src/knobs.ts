// Where sharp's time goes: one knob at a time against plain sharp from a file path, all in the same run,
// beside Pillow and the decode floor.
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

const JPEG_12MP = 'jpeg-12mp';
const BASELINE = 'file';

export function knobConfigs(ctx: SuiteContext): Config[] {
  const sharp = (
    id: string,
    label: string,
    spec: Partial<PipelineSpec>,
    env?: Record<string, string>,
  ): Config => ({
    id,
    label,
    lanes: 1,
    workers: [nodeWorker(ctx, { kind: 'sharp', input: 'file', ...spec }, { env })],
  });
  const twoInFlight = (id: string, label: string, env: Record<string, string>): Config => ({
    id,
    label,
    lanes: 2,
    workers: [nodeWorker(ctx, { kind: 'sharp', input: 'file' }, { inflight: 2, env })],
  });
  return [
    { id: 'pillow', label: 'Pillow Image.thumbnail', lanes: 1, workers: pillowWorkers(ctx, 1) },
    { id: 'floor', label: 'floor: djpeg -scale 1/8', lanes: 1, workers: floorWorkers(ctx, 1) },
    sharp(BASELINE, 'sharp, file path (baseline)', {}),
    sharp('buffer', 'bytes already in memory', { input: 'buffer' }),
    sharp('slow-shrink', 'fastShrinkOnLoad: false (JPEG pre-shrink 4 not 8)', { fastShrinkOnLoad: false }),
    sharp('no-shrink', 'no shrink-on-load (full-size decode)', { noShrinkOnLoad: true }),
    sharp('threads-2', 'sharp.concurrency(2): 2 libvips threads per image', { concurrency: 2 }),
    sharp('no-cache', 'sharp.cache(false)', { cache: false }),
    sharp('light-encoders', 'light encoders (png level 2, webp effort 0)', {
      png: { compressionLevel: 2 },
      webp: { effort: 0 },
    }),
    sharp('animated', 'animated: true (GIF stays animated)', { animated: true }),
    twoInFlight('inflight-2', '2 in flight, 1 process (UV_THREADPOOL_SIZE 4)', {}),
    twoInFlight('inflight-2-uv1', '2 in flight, UV_THREADPOOL_SIZE=1', { UV_THREADPOOL_SIZE: '1' }),
  ];
}

export function knobReport(configs: readonly Config[], outcomes: ReadonlyMap<string, Outcome>): string {
  const get = (id: string) => {
    const o = outcomes.get(id);
    return isFigures(o) ? o : undefined;
  };
  const base = get(BASELINE);
  const pillow = get('pillow');
  const rows = configs.map((config) => {
    const f = get(config.id);
    if (!f) {
      const o = outcomes.get(config.id);
      return [
        config.label,
        String(config.lanes),
        o && 'error' in o ? `unavailable: ${o.error}` : 'unavailable',
      ];
    }
    const jpeg = f.classes[JPEG_12MP];
    const perLane = (ips: number | undefined) => (ips === undefined ? undefined : ips / config.lanes);
    return [
      config.label,
      String(config.lanes),
      fixed(jpeg?.cpuMs ?? jpeg?.meanMs, 1),
      fixed(f.imagesPerSec, 1),
      fixed(f.cpuMsPerImage, 1),
      fixed(base ? perLane(f.imagesPerSec)! / base.imagesPerSec : undefined, 2, '×'),
      fixed(
        pillow?.cpuMsPerImage && f.cpuMsPerImage ? pillow.cpuMsPerImage / f.cpuMsPerImage : undefined,
        2,
        '×',
      ),
      fixed(f.peakRssMiB, 0),
    ];
  });
  return [
    '### sharp knobs, one at a time (whole corpus unless noted)',
    '“vs baseline” compares wall-clock corpus images/s per lane (2-in-flight rows: total ÷ 2); “vs Pillow, CPU” ' +
      'compares CPU ms per image. 12 MP JPEG CPU ms falls back to latency where CPU time is not separable.',
    '',
    formatTable(
      [
        { header: 'configuration', align: 'left' },
        { header: 'lanes' },
        { header: '12 MP JPEG CPU ms' },
        { header: 'corpus images/s' },
        { header: 'CPU ms/image' },
        { header: 'vs baseline' },
        { header: 'vs Pillow, CPU' },
        { header: 'peak RSS MiB' },
      ],
      rows,
    ),
  ].join('\n');
}

export async function runKnobSuite(ctx: SuiteContext): Promise<string> {
  const configs = knobConfigs(ctx);
  ctx.log(`sharp knobs suite: ${configs.length} configurations × ${ctx.rounds} rounds, interleaved`);
  return knobReport(configs, await runRounds(ctx, configs));
}
