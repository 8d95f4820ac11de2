/**
 * What a real backfill run would spend, counted during a dry run from each source's plan (pipeline.plan()): the
 * storage requests exactly (they follow from the plan, the same requests finalize.ts makes), the CPU from the
 * per-image figures measured in bench/ — the one place in code those figures live.
 */
import { STORAGE_OPS, type StorageOp } from '@thumbnailer/core';
import type { FinalizePlan } from './pipeline.js';

/**
 * Measured by `npm run bench` (bench/README.md, section "Backfill" for the first two, "Renditions" for the third);
 * measure again and update both places when the pipeline changes.
 */
export const MEASURED = {
  /**
   * Backfill process CPU per source whose renditions it writes, for tiny sources (bench `--only backfill`,
   * 2026-12-02: 10,000 64×48 images, one task, default rendition): listing, metadata read, download, decode and
   * encode of a tiny image, the create-only write, checkpoints, logs.
   */
  writtenSourceCpuMs: 6.4,
  /** Backfill process CPU per source whose renditions all exist (the same suite's one-task re-run). */
  completeSourceCpuMs: 0.8,
  /**
   * Decode and render CPU per MiB of source, from core's 12 MP JPEG figure (bench `--only core`, 2026-12-02: 58.5 ms
   * for a 5.6 MB JPEG with the default set): what a real photo adds to the tiny sources' figure above.
   */
  renderCpuMsPerMiB: 10.4,
} as const;

const MIB = 1024 * 1024;

export interface RunEstimate {
  /** Storage requests by kind, for the per-object work (the listing is added from the dry run's own count). */
  requests: Record<StorageOp, number>;
  cpuSeconds: number;
}

export interface Estimator {
  /** One source's plan, with the object's size and the number of renditions in RENDITIONS. */
  source(plan: FinalizePlan, size: number): void;
  /** One retired rendition the prune pass would delete. */
  prune(): void;
  /** The list requests the dry run made (a real run lists the same). */
  listed(requests: number): void;
  total(): RunEstimate;
}

export function createEstimator(renditionCount: number): Estimator {
  const requests = Object.fromEntries(STORAGE_OPS.map((op) => [op, 0])) as Record<StorageOp, number>;
  let cpuMs = 0;
  return {
    source(plan, size) {
      if (plan.status === 'skipped') return;
      if (plan.status === 'complete') {
        requests.metadata_read += renditionCount;
        cpuMs += MEASURED.completeSourceCpuMs;
        return;
      }
      // not_image_by_type: no existence read (no predicted format), one download; the bytes decide.
      if (plan.status === 'missing') requests.metadata_read += renditionCount;
      requests.media_read += 1;
      if (plan.status === 'missing') requests.create += plan.missing.length;
      cpuMs += MEASURED.writtenSourceCpuMs + (MEASURED.renderCpuMsPerMiB * size) / MIB;
    },
    prune() {
      requests.delete += 1;
    },
    listed(count) {
      requests.list += count;
    },
    total() {
      return { requests: { ...requests }, cpuSeconds: Math.round(cpuMs) / 1000 };
    },
  };
}
