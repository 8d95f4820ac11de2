// Stopping, once and in order, on SIGINT/SIGTERM/SIGHUP, an app's exit or a failure: the apps first (10 s each to
// finish), then the stack; `finished` then settles with the exit code.
import type { ManagedProcess } from '../process.js';
import type { Stack } from '../stack.js';
import { say } from './print.js';

export interface Shutdown {
  /** Starts stopping everything (once; later calls get the first one's code). */
  finish(code: number): Promise<number>;
  /** Settles with the exit code once everything is stopped. */
  readonly finished: Promise<number>;
  /** True once a signal, an app's exit or a failure has started the shutdown. */
  stopping(): boolean;
  /** What to stop: the stack, once started, and each app. */
  started(what: { stack: Stack } | { app: ManagedProcess }): void;
}

/** Installed first, so that the process harness leaves signals to the CLI (process.ts). */
export function stopOnSignals(): Shutdown {
  const apps: ManagedProcess[] = [];
  let stack: Stack | undefined;
  let finishing: Promise<number> | undefined;
  let settle: (code: number) => void = () => undefined;
  const finished = new Promise<number>((done) => (settle = done));
  const finish = (code: number): Promise<number> =>
    (finishing ??= (async () => {
      await Promise.all(apps.map((app) => app.stop('SIGTERM', 10_000)));
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
  return {
    finish,
    finished,
    stopping: () => finishing !== undefined,
    started(what) {
      if ('stack' in what) stack = what.stack;
      else apps.push(what.app);
    },
  };
}
