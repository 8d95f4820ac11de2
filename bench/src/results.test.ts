import { test } from 'node:test';
import assert from 'node:assert/strict';
import { figuresOf, medianFigures } from './results.js';

const classOf = (name: string): string | undefined =>
  name.endsWith('.jpg') ? 'jpeg' : name.endsWith('.png') ? 'png' : undefined;

test('throughput counts every image of every worker over the window from the first start to the last end', () => {
  const figures = figuresOf(
    [
      {
        startMs: 0,
        endMs: 1000,
        images: [
          { name: 'a.jpg', ms: 500 },
          { name: 'b.png', ms: 500 },
        ],
        cpuMs: 900,
        peakRssMiB: 90,
      },
      {
        startMs: 10,
        endMs: 2000,
        images: [
          { name: 'a.jpg', ms: 1000 },
          { name: 'b.png', ms: 1000 },
        ],
        cpuMs: 1100,
        peakRssMiB: 120,
      },
    ],
    2,
    classOf,
  );
  assert.ok(!('error' in figures));
  assert.equal(figures.imagesPerSec, 2);
  assert.equal(figures.meanMs, 750);
  assert.equal(figures.cpuMsPerImage, 500);
  assert.equal(figures.peakRssMiB, 120);
  assert.deepEqual(figures.classes.jpeg, { meanMs: 750, imagesPerSec: (2 * 1000) / 750 });
});

test('per-class CPU time is the mean of the per-image CPU times, and absent when any image lacks one', () => {
  const figures = figuresOf(
    [
      {
        startMs: 0,
        endMs: 100,
        images: [
          { name: 'a.jpg', ms: 50, cpuMs: 40 },
          { name: 'c.jpg', ms: 50, cpuMs: 60 },
          { name: 'b.png', ms: 10 },
        ],
      },
    ],
    1,
    classOf,
  );
  assert.ok(!('error' in figures));
  assert.equal(figures.classes.jpeg?.cpuMs, 50);
  assert.equal(figures.classes.png?.cpuMs, undefined);
});

test('a failed worker makes the whole configuration an error rather than half a figure', () => {
  const figures = figuresOf(
    [{ startMs: Number.NaN, endMs: Number.NaN, images: [], error: 'not implemented yet' }],
    1,
    classOf,
  );
  assert.deepEqual(figures, { error: 'not implemented yet' });
});

test('rounds combine by the median of each figure and the worst peak RSS', () => {
  const run = (ips: number, rss: number) => ({
    imagesPerSec: ips,
    meanMs: 1000 / ips,
    classes: { jpeg: { meanMs: 1000 / ips, imagesPerSec: ips } },
    peakRssMiB: rss,
  });
  const combined = medianFigures([run(10, 100), run(30, 90), run(20, 110)]);
  assert.equal(combined?.imagesPerSec, 20);
  assert.equal(combined?.classes.jpeg?.imagesPerSec, 20);
  assert.equal(combined?.peakRssMiB, 110);
  assert.equal(medianFigures([]), undefined);
});
