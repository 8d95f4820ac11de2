/**
 * The built apps (`apps/web/dist/main.js`, `apps/worker/dist/main.js`) as child processes, exactly as
 * `npm start` runs them: configured only by environment variables, ready once GET /healthz answers 200.
 */
import { fileURLToPath } from 'node:url';
import { startNodeApp } from '@thumbnailer/emulators';

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
  const base = `http://127.0.0.1:${port}`;
  const lines: string[] = [];
  const child = await startNodeApp({
    name,
    entry: entryPoint(name),
    cwd: REPO_ROOT,
    env: { NODE_ENV: 'production', ...env },
    inherit: { from: inherit, without: CONTRACT_VARIABLES },
    ready: { url: `${base}/healthz` },
    timeoutMs: readyTimeoutMs,
    onLine: (line) => lines.push(`[${name}] ${line}`),
  });
  void child.exited.then(({ code, signal }) => lines.push(`[${name}] exited (${signal ?? `code ${code}`})`));
  return {
    name,
    base,
    pid: child.pid,
    output: () => lines.join('\n'),
    async stop(graceMs = 10_000) {
      await child.stop('SIGTERM', graceMs);
    },
  };
}
