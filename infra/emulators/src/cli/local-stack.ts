// The stack the CLI runs: the contract's local names on the given ports, advertised as localhost, each emulator in
// its own process group (Ctrl-C reaches only the CLI, which stops them in order), their lines on the console.
import { localDefaults } from '../provision.js';
import { prefixed } from '../log-lines.js';
import { startStack, type Stack } from '../stack.js';
import { host, type Settings } from './settings.js';

export function startLocalStack(settings: Settings): Promise<Stack> {
  // The worker started below inherits THUMBNAIL_PREFIX; its subscription filters the same folder out.
  const thumbnailPrefix = process.env.THUMBNAIL_PREFIX || localDefaults.thumbnailPrefix;
  return startStack(
    { ...localDefaults, thumbnailPrefix },
    {
      storagePort: settings.storagePort,
      pubsubPort: settings.pubsubPort,
      advertisedHost: host,
      detached: true,
      onLog: (source, line) => (source === 'storage' ? storageLog(line) : pubsubLog(line)),
    },
  );
}

/** fake-gcs-server logs every request at INFO; the dev console keeps everything else. */
const accessLogLine = /msg="\S+ - - \[/;
const storageLines = prefixed('storage');
const storageLog = (line: string): void => {
  if (!accessLogLine.test(line)) storageLines(line);
};
const pubsubLog = prefixed('pubsub');
