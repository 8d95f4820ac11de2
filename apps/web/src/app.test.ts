// The app without a bucket (UPLOAD_BUCKET unset): no storage involved, so no emulator needed.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '@thumbnailer/core';
import { createApp } from './app.js';
import { loadConfig } from './config.js';

describe('the web app without UPLOAD_BUCKET', () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      callback();
    },
  });
  const app = createApp({
    config: loadConfig({}),
    logger: createLogger({ service: 'web', destination: sink }),
    storage: undefined,
    sessionSecret: 'a-test-secret-of-enough-length',
  });
  let base = '';
  let server: ReturnType<typeof app.listen>;
  before(async () => {
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('answers /healthz with 200', async () => {
    const res = await fetch(`${base}/healthz`);
    assert.equal(res.status, 200);
  });

  test('serves a 503 page that says UPLOAD_BUCKET is not set and has no form', async () => {
    const res = await fetch(`${base}/`);
    assert.equal(res.status, 503);
    const html = await res.text();
    assert.match(html, /UPLOAD_BUCKET/);
    assert.doesNotMatch(html, /<form/);
  });

  test('refuses POST /upload with 503 in JSON mode', async () => {
    const body = new FormData();
    body.append('file', new Blob(['hello']), 'a.txt');
    const res = await fetch(`${base}/upload`, {
      method: 'POST',
      body,
      headers: { Accept: 'application/json' },
    });
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), {
      status: 'error',
      error: 'UPLOAD_BUCKET is not set: uploads are disabled.',
    });
  });

  test('refuses POST /upload in browser mode with a 303 and a flash message shown on the page', async () => {
    const body = new FormData();
    body.append('file', new Blob(['hello']), 'a.txt');
    const res = await fetch(`${base}/upload`, { method: 'POST', body, redirect: 'manual' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/');
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const page = await fetch(`${base}/`, { headers: { cookie } });
    assert.match(await page.text(), /UPLOAD_BUCKET is not set: uploads are disabled\./);
  });

  test('sends security headers: a CSP without inline scripts, nosniff, no frames', async () => {
    const res = await fetch(`${base}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-powered-by'), null);
  });

  test('serves its own stylesheet and script', async () => {
    const css = await fetch(`${base}/static/app.css`);
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /text\/css/);
    const js = await fetch(`${base}/static/app.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
  });

  test('serves the thumbhash package’s own module, whose decoder paints the placeholders', async () => {
    const res = await fetch(`${base}/static/thumbhash.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.match(res.headers.get('cache-control') ?? '', /max-age=3600/);
    assert.match(await res.text(), /export function thumbHashToDataURL\(/);
  });

  test('answers unknown paths with 404, also under /static', async () => {
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    assert.equal((await fetch(`${base}/static/../package.json`)).status, 404);
    assert.equal((await fetch(`${base}/static/missing.js`)).status, 404);
  });

  test('logs refusals as JSON lines with severity and message', () => {
    const refusal = lines.find((line) => line.message === 'upload refused');
    assert.ok(refusal, 'a refusal line');
    assert.equal(refusal.severity, 'WARNING');
    assert.equal(refusal.reason, 'not_configured');
    assert.equal(refusal.status, 503);
  });
});
