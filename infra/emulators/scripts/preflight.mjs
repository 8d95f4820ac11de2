// The one prerequisite check. `npm test`, `npm run dev` and `npm run emulators` run it before anything is built,
// and the Go tools' build script asks it about Go; it names everything missing, and how to get it, in one line.
// Plain JavaScript: it has to work before `npm ci` and `npm run build`.
//   node infra/emulators/scripts/preflight.mjs test|dev|emulators
//   node infra/emulators/scripts/preflight.mjs build TOOL   (the build script: TOOL must be built now)
/* global process, URL */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const MIN_NODE = 20;
export const MIN_GO = [1, 26];
/** Where the browser tests launch Debian's chromium from (apps/web, e2e). */
export const CHROMIUM = '/usr/bin/chromium';

/** Every Go-built tool, where its workspace's `tools` script installs it (relative to the repository root). */
export const goTools = {
  'fake-gcs-server': 'infra/emulators/.tools/bin/fake-gcs-server',
  'pubsub-emulator': 'infra/emulators/.tools/bin/pubsub-emulator',
  'compose-check': 'infra/deploy/.tools/bin/compose-check',
};

const emulators = ['fake-gcs-server', 'pubsub-emulator'];

/** What each command needs: the npm install, the Go tools it runs, Chromium; and a way round a missing Go. */
export const commands = {
  test: { label: 'npm test', npm: true, tools: Object.keys(goTools), chromium: true },
  dev: { label: 'npm run dev', npm: true, tools: emulators, orElse: 'or use docker compose up' },
  emulators: { label: 'npm run emulators', npm: true, tools: emulators, orElse: 'or use docker compose up' },
};

/**
 * What the checks look at. Tests pass their own: another root (a checkout-shaped folder), Chromium path, Node
 * version or Go.
 * @param {Partial<Machine>} [overrides]
 * @returns {Machine}
 * @typedef {{ root: string, node: string, chromium: string, go: () => string | undefined }} Machine
 */
export function machine(overrides = {}) {
  return {
    root: fileURLToPath(new URL('../../../', import.meta.url)),
    node: process.versions.node,
    chromium: CHROMIUM,
    go: () => {
      const go = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
      return go.status === 0 ? go.stdout.trim() : undefined;
    },
    ...overrides,
  };
}

/**
 * The phrase for a missing or too old Go (undefined when Go will do), naming the tools it has to build, if given.
 * @param {string | undefined} version what `go env GOVERSION` printed; undefined: no Go
 * @param {string[]} [tools]
 */
export function goProblem(version, tools = []) {
  const wanted = `Go ${MIN_GO.join('.')} or newer is needed${tools.length > 0 ? ` to build ${list(tools)}` : ''}`;
  if (version === undefined) return `${wanted} (go.dev/dl)`;
  const found = /go(\d+)\.(\d+)/.exec(version);
  const [major, minor] = found ? [Number(found[1]), Number(found[2])] : [0, 0];
  if (major > MIN_GO[0] || (major === MIN_GO[0] && minor >= MIN_GO[1])) return undefined;
  return `${wanted} (found ${version}; go.dev/dl)`;
}

/**
 * Everything `command` lacks on `at`, as phrases in a fixed order (empty when all is there).
 * @param {keyof typeof commands} command
 * @param {Machine} at
 * @returns {string[]}
 */
export function missing(command, at) {
  const needs = commands[command];
  const problems = [];
  if (Number(at.node.split('.')[0]) < MIN_NODE)
    problems.push(
      `Node ${MIN_NODE} or newer is needed (this is ${at.node}; nodejs.org, or nvm install ${MIN_NODE})`,
    );
  if (needs.npm && !existsSync(resolve(at.root, 'node_modules/.bin/turbo')))
    problems.push('the npm packages are not installed (run npm ci)');
  const unbuilt = needs.tools.filter((tool) => !existsSync(resolve(at.root, goTools[tool])));
  const go = unbuilt.length > 0 ? goProblem(at.go(), unbuilt) : undefined;
  if (go) problems.push(needs.orElse ? `${go}; ${needs.orElse}` : go);
  if (needs.chromium && !executable(at.chromium))
    problems.push(`Chromium is needed for the browser tests (${at.chromium}; apt-get install chromium)`);
  return problems;
}

/**
 * The one line for `argv` (a command, or `build` and the tools that must be built now), or undefined when nothing
 * is missing.
 * @param {string[]} argv
 * @param {Machine} at
 * @returns {string | undefined}
 */
export function preflight(argv, at) {
  const [command = '', ...tools] = argv;
  if (command === 'build' && tools.length > 0) {
    const go = goProblem(at.go());
    return go && `${list(tools)}: cannot build: ${go}`;
  }
  if (!Object.hasOwn(commands, command) || tools.length > 0)
    return `usage: preflight.mjs ${Object.keys(commands).join('|')} | build TOOL…`;
  const problems = missing(command, at);
  return problems.length > 0 ? `${commands[command].label}: cannot start: ${problems.join('; ')}` : undefined;
}

/**
 * The command line: prints the one line and returns 1 when something is missing, else returns 0 silently.
 * @param {string[]} argv
 * @param {Partial<Machine>} [overrides]
 */
export function main(argv, overrides = {}) {
  const line = preflight(argv, machine(overrides));
  if (line === undefined) return 0;
  process.stderr.write(`${line}\n`);
  return 1;
}

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function list(names) {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** Run as a script (not imported): the file node was given is this one. */
const invoked = process.argv[1] ? resolve(process.argv[1]) : '';
if (existsSync(invoked) && pathToFileURL(realpathSync(invoked)).href === import.meta.url) {
  process.exitCode = main(process.argv.slice(2));
}
