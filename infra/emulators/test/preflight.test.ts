import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { goProblem, goTools, machine, preflight } from '../scripts/preflight.mjs';
import { toolPath } from '../src/tools.js';

const script = fileURLToPath(new URL('../scripts/preflight.mjs', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

const folders: string[] = [];
after(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'preflight-'));
  folders.push(dir);
  return dir;
}

function touch(path: string, mode = 0o644): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '');
  chmodSync(path, mode);
  return path;
}

interface Checkout {
  npmInstalled?: boolean;
  /** The Go-built tools present (default: all of them). */
  built?: (keyof typeof goTools)[];
  /** What `go env GOVERSION` prints; undefined: no Go. */
  go?: string;
  /** default: an executable file */
  chromium?: 'executable' | 'not executable' | 'absent';
  node?: string;
}

/** A checkout-shaped folder and a machine view of it: only what the case names is there. */
function machineWith(checkout: Checkout) {
  const root = tempDir();
  if (checkout.npmInstalled ?? true) touch(join(root, 'node_modules/.bin/turbo'), 0o755);
  for (const tool of checkout.built ?? (Object.keys(goTools) as (keyof typeof goTools)[]))
    touch(join(root, goTools[tool]), 0o755);
  const chromium = join(root, 'usr/bin/chromium');
  const state = checkout.chromium ?? 'executable';
  if (state !== 'absent') touch(chromium, state === 'executable' ? 0o755 : 0o644);
  return machine({ root, chromium, node: checkout.node ?? '20.19.0', go: () => checkout.go });
}

const chromiumAt = (at: { chromium: string }) => `(${at.chromium}; apt-get install chromium)`;

describe('the preflight of npm test, npm run dev and npm run emulators', () => {
  const cases: [string, string[], Checkout, (at: { chromium: string }) => string | undefined][] = [
    ['npm test says nothing when all is there', ['test'], { go: 'go1.26.0' }, () => undefined],
    [
      'npm test names a missing Chromium and how to get it',
      ['test'],
      { go: 'go1.26.0', chromium: 'absent' },
      (at) => `npm test: cannot start: Chromium is needed for the browser tests ${chromiumAt(at)}`,
    ],
    [
      'npm test takes a Chromium that is not executable as missing',
      ['test'],
      { go: 'go1.26.0', chromium: 'not executable' },
      (at) => `npm test: cannot start: Chromium is needed for the browser tests ${chromiumAt(at)}`,
    ],
    ['npm test needs no Go once every Go-built tool is built', ['test'], {}, () => undefined],
    [
      'npm test needs Go for compose-check alone when only it is missing',
      ['test'],
      { built: ['fake-gcs-server', 'pubsub-emulator'] },
      () => 'npm test: cannot start: Go 1.26 or newer is needed to build compose-check (go.dev/dl)',
    ],
    [
      'npm test names a Go that is too old, with its version, and every tool still to build',
      ['test'],
      { built: [], go: 'go1.22.5' },
      () =>
        'npm test: cannot start: Go 1.26 or newer is needed to build fake-gcs-server, pubsub-emulator and ' +
        'compose-check (found go1.22.5; go.dev/dl)',
    ],
    [
      'npm test names everything missing in one line, in the order they are needed',
      ['test'],
      { node: '18.20.4', npmInstalled: false, built: ['compose-check'], chromium: 'absent' },
      (at) =>
        'npm test: cannot start: Node 20 or newer is needed (this is 18.20.4; nodejs.org, or nvm install 20); ' +
        'the npm packages are not installed (run npm ci); ' +
        'Go 1.26 or newer is needed to build fake-gcs-server and pubsub-emulator (go.dev/dl); ' +
        `Chromium is needed for the browser tests ${chromiumAt(at)}`,
    ],
    [
      'npm run dev needs neither Chromium nor compose-check',
      ['dev'],
      { built: ['fake-gcs-server', 'pubsub-emulator'], chromium: 'absent' },
      () => undefined,
    ],
    [
      'npm run dev names a missing Go and the docker compose way out',
      ['dev'],
      { built: ['pubsub-emulator'] },
      () =>
        'npm run dev: cannot start: Go 1.26 or newer is needed to build fake-gcs-server (go.dev/dl); ' +
        'or use docker compose up',
    ],
    [
      'npm run dev lets the build run when Go will build the emulators',
      ['dev'],
      { built: [], go: 'go1.26.8' },
      () => undefined,
    ],
    [
      'npm run emulators names the command it guards',
      ['emulators'],
      { npmInstalled: false },
      () => 'npm run emulators: cannot start: the npm packages are not installed (run npm ci)',
    ],
    [
      'a build names the tool it cannot build without Go',
      ['build', 'compose-check'],
      { go: 'go1.25.3' },
      () => 'compose-check: cannot build: Go 1.26 or newer is needed (found go1.25.3; go.dev/dl)',
    ],
    ['a build says nothing when Go will do', ['build', 'compose-check'], { go: 'go1.26.0' }, () => undefined],
    [
      'anything else gets the usage line',
      ['tset'],
      {},
      () => 'usage: preflight.mjs test|dev|emulators | build TOOL…',
    ],
  ];
  for (const [behaviour, argv, checkout, line] of cases) {
    it(behaviour, () => {
      const at = machineWith(checkout);
      assert.equal(preflight(argv, at), line(at));
    });
  }

  it('compares Go versions as numbers, and takes release candidates and newer majors', () => {
    const cases: [string | undefined, boolean][] = [
      ['go1.26.0', true],
      ['go1.26rc1', true],
      ['go1.27.2', true],
      ['go2.0.0', true],
      ['devel go1.27-3c1bd4e', true],
      ['go1.25.9', false],
      ['go1.3', false],
      ['gccgo', false],
      [undefined, false],
    ];
    for (const [version, enough] of cases) {
      assert.equal(goProblem(version) === undefined, enough, String(version));
    }
  });

  it('knows the emulators, where their tools script puts them', () => {
    // This workspace's tests run after its build and so after its tools script. (infra/deploy's compose-check
    // test finds its binary through the same table.)
    const workspace = 'infra/emulators/.tools/bin';
    const built = readdirSync(join(repoRoot, workspace)).map((tool) => `${workspace}/${tool}`);
    const listed = Object.values(goTools).filter((path) => path.startsWith(`${workspace}/`));
    assert.deepEqual(built.sort(), listed.sort());
    for (const tool of ['fake-gcs-server', 'pubsub-emulator'] as const) {
      assert.equal(toolPath(tool), resolve(repoRoot, goTools[tool]));
    }
  });
});

describe('preflight.mjs as a command', () => {
  /** Runs the script's main in a child process, as npm would, with the checked paths replaced. */
  function run(argv: string[], overrides: Record<string, string>, path = process.env.PATH) {
    const code = `import { main } from ${JSON.stringify(pathToFileURL(script).href)};
      process.exitCode = main(process.argv.slice(1), ${JSON.stringify(overrides)});`;
    return spawnSync(process.execPath, ['--input-type=module', '-e', code, ...argv], {
      cwd: repoRoot,
      env: { PATH: path },
      encoding: 'utf8',
    });
  }

  it('npm test stops in one line on a machine without Chromium, before anything runs', () => {
    const { scripts } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const preflightFirst = /^node infra\/emulators\/scripts\/preflight\.mjs (\w+) && /.exec(
      scripts.test ?? '',
    );
    assert.ok(preflightFirst?.[1], `npm test starts with the preflight: ${scripts.test}`);
    // This repository as it is (npm installed, tools built), but no browser where the tests look for it.
    const chromium = join(tempDir(), 'usr/bin/chromium');
    const result = run([preflightFirst[1]], { chromium });
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      `npm test: cannot start: Chromium is needed for the browser tests (${chromium}; apt-get install chromium)\n`,
    );
  });

  it('asks the go on PATH for its version', () => {
    const bin = tempDir();
    writeFileSync(join(bin, 'go'), '#!/bin/sh\necho go1.22.5\n');
    chmodSync(join(bin, 'go'), 0o755);
    const result = run(['dev'], { root: tempDir() }, bin);
    assert.equal(result.status, 1);
    assert.equal(
      result.stderr,
      'npm run dev: cannot start: the npm packages are not installed (run npm ci); ' +
        'Go 1.26 or newer is needed to build fake-gcs-server and pubsub-emulator (found go1.22.5; go.dev/dl); ' +
        'or use docker compose up\n',
    );
  });

  it('exits 0 and prints nothing here, where npm test is running', () => {
    const result = spawnSync(process.execPath, [script, 'test'], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(result.stderr, '');
    assert.equal(result.status, 0);
  });
});
