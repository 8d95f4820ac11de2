// Runs one configuration: one or more fresh worker processes started together behind a start barrier, each
// wrapped in GNU time so its peak RSS (including any children, e.g. djpeg) is per-configuration.
import { spawn } from 'node:child_process';
import { parsePeakRssMiB, parseWorkerOutput, type WorkerRun } from './protocol.js';

export interface WorkerCommand {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

export interface WorkerResult extends WorkerRun {
  peakRssMiB?: number;
}

export interface RunOptions {
  /** GNU time's path, or undefined to go without peak RSS. */
  timePath?: string;
  timeoutMs: number;
}

interface Running {
  ready: Promise<void>;
  done: Promise<WorkerResult>;
  go: () => void;
}

function start(worker: WorkerCommand, options: RunOptions): Running {
  const [command, args] = options.timePath
    ? [options.timePath, ['-f', 'maxrss_kib=%M', worker.command, ...worker.args]]
    : [worker.command, worker.args];
  const child = spawn(command, args, {
    env: { ...process.env, ...worker.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (/^(ready|error)/m.test(stdout)) markReady();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.on('error', () => undefined);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  const done = new Promise<WorkerResult>((resolve) => {
    child.on('error', (error) => {
      markReady();
      resolve({ startMs: Number.NaN, endMs: Number.NaN, images: [], error: error.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      markReady();
      const run = parseWorkerOutput(stdout);
      if (!run.error && (code !== 0 || signal)) run.error = `exited with ${signal ?? code}`;
      if (run.error && stderr.trim()) run.error += ` (${lastLines(stderr)})`;
      resolve({ ...run, peakRssMiB: parsePeakRssMiB(stderr) });
    });
  });
  return { ready, done, go: () => child.stdin.end('go\n') };
}

function lastLines(text: string): string {
  return text
    .trim()
    .split('\n')
    .filter((line) => !line.startsWith('maxrss_kib='))
    .slice(-2)
    .join(' / ');
}

/** Starts every worker, waits until all have warmed up, releases them at once, and collects their results. */
export async function runWorkers(
  workers: readonly WorkerCommand[],
  options: RunOptions,
): Promise<WorkerResult[]> {
  const running = workers.map((worker) => start(worker, options));
  await Promise.all(running.map((r) => r.ready));
  for (const r of running) r.go();
  return Promise.all(running.map((r) => r.done));
}
