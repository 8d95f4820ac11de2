/**
 * The built apps (`apps/web/dist/main.js`, `apps/worker/dist/main.js`) as child processes, exactly as
 * `npm start` runs them: configured only by environment variables, ready once GET /healthz answers 200.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { waitFor } from '@thumbnailer/testkit';

export type AppName = 'web' | 'worker';

export interface RunningApp {
  readonly name: AppName;
  /** 'http://127.0.0.1:PORT' */
  readonly base: string;
  readonly pid: number;
  /** Everything the process wrote (stdout and stderr), each line prefixed with `[name] `. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. Safe to call more than once. */
  stop(graceMs?: number): Promise<void>;
}

/** Variables of the contract that must come from the test, never from the shell that runs it. */
const CONTRACT_VARIABLES = [
  'UPLOAD_BUCKET',
  'SESSION_SECRET',
  'PORT',
  'MAX_UPLOAD_BYTES',
  'GOOGLE_CLOUD_PROJECT',
  'PUBSUB_SUBSCRIPTION',
  'THUMBNAIL_PREFIX',
  'THUMBNAIL_SIZE',
  'RENDITIONS',
  'MAX_CONCURRENCY',
  'INPUT_FOLDER',
  'CLOUD_RUN_TASK_INDEX',
  'CLOUD_RUN_TASK_COUNT',
  'STORAGE_EMULATOR_HOST',
  'PUBSUB_EMULATOR_HOST',
  'RATE_LIMIT_PER_MINUTE',
  'MAX_CONCURRENT_UPLOADS',
  'GALLERY',
  'TRUST_PROXY',
  'K_SERVICE',
  'BUCKETS',
  'EVENTS_TOPIC',
  'STORAGE_TIMEOUT_SECONDS',
  'DRY_RUN',
  'MAX_RATE',
  'PRUNE',
  'LOG_LEVEL',
];

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Path of an app's built entry point. */
export function entryPoint(name: AppName): string {
  return `${REPO_ROOT}apps/${name}/dist/main.js`;
}

export interface StartAppOptions {
  /**
   * The environment the child inherits (PATH, HOME, …), e.g. the test's `process.env`; the contract's
   * variables are removed from it, so only `env` configures the app. Default: none.
   */
  inherit?: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
}

/**
 * Starts `node apps/<name>/dist/main.js` with `env` on top of `inherit` (minus the contract's variables) and
 * waits until GET /healthz answers 200. `env.PORT` is required.
 */
export async function startApp(
  name: AppName,
  env: Record<string, string>,
  { inherit = {}, readyTimeoutMs = 20_000 }: StartAppOptions = {},
): Promise<RunningApp> {
  const port = env.PORT;
  if (!port) throw new Error(`startApp(${name}): env.PORT is required`);
  const entry = entryPoint(name);
  if (!existsSync(entry)) {
    throw new Error(`${entry} is missing: run \`npx turbo run build --filter=@thumbnailer/${name}\``);
  }

  const base: NodeJS.ProcessEnv = { ...inherit };
  for (const variable of CONTRACT_VARIABLES) delete base[variable];
  const child = spawn(process.execPath, [entry], {
    cwd: REPO_ROOT,
    env: { ...base, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) =>
      lines.push(`[${name}] ${line}`),
    );
  }
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      lines.push(`[${name}] exited (${signal ?? `code ${code}`})`);
      resolve();
    });
    child.once('error', (error) => {
      lines.push(`[${name}] could not start: ${error.message}`);
      resolve();
    });
  });
  const running = (): boolean => child.exitCode === null && child.signalCode === null;

  let stopping: Promise<void> | undefined;
  const app: RunningApp = {
    name,
    base: `http://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    output: () => lines.join('\n'),
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        if (!running()) return exited;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };

  try {
    await waitFor(
      async () => {
        if (!running()) throw new Error('the process exited');
        const response = await fetch(`${app.base}/healthz`);
        return response.status === 200;
      },
      { timeoutMs: readyTimeoutMs, intervalMs: 100, message: `${name} GET /healthz → 200` },
    );
  } catch (error) {
    await app.stop(1_000);
    throw new Error(`${name} did not become healthy:\n${app.output()}`, { cause: error });
  }
  return app;
}
