// Child processes that announce readiness with a log line or an HTTP answer, and that never outlive this process.
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/** How a process ended; `at` is `Date.now()` when it exited (code and signal null: it never started). */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

/** What stop() saw: the exit code, and the ms from the first stop() to the exit (0 if it had exited already). */
export interface Stopped {
  code: number | null;
  ms: number;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Settles when the process has exited and its output has been read, whatever the reason. */
  readonly exited: Promise<Exit>;
  running(): boolean;
  /** The last lines the process wrote (stdout and stderr), for error messages. */
  recentOutput(): string;
  /**
   * Sends `signal` (default SIGTERM), then SIGKILL after `graceMs` (default 10 s); resolves once it has exited.
   * Idempotent: later calls get the first call's result, and a later SIGKILL is sent at once.
   */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<Stopped>;
}

/**
 * When a process counts as started: a line on stdout or stderr that matches a pattern (its match is returned) or
 * passes a test, or a URL answering GET with 200. Unset: once spawned.
 */
export type Readiness = RegExp | ((line: string) => boolean) | { url: string };

export interface StartProcessOptions {
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  ready?: Readiness;
  /** Working directory of the child (default: this process's). */
  cwd?: string;
  /**
   * Own process group: a terminal's Ctrl-C then reaches only this process, which stops the child
   * itself, in order (used by the CLI). Default false.
   */
  detached?: boolean;
  /** How long readiness may take (default 30 s). */
  timeoutMs?: number;
  onLine?: (line: string) => void;
}

const live = new Set<ChildProcess>();
let hooksInstalled = false;

function killAllNow(): void {
  for (const child of live) child.kill('SIGKILL');
}

/**
 * Children are killed when this process exits. For signals, a handler is installed only when the
 * program has none of its own (a program that handles SIGINT/SIGTERM must call stop() itself);
 * it kills the children and re-raises the signal so that the default behaviour still happens.
 */
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    if (process.listenerCount(signal) > 0) continue;
    process.once(signal, () => {
      killAllNow();
      process.kill(process.pid, signal);
    });
  }
}

async function assertExecutable(path: string): Promise<void> {
  try {
    await access(path, constants.X_OK);
  } catch (error) {
    throw new Error(`${path} is missing: run \`npm run build -w @thumbnailer/emulators\` (needs Go)`, {
      cause: error,
    });
  }
}

export async function startProcess(
  options: StartProcessOptions,
): Promise<{ process: ManagedProcess; match: RegExpMatchArray | undefined }> {
  const { name, command, args, env, cwd, detached = false, ready, timeoutMs = 30_000, onLine } = options;
  await assertExecutable(command);
  installExitHooks();
  const child = spawn(command, args, { env, cwd, detached, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = track(child);
  const output = captureOutput(child, onLine);
  const managed = manage(name, child, exited, output);
  try {
    return { process: managed, match: await untilReady(child, name, ready, timeoutMs, output) };
  } catch (error) {
    await managed.stop('SIGTERM', 1_000);
    throw error;
  }
}

/**
 * Kept in `live` until it exits (or fails to spawn). The promise settles once its output is read too
 * ('close'), so that every line is in by then.
 */
function track(child: ChildProcess): Promise<Exit> {
  live.add(child);
  return new Promise<Exit>((resolve) => {
    let exit: Exit | undefined;
    child.once('exit', (code, signal) => {
      live.delete(child);
      exit = { code, signal, at: Date.now() };
    });
    child.once('close', (code, signal) => resolve(exit ?? { code, signal, at: Date.now() }));
    child.once('error', () => {
      live.delete(child);
      resolve({ code: null, signal: null, at: Date.now() });
    });
  });
}

interface Output {
  /** The last 40 lines (stdout and stderr). */
  recent(): string;
  /** Passes each line from now on to `test` until it answers true. */
  watch(test: (line: string) => boolean): void;
}

/** Each line of stdout and stderr: to `onLine`, to the recent lines, and to a watch for the ready line. */
function captureOutput(
  child: ChildProcessByStdio<null, Readable, Readable>,
  onLine: ((line: string) => void) | undefined,
): Output {
  const lines: string[] = [];
  let watcher: ((line: string) => boolean) | undefined;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      lines.push(line);
      if (lines.length > 40) lines.shift();
      onLine?.(line);
      if (watcher?.(line)) watcher = undefined;
    });
  }
  return {
    recent: () => lines.join('\n'),
    watch(test) {
      watcher = test;
    },
  };
}

function manage(name: string, child: ChildProcess, exited: Promise<Exit>, output: Output): ManagedProcess {
  let stopping: Promise<Stopped> | undefined;
  const managed: ManagedProcess = {
    name,
    pid: child.pid ?? -1,
    exited,
    running: () => child.exitCode === null && child.signalCode === null && live.has(child),
    recentOutput: () => output.recent(),
    stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (stopping) {
        if (signal === 'SIGKILL' && managed.running()) child.kill('SIGKILL');
        return stopping;
      }
      stopping = (async () => {
        if (!managed.running()) return { code: (await exited).code, ms: 0 };
        const sent = Date.now();
        child.kill(signal);
        const timer = signal === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), graceMs);
        const { code, at } = await exited;
        clearTimeout(timer);
        return { code, ms: at - sent };
      })();
      return stopping;
    },
  };
  return managed;
}

/**
 * The ready line's match (undefined for a test, a URL, or without `ready`: once spawned); rejects on an exit, an
 * error or the timeout, with the recent output.
 */
function untilReady(
  child: ChildProcess,
  name: string,
  ready: Readiness | undefined,
  timeoutMs: number,
  output: Output,
): Promise<RegExpMatchArray | undefined> {
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  return new Promise<RegExpMatchArray | undefined>((resolve, reject) => {
    let waitingFor = '';
    if (ready === undefined) child.once('spawn', () => resolve(undefined));
    else if (ready instanceof RegExp) {
      output.watch((line) => {
        const match = line.match(ready);
        if (match) resolve(match);
        return match !== null;
      });
    } else if (typeof ready === 'function') {
      output.watch((line) => {
        const passed = ready(line);
        if (passed) resolve(undefined);
        return passed;
      });
    } else {
      waitingFor = ` (GET ${ready.url} → 200)`;
      child.once('spawn', () => {
        void untilAnswered(ready.url, () => settled).then((answered) => answered && resolve(undefined));
      });
    }
    child.once('error', (error) => reject(new Error(`${name} could not start: ${error.message}`)));
    // 'close', not 'exit': the last lines (often the reason) are read by then.
    child.once('close', (code, signal) =>
      reject(
        new Error(`${name} exited (${signal ?? `code ${code}`}) before it was ready:\n${output.recent()}`),
      ),
    );
    timer = setTimeout(
      () =>
        reject(new Error(`${name} was not ready${waitingFor} after ${timeoutMs} ms:\n${output.recent()}`)),
      timeoutMs,
    );
  }).finally(() => {
    settled = true;
    clearTimeout(timer);
  });
}

/** Polls `url` until it answers 200 (true) or `givenUp()` says the wait is over (false). */
async function untilAnswered(url: string, givenUp: () => boolean): Promise<boolean> {
  while (!givenUp()) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
