// Pure reduction of worker results into the figures the report prints.
import { mean, median } from './stats.js';
import type { WorkerResult } from './runner.js';

export interface ClassFigures {
  meanMs: number;
  imagesPerSec: number;
  cpuMs?: number;
}

export interface Figures {
  /** Images per second over the whole timed window (all workers together). */
  imagesPerSec: number;
  /** Mean latency of one image, over all images. */
  meanMs: number;
  /** CPU ms per image (all workers' CPU ÷ images), when every worker reported its CPU time. */
  cpuMsPerImage?: number;
  /**
   * Per image class: mean latency and the throughput it implies with `lanes` images in flight, and mean CPU ms
   * per image when the worker could separate it (one image in flight).
   */
  classes: Record<string, ClassFigures>;
  peakRssMiB?: number;
}

/** Figures of one run of a configuration with `lanes` images in flight overall (workers × in-flight). */
export function figuresOf(
  workers: readonly WorkerResult[],
  lanes: number,
  classOf: (name: string) => string | undefined,
): Figures | { error: string } {
  const failed = workers.find((w) => w.error);
  if (failed?.error) return { error: failed.error };
  const images = workers.flatMap((w) => w.images);
  const windowMs = Math.max(...workers.map((w) => w.endMs)) - Math.min(...workers.map((w) => w.startMs));
  const byClass = new Map<string, typeof images>();
  for (const image of images) {
    const name = classOf(image.name);
    if (name) byClass.set(name, [...(byClass.get(name) ?? []), image]);
  }
  const classes: Figures['classes'] = {};
  for (const [name, timings] of byClass) {
    const meanMs = mean(timings.map((t) => t.ms));
    const cpu = timings.map((t) => t.cpuMs).filter((v): v is number => v !== undefined);
    classes[name] = { meanMs, imagesPerSec: (lanes * 1000) / meanMs };
    if (cpu.length === timings.length) classes[name].cpuMs = mean(cpu);
  }
  const rss = workers.map((w) => w.peakRssMiB).filter((v): v is number => v !== undefined);
  return {
    imagesPerSec: (images.length * 1000) / windowMs,
    meanMs: mean(images.map((i) => i.ms)),
    cpuMsPerImage: workers.every((w) => w.cpuMs !== undefined)
      ? workers.reduce((sum, w) => sum + w.cpuMs!, 0) / images.length
      : undefined,
    classes,
    peakRssMiB: rss.length > 0 ? Math.max(...rss) : undefined,
  };
}

/** Combines several runs of one configuration (interleaved rounds) by taking each figure's median. */
export function medianFigures(runs: readonly Figures[]): Figures | undefined {
  if (runs.length === 0) return undefined;
  const classNames = [...new Set(runs.flatMap((r) => Object.keys(r.classes)))];
  const classes: Figures['classes'] = {};
  for (const name of classNames) {
    const present = runs.map((r) => r.classes[name]).filter((c) => c !== undefined);
    const cpu = present.map((c) => c.cpuMs).filter((v): v is number => v !== undefined);
    classes[name] = {
      meanMs: median(present.map((c) => c.meanMs)),
      imagesPerSec: median(present.map((c) => c.imagesPerSec)),
    };
    if (cpu.length === present.length) classes[name].cpuMs = median(cpu);
  }
  const rss = runs.map((r) => r.peakRssMiB).filter((v): v is number => v !== undefined);
  return {
    imagesPerSec: median(runs.map((r) => r.imagesPerSec)),
    meanMs: median(runs.map((r) => r.meanMs)),
    cpuMsPerImage: runs.every((r) => r.cpuMsPerImage !== undefined)
      ? median(runs.map((r) => r.cpuMsPerImage!))
      : undefined,
    classes,
    peakRssMiB: rss.length > 0 ? Math.max(...rss) : undefined,
  };
}
