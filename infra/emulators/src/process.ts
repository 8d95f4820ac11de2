// Child processes that announce readiness with a log line, and that never outlive this process.
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Settles when the process has exited, whatever the reason. */
  readonly exited: Promise<void>;
  running(): boolean;
  /** The last lines the process wrote (stdout and stderr), for error messages. */
  recentOutput(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartProcessOptions {
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** A line on stdout or stderr that means "ready"; its match is returned. Unset: ready once spawned. */
  ready?: RegExp;
  /** Working directory of the child (default: this process's). */
  cwd?: string;
  /**
   * Own process group: a terminal's Ctrl-C then reaches only this process, which stops the child
   * itself, in order (used by the CLI). Default false.
   */
  detached?: boolean;
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
    await managed.stop(1_000);
    throw error;
  }
}

/** Kept in `live` until it exits (or fails to spawn); the promise settles then. */
function track(child: ChildProcess): Promise<void> {
  live.add(child);
  return new Promise<void>((resolve) => {
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
    child.once('error', () => {
      live.delete(child);
      resolve();
    });
  });
}

interface Output {
  /** The last 40 lines (stdout and stderr). */
  recent(): string;
  /** Calls `found` with the match of the first line from now on that matches `pattern`. */
  watch(pattern: RegExp, found: (match: RegExpMatchArray) => void): void;
}

/** Each line of stdout and stderr: to `onLine`, to the recent lines, and to a watch for the ready line. */
function captureOutput(
  child: ChildProcessByStdio<null, Readable, Readable>,
  onLine: ((line: string) => void) | undefined,
): Output {
  const lines: string[] = [];
  let watcher: ((line: string) => void) | undefined;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      lines.push(line);
      if (lines.length > 40) lines.shift();
      onLine?.(line);
      watcher?.(line);
    });
  }
  return {
    recent: () => lines.join('\n'),
    watch(pattern, found) {
      watcher = (line) => {
        const match = line.match(pattern);
        if (!match) return;
        watcher = undefined;
        found(match);
      };
    },
  };
}

function manage(name: string, child: ChildProcess, exited: Promise<void>, output: Output): ManagedProcess {
  let stopping: Promise<void> | undefined;
  const managed: ManagedProcess = {
    name,
    pid: child.pid ?? -1,
    exited,
    running: () => child.exitCode === null && child.signalCode === null && live.has(child),
    recentOutput: () => output.recent(),
    stop(graceMs = 5_000) {
      stopping ??= (async () => {
        if (!managed.running()) return exited;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
  return managed;
}

/** The ready line's match (undefined without `ready`: once spawned); rejects on an exit, an error or the timeout. */
function untilReady(
  child: ChildProcess,
  name: string,
  ready: RegExp | undefined,
  timeoutMs: number,
  output: Output,
): Promise<RegExpMatchArray | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return new Promise<RegExpMatchArray | undefined>((resolve, reject) => {
    if (ready) output.watch(ready, resolve);
    else child.once('spawn', () => resolve(undefined));
    child.once('error', (error) => reject(new Error(`${name} could not start: ${error.message}`)));
    child.once('exit', (code, signal) =>
      reject(
        new Error(`${name} exited (${signal ?? `code ${code}`}) before it was ready:\n${output.recent()}`),
      ),
    );
    timer = setTimeout(
      () => reject(new Error(`${name} was not ready after ${timeoutMs} ms:\n${output.recent()}`)),
      timeoutMs,
    );
  }).finally(() => clearTimeout(timer));
}
