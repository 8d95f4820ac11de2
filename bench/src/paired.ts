// Pure reduction of a paired worker's lines (worker.ts with `alternate`): each image went through pipeline a and
// pipeline b back to back in one process, so the two CPU times of one image form a pair and their difference is
// free of what moves between processes and runs (heap and cache state, other load, the CPU's clock).
import type { ImageTiming } from './protocol.js';
import { mean } from './stats.js';

export interface Pair {
  /** The corpus file's name. */
  name: string;
  aCpuMs: number;
  bCpuMs: number;
}

/** The pairs in `images` (lines `a:<name>` and `b:<name>` of one image, in either order); unpaired lines are dropped. */
export function pairsOf(images: readonly ImageTiming[]): Pair[] {
  const pairs: Pair[] = [];
  const waiting = new Map<string, { side: 'a' | 'b'; cpuMs: number }>();
  for (const image of images) {
    const match = /^([ab]):(.+)$/.exec(image.name);
    if (!match || image.cpuMs === undefined) continue;
    const side = match[1] as 'a' | 'b';
    const name = match[2]!;
    const other = waiting.get(name);
    if (other && other.side !== side) {
      waiting.delete(name);
      const [a, b] = side === 'a' ? [image.cpuMs, other.cpuMs] : [other.cpuMs, image.cpuMs];
      pairs.push({ name, aCpuMs: a, bCpuMs: b });
    } else {
      waiting.set(name, { side, cpuMs: image.cpuMs });
    }
  }
  return pairs;
}

export interface PairedRatio {
  pairs: number;
  /** Mean CPU ms per image of a (the reference) and of b. */
  aCpuMs: number;
  bCpuMs: number;
  /** b ÷ a. */
  ratio: number;
  /** 95% confidence interval of the ratio, from the mean paired difference (normal approximation). */
  low: number;
  high: number;
}

/** b ÷ a over `pairs`, with the 95% interval of 1 + mean(b − a) ÷ mean(a); undefined for fewer than 2 pairs. */
export function pairedRatio(pairs: readonly Pair[]): PairedRatio | undefined {
  if (pairs.length < 2) return undefined;
  const a = mean(pairs.map((p) => p.aCpuMs));
  const b = mean(pairs.map((p) => p.bCpuMs));
  const differences = pairs.map((p) => p.bCpuMs - p.aCpuMs);
  const d = mean(differences);
  const variance = differences.reduce((sum, x) => sum + (x - d) ** 2, 0) / (differences.length - 1);
  const halfWidth = (1.96 * Math.sqrt(variance / differences.length)) / a;
  return {
    pairs: pairs.length,
    aCpuMs: a,
    bCpuMs: b,
    ratio: b / a,
    low: b / a - halfWidth,
    high: b / a + halfWidth,
  };
}
