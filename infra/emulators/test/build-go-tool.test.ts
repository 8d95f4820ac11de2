import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../scripts/build-go-tool.sh', import.meta.url));

const folders: string[] = [];
after(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** A workspace with (or without) the tool already built, and a `go` on PATH printing `go` (or failing). */
function buildWithoutUsableGo(toolBuilt: boolean, go?: string) {
  const root = mkdtempSync(join(tmpdir(), 'build-go-tool-'));
  folders.push(root);
  const workspace = join(root, 'workspace');
  mkdirSync(join(workspace, '.tools', 'bin'), { recursive: true });
  if (toolBuilt) {
    writeFileSync(join(workspace, '.tools', 'bin', 'some-tool'), '');
    chmodSync(join(workspace, '.tools', 'bin', 'some-tool'), 0o755);
  }
  const bin = join(root, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'go'), go === undefined ? '#!/bin/sh\nexit 127\n' : `#!/bin/sh\necho ${go}\n`);
  chmodSync(join(bin, 'go'), 0o755);
  // The fake go comes first, so a real one further down PATH is never asked.
  return spawnSync('bash', [script, workspace, 'some-tool'], {
    env: { PATH: [bin, ...(process.env.PATH ?? '').split(delimiter)].join(delimiter) },
    encoding: 'utf8',
  });
}

describe('build-go-tool.sh without a usable Go', () => {
  it('keeps a tool that is already built', () => {
    const run = buildWithoutUsableGo(true);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^some-tool: no usable Go; keeping the one already built in .*\.tools\/bin\n$/);
  });

  it('stops with the preflight’s one line when the tool is missing', () => {
    const run = buildWithoutUsableGo(false);
    assert.equal(run.status, 1);
    assert.equal(run.stderr, 'some-tool: cannot build: Go 1.26 or newer is needed (go.dev/dl)\n');
  });

  it('names a Go that is too old', () => {
    const run = buildWithoutUsableGo(false, 'go1.22.5');
    assert.equal(run.status, 1);
    assert.equal(
      run.stderr,
      'some-tool: cannot build: Go 1.26 or newer is needed (found go1.22.5; go.dev/dl)\n',
    );
  });
});
