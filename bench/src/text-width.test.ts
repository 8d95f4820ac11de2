import { test } from 'node:test';
import assert from 'node:assert/strict';
import { itemWidth, textWidth } from './text-width.js';

// At 1000 px a width is in Helvetica's own units (1/1000 em): i = 222, M = 833, a = 556, space = 278.
const EM = 1000;

test("text is as wide as Helvetica's glyphs: narrow letters narrower than wide ones, bold wider", () => {
  assert.equal(textWidth('iiii', EM), 4 * 222);
  assert.equal(textWidth('MMMM', EM), 4 * 833);
  assert.equal(textWidth('a b', EM), 556 + 278 + 556);
  assert.equal(textWidth('iiii', 10), textWidth('iiii', EM) / 100);
  assert.ok(textWidth('core', 11, true) > textWidth('core', 11));
});

test('a character outside Helvetica’s set counts as one em', () => {
  assert.equal(textWidth('→', EM), 1000);
  assert.equal(textWidth('×', EM), 584);
});

test("an item's width follows its font size and weight, trims the line and stops at its limit", () => {
  assert.equal(itemWidth({ fontSize: 20 }, ' iiii '), textWidth('iiii', 20));
  assert.equal(itemWidth({}, 'iiii'), textWidth('iiii', 11), '11 px by default, as Vega');
  assert.equal(itemWidth({ fontSize: 11, fontWeight: 'bold' }, 'core'), textWidth('core', 11, true));
  assert.equal(itemWidth({ fontSize: 11, fontWeight: 700 }, 'core'), textWidth('core', 11, true));
  assert.equal(itemWidth({ fontSize: 10, limit: 20 }, 'MMMM'), 20);
  assert.equal(itemWidth({ fontSize: 10 }, undefined), 0);
});
