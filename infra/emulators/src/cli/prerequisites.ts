// What would stop the stack from starting that only the CLI knows (the apps it is told to run, the ports it is
// given), then the emulator binaries, built when missing. Node, the npm install and Go are scripts/preflight.mjs's.
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { ensureTools } from '../tools.js';
import { messageOf } from './print.js';
import type { Settings } from './settings.js';

/** The one line that says why the stack cannot start, or undefined when it can. */
export async function prerequisitesProblem(settings: Settings): Promise<string | undefined> {
  const problems = await missingPrerequisites(settings);
  if (problems.length > 0) return `npm run ${settings.mode}: cannot start: ${problems.join('; ')}`;
  try {
    ensureTools();
  } catch (error) {
    return `npm run ${settings.mode}: ${messageOf(error)}`;
  }
  return undefined;
}

/** As short phrases; empty when all is well. */
async function missingPrerequisites(settings: Settings): Promise<string[]> {
  const problems: string[] = [];
  if (settings.mode === 'dev') {
    for (const entry of [settings.webEntry, settings.workerEntry]) {
      if (!existsSync(entry)) problems.push(`${entry} is missing (run npm run build)`);
    }
  }
  const ports = [settings.storagePort, settings.pubsubPort];
  if (settings.mode === 'dev') ports.push(settings.webPort, settings.workerPort);
  for (const port of ports) {
    if (!(await portIsFree(port))) problems.push(`port ${port} is in use`);
  }
  return problems;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
  });
}
