import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MEASURED, createEstimator } from './costs.js';

describe('createEstimator', () => {
  it('counts the requests each plan leads to, as finalize.ts makes them', () => {
    const estimate = createEstimator(2);
    estimate.source({ status: 'missing', missing: ['thumb', 'card'] }, 1024 * 1024);
    estimate.source({ status: 'missing', missing: ['card'] }, 0);
    estimate.source({ status: 'complete' }, 5_000_000);
    estimate.source({ status: 'not_image_by_type', missing: ['thumb', 'card'] }, 10);
    estimate.source({ status: 'skipped', reason: 'an empty object', code: 'empty' }, 0);
    estimate.prune();
    estimate.listed(3);
    const { requests, cpuSeconds } = estimate.total();
    assert.deepEqual(requests, { metadata_read: 6, media_read: 3, list: 3, create: 3, delete: 1 });
    const cpuMs =
      3 * MEASURED.writtenSourceCpuMs +
      MEASURED.renderCpuMsPerMiB * (1 + 10 / 1024 / 1024) +
      MEASURED.completeSourceCpuMs;
    assert.ok(Math.abs(cpuSeconds - cpuMs / 1000) < 0.001, `${cpuSeconds} vs ${cpuMs / 1000}`);
  });
});
