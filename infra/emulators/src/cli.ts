// `npm run emulators` and `npm run dev`: the local stack in the foreground; Ctrl-C stops what it started.
// `npm run events`: the events the running stack's worker publishes, one line each, until Ctrl-C.
//
//   node infra/emulators/dist/cli.js emulators [--storage-port 4443] [--pubsub-port 8085]
//   node infra/emulators/dist/cli.js dev [same] [--web-port 8080] [--worker-port 8081]
//                                        [--web-entry apps/web/dist/main.js] [--worker-entry apps/worker/dist/main.js]
//   node infra/emulators/dist/cli.js events [--pubsub-port 8085]   (PUBSUB_EMULATOR_HOST, when set, wins)
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PubSub } from '@google-cloud/pubsub';
import { tailEvents } from './events-tail.js';
import { prefixed } from './log-lines.js';
import { startProcess, type ManagedProcess } from './process.js';
import { localDefaults } from './provision.js';
import { identities } from './iam-policy.js';
import { startStack } from './stack.js';
import { ensureTools } from './tools.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const host = 'localhost';

const usage = `usage: cli.js emulators|dev|events [--storage-port N] [--pubsub-port N] [--web-port N] [--worker-port N] [--web-entry FILE] [--worker-entry FILE]`;

type Mode = 'emulators' | 'dev' | 'events';
const modes: readonly string[] = ['emulators', 'dev', 'events'] satisfies Mode[];
interface Settings {
  mode: Mode;
  storagePort: number;
  pubsubPort: number;
  webPort: number;
  workerPort: number;
  webEntry: string;
  workerEntry: string;
}

function readSettings(argv: string[]): Settings {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'storage-port': { type: 'string', default: '4443' },
      'pubsub-port': { type: 'string', default: '8085' },
      'web-port': { type: 'string', default: '8080' },
      'worker-port': { type: 'string', default: '8081' },
      'web-entry': { type: 'string', default: resolve(repoRoot, 'apps/web/dist/main.js') },
      'worker-entry': { type: 'string', default: resolve(repoRoot, 'apps/worker/dist/main.js') },
    },
  });
  const mode = positionals[0];
  if (mode === undefined || !modes.includes(mode) || positionals.length !== 1) throw new Error(usage);
  const port = (name: keyof typeof values): number => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < 1 || value > 65535)
      throw new Error(`--${name} must be a port number`);
    return value;
  };
  return {
    mode: mode as Mode,
    storagePort: port('storage-port'),
    pubsubPort: port('pubsub-port'),
    webPort: port('web-port'),
    workerPort: port('worker-port'),
    webEntry: resolve(String(values['web-entry'])),
    workerEntry: resolve(String(values['worker-entry'])),
  };
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
  });
}

/**
 * What only the CLI knows would stop the stack from starting (the apps it is told to run, the ports it is given),
 * as short phrases; empty when all is well. Node, the npm install and Go are scripts/preflight.mjs's, run first.
 */
async function missingPrerequisites(settings: Settings): Promise<string[]> {
  const problems: string[] = [];
  if (settings.mode === 'dev') {
    for (const entry of [settings.webEntry, settings.workerEntry]) {
      if (!existsSync(entry)) problems.push(`${entry} is missing (run npm run build)`);
    }
  }
  const ports = [settings.storagePort, settings.pubsubPort];
  if (settings.mode === 'dev') ports.push(settings.webPort, settings.workerPort);
  for (const port of ports) {
    if (!(await portIsFree(port))) problems.push(`port ${port} is in use`);
  }
  return problems;
}

async function waitForHealth(name: string, url: string, app: ManagedProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (!app.running()) throw new Error(`${name} exited before ${url} answered`);
    if (Date.now() >= deadline) throw new Error(`${name} did not answer ${url} within 30 s`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** `events`: tails the local events subscription of a stack started elsewhere (`npm run dev`). */
async function tail(settings: Settings): Promise<number> {
  process.env.PUBSUB_EMULATOR_HOST ||= `${host}:${settings.pubsubPort}`;
  const subscription = localDefaults.eventsSubscription ?? '';
  const pubsub = new PubSub({ projectId: process.env.GOOGLE_CLOUD_PROJECT || localDefaults.projectId });
  const controller = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => controller.abort());
  process.stderr.write(
    `events on ${localDefaults.eventsTopic} (subscription ${subscription}, ${process.env.PUBSUB_EMULATOR_HOST}); Ctrl-C stops\n`,
  );
  try {
    await tailEvents({
      pubsub,
      subscription,
      write: (line) => process.stdout.write(`${line}\n`),
      signal: controller.signal,
    });
    return 0;
  } catch (error) {
    process.stderr.write(
      `npm run events: cannot read ${subscription} (is npm run dev running?): ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  } finally {
    await pubsub.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const settings = readSettings(argv);
  if (settings.mode === 'events') return tail(settings);
  // Nothing here runs on Google Cloud: skip the auth library's metadata-server probe (and its warning),
  // for this process and the apps it starts.
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const say = (line: string): boolean => process.stdout.write(`${line}\n`);

  // Signal handlers come first: the harness then leaves signals to us, and we stop things in order.
  const apps: ManagedProcess[] = [];
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;
  let finishing: Promise<number> | undefined;
  let settle: (code: number) => void = () => undefined;
  const finished = new Promise<number>((done) => (settle = done));
  const finish = (code: number): Promise<number> =>
    (finishing ??= (async () => {
      await Promise.all(apps.map((app) => app.stop(10_000)));
      await stack?.stop();
      settle(code);
      return code;
    })());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (!finishing) say(`\n${signal}: stopping everything`);
      void finish(0);
    });
  }

  const problems = await missingPrerequisites(settings);
  if (problems.length > 0) {
    process.stderr.write(`npm run ${settings.mode}: cannot start: ${problems.join('; ')}\n`);
    return 1;
  }
  try {
    ensureTools();
  } catch (error) {
    process.stderr.write(
      `npm run ${settings.mode}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }

  try {
    // The worker started below inherits THUMBNAIL_PREFIX; its subscription filters the same folder out.
    const thumbnailPrefix = process.env.THUMBNAIL_PREFIX || localDefaults.thumbnailPrefix;
    stack = await startStack(
      { ...localDefaults, thumbnailPrefix },
      {
        storagePort: settings.storagePort,
        pubsubPort: settings.pubsubPort,
        advertisedHost: host,
        detached: true,
        onLog: (source, line) => (source === 'storage' ? storageLog(line) : pubsubLog(line)),
      },
    );
    if (finishing) return await finished;

    const p = stack.provisioning;
    say(
      `emulators ready: project ${p.projectId}, bucket ${p.bucket}, ${p.bucket} → topic ${p.topic} → subscription ${p.subscription}`,
    );
    say(
      `dead letters: after ${p.maxDeliveryAttempts} attempts → topic ${p.deadLetterTopic} → subscription ${p.deadLetterSubscription} (npm run replay-dead-letters)`,
    );
    say(`events: topic ${p.eventsTopic} → subscription ${p.eventsSubscription} (npm run events)`);
    say('export these to talk to them from another shell:');
    for (const [name, value] of Object.entries({ ...stack.env, UPLOAD_BUCKET: p.bucket }))
      say(`  export ${name}=${value}`);
    say(
      `storage as each app identity, with the permissions infra/terraform grants it (fake-gcs-server itself, ${stack.storageHost}, checks none):`,
    );
    for (const identity of identities)
      say(`  ${`${identity}:`.padEnd(9)} export STORAGE_EMULATOR_HOST=${stack.identities[identity].url}`);

    if (settings.mode === 'dev') {
      const running = stack;
      const launch = async (name: 'web' | 'worker', entry: string, env: NodeJS.ProcessEnv, port: number) => {
        const { process: app } = await startProcess({
          name,
          command: process.execPath,
          args: [entry],
          cwd: resolve(dirname(entry), '..'),
          // Each app reaches storage only through its own identity's IAM proxy.
          env: { ...process.env, ...running.envFor(name), ...env },
          detached: true,
          onLine: prefixed(name),
        });
        apps.push(app);
        void app.exited.then(() => {
          if (finishing) return;
          say(`${name} exited; stopping everything`);
          void finish(1);
        });
        await waitForHealth(name, `http://${host}:${port}/healthz`, app);
      };
      await Promise.all([
        launch(
          'web',
          settings.webEntry,
          { UPLOAD_BUCKET: p.bucket, PORT: String(settings.webPort) },
          settings.webPort,
        ),
        launch(
          'worker',
          settings.workerEntry,
          {
            BUCKETS: p.bucket,
            PUBSUB_SUBSCRIPTION: p.subscription,
            EVENTS_TOPIC: p.eventsTopic ?? '',
            PORT: String(settings.workerPort),
          },
          settings.workerPort,
        ),
      ]);
      if (finishing) return await finished;
      say(`web     http://${host}:${settings.webPort}`);
      say(`worker  http://${host}:${settings.workerPort}`);
      say(
        `metrics http://${host}:${settings.webPort}/metrics  http://${host}:${settings.workerPort}/metrics`,
      );
      say(`events  npm run events   (in another shell: each ready / failed / removed event as one line)`);
    }
    say('Ctrl-C stops everything.');
  } catch (error) {
    if (!finishing)
      process.stderr.write(
        `npm run ${settings.mode}: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    return finish(1);
  }
  return finished;
}

/** fake-gcs-server logs every request at INFO; the dev console keeps everything else. */
const accessLogLine = /msg="\S+ - - \[/;
const storageLines = prefixed('storage');
const storageLog = (line: string): void => {
  if (!accessLogLine.test(line)) storageLines(line);
};
const pubsubLog = prefixed('pubsub');

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
