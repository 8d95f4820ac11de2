import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixed, formatTable } from './table.js';

test('a table pads every cell to its column width and aligns text left and numbers right', () => {
  const text = formatTable(
    [{ header: 'configuration', align: 'left' }, { header: 'images/s' }],
    [
      ['core', '15.2'],
      ['Pillow', '9.8'],
    ],
  );
  assert.equal(
    text,
    [
      '| configuration | images/s |',
      '|:--------------|---------:|',
      '| core          |     15.2 |',
      '| Pillow        |      9.8 |',
    ].join('\n'),
  );
});

test('a missing cell renders empty rather than as "undefined"', () => {
  const text = formatTable([{ header: 'a' }, { header: 'b' }], [['1']]);
  assert.ok(!text.includes('undefined'));
  assert.ok(text.endsWith('|   1 |     |'));
});

test('unavailable figures render as a dash, others with fixed decimals', () => {
  assert.equal(fixed(undefined, 1), '—');
  assert.equal(fixed(Number.NaN, 1), '—');
  assert.equal(fixed(1.234, 2, '×'), '1.23×');
});
