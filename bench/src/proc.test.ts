import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';
import { cpuMs, peakRssMiB } from './proc.js';

it('reads a live process’s peak resident set in MiB', async () => {
  const rss = await peakRssMiB(process.pid);
  assert.ok(rss !== undefined && rss > 10 && rss < 4096, `peak RSS ${rss} MiB`);
});

it('reads CPU time that grows while the process works', async () => {
  const before = await cpuMs(process.pid);
  const until = performance.now() + 300;
  let spin = 0;
  while (performance.now() < until) spin += Math.sqrt(spin + 1);
  const after = await cpuMs(process.pid);
  assert.ok(before !== undefined && after !== undefined, 'both readings exist');
  assert.ok(after - before >= 150, `CPU grew by ${after - before} ms over 300 ms of busy work (${spin > 0})`);
});

it('answers undefined for a process that has exited', async () => {
  const { pid } = spawnSync(process.execPath, ['-e', '0']);
  assert.equal(await cpuMs(pid), undefined);
  assert.equal(await peakRssMiB(pid), undefined);
});
