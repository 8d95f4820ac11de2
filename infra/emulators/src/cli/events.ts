// `npm run events`: tails the local events subscription of a stack started elsewhere (`npm run dev`) until a
// signal; PUBSUB_EMULATOR_HOST, when set, wins over --pubsub-port.
import { PubSub } from '@google-cloud/pubsub';
import { tailEvents } from '../events-tail.js';
import { localDefaults } from '../provision.js';
import { complain, messageOf } from './print.js';
import { host, type Settings } from './settings.js';

/** The exit code: 0 after a signal, 1 when the subscription cannot be read. */
export async function tail(settings: Settings): Promise<number> {
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
    complain(`npm run events: cannot read ${subscription} (is npm run dev running?): ${messageOf(error)}`);
    return 1;
  } finally {
    await pubsub.close();
  }
}
