import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createLogger, TransientError } from '@thumbnailer/core';
import { createApp } from './app.js';
import type { ObjectEvent } from './events.js';
import type { Outcome } from './outcomes.js';
import type { Pipeline } from './pipeline.js';

// The pipeline is the worker's own interface; here it answers by object name so the HTTP mapping can be seen.
const pipeline: Pipeline = {
  active: 0,
  plan: () => Promise.resolve({ status: 'complete' }),
  process(event: ObjectEvent): Promise<Outcome> {
    const key = `${event.bucket}/${event.name}@${event.generation}`;
    if (event.name === 'down.jpg')
      return Promise.reject(new TransientError('storage_unavailable', 'storage down'));
    if (event.name === 'bug.jpg') return Promise.reject(new TypeError('bug'));
    return Promise.resolve({
      status: 'processed',
      key,
      renditions: [
        {
          rendition: 'thumb',
          uri: `gs://${event.bucket}/thumbnails/${event.name}`,
          width: 100,
          height: 75,
          bytes: 2048,
          contentType: 'image/jpeg',
        },
      ],
    });
  },
};

const ce = (name: string) => ({
  method: 'POST',
  headers: {
    'ce-id': '1',
    'ce-source': '//storage.googleapis.com/projects/_/buckets/b',
    'ce-specversion': '1.0',
    'ce-type': 'google.cloud.storage.object.v1.finalized',
    'content-type': 'application/json',
  },
  body: JSON.stringify({ bucket: 'b', name, generation: '7' }),
});

describe('the worker HTTP app', () => {
  const controller = new AbortController();
  const app = createApp({
    pipeline,
    logger: createLogger({ service: 'worker', level: 'silent' }),
    signal: controller.signal,
  });
  const server = app.listen(0);
  let url = '';
  before(() => {
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
  });

  it('answers GET /healthz with 200', async () => {
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
  });

  it('answers a processed event with 200, the key, the first rendition as thumbnail and every rendition', async () => {
    const res = await fetch(`${url}/event`, ce('a.jpg'));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      status: 'processed',
      key: 'b/a.jpg@7',
      thumbnail: 'gs://b/thumbnails/a.jpg',
      renditions: [
        {
          rendition: 'thumb',
          uri: 'gs://b/thumbnails/a.jpg',
          width: 100,
          height: 75,
          contentType: 'image/jpeg',
        },
      ],
    });
  });

  it('answers a transient failure with 503 retry', async () => {
    const res = await fetch(`${url}/event`, ce('down.jpg'));
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { status: 'retry', error: 'storage down' });
  });

  it('answers an unexpected failure with 503 retry rather than dropping the event', async () => {
    const res = await fetch(`${url}/event`, ce('bug.jpg'));
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { status: string }).status, 'retry');
  });

  it('answers an unusable body with 400 error', async () => {
    const res = await fetch(`${url}/event`, { method: 'POST', body: '{"hello":1}' });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { status: 'error', error: 'Pub/Sub push body has no message object' });
  });

  it('answers a body over the size bound with 400 error', async () => {
    const res = await fetch(`${url}/event`, { method: 'POST', body: 'x'.repeat(2 * 1024 * 1024) });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { status: string }).status, 'error');
  });

  it('answers 503 retry once shutting down, while /healthz still answers', async () => {
    controller.abort();
    const res = await fetch(`${url}/event`, ce('a.jpg'));
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { status: 'retry', error: 'the worker is shutting down' });
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
  });
});
