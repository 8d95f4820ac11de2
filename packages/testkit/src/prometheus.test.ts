import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExposition, sampleValue, samplesOf } from './prometheus.js';

const TEXT = `# HELP jobs_total Jobs done.
# TYPE jobs_total counter
jobs_total{kind="a",note="say \\"hi\\"\\nback\\\\slash"} 3
jobs_total{kind="b"} 0

# HELP wait_seconds How long.
# TYPE wait_seconds histogram
wait_seconds_bucket{le="0.5"} 1
wait_seconds_bucket{le="+Inf"} 2
wait_seconds_sum 3.25
wait_seconds_count 2 1700000000000
up Nan
`;

describe('parseExposition', () => {
  it('reads samples, labels with escapes, types and help', () => {
    const exposition = parseExposition(TEXT);
    assert.equal(exposition.types.get('jobs_total'), 'counter');
    assert.equal(exposition.types.get('wait_seconds'), 'histogram');
    assert.equal(exposition.help.get('wait_seconds'), 'How long.');
    const [first] = samplesOf(exposition, 'jobs_total', { kind: 'a' });
    assert.deepEqual(first?.labels, { kind: 'a', note: 'say "hi"\nback\\slash' });
    assert.equal(first?.value, 3);
    assert.equal(sampleValue(exposition, 'wait_seconds_bucket', { le: '+Inf' }), 2);
    assert.equal(sampleValue(exposition, 'wait_seconds_count'), 2);
    assert.ok(Number.isNaN(sampleValue(exposition, 'up')));
  });

  it('answers undefined for a sample that is not there, and matches labels exactly', () => {
    const exposition = parseExposition(TEXT);
    assert.equal(sampleValue(exposition, 'jobs_total', { kind: 'c' }), undefined);
    assert.equal(sampleValue(exposition, 'jobs_total'), undefined, 'no sample of jobs_total has no labels');
    assert.equal(sampleValue(exposition, 'jobs_total', { kind: 'b' }), 0);
  });

  it('refuses lines it cannot read instead of skipping them', () => {
    assert.throws(() => parseExposition('jobs_total{kind="a" 1\n'), /malformed labels/);
    assert.throws(() => parseExposition('jobs_total one\n'), /not a sample value/);
    assert.throws(() => parseExposition('{kind="a"} 1\n'), /not a sample line/);
    assert.throws(() => parseExposition('jobs_total 1 2 3\n'), /trailing text/);
  });
});
