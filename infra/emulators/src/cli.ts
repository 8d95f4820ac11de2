// `npm run emulators` and `npm run dev`: the local stack in the foreground; Ctrl-C stops what it started.
// `npm run events`: the events the running stack's worker publishes, one line each, until Ctrl-C.
//
//   node infra/emulators/dist/cli.js emulators [--storage-port 4443] [--pubsub-port 8085]
//   node infra/emulators/dist/cli.js dev [same] [--web-port 8080] [--worker-port 8081]
//                                        [--web-entry apps/web/dist/main.js] [--worker-entry apps/worker/dist/main.js]
//   node infra/emulators/dist/cli.js events [--pubsub-port 8085]   (PUBSUB_EMULATOR_HOST, when set, wins)
//
// main() wires the parts in cli/, in the order they run: settings, shutdown, prerequisites, local-stack, apps, print.
import { launchApps } from './cli/apps.js';
import { tail } from './cli/events.js';
import { startLocalStack } from './cli/local-stack.js';
import { prerequisitesProblem } from './cli/prerequisites.js';
import { complain, messageOf, printApps, printStack, say } from './cli/print.js';
import { readSettings } from './cli/settings.js';
import { stopOnSignals } from './cli/shutdown.js';

async function main(argv: string[]): Promise<number> {
  const settings = readSettings(argv);
  if (settings.mode === 'events') return tail(settings);
  // Nothing here runs on Google Cloud: skip the auth library's metadata-server probe (and its warning),
  // for this process and the apps it starts.
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  // Signal handlers come first: the harness then leaves signals to us, and we stop things in order.
  const shutdown = stopOnSignals();
  const problem = await prerequisitesProblem(settings);
  if (problem !== undefined) {
    complain(problem);
    return 1;
  }
  try {
    const stack = await startLocalStack(settings);
    shutdown.started({ stack });
    if (shutdown.stopping()) return await shutdown.finished;
    printStack(stack);
    if (settings.mode === 'dev') {
      await launchApps(stack, settings, shutdown);
      if (shutdown.stopping()) return await shutdown.finished;
      printApps(settings);
    }
    say('Ctrl-C stops everything.');
  } catch (error) {
    if (!shutdown.stopping()) complain(`npm run ${settings.mode}: ${messageOf(error)}`);
    return shutdown.finish(1);
  }
  return shutdown.finished;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    complain(messageOf(error));
    process.exit(1);
  },
);
