// startEmulators(): a private pstest Pub/Sub emulator and fake-gcs-server wired to it, on free ports.
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { freePort } from './ports.js';
import { startProcess, type ManagedProcess } from './process.js';
import { toolPath } from './tools.js';

export interface EmulatorSet {
  projectId: string;
  /**
   * 'http://127.0.0.1:PORT' — fake-gcs-server itself, which enforces no IAM: for the test's own admin client. Apps
   * get an identity's IAM proxy instead (startStack's envFor()).
   */
  storageHost: string;
  /** '127.0.0.1:PORT' — the value for PUBSUB_EMULATOR_HOST. */
  pubsubHost: string;
  /**
   * { PUBSUB_EMULATOR_HOST, GOOGLE_CLOUD_PROJECT, METADATA_SERVER_DETECTION: 'none' } for a child process. The last
   * is the auth library's own switch: off Google Cloud it skips the metadata-server probe that the Pub/Sub client's
   * universe-domain check would otherwise make (and warn about) at its first call. No STORAGE_EMULATOR_HOST: an app
   * started with this alone cannot reach storage around the IAM proxies (startStack's envFor() adds its identity's).
   */
  env: Record<string, string>;
  /** A Cloud Storage client pointed at this emulator (the same instance on every call). */
  storage(): Storage;
  /** A Pub/Sub client pointed at this emulator (the same instance on every call; closed by stop()). */
  pubsub(): PubSub;
  /** Stops both emulators (and closes the Pub/Sub client); safe to call more than once. */
  stop(): Promise<void>;
  /** Process ids of the two emulators (for tests that check nothing is left behind). */
  pids: { storage: number; pubsub: number };
}

export interface StartEmulatorsOptions {
  projectId?: string;
  /** Fixed ports; a free port is picked when unset. */
  storagePort?: number;
  pubsubPort?: number;
  /**
   * The host name written into storageHost/pubsubHost/env (default '127.0.0.1'). The emulators
   * always listen on 127.0.0.1; 'localhost' is what the contract's local defaults use.
   */
  advertisedHost?: string;
  /** Every line the emulators log, e.g. for a prefixed console. Dropped when unset. */
  onLog?: (source: 'storage' | 'pubsub', line: string) => void;
  /** How long each emulator may take to get ready (default 30 s). */
  readyTimeoutMs?: number;
  /** Start each emulator in its own process group, out of reach of a terminal's Ctrl-C (for the CLI). */
  detached?: boolean;
}

const listenHost = '127.0.0.1';

export async function startEmulators(options: StartEmulatorsOptions = {}): Promise<EmulatorSet> {
  const projectId = options.projectId ?? 'local-project';
  const advertisedHost = options.advertisedHost ?? listenHost;
  const timeoutMs = options.readyTimeoutMs ?? 30_000;

  // pstest first: fake-gcs-server needs it to publish bucket notifications.
  const pubsubEmulator = await startPstest(options, timeoutMs);
  const pubsubPort = pubsubEmulator.port;

  let storageEmulator: { process: ManagedProcess; port: number };
  try {
    storageEmulator = await startFakeGcsServer(`${listenHost}:${pubsubPort}`, options, timeoutMs);
  } catch (error) {
    await pubsubEmulator.process.stop();
    throw error;
  }

  const storageHost = `http://${advertisedHost}:${storageEmulator.port}`;
  const pubsubHost = `${advertisedHost}:${pubsubPort}`;
  let storageClient: Storage | undefined;
  let pubsubClient: PubSub | undefined;
  let stopping: Promise<void> | undefined;

  return {
    projectId,
    storageHost,
    pubsubHost,
    pids: { storage: storageEmulator.process.pid, pubsub: pubsubEmulator.process.pid },
    env: {
      PUBSUB_EMULATOR_HOST: pubsubHost,
      GOOGLE_CLOUD_PROJECT: projectId,
      METADATA_SERVER_DETECTION: 'none',
    },
    storage: () => (storageClient ??= storageClientFor(storageHost, projectId)),
    pubsub: () => (pubsubClient ??= pubsubClientFor(pubsubHost, projectId)),
    stop: () =>
      (stopping ??= (async () => {
        // A client stuck on a broken channel must not keep the emulators alive: give it 5 s.
        if (pubsubClient) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            pubsubClient.close().catch(() => undefined),
            new Promise((resolve) => (timer = setTimeout(resolve, 5_000))),
          ]);
          clearTimeout(timer);
        }
        await Promise.all([storageEmulator.process.stop(), pubsubEmulator.process.stop()]);
      })()),
  };
}

/**
 * A Storage client on apiEndpoint (no authentication with a custom endpoint). The client lets an
 * inherited STORAGE_EMULATOR_HOST override apiEndpoint, so it is hidden while the client is built.
 */
export function storageClientFor(storageHost: string, projectId: string): Storage {
  const inherited = process.env.STORAGE_EMULATOR_HOST;
  delete process.env.STORAGE_EMULATOR_HOST;
  try {
    return new Storage({ projectId, apiEndpoint: storageHost });
  } finally {
    if (inherited !== undefined) process.env.STORAGE_EMULATOR_HOST = inherited;
  }
}

/** pstest on the given port, or the one it picks (read from its ready line). */
async function startPstest(
  options: StartEmulatorsOptions,
  timeoutMs: number,
): Promise<{ process: ManagedProcess; port: number }> {
  const { process: child, match } = await startProcess({
    name: 'pubsub-emulator',
    command: toolPath('pubsub-emulator'),
    args: ['-host', listenHost, '-port', String(options.pubsubPort ?? 0)],
    ready: /pubsub-emulator ready on \S+:(\d+)$/,
    detached: options.detached ?? false,
    timeoutMs,
    onLine: options.onLog && ((line) => options.onLog?.('pubsub', line)),
  });
  return { process: child, port: Number(match?.[1]) };
}

async function startFakeGcsServer(
  pubsubAddress: string,
  options: StartEmulatorsOptions,
  timeoutMs: number,
): Promise<{ process: ManagedProcess; port: number }> {
  // A free port can be taken by someone else before fake-gcs-server binds it: try a few.
  const attempts = options.storagePort === undefined ? 5 : 1;
  for (let attempt = 1; ; attempt++) {
    const port = options.storagePort ?? (await freePort());
    const advertised = `http://${options.advertisedHost ?? listenHost}:${port}`;
    try {
      const { process: child } = await startProcess({
        name: 'fake-gcs-server',
        command: toolPath('fake-gcs-server'),
        args: [
          '-backend',
          'memory',
          '-scheme',
          'http',
          '-host',
          listenHost,
          '-port',
          String(port),
          '-external-url',
          advertised,
        ],
        env: { ...process.env, PUBSUB_EMULATOR_HOST: pubsubAddress },
        ready: /server started at/,
        detached: options.detached ?? false,
        timeoutMs,
        onLine: options.onLog && ((line) => options.onLog?.('storage', line)),
      });
      try {
        await waitForStorage(`http://${listenHost}:${port}`, child, timeoutMs);
      } catch (error) {
        await child.stop();
        throw error;
      }
      return { process: child, port };
    } catch (error) {
      const busy = error instanceof Error && error.message.includes('address already in use');
      if (!busy || attempt >= attempts) throw error;
    }
  }
}

/** Polls the JSON API until it answers, so that the first client request never races the server. */
async function waitForStorage(base: string, child: ManagedProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`${base}/storage/v1/b`, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // not accepting connections yet
    }
    if (!child.running()) throw new Error(`fake-gcs-server exited:\n${child.recentOutput()}`);
    if (Date.now() >= deadline)
      throw new Error(`fake-gcs-server did not answer at ${base} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A Pub/Sub client on the emulator at `pubsubHost`: emulatorMode keeps the plain-text channel, and universeDomain
 * given means the client's universe check does not ask the auth library for credentials (which probes for a
 * metadata server and warns) in the test's own process.
 */
export function pubsubClientFor(pubsubHost: string, projectId: string): PubSub {
  return new PubSub({
    projectId,
    apiEndpoint: pubsubHost,
    emulatorMode: true,
    universeDomain: 'googleapis.com',
  });
}
