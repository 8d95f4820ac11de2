// Runs first in `npm run dev` and `npm run emulators`, before anything is built, and names everything that is
// missing in one line. Plain JavaScript: it has to work before `npm ci` and `npm run build`.
//   node infra/emulators/scripts/preflight.mjs dev|emulators
/* global process, URL */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const MIN_NODE = 20;
const MIN_GO = [1, 26];

const mode = process.argv[2] === 'dev' ? 'dev' : 'emulators';
const problems = [];

const nodeMajor = Number(process.versions.node.split('.')[0]);
if (nodeMajor < MIN_NODE)
  problems.push(`Node ${MIN_NODE} or newer is needed (this is ${process.versions.node})`);

if (!existsSync(new URL('../../../node_modules/.bin/turbo', import.meta.url))) {
  problems.push('the npm packages are not installed (run npm ci)');
}

const built = ['fake-gcs-server', 'pubsub-emulator'].every((tool) =>
  existsSync(new URL(`../.tools/bin/${tool}`, import.meta.url)),
);
if (!built) {
  const go = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  const version = go.status === 0 ? /^go(\d+)\.(\d+)/.exec(go.stdout.trim()) : null;
  const wanted = `Go ${MIN_GO.join('.')} or newer is needed to build the emulators`;
  if (!version) {
    problems.push(`${wanted}; or use docker compose up`);
  } else if (Number(version[1]) * 1000 + Number(version[2]) < MIN_GO[0] * 1000 + MIN_GO[1]) {
    problems.push(`${wanted} (found ${go.stdout.trim()}); or use docker compose up`);
  }
}

if (problems.length > 0) {
  process.stderr.write(`npm run ${mode}: cannot start: ${problems.join('; ')}\n`);
  process.exitCode = 1;
}
