// `npm run dev`'s apps: web and worker from their built entries, each reaching storage only through its own
// identity's IAM proxy, up once their /healthz answers. An app that exits by itself stops everything.
import { dirname, resolve } from 'node:path';
import { prefixed } from '../log-lines.js';
import { startNodeApp } from '../node-app.js';
import type { Stack } from '../stack.js';
import { say } from './print.js';
import { host, type Settings } from './settings.js';
import type { Shutdown } from './shutdown.js';

export async function launchApps(stack: Stack, settings: Settings, shutdown: Shutdown): Promise<void> {
  const p = stack.provisioning;
  const launch = (name: 'web' | 'worker', entry: string, env: Record<string, string>, port: number) =>
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
  app: { name: string; entry: string; env: Record<string, string>; port: number },
  shutdown: Shutdown,
): Promise<void> {
  const child = await startNodeApp({
    name: app.name,
    entry: app.entry,
    cwd: resolve(dirname(app.entry), '..'),
    env: app.env,
    inherit: { from: process.env },
    detached: true,
    ready: { url: `http://${host}:${app.port}/healthz` },
    onLine: prefixed(app.name),
  });
  shutdown.started({ app: child });
  void child.exited.then(() => {
    if (shutdown.stopping()) return;
    say(`${app.name} exited; stopping everything`);
    void shutdown.finish(1);
  });
}
