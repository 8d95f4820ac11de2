// `npm run dev`'s apps: web and worker from their built entries, each reaching storage only through its own
// identity's IAM proxy, up once their /healthz answers. An app that exits by itself stops everything.
import { dirname, resolve } from 'node:path';
import { prefixed } from '../log-lines.js';
import { startProcess, type ManagedProcess } from '../process.js';
import type { Stack } from '../stack.js';
import { say } from './print.js';
import { host, type Settings } from './settings.js';
import type { Shutdown } from './shutdown.js';

export async function launchApps(stack: Stack, settings: Settings, shutdown: Shutdown): Promise<void> {
  const p = stack.provisioning;
  const launch = (name: 'web' | 'worker', entry: string, env: NodeJS.ProcessEnv, port: number) =>
    launchApp({ name, entry, env: { ...stack.envFor(name), ...env }, port }, shutdown);
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
}

/** `env`: what the app gets on top of this process's environment. */
async function launchApp(
  app: { name: string; entry: string; env: NodeJS.ProcessEnv; port: number },
  shutdown: Shutdown,
): Promise<void> {
  const { process: child } = await startProcess({
    name: app.name,
    command: process.execPath,
    args: [app.entry],
    cwd: resolve(dirname(app.entry), '..'),
    env: { ...process.env, ...app.env },
    detached: true,
    onLine: prefixed(app.name),
  });
  shutdown.started({ app: child });
  void child.exited.then(() => {
    if (shutdown.stopping()) return;
    say(`${app.name} exited; stopping everything`);
    void shutdown.finish(1);
  });
  await waitForHealth(app.name, `http://${host}:${app.port}/healthz`, child);
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
