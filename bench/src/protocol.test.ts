import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePeakRssMiB, parseWorkerOutput } from './protocol.js';

test('a worker transcript yields its timed window and every image latency in order', () => {
  const run = parseWorkerOutput('ready\nstart 1000.5\nimg a.jpg 52.25\nimg b.png 10\nend 1070\n');
  assert.deepEqual(run, {
    startMs: 1000.5,
    endMs: 1070,
    images: [
      { name: 'a.jpg', ms: 52.25 },
      { name: 'b.png', ms: 10 },
    ],
  });
});

test('an image line may carry its own CPU time after its latency', () => {
  const run = parseWorkerOutput('start 0\nimg a.jpg 52.5 48.25\nend 60\n');
  assert.deepEqual(run.images, [{ name: 'a.jpg', ms: 52.5, cpuMs: 48.25 }]);
});

test('the CPU time of the timed window is kept when the worker reports it', () => {
  assert.equal(parseWorkerOutput('start 0\nimg a.jpg 3\ncpu 2.5\nend 4\n').cpuMs, 2.5);
});

test('a worker that reports an error carries the message instead of figures', () => {
  const run = parseWorkerOutput('error createThumbnail: not implemented yet\n');
  assert.equal(run.error, 'createThumbnail: not implemented yet');
});

test('a transcript cut off before its end line is reported as incomplete', () => {
  const run = parseWorkerOutput('ready\nstart 1\nimg a.jpg 3\n');
  assert.match(run.error ?? '', /complete timed window/);
});

test('peak RSS is read from the last GNU time line and converted from KiB to MiB', () => {
  assert.equal(parsePeakRssMiB('noise\nmaxrss_kib=1024\nmaxrss_kib=204800\n'), 200);
  assert.equal(parsePeakRssMiB('no time output'), undefined);
});
