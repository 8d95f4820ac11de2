import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STORAGE_OPS } from '@thumbnailer/core';
import { parseExposition, sampleValue, samplesOf, type Exposition } from '@thumbnailer/testkit';
import { register as globalRegistry } from 'prom-client';
import {
  createWorkerMetrics,
  EVENT_OUTCOMES,
  SKIP_REASONS,
  VIAS,
  WORKER_METRICS,
  skipReasonOf,
} from './metrics.js';

async function scrape(metrics: ReturnType<typeof createWorkerMetrics>): Promise<Exposition> {
  return parseExposition(await metrics.text());
}

describe('createWorkerMetrics', () => {
  it('counts settled events by via and outcome, POST /event counting as push', async () => {
    const metrics = createWorkerMetrics();
    metrics.event('pull', { status: 'processed' });
    metrics.event('pull', { status: 'processed' });
    metrics.event('cloudevent', { status: 'duplicate' });
    metrics.event('push', { status: 'retry' });
    metrics.event('backfill', { status: 'removed' });
    const exposition = await scrape(metrics);
    const count = (via: string, outcome: string) =>
      sampleValue(exposition, 'thumbnailer_worker_events_total', { via, outcome });
    assert.equal(count('pull', 'processed'), 2);
    assert.equal(count('push', 'duplicate'), 1);
    assert.equal(count('push', 'retry'), 1);
    assert.equal(count('backfill', 'removed'), 1);
    assert.equal(count('pull', 'error'), 0, 'every via × outcome series starts at 0');
    assert.equal(samplesOf(exposition, 'thumbnailer_worker_events_total').length, 18);
  });

  it('counts refusals by code, from a code, a "<code>: message" reason, or as other', async () => {
    const metrics = createWorkerMetrics();
    metrics.event('pull', { status: 'skipped', reason: 'corrupt_image: the JPEG ends early' });
    metrics.event('pull', { status: 'skipped', code: 'gone', reason: 'gone or superseded' });
    metrics.event('push', { status: 'skipped', reason: 'not_finalize' });
    metrics.event('push', { status: 'skipped', reason: 'bucket photos-2024 is not served by this worker' });
    metrics.event('push', { status: 'skipped', reason: 'made_up_code: something new' });
    const exposition = await scrape(metrics);
    const refusals = (reason: string) =>
      sampleValue(exposition, 'thumbnailer_worker_skipped_total', { reason });
    assert.equal(refusals('corrupt_image'), 1);
    assert.equal(refusals('gone'), 1);
    assert.equal(refusals('not_finalize'), 1);
    assert.equal(refusals('other'), 2, 'free text and unknown codes are counted as other');
    assert.equal(
      sampleValue(exposition, 'thumbnailer_worker_events_total', { via: 'push', outcome: 'skipped' }),
      3,
    );
    assert.equal(skipReasonOf(undefined), 'other');
  });

  it('never lets an unbounded value into a label: every label value of its own metrics is from a fixed set', async () => {
    const metrics = createWorkerMetrics();
    metrics.event('pull', { status: 'skipped', reason: 'a thumbnail (under thumbnails/2025/photo.jpg)' });
    metrics.event('pull', {
      status: 'skipped',
      code: 'gs://bucket/photo.jpg',
      reason: 'gs://bucket/photo.jpg',
    });
    // Values the types refuse are not recorded if they arrive at run time anyway.
    metrics.event('gs://bucket/x.jpg' as 'pull', { status: 'processed' });
    metrics.event('pull', { status: 'photo.jpg' as 'processed' });
    metrics.storageRequest('photo.jpg' as 'list');
    const allowed: Record<string, readonly string[]> = {
      via: VIAS,
      outcome: EVENT_OUTCOMES,
      reason: SKIP_REASONS,
      op: STORAGE_OPS,
    };
    const exposition = await scrape(metrics);
    const own = exposition.samples.filter((s) => s.name.startsWith('thumbnailer_'));
    assert.ok(own.length > 0);
    for (const sample of own) {
      for (const [label, value] of Object.entries(sample.labels)) {
        if (label === 'le') continue; // histogram bucket bounds
        assert.ok(allowed[label]?.includes(value), `${sample.name}{${label}="${value}"}`);
      }
    }
    assert.equal(sampleValue(exposition, 'thumbnailer_worker_skipped_total', { reason: 'other' }), 2);
    const processed = samplesOf(exposition, 'thumbnailer_worker_events_total', { outcome: 'processed' });
    assert.deepEqual(
      processed.map((s) => s.value),
      [0, 0, 0],
    );
  });

  it('records latency and render time as histograms: _count, _sum and cumulative buckets', async () => {
    const metrics = createWorkerMetrics();
    metrics.latency('pull', 0.2);
    metrics.latency('cloudevent', 3);
    metrics.latency('push', -0.5); // clock skew: counts as 0
    metrics.latency('pull', Number.NaN); // dropped
    metrics.render(0.04);
    const rendered = await metrics.timeRender(() => Promise.resolve('thumb'));
    await assert.rejects(
      metrics.timeRender(() => Promise.reject(new Error('corrupt'))),
      /corrupt/,
    );
    const exposition = await scrape(metrics);
    assert.equal(rendered, 'thumb');
    assert.equal(sampleValue(exposition, 'thumbnailer_worker_latency_seconds_count'), 3);
    assert.equal(sampleValue(exposition, 'thumbnailer_worker_latency_seconds_sum'), 3.2);
    const bucket = (le: string) =>
      sampleValue(exposition, 'thumbnailer_worker_latency_seconds_bucket', { le });
    assert.equal(bucket('0.05'), 1);
    assert.equal(bucket('0.25'), 2);
    assert.equal(bucket('5'), 3);
    assert.equal(bucket('600'), 3);
    assert.equal(bucket('+Inf'), 3);
    assert.equal(
      sampleValue(exposition, 'thumbnailer_worker_render_seconds_count'),
      3,
      'a throwing render counts too',
    );
    assert.ok((sampleValue(exposition, 'thumbnailer_worker_render_seconds_sum') ?? 0) >= 0.04);
    assert.equal(
      sampleValue(exposition, 'thumbnailer_worker_render_seconds_bucket', { le: '0.005' }) !== undefined,
      true,
    );
    assert.equal(sampleValue(exposition, 'thumbnailer_worker_render_seconds_bucket', { le: '20' }), 3);
  });

  it('does not record backfill latency: an old object’s age is not the pipeline’s latency', async () => {
    const metrics = createWorkerMetrics();
    metrics.latency('backfill', 86_400);
    const exposition = await scrape(metrics);
    assert.equal(sampleValue(exposition, 'thumbnailer_worker_latency_seconds_count'), 0);
  });

  it('reads in-flight images at scrape time from the callback it is given', async () => {
    let active = 3;
    const metrics = createWorkerMetrics({ inFlight: () => active });
    assert.equal(sampleValue(await scrape(metrics), 'thumbnailer_worker_in_flight'), 3);
    active = 1;
    assert.equal(sampleValue(await scrape(metrics), 'thumbnailer_worker_in_flight'), 1);
    metrics.inFlightFrom(() => 7);
    assert.equal(sampleValue(await scrape(metrics), 'thumbnailer_worker_in_flight'), 7);
    assert.equal(sampleValue(await scrape(createWorkerMetrics()), 'thumbnailer_worker_in_flight'), 0);
  });

  it('counts storage requests by kind', async () => {
    const metrics = createWorkerMetrics();
    metrics.storageRequest('metadata_read');
    metrics.storageRequest('media_read');
    metrics.storageRequest('create');
    metrics.storageRequest('list', 3);
    metrics.storageRequest('delete', 0);
    const exposition = await scrape(metrics);
    const requests = (op: string) => sampleValue(exposition, 'thumbnailer_storage_requests_total', { op });
    assert.deepEqual(
      ['metadata_read', 'media_read', 'list', 'create', 'delete'].map(requests),
      [1, 1, 3, 1, 0],
    );
  });

  it('sums the counters for the backfill summary', async () => {
    const metrics = createWorkerMetrics();
    metrics.event('backfill', { status: 'processed' });
    metrics.event('backfill', { status: 'skipped', reason: 'pixel_limit: too many pixels' });
    metrics.event('pull', { status: 'processed' });
    metrics.storageRequest('list', 2);
    const summary = await metrics.summary();
    assert.equal(summary.events.processed, 2);
    assert.equal(summary.events.skipped, 1);
    assert.equal(summary.events.retry, 0);
    assert.deepEqual(summary.skipped, { pixel_limit: 1 });
    assert.equal(summary.storageRequests.list, 2);
  });

  it('exposes exactly the metrics WORKER_METRICS lists, with those types, plus the process and Node runtime metrics', async () => {
    const metrics = createWorkerMetrics();
    const exposition = await scrape(metrics);
    const own = [...exposition.types].filter(([name]) => name.startsWith('thumbnailer_'));
    assert.deepEqual(Object.fromEntries(own), WORKER_METRICS);
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_version_info',
    ]) {
      assert.ok(exposition.types.has(name), `${name} is exposed`);
    }
    assert.match(metrics.contentType, /^text\/plain; version=0\.0\.4/);
  });

  it('keeps each instance’s metrics in its own registry and leaves prom-client’s global registry alone', async () => {
    const a = createWorkerMetrics();
    const b = createWorkerMetrics();
    a.event('pull', { status: 'processed' });
    const processed = (exposition: Exposition) =>
      sampleValue(exposition, 'thumbnailer_worker_events_total', { via: 'pull', outcome: 'processed' });
    assert.equal(processed(await scrape(a)), 1);
    assert.equal(processed(await scrape(b)), 0);
    assert.equal(globalRegistry.getMetricsAsArray().length, 0);
  });
});
