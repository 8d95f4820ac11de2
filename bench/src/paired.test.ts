import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pairedRatio, pairsOf } from './paired.js';

describe('paired CPU figures', () => {
  it('pairs the a and b lines of one image whichever came first, and drops lines without a partner', () => {
    const pairs = pairsOf([
      { name: 'a:x.jpg', ms: 10, cpuMs: 10 },
      { name: 'b:x.jpg', ms: 11, cpuMs: 11 },
      { name: 'b:y.png', ms: 21, cpuMs: 21 },
      { name: 'a:y.png', ms: 20, cpuMs: 20 },
      { name: 'a:z.gif', ms: 5, cpuMs: 5 },
      { name: 'plain.jpg', ms: 7, cpuMs: 7 },
    ]);
    assert.deepEqual(pairs, [
      { name: 'x.jpg', aCpuMs: 10, bCpuMs: 11 },
      { name: 'y.png', aCpuMs: 20, bCpuMs: 21 },
    ]);
  });

  it('gives b ÷ a with an interval that narrows as the differences agree', () => {
    const steady = pairedRatio([
      { name: 'x', aCpuMs: 100, bCpuMs: 102 },
      { name: 'x', aCpuMs: 90, bCpuMs: 92 },
      { name: 'x', aCpuMs: 110, bCpuMs: 112 },
    ])!;
    assert.equal(steady.ratio, 306 / 300);
    // Every image cost exactly 2 ms more: no spread, so the interval is the ratio itself.
    assert.equal(steady.low, steady.ratio);
    assert.equal(steady.high, steady.ratio);
    const noisy = pairedRatio([
      { name: 'x', aCpuMs: 100, bCpuMs: 96 },
      { name: 'x', aCpuMs: 100, bCpuMs: 104 },
    ])!;
    assert.equal(noisy.ratio, 1);
    assert.ok(noisy.low < 1 && noisy.high > 1, `interval ${noisy.low}–${noisy.high} should contain 1`);
  });

  it('has no figure for fewer than two pairs', () => {
    assert.equal(pairedRatio([{ name: 'x', aCpuMs: 1, bCpuMs: 2 }]), undefined);
  });
});
