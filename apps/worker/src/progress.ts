/**
 * Progress a person can watch: on a terminal a progress bar with rate and ETA (cli-progress), anywhere else (Cloud
 * Run, a pipe) a JSON `backfill progress` line every so often, which Cloud Logging shows as structured fields. The
 * rate is over the last minute, so a pause (storage pushing back, MAX_RATE) shows at once in the ETA.
 */
import { Presets, SingleBar } from 'cli-progress';
import type { Logger } from 'pino';
import type { Phase } from './checkpoint.js';

export interface ProgressSnapshot {
  phase: Phase;
  /** Objects settled in this phase by this attempt and the ones before it. */
  done: number;
  /** Objects listed in this phase so far (the total once `listing` is false). */
  listed: number;
  listing: boolean;
  /** What has happened so far, by outcome (or, in a dry run, by outcome-to-be). */
  counts: Readonly<Record<string, number>>;
  paused: boolean;
}

export interface Progress {
  update(snapshot: ProgressSnapshot): void;
  /** Draws the last state and lets go of the terminal. */
  stop(): void;
}

export interface ProgressOptions {
  /** Where the bar goes (a TTY), or undefined/a non-TTY: JSON lines through `logger`. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  logger: Logger;
  /** Between JSON lines (default 10 s). */
  intervalMs?: number;
  clock?: () => number;
}

const WINDOW_MS = 60_000;

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** Objects per second over the last minute, from (time, done) samples. */
function createRate(clock: () => number) {
  const samples: { at: number; done: number }[] = [];
  return (done: number): number => {
    const now = clock();
    samples.push({ at: now, done });
    while (samples.length > 2 && now - samples[0]!.at > WINDOW_MS) samples.shift();
    const first = samples[0]!;
    // At least a second: two samples a moment apart say nothing about a rate.
    const seconds = Math.max(1, (now - first.at) / 1000);
    return Math.max(0, (done - first.done) / seconds);
  };
}

export function createProgress(options: ProgressOptions): Progress {
  const clock = options.clock ?? (() => Date.now());
  let last: ProgressSnapshot | undefined;
  let phase: Phase | undefined;

  let rateOf = createRate(clock);
  let ratePhase: Phase | undefined;
  const figures = (s: ProgressSnapshot) => {
    if (s.phase !== ratePhase) [rateOf, ratePhase] = [createRate(clock), s.phase];
    const rate = rateOf(s.done);
    const left = s.listed - s.done;
    return {
      rate: Math.round(rate * 10) / 10,
      eta: s.listing ? '?' : formatDuration(rate > 0 ? left / rate : left === 0 ? 0 : Infinity),
    };
  };

  if (options.stream?.isTTY === true) {
    const bar = new SingleBar(
      {
        stream: options.stream,
        format: '{phase} [{bar}] {value}/{total}{more} | {rate}/s | ETA {left} | {counts}{paused}',
        hideCursor: true,
        fps: 4,
      },
      Presets.shades_classic,
    );
    const payload = (s: ProgressSnapshot) => {
      const { rate, eta } = figures(s);
      return {
        rate,
        // Not `eta`: cli-progress fills that token itself, from its own estimate.
        left: eta,
        phase: s.phase === 'sources' ? 'sources   ' : 'renditions',
        more: s.listing ? '+ (listing)' : '',
        counts: Object.entries(s.counts)
          .map(([name, n]) => `${name} ${n}`)
          .join(' · '),
        paused: s.paused ? ' | storage pushing back: paused' : '',
      };
    };
    return {
      update(s) {
        if (phase !== s.phase) {
          if (phase !== undefined) bar.stop();
          bar.start(Math.max(s.listed, 1), s.done, payload(s));
          phase = s.phase;
        } else {
          bar.setTotal(Math.max(s.listed, 1));
          bar.update(s.done, payload(s));
        }
        last = s;
      },
      stop() {
        if (last) bar.update(last.done, payload(last));
        bar.stop();
      },
    };
  }

  const interval = options.intervalMs ?? 10_000;
  let lastLine = -Infinity;
  const line = (s: ProgressSnapshot) => {
    lastLine = clock();
    options.logger.info(
      {
        phase: s.phase,
        done: s.done,
        listed: s.listed,
        listing: s.listing,
        ...figures(s),
        ...s.counts,
        paused: s.paused,
      },
      'backfill progress',
    );
  };
  return {
    update(s) {
      last = s;
      if (clock() - lastLine >= interval) line(s);
    },
    stop() {
      if (last && clock() > lastLine) line(last);
    },
  };
}
