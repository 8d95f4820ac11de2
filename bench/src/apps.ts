// The repo's built apps as the suites start them: `apps/<app>/dist/<script>` in production mode, with PATH, HOME
// and the suite's environment only, never outliving the bench (startNodeApp from @thumbnailer/emulators).
import { join } from 'node:path';
import { startNodeApp, type NodeApp, type StartNodeAppOptions } from '@thumbnailer/emulators';
import { BENCH_DIR } from './suite.js';

export function startBuiltApp(
  app: 'web' | 'worker',
  script: string,
  env: Record<string, string>,
  ready?: StartNodeAppOptions['ready'],
): Promise<NodeApp> {
  return startNodeApp({
    name: `${app} ${script}`,
    entry: join(BENCH_DIR, '..', 'apps', app, 'dist', script),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production', ...env },
    ready,
  });
}
