// startNodeApp(): a Node entry (a built app, a job, or a .ts file under `--import tsx`) as a child process that never
// outlives this one: its JSON log lines parsed and its other output kept apart, both growing while it runs; ready
// once spawned, on a log message, or once a URL answers 200.
import { access } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseLogEntry } from './log-lines.js';
import { startProcess, type ManagedProcess } from './process.js';

/** One JSON log line (pino with Cloud Logging fields: `severity`, `message`, …). */
export type LogEntry = Record<string, unknown> & { message?: string; severity?: string };

export interface NodeApp extends ManagedProcess {
  /** Every line that is a JSON object, parsed, in order; grows while the app runs (poll it with waitFor). */
  readonly logs: LogEntry[];
  /** Every other non-empty line (plain text, warnings, stack traces), in order; grows while the app runs. */
  readonly text: string[];
}

export type NodeAppReadiness =
  /** A JSON log line whose `message` is this string, or matches this pattern. */
  | { message: string | RegExp }
  /** GET answers 200, e.g. `http://127.0.0.1:PORT/healthz`. */
  | { url: string };

export interface StartNodeAppOptions {
  /** Names the app in errors (default: the entry's file name). */
  name?: string;
  /** The script node runs, e.g. apps/worker/dist/main.js. */
  entry: string;
  /** Arguments after the entry. */
  args?: readonly string[];
  /** Flags for node itself, before the entry, e.g. ['--import', 'tsx']. */
  nodeFlags?: readonly string[];
  /** The app's environment: exactly this, on top of `inherit` when given. */
  env: Record<string, string>;
  /** A base under `env` (e.g. process.env), without the variables named in `without`. */
  inherit?: { from: NodeJS.ProcessEnv; without?: readonly string[] };
  cwd?: string;
  /** Unset: ready once spawned. */
  ready?: NodeAppReadiness;
  /** How long readiness may take (default 30 s); the error carries the app's recent output. */
  timeoutMs?: number;
  /** Every line as it comes (stdout and stderr), e.g. a prefixed console. */
  onLine?: (line: string) => void;
  /** Own process group, out of reach of a terminal's Ctrl-C (for the CLI). */
  detached?: boolean;
}

export async function startNodeApp(options: StartNodeAppOptions): Promise<NodeApp> {
  const { entry, args = [], nodeFlags = [], cwd, ready, timeoutMs, detached, onLine } = options;
  const name = options.name ?? basename(entry);
  await access(entry).catch((error: unknown) => {
    throw new Error(`${entry} is missing: run \`npx turbo run build\``, { cause: error });
  });
  const logs: LogEntry[] = [];
  const text: string[] = [];
  const { process: child } = await startProcess({
    name,
    command: process.execPath,
    args: [...nodeFlags, entry, ...args],
    env: environment(options),
    cwd,
    detached,
    timeoutMs,
    ready: ready && ('url' in ready ? ready : announces(ready.message)),
    onLine(line) {
      const entry = parseLogEntry(line);
      if (entry) logs.push(entry);
      else if (line.trim()) text.push(line);
      onLine?.(line);
    },
  });
  return { ...child, logs, text };
}

function environment({ env, inherit }: StartNodeAppOptions): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...inherit?.from };
  for (const variable of inherit?.without ?? []) delete base[variable];
  return { ...base, ...env };
}

/** A test of each line: a JSON log entry with this message. */
function announces(message: string | RegExp): (line: string) => boolean {
  return (line) => {
    const said = parseLogEntry(line)?.message;
    if (typeof said !== 'string') return false;
    return typeof message === 'string' ? said === message : message.test(said);
  };
}
