import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import cookieParser from 'cookie-parser';
import express from 'express';
import { parseFlash, setFlash, takeFlash } from './flash.js';

describe('parseFlash', () => {
  test('accepts a success with the stored object and an error without one', () => {
    assert.deepEqual(
      parseFlash('{"kind":"success","message":"ok","object":{"name":"a/b.png","generation":"12"}}'),
      {
        kind: 'success',
        message: 'ok',
        object: { name: 'a/b.png', generation: '12' },
      },
    );
    assert.deepEqual(parseFlash('{"kind":"error","message":"no"}'), { kind: 'error', message: 'no' });
  });

  test('ignores malformed values', () => {
    for (const raw of ['', 'not json', '[]', 'null', '{"kind":"info","message":"x"}', '{"kind":"error"}']) {
      assert.equal(parseFlash(raw), undefined, raw);
    }
  });
});

describe('flash cookie', () => {
  const app = express();
  app.use(cookieParser('a-test-secret-of-enough-length'));
  app.get('/set', (req, res) => {
    setFlash(req, res, { kind: 'success', message: 'Stored <it>' });
    res.redirect(303, '/');
  });
  app.get('/', (req, res) => {
    res.json(takeFlash(req, res) ?? null);
  });
  let base = '';
  let server: ReturnType<typeof app.listen>;
  before(async () => {
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('is signed, HTTP-only, read once and cleared', async () => {
    const set = await fetch(`${base}/set`, { redirect: 'manual' });
    const cookie = set.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^flash=s%3A/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    const pair = cookie.split(';')[0] ?? '';
    const read = await fetch(`${base}/`, { headers: { cookie: pair } });
    assert.deepEqual(await read.json(), { kind: 'success', message: 'Stored <it>' });
    assert.match(read.headers.get('set-cookie') ?? '', /^flash=;/);
  });

  test('ignores a tampered cookie', async () => {
    const forged = `flash=${encodeURIComponent('s:{"kind":"error","message":"forged"}.AAAA')}`;
    const read = await fetch(`${base}/`, { headers: { cookie: forged } });
    assert.equal(await read.json(), null);
  });
});
