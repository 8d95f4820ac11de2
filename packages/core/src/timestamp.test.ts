import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatTimestamp, systemClock } from './timestamp.js';

describe('formatTimestamp', () => {
  const cases: [string, string, string][] = [
    ['keeps the UTC hour and drops minutes', '2025-12-03T15:59Z', '20251203T15Z'],
    ['writes midnight as hour 00', '2025-12-03T00:00:00.000Z', '20251203T00Z'],
    ['puts the last second of a year in that year', '2025-12-31T23:59:59.999Z', '20251231T23Z'],
    ['puts the first instant of a year in the new year', '2026-01-01T00:00:00.000Z', '20260101T00Z'],
    ['converts an offset time to UTC first', '2025-12-03T01:30:00+02:00', '20251202T23Z'],
    ['zero-pads single-digit months and days', '2025-02-05T07:00Z', '20250205T07Z'],
  ];
  for (const [behaviour, input, expected] of cases) {
    it(`${behaviour}: ${input} → ${expected}`, () => {
      assert.equal(formatTimestamp(new Date(input)), expected);
    });
  }

  it('systemClock returns the current time', () => {
    const before = Date.now();
    const now = systemClock().getTime();
    assert.ok(now >= before && now <= Date.now());
  });
});
