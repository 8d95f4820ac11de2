/**
 * GET /metrics before and after what a user does: each counter and histogram moves by exactly what happened.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Storage } from '@google-cloud/storage';
import { startFaultProxy, startStack, type Stack } from '@thumbnailer/emulators';
import { fixture, parseExposition, sampleDelta, sampleValue, type Exposition } from '@thumbnailer/testkit';
import { startWeb, upload, type RunningApp } from './harness.js';

async function scrape(web: RunningApp): Promise<Exposition> {
  const res = await fetch(`${web.base}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return parseExposition(await res.text());
}

describe('web metrics', () => {
  let stack: Stack;
  let web: RunningApp;

  before(async () => {
    stack = await startStack();
    web = await startWeb({ stack });
  });
  after(async () => {
    await web?.close();
    await stack?.stop();
  });

  test('count an upload once by its status, with its bytes and time, and the storage requests it made', async () => {
    const data = await fixture('small-png');
    const first = await scrape(web);
    const res = await upload(web.base, { filename: 'metrics.png', data });
    assert.equal(res.status, 201);
    const second = await scrape(web);
    assert.equal(sampleDelta(first, second, 'thumbnailer_web_uploads_total', { status: '201' }), 1);
    assert.equal(sampleDelta(first, second, 'thumbnailer_web_upload_bytes_count'), 1);
    assert.equal(sampleDelta(first, second, 'thumbnailer_web_upload_bytes_sum'), data.length);
    assert.equal(sampleDelta(first, second, 'thumbnailer_web_upload_seconds_count'), 1);
    // A free name: one metadata check, one create-only write.
    assert.equal(
      sampleDelta(first, second, 'thumbnailer_storage_requests_total', { op: 'metadata_read' }),
      1,
    );
    assert.equal(sampleDelta(first, second, 'thumbnailer_storage_requests_total', { op: 'create' }), 1);
    assert.equal(
      sampleValue(second, 'thumbnailer_web_upload_slots_in_use'),
      0,
      'no slot held after the answer',
    );
    assert.ok((sampleValue(second, 'process_cpu_seconds_total') ?? 0) > 0, 'process metrics are exported');
  });

  test('count a refused upload by its status, also when a browser gets it as a 303 and a flash', async () => {
    const first = await scrape(web);
    const json = await upload(web.base, { filename: 'notes.txt', data: await fixture('text') });
    assert.equal(json.status, 415);
    const form = await upload(web.base, { filename: 'notes.txt', data: await fixture('text'), json: false });
    assert.equal(form.status, 303);
    const second = await scrape(web);
    assert.equal(sampleDelta(first, second, 'thumbnailer_web_uploads_total', { status: '415' }), 2);
    assert.equal(sampleDelta(first, second, 'thumbnailer_web_uploads_total', { status: '201' }), 0);
    assert.equal(
      sampleDelta(first, second, 'thumbnailer_storage_requests_total', { op: 'create' }),
      0,
      'nothing stored',
    );
  });

  test('count uploads answered 503 during a storage outage, and the requests that failed', async () => {
    const proxy = await startFaultProxy(stack.identities.web.url);
    const flakyBucket = new Storage({
      apiEndpoint: proxy.url,
      projectId: stack.projectId,
      retryOptions: { autoRetry: false },
    }).bucket(stack.provisioning.bucket);
    const flaky = await startWeb({ bucket: flakyBucket });
    try {
      proxy.setMode('refuse');
      const first = await scrape(flaky);
      const res = await upload(flaky.base, { filename: 'outage.png', data: await fixture('small-png') });
      assert.equal(res.status, 503);
      const second = await scrape(flaky);
      assert.equal(sampleDelta(first, second, 'thumbnailer_web_uploads_total', { status: '503' }), 1);
      assert.equal(
        sampleDelta(first, second, 'thumbnailer_storage_requests_total', { op: 'metadata_read' }),
        1,
      );
    } finally {
      await flaky.close();
      await proxy.close();
    }
  });
});
