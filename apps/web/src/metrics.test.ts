import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExposition, sampleValue, samplesOf, type Exposition } from '@thumbnailer/testkit';
import { register as globalRegistry } from 'prom-client';
import { createWebMetrics, statusLabel, UPLOAD_STATUSES, WEB_METRICS } from './metrics.js';

async function scrape(metrics: ReturnType<typeof createWebMetrics>): Promise<Exposition> {
  return parseExposition(await metrics.text());
}

describe('createWebMetrics', () => {
  it('counts answered uploads by the status of their outcome, starting the usual statuses at 0', async () => {
    const metrics = createWebMetrics();
    metrics.upload({ status: 201, bytes: 2048, seconds: 0.3 });
    metrics.upload({ status: 201, bytes: 5 * 1024 * 1024, seconds: 1.2 });
    metrics.upload({ status: 415, bytes: 12, seconds: 0.02 });
    metrics.upload({ status: 418, seconds: 0.01 });
    const exposition = await scrape(metrics);
    const uploads = (status: string) => sampleValue(exposition, 'thumbnailer_web_uploads_total', { status });
    assert.equal(uploads('201'), 2);
    assert.equal(uploads('415'), 1);
    assert.equal(uploads('418'), 1, 'any real status code is its own series');
    assert.equal(uploads('413'), 0);
    assert.equal(samplesOf(exposition, 'thumbnailer_web_uploads_total').length, UPLOAD_STATUSES.length + 1);
  });

  it('maps anything that is not an HTTP status code to other', async () => {
    const metrics = createWebMetrics();
    metrics.upload({ status: Number.NaN, seconds: 0 });
    metrics.upload({ status: 99, seconds: 0 });
    metrics.upload({ status: 201.5, seconds: 0 });
    const exposition = await scrape(metrics);
    assert.equal(sampleValue(exposition, 'thumbnailer_web_uploads_total', { status: 'other' }), 3);
    assert.deepEqual([statusLabel(503), statusLabel(600), statusLabel(-1)], ['503', 'other', 'other']);
  });

  it('records upload sizes and durations as histograms: _count, _sum and cumulative buckets', async () => {
    const metrics = createWebMetrics();
    metrics.upload({ status: 201, bytes: 2048, seconds: 0.3 });
    metrics.upload({ status: 201, bytes: 5 * 1024 * 1024, seconds: 1.2 });
    metrics.upload({ status: 503, seconds: 0.001 }); // refused before the body: no bytes
    metrics.upload({ status: 400, bytes: Number.NaN, seconds: Number.POSITIVE_INFINITY }); // neither recorded
    const exposition = await scrape(metrics);
    assert.equal(sampleValue(exposition, 'thumbnailer_web_upload_bytes_count'), 2);
    assert.equal(sampleValue(exposition, 'thumbnailer_web_upload_bytes_sum'), 2048 + 5 * 1024 * 1024);
    const bytes = (le: string) => sampleValue(exposition, 'thumbnailer_web_upload_bytes_bucket', { le });
    assert.equal(bytes('1024'), 0);
    assert.equal(bytes('4096'), 1);
    assert.equal(bytes(String(16 * 1024 * 1024)), 2);
    assert.equal(bytes('+Inf'), 2);
    assert.equal(sampleValue(exposition, 'thumbnailer_web_upload_seconds_count'), 3);
    assert.equal(sampleValue(exposition, 'thumbnailer_web_upload_seconds_sum'), 1.501);
    assert.equal(sampleValue(exposition, 'thumbnailer_web_upload_seconds_bucket', { le: '0.01' }), 1);
    assert.equal(sampleValue(exposition, 'thumbnailer_web_upload_seconds_bucket', { le: '60' }), 3);
  });

  it('reads the upload slots in use at scrape time from the callback it is given', async () => {
    let active = 2;
    const metrics = createWebMetrics({ uploadSlotsInUse: () => active });
    assert.equal(sampleValue(await scrape(metrics), 'thumbnailer_web_upload_slots_in_use'), 2);
    active = 0;
    assert.equal(sampleValue(await scrape(metrics), 'thumbnailer_web_upload_slots_in_use'), 0);
    metrics.uploadSlotsFrom(() => 4);
    assert.equal(sampleValue(await scrape(metrics), 'thumbnailer_web_upload_slots_in_use'), 4);
  });

  it('counts storage requests by kind and drops kinds outside the set', async () => {
    const metrics = createWebMetrics();
    metrics.storageRequest('metadata_read', 2);
    metrics.storageRequest('create');
    metrics.storageRequest('20251203T15Z/photo.jpg' as 'create');
    const exposition = await scrape(metrics);
    const requests = samplesOf(exposition, 'thumbnailer_storage_requests_total');
    assert.deepEqual(Object.fromEntries(requests.map((s) => [s.labels.op, s.value])), {
      metadata_read: 2,
      media_read: 0,
      list: 0,
      create: 1,
      delete: 0,
    });
  });

  it('exposes exactly the metrics WEB_METRICS lists, with those types, plus the process and Node runtime metrics', async () => {
    const metrics = createWebMetrics();
    const exposition = await scrape(metrics);
    const own = [...exposition.types].filter(([name]) => name.startsWith('thumbnailer_'));
    assert.deepEqual(Object.fromEntries(own), WEB_METRICS);
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      assert.ok(exposition.types.has(name), `${name} is exposed`);
    }
    assert.match(metrics.contentType, /^text\/plain; version=0\.0\.4/);
  });

  it('keeps each instance’s metrics in its own registry and leaves prom-client’s global registry alone', async () => {
    const a = createWebMetrics();
    const b = createWebMetrics();
    a.upload({ status: 201, seconds: 0.1 });
    const created = (exposition: Exposition) =>
      sampleValue(exposition, 'thumbnailer_web_uploads_total', { status: '201' });
    assert.equal(created(await scrape(a)), 1);
    assert.equal(created(await scrape(b)), 0);
    assert.equal(globalRegistry.getMetricsAsArray().length, 0);
  });
});
