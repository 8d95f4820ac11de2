import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS, resolveLimits } from './limits.js';

describe('resolveLimits', () => {
  it('defaults to DEFAULT_LIMITS, far below sharp’s own pixel limit', () => {
    assert.deepEqual(resolveLimits(), DEFAULT_LIMITS);
    assert.ok(DEFAULT_LIMITS.maxPixels < 0x3fff * 0x3fff);
  });
  it('overrides only what is given', () => {
    assert.deepEqual(resolveLimits({ maxFrames: 5 }), { ...DEFAULT_LIMITS, maxFrames: 5 });
  });
  it('refuses zero, negative and fractional values', () => {
    assert.throws(() => resolveLimits({ timeoutSeconds: 0 }), /timeoutSeconds/);
    assert.throws(() => resolveLimits({ maxPixels: -1 }), /maxPixels/);
    assert.throws(() => resolveLimits({ maxFrames: 1.5 }), /maxFrames/);
  });
});
