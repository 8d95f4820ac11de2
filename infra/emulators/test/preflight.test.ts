import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../scripts/preflight.mjs', import.meta.url));

interface Checkout {
  npmInstalled: boolean;
  emulatorsBuilt: boolean;
  /** What `go env GOVERSION` prints; undefined: no Go on PATH. */
  go?: string;
}

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A checkout-shaped folder with the preflight script, and a PATH holding only a fake `go` (or nothing). */
function preflight(checkout: Checkout, mode: 'dev' | 'emulators' = 'dev') {
  const root = mkdtempSync(join(tmpdir(), 'preflight-'));
  roots.push(root);
  const scripts = join(root, 'infra', 'emulators', 'scripts');
  mkdirSync(scripts, { recursive: true });
  copyFileSync(script, join(scripts, 'preflight.mjs'));
  if (checkout.npmInstalled) {
    mkdirSync(join(root, 'node_modules', '.bin'), { recursive: true });
    writeFileSync(join(root, 'node_modules', '.bin', 'turbo'), '');
  }
  if (checkout.emulatorsBuilt) {
    const bin = join(root, 'infra', 'emulators', '.tools', 'bin');
    mkdirSync(bin, { recursive: true });
    for (const tool of ['fake-gcs-server', 'pubsub-emulator']) writeFileSync(join(bin, tool), '');
  }
  const path = join(root, 'path');
  mkdirSync(path);
  if (checkout.go !== undefined) {
    writeFileSync(join(path, 'go'), `#!/bin/sh\necho ${checkout.go}\n`);
    chmodSync(join(path, 'go'), 0o755);
  }
  const result = spawnSync(process.execPath, [join(scripts, 'preflight.mjs'), mode], {
    env: { PATH: path },
    encoding: 'utf8',
  });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

describe('the dev/emulators preflight', () => {
  const cases: [string, Checkout, string | undefined][] = [
    [
      'says nothing and lets the build run when all is there',
      { npmInstalled: true, emulatorsBuilt: false, go: 'go1.26.0' },
      undefined,
    ],
    ['needs no Go once the emulators are built', { npmInstalled: true, emulatorsBuilt: true }, undefined],
    [
      'names a missing Go and the docker compose way out',
      { npmInstalled: true, emulatorsBuilt: false },
      'npm run dev: cannot start: Go 1.26 or newer is needed to build the emulators; or use docker compose up',
    ],
    [
      'names a Go that is too old, with its version',
      { npmInstalled: true, emulatorsBuilt: false, go: 'go1.22.5' },
      'npm run dev: cannot start: Go 1.26 or newer is needed to build the emulators (found go1.22.5); or use docker compose up',
    ],
    [
      'names everything missing in one line',
      { npmInstalled: false, emulatorsBuilt: false },
      'npm run dev: cannot start: the npm packages are not installed (run npm ci); ' +
        'Go 1.26 or newer is needed to build the emulators; or use docker compose up',
    ],
  ];
  for (const [behaviour, checkout, line] of cases) {
    it(behaviour, () => {
      const run = preflight(checkout);
      assert.equal(run.stdout, '');
      if (line === undefined) {
        assert.equal(run.status, 0, run.stderr);
        assert.equal(run.stderr, '');
      } else {
        assert.equal(run.status, 1);
        assert.equal(run.stderr, `${line}\n`);
      }
    });
  }

  it('names the command it guards', () => {
    const run = preflight({ npmInstalled: false, emulatorsBuilt: true }, 'emulators');
    assert.equal(
      run.stderr,
      'npm run emulators: cannot start: the npm packages are not installed (run npm ci)\n',
    );
  });
});
