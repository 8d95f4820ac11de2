import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verdictLine } from './verdicts.js';

test('a figure at the bound meets an at-least target and the line shows the figure', () => {
  assert.equal(
    verdictLine({ name: 'speed vs Pillow', value: 1.3, kind: 'atLeast', bound: 1.3, unit: '×' }),
    '- speed vs Pillow (≥ 1.3×): met — 1.30×',
  );
});

test('a figure above an at-most bound is reported as not met', () => {
  assert.equal(
    verdictLine({ name: 'peak RSS', value: 250, kind: 'atMost', bound: 200, unit: ' MiB' }),
    '- peak RSS (≤ 200 MiB): NOT met — 250.00 MiB',
  );
});

test('a figure that could not be measured says so instead of passing or failing', () => {
  assert.match(
    verdictLine({ name: 'x', value: Number.NaN, kind: 'atMost', bound: 1, unit: '' }),
    /not measured$/,
  );
});

test('a note follows the figure in brackets', () => {
  assert.equal(
    verdictLine({ name: 'x', value: 2, kind: 'atLeast', bound: 1, unit: '×', note: 'wall-clock 1.50×' }),
    '- x (≥ 1×): met — 2.00× (wall-clock 1.50×)',
  );
});
