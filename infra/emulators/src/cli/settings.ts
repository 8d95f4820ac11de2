// The CLI's settings: the mode, the ports and the app entries from the command line, each checked once.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/** The host name the CLI advertises, and reaches the apps on. */
export const host = 'localhost';

const usage = `usage: cli.js emulators|dev|events [--storage-port N] [--pubsub-port N] [--web-port N] [--worker-port N] [--web-entry FILE] [--worker-entry FILE]`;

export type Mode = 'emulators' | 'dev' | 'events';
const modes: readonly string[] = ['emulators', 'dev', 'events'] satisfies Mode[];

export interface Settings {
  mode: Mode;
  storagePort: number;
  pubsubPort: number;
  webPort: number;
  workerPort: number;
  webEntry: string;
  workerEntry: string;
}

/** Throws the usage line, or a line naming the flag that is not a port. */
export function readSettings(argv: string[]): Settings {
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
