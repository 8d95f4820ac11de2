// Shared plumbing for benchmark suites: configurations, worker commands, interleaved rounds.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Corpus } from './corpus.js';
import { figuresOf, medianFigures, type Figures } from './results.js';
import { runWorkers, type WorkerCommand } from './runner.js';
import type { PipelineSpec } from './pipelines.js';
import type { Tools } from './setup.js';
import type { WorkerSpec } from './worker.js';

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface SuiteContext {
  corpus: Corpus;
  tools: Tools;
  rounds: number;
  passes: number;
  warmupPasses: number;
  /** `--quick`: a smoke run (suites with a fixed workload make it smaller). */
  quick: boolean;
  log: (line: string) => void;
}

/** What a suite returns: its Markdown report and the same figures as data (for the charts). */
export interface SuiteResult<Data> {
  report: string;
  data: Data;
}

export interface Config {
  id: string;
  label: string;
  /** Images in flight overall: worker processes × in-flight per process. */
  lanes: number;
  /** Worker commands, or why this configuration cannot run here. */
  workers: WorkerCommand[] | { unavailable: string };
}

export type Outcome = Figures | { error: string };

export function isFigures(outcome: Outcome | undefined): outcome is Figures {
  return outcome !== undefined && !('error' in outcome);
}

export function nodeWorker(
  ctx: SuiteContext,
  pipeline: PipelineSpec,
  options: {
    inflight?: number;
    files?: string[];
    env?: Record<string, string>;
    /** Passes over the files (default ctx.passes). */
    passes?: number;
    /** A paired worker: each image also goes through this pipeline (worker.ts). */
    alternate?: PipelineSpec;
  } = {},
): WorkerCommand {
  const spec: WorkerSpec = {
    pipeline,
    files: options.files ?? ctx.corpus.entries.map((e) => e.path),
    passes: options.passes ?? ctx.passes,
    warmupPasses: ctx.warmupPasses,
    inflight: options.inflight ?? 1,
    ...(options.alternate ? { alternate: options.alternate } : {}),
  };
  return {
    command: process.execPath,
    args: [join(BENCH_DIR, 'dist', 'worker.js'), JSON.stringify(spec)],
    env: options.env,
  };
}

export function pillowWorkers(ctx: SuiteContext, processes: number): Config['workers'] {
  const { python } = ctx.tools;
  if (!python) return { unavailable: 'Pillow is not installed' };
  const files = ctx.corpus.entries.map((e) => e.path);
  return Array.from({ length: processes }, () => ({
    command: python,
    args: [join(BENCH_DIR, 'pillow_thumb.py'), String(ctx.passes), String(ctx.warmupPasses), ...files],
  }));
}

/** The DCT-scaled decode floor runs over the JPEG files only (djpeg reads nothing else). */
export function floorWorkers(ctx: SuiteContext, processes: number): Config['workers'] {
  if (!ctx.tools.djpeg) return { unavailable: 'djpeg is not installed' };
  const files = ctx.corpus.entries.filter((e) => e.imageClass.startsWith('jpeg')).map((e) => e.path);
  const python = ctx.tools.python ?? 'python3';
  return Array.from({ length: processes }, () => ({
    command: python,
    args: [join(BENCH_DIR, 'djpeg_floor.py'), String(ctx.passes), String(ctx.warmupPasses), ...files],
  }));
}

/** Runs every configuration once per round, interleaved (A B C A B C…), each run in fresh processes. */
export async function runRounds(
  ctx: SuiteContext,
  configs: readonly Config[],
): Promise<Map<string, Outcome>> {
  const classOf = new Map(ctx.corpus.entries.map((e) => [e.name, e.imageClass]));
  const runs = new Map<string, Figures[]>();
  const errors = new Map<string, string>();
  for (let round = 1; round <= ctx.rounds; round++) {
    for (const config of configs) {
      if (errors.has(config.id)) continue;
      if ('unavailable' in config.workers) {
        errors.set(config.id, config.workers.unavailable);
        continue;
      }
      const workers = await runWorkers(config.workers, { timePath: ctx.tools.time, timeoutMs: 180_000 });
      const outcome = figuresOf(workers, config.lanes, (name) => classOf.get(name));
      if ('error' in outcome) {
        errors.set(config.id, outcome.error);
        ctx.log(`  round ${round}: ${config.label}: ${outcome.error}`);
      } else {
        runs.set(config.id, [...(runs.get(config.id) ?? []), outcome]);
        ctx.log(`  round ${round}: ${config.label}: ${outcome.imagesPerSec.toFixed(1)} images/s`);
      }
    }
  }
  const outcomes = new Map<string, Outcome>();
  for (const config of configs) {
    const error = errors.get(config.id);
    const combined = medianFigures(runs.get(config.id) ?? []);
    outcomes.set(config.id, error !== undefined ? { error } : (combined ?? { error: 'no runs' }));
  }
  return outcomes;
}
