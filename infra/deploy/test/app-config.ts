/**
 * What each app reads from its environment, found by running its own loadConfig (apps/<app>/src/config.ts)
 * against an environment object that records every name asked for. The worker's dead-letter replay job has a loader
 * of its own beside it (loadReplayConfig: the worker's configuration plus DEAD_LETTER_SUBSCRIPTION).
 */
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { repoPath } from './repo.js';

export type AppName = 'web' | 'worker';
/**
 * A configuration loader: an app's loadConfig, or one of the worker's jobs' own — `backfill` (loadBackfillConfig)
 * and `replay` (loadReplayConfig).
 */
export type ConfigName = AppName | 'backfill' | 'replay';

const LOADERS: Readonly<Record<ConfigName, { app: AppName; name: string }>> = {
  web: { app: 'web', name: 'loadConfig' },
  worker: { app: 'worker', name: 'loadConfig' },
  backfill: { app: 'worker', name: 'loadBackfillConfig' },
  replay: { app: 'worker', name: 'loadReplayConfig' },
};
export type Env = Record<string, string | undefined>;
type LoadConfig = (env: Env) => unknown;

/**
 * Read by libraries rather than loadConfig: the client libraries' emulator switches, the auth library's
 * METADATA_SERVER_DETECTION (off Google Cloud: skip the metadata-server probe), and Express's NODE_ENV.
 */
export const LIBRARY_VARIABLES = new Set([
  'STORAGE_EMULATOR_HOST',
  'PUBSUB_EMULATOR_HOST',
  'METADATA_SERVER_DETECTION',
  'NODE_ENV',
]);

/** Set by Cloud Run itself; a deployment must not set them. */
export const CLOUD_RUN_VARIABLES = new Set([
  'PORT',
  'K_SERVICE',
  'K_REVISION',
  'K_CONFIGURATION',
  'CLOUD_RUN_JOB',
  'CLOUD_RUN_EXECUTION',
  'CLOUD_RUN_TASK_ATTEMPT',
]);

export async function loadConfigOf(config: ConfigName): Promise<LoadConfig> {
  const { app, name } = LOADERS[config];
  const url = pathToFileURL(repoPath('apps', app, 'src', 'config.ts')).href;
  const mod = (await import(url)) as Record<string, unknown>;
  assert.equal(typeof mod[name], 'function', `apps/${app}/src/config.ts exports ${name}`);
  return mod[name] as LoadConfig;
}

/** Calls loadConfig(env) and returns the variable names it looked at (throws what loadConfig throws). */
export function variablesRead(loadConfig: LoadConfig, env: Env = {}): Set<string> {
  const read = new Set<string>();
  const note = (key: string | symbol): void => {
    if (typeof key === 'string' && /^[A-Z][A-Z0-9_]*$/.test(key)) read.add(key);
  };
  const recorder = new Proxy<Env>(
    { ...env },
    {
      get(target, key, receiver) {
        note(key);
        return Reflect.get(target, key, receiver) as unknown;
      },
      has(target, key) {
        note(key);
        return Reflect.has(target, key);
      },
      getOwnPropertyDescriptor(target, key) {
        note(key);
        return Reflect.getOwnPropertyDescriptor(target, key);
      },
    },
  );
  loadConfig(recorder);
  return read;
}

/** The least each app needs to start: the worker must be told which bucket it serves. */
export const MINIMAL_ENV: Readonly<Record<ConfigName, Env>> = {
  web: {},
  worker: { UPLOAD_BUCKET: 'local-bucket' },
  backfill: { UPLOAD_BUCKET: 'local-bucket', INPUT_FOLDER: 'gs://local-bucket/' },
  replay: { UPLOAD_BUCKET: 'local-bucket' },
};

/** Everything the loader reads, with its minimal environment and with `env`. */
export async function variablesOf(config: ConfigName, env: Env = {}): Promise<Set<string>> {
  const loadConfig = await loadConfigOf(config);
  return new Set([
    ...variablesRead(loadConfig, MINIMAL_ENV[config]),
    ...variablesRead(loadConfig, { ...MINIMAL_ENV[config], ...env }),
  ]);
}
