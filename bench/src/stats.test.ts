import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mean, median, percentile } from './stats.js';

test('the median of an odd count is the middle sample, whatever the input order', () => {
  assert.equal(median([9, 1, 5]), 5);
});

test('the median of an even count interpolates between the two middle samples', () => {
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test('percentiles interpolate between closest ranks', () => {
  const samples = [10, 20, 30, 40, 50];
  assert.equal(percentile(samples, 0), 10);
  assert.equal(percentile(samples, 100), 50);
  assert.equal(percentile(samples, 95), 48);
});

test('statistics over no samples are NaN rather than a misleading zero', () => {
  assert.ok(Number.isNaN(median([])));
  assert.ok(Number.isNaN(mean([])));
});

test('a percentile outside 0..100 is refused', () => {
  assert.throws(() => percentile([1], 101), RangeError);
});

test('the mean does not reorder or change its input', () => {
  const samples = [3, 1, 2];
  assert.equal(mean(samples), 2);
  assert.deepEqual(samples, [3, 1, 2]);
});
