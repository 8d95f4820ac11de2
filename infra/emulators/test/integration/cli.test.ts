import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@thumbnailer/testkit';
import { freePort, pubsubClientFor, storageClientFor } from '../../src/index.js';

const workspace = fileURLToPath(new URL('../../', import.meta.url));
const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const fakeApp = fileURLToPath(new URL('fixtures/fake-app.mjs', import.meta.url));

interface RunningCli {
  child: ChildProcessByStdio<null, Readable, Readable>;
  lines: string[];
  stderr: () => string;
}

function runCli(args: string[]): RunningCli {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
    cwd: workspace,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return { child, lines, stderr: () => stderr };
}

async function exitOf(child: RunningCli['child']): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

async function refusesConnections(port: number): Promise<boolean> {
  const socket = connect(port, '127.0.0.1');
  try {
    await once(socket, 'connect');
    return false;
  } catch {
    return true;
  } finally {
    socket.destroy();
  }
}

async function untilReady(run: RunningCli): Promise<void> {
  await waitFor(() => run.lines.includes('Ctrl-C stops everything.') || run.child.exitCode !== null, {
    timeoutMs: 60_000,
    message: 'the CLI to say it is ready',
  });
  assert.equal(run.child.exitCode, null, `the CLI exited early:\n${run.lines.join('\n')}\n${run.stderr()}`);
}

/** The STORAGE_EMULATOR_HOST the CLI printed for each identity. */
function identityHosts(run: RunningCli): Record<string, string> {
  const hosts: Record<string, string> = {};
  for (const line of run.lines) {
    const match = /^ {2}(web|worker|backfill): +export STORAGE_EMULATOR_HOST=(http:\/\/localhost:\d+)$/.exec(
      line,
    );
    if (match) hosts[match[1]!] = match[2]!;
  }
  assert.deepEqual(Object.keys(hosts), ['web', 'worker', 'backfill'], run.lines.join('\n'));
  return hosts;
}

describe('the local stack CLI', () => {
  it('`emulators` provisions the local names on the ports it is given and stops both emulators on SIGTERM', async () => {
    const [storagePort, pubsubPort] = [await freePort(), await freePort()];
    const run = runCli([
      'emulators',
      '--storage-port',
      String(storagePort),
      '--pubsub-port',
      String(pubsubPort),
    ]);
    try {
      await untilReady(run);
      assert.ok(run.lines.includes(`  export PUBSUB_EMULATOR_HOST=localhost:${pubsubPort}`));
      assert.ok(run.lines.includes('  export GOOGLE_CLOUD_PROJECT=local-project'));
      assert.ok(!run.lines.includes(`  export STORAGE_EMULATOR_HOST=http://localhost:${storagePort}`));
      const hosts = identityHosts(run);
      assert.equal(new Set(Object.values(hosts)).size, 3, JSON.stringify(hosts));
      assert.ok(!Object.values(hosts).includes(`http://localhost:${storagePort}`));
      // The worker's proxy lists objects (objectViewer) but refuses to read the bucket (no storage.buckets.get).
      const asWorker = storageClientFor(hosts.worker ?? '', 'local-project').bucket('local-bucket');
      assert.deepEqual((await asWorker.getFiles())[0], []);
      await assert.rejects(asWorker.getMetadata(), (error: { code?: unknown }) => error.code === 403);

      const storage = storageClientFor(`http://localhost:${storagePort}`, 'local-project');
      const [exists] = await storage.bucket('local-bucket').exists();
      assert.equal(exists, true);
      const configs = (await (
        await fetch(`http://localhost:${storagePort}/storage/v1/b/local-bucket/notificationConfigs`)
      ).json()) as { items?: { topic: string; event_types: string[]; payload_format: string }[] };
      assert.deepEqual(
        configs.items?.map(({ topic, event_types, payload_format }) => ({
          topic,
          event_types,
          payload_format,
        })),
        [
          {
            topic: 'projects/local-project/topics/gcs-notifications',
            event_types: ['OBJECT_FINALIZE', 'OBJECT_DELETE'],
            payload_format: 'JSON_API_V1',
          },
        ],
      );
      const pubsub = pubsubClientFor(`localhost:${pubsubPort}`, 'local-project');
      try {
        const [subscription] = await pubsub.subscription('thumbnailer').getMetadata();
        assert.equal(subscription.topic, 'projects/local-project/topics/gcs-notifications');
        assert.equal(
          subscription.deadLetterPolicy?.deadLetterTopic,
          'projects/local-project/topics/gcs-notifications-dead-letter',
        );
        const [deadLetters] = await pubsub.subscription('thumbnailer-dead-letter').getMetadata();
        assert.equal(deadLetters.topic, 'projects/local-project/topics/gcs-notifications-dead-letter');

        // `events` tails the events subscription of the running stack, one line per event.
        const tail = runCli(['events', '--pubsub-port', String(pubsubPort)]);
        try {
          await waitFor(() => tail.stderr().includes('Ctrl-C stops'), {
            timeoutMs: 20_000,
            message: 'the events tail to start',
          });
          const attributes = {
            'ce-specversion': '1.0',
            'ce-type': 'dev.thumbnailer.renditions.v1.removed',
            'ce-id': 'local-bucket/a.png@1/dev.thumbnailer.renditions.v1.removed',
            'ce-time': '2025-12-03T15:00:00.000Z',
          };
          const data = {
            bucket: 'local-bucket',
            name: 'a.png',
            generation: '1',
            key: 'local-bucket/a.png@1',
            removed: [],
          };
          await pubsub.topic('thumbnailer-events').publishMessage({ json: data, attributes });
          const line = await waitFor(() => tail.lines.find((l) => l.includes('renditions.v1.removed')), {
            timeoutMs: 20_000,
            message: 'the event line',
          });
          assert.equal(
            line,
            `2025-12-03T15:00:00.000Z  dev.thumbnailer.renditions.v1.removed  ${attributes['ce-id']}  ${JSON.stringify(data)}`,
          );
          tail.child.kill('SIGTERM');
          assert.equal(await exitOf(tail.child), 0, tail.stderr());
        } finally {
          tail.child.kill('SIGKILL');
        }
      } finally {
        await pubsub.close();
      }

      run.child.kill('SIGTERM');
      assert.equal(await exitOf(run.child), 0);
      assert.equal(await refusesConnections(storagePort), true);
      assert.equal(await refusesConnections(pubsubPort), true);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('`dev` starts web and worker with the local settings, prefixes their lines, prints the URLs, and stops everything on SIGTERM', async () => {
    const ports = {
      storage: await freePort(),
      pubsub: await freePort(),
      web: await freePort(),
      worker: await freePort(),
    };
    const run = runCli([
      'dev',
      ...['--storage-port', String(ports.storage), '--pubsub-port', String(ports.pubsub)],
      ...['--web-port', String(ports.web), '--worker-port', String(ports.worker)],
      ...['--web-entry', fakeApp, '--worker-entry', fakeApp],
    ]);
    try {
      await untilReady(run);
      assert.ok(run.lines.includes(`web     http://localhost:${ports.web}`));
      assert.ok(run.lines.includes(`worker  http://localhost:${ports.worker}`));
      assert.ok(
        run.lines.includes(
          `metrics http://localhost:${ports.web}/metrics  http://localhost:${ports.worker}/metrics`,
        ),
      );
      assert.ok(
        run.lines.includes(`web     | INFO    listening {"port":${ports.web}}`),
        run.lines.join('\n'),
      );
      assert.ok(
        run.lines.includes(`worker  | INFO    listening {"port":${ports.worker}}`),
        run.lines.join('\n'),
      );

      const emulatorEnv = {
        GOOGLE_CLOUD_PROJECT: 'local-project',
        PUBSUB_EMULATOR_HOST: `localhost:${ports.pubsub}`,
      };
      // Each app reaches storage through its own identity's IAM proxy, never fake-gcs-server directly.
      const hosts = identityHosts(run);
      assert.deepEqual(await (await fetch(`http://localhost:${ports.web}/env`)).json(), {
        ...emulatorEnv,
        STORAGE_EMULATOR_HOST: hosts.web,
        PORT: String(ports.web),
        UPLOAD_BUCKET: 'local-bucket',
      });
      assert.deepEqual(await (await fetch(`http://localhost:${ports.worker}/env`)).json(), {
        ...emulatorEnv,
        STORAGE_EMULATOR_HOST: hosts.worker,
        PORT: String(ports.worker),
        BUCKETS: 'local-bucket',
        PUBSUB_SUBSCRIPTION: 'thumbnailer',
        EVENTS_TOPIC: 'thumbnailer-events',
      });
      assert.ok(
        run.lines.some((line) => line.startsWith('events  npm run events')),
        run.lines.join('\n'),
      );
      assert.notEqual(hosts.web, hosts.worker);

      run.child.kill('SIGTERM');
      assert.equal(await exitOf(run.child), 0);
      assert.ok(run.lines.includes('web     | INFO    stopping'));
      for (const port of Object.values(ports))
        assert.equal(await refusesConnections(port), true, `port ${port}`);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('`dev` names a missing app build in one line and starts nothing', async () => {
    const missing = fileURLToPath(new URL('fixtures/no-such-app.js', import.meta.url));
    const ports = [await freePort(), await freePort(), await freePort(), await freePort()].map(String);
    const run = runCli([
      'dev',
      ...[
        '--storage-port',
        ports[0]!,
        '--pubsub-port',
        ports[1]!,
        '--web-port',
        ports[2]!,
        '--worker-port',
        ports[3]!,
      ],
      ...['--web-entry', missing, '--worker-entry', fakeApp],
    ]);
    assert.equal(await exitOf(run.child), 1);
    const stderrLines = run.stderr().trim().split('\n');
    assert.deepEqual(stderrLines, [`npm run dev: cannot start: ${missing} is missing (run npm run build)`]);
    assert.deepEqual(run.lines, []);
  });

  it('refuses to start on a port that is taken and says which', async () => {
    const taken = createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    const address = taken.address();
    assert.ok(address && typeof address === 'object');
    try {
      const run = runCli([
        'emulators',
        '--storage-port',
        String(address.port),
        '--pubsub-port',
        String(await freePort()),
      ]);
      assert.equal(await exitOf(run.child), 1);
      assert.match(
        run.stderr(),
        new RegExp(`^npm run emulators: cannot start: port ${address.port} is in use\\n$`, 'm'),
      );
    } finally {
      taken.close();
    }
  });
});
