import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';
import { cpuMs, peakRssMiB } from './proc.js';

it('reads a live process’s peak resident set in MiB', async () => {
  const rss = await peakRssMiB(process.pid);
  assert.ok(rss !== undefined && rss > 10 && rss < 4096, `peak RSS ${rss} MiB`);
});

it('reads the CPU time the process spent, as the process itself counts it', async () => {
  const before = await cpuMs(process.pid);
  const start = process.cpuUsage();
  // Busy until this process has used 200 ms of CPU, however long that takes on a loaded machine.
  let spin = 0;
  const used = () => {
    const { user, system } = process.cpuUsage(start);
    return (user + system) / 1000;
  };
  while (used() < 200) spin += Math.sqrt(spin + 1);
  const after = await cpuMs(process.pid);
  const own = used();
  assert.ok(before !== undefined && after !== undefined, 'both readings exist');
  // /proc counts in clock ticks (10 ms); allow a few ticks either way.
  assert.ok(
    Math.abs(after - before - own) <= 40,
    `/proc says ${after - before} ms, the process ${own} ms (${spin > 0})`,
  );
});

it('answers undefined for a process that has exited', async () => {
  const { pid } = spawnSync(process.execPath, ['-e', '0']);
  assert.equal(await cpuMs(pid), undefined);
  assert.equal(await peakRssMiB(pid), undefined);
});
