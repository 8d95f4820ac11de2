// What the CLI tells the developer: lines on stdout (what runs where, the export lines, the URLs), and a problem as
// one line on stderr.
import { identities } from '../iam-policy.js';
import type { Stack } from '../stack.js';
import { host, type Settings } from './settings.js';

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function complain(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The names provisioned, the export lines for another shell, and one STORAGE_EMULATOR_HOST per identity. */
export function printStack(stack: Stack): void {
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
}

/** `npm run dev`'s URLs. */
export function printApps(settings: Settings): void {
  say(`web     http://${host}:${settings.webPort}`);
  say(`worker  http://${host}:${settings.workerPort}`);
  say(`metrics http://${host}:${settings.webPort}/metrics  http://${host}:${settings.workerPort}/metrics`);
  say(`events  npm run events   (in another shell: each ready / failed / removed event as one line)`);
}
