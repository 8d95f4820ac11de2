// Who sees which upload (GALLERY), what a page view costs, thumbnail caching and proxy trust, against the emulator.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bucket } from '@google-cloud/storage';
import { fixture } from '@thumbnailer/testkit';
import { SESSION_UPLOADS } from '../../src/session.js';
import {
  makeThumbnail,
  startCountedStack,
  startWeb,
  uploadAs,
  type RunningApp,
  type StorageRequest,
} from './harness.js';

const page = async (web: RunningApp, cookie = ''): Promise<string> =>
  (await fetch(`${web.base}/`, { headers: { cookie } })).text();

const get = (web: RunningApp, path: string, cookie = '', headers: Record<string, string> = {}) =>
  fetch(`${web.base}${path}`, { headers: { cookie, ...headers } });

const isListing = (r: StorageRequest): boolean => r.method === 'GET' && /\/o(\?|$)/.test(r.path);
const isMetadataRead = (r: StorageRequest): boolean => r.method === 'GET' && /\/o\/[^?]+/.test(r.path);

describe('who sees which upload', () => {
  let counted: Awaited<ReturnType<typeof startCountedStack>>;
  let bucket: Bucket;

  before(async () => {
    counted = await startCountedStack();
    bucket = counted.bucket;
  });
  after(async () => {
    await counted?.stack.stop();
  });

  describe('GALLERY=session (the default)', () => {
    let web: RunningApp;
    before(async () => {
      web = await startWeb({ stack: counted.stack, clock: () => new Date('2025-06-01T10:00:00Z') });
    });
    after(() => web?.close());

    test('lists only the uploads made from this browser; another browser sees none of them', async () => {
      const a = await uploadAs(web, '', 'alice.png');
      const b = await uploadAs(web, '', 'bob.png');
      const alice = await page(web, a.cookie);
      assert.match(alice, /alice\.png/);
      assert.doesNotMatch(alice, /bob\.png/);
      const bob = await page(web, b.cookie);
      assert.match(bob, /bob\.png/);
      assert.doesNotMatch(bob, /alice\.png/);
      const stranger = await page(web);
      assert.doesNotMatch(stranger, /alice\.png|bob\.png/);
      assert.match(stranger, /No uploads from this browser yet/);
      assert.match(stranger, /Only you see your uploads/, 'the footer says what is visible');
    });

    test("answers /api/thumbnail and /thumbnail/… for this browser's uploads and 404 for anyone else's", async () => {
      const a = await uploadAs(web, '', 'private.png');
      const thumbnail = await makeThumbnail(bucket, a.name);
      const ready = (await (await get(web, a.thumbnailStatus, a.cookie)).json()) as { thumbnail: string };
      assert.equal((await get(web, ready.thumbnail, a.cookie)).status, 200);
      const other = await uploadAs(web, '', 'other.png');
      for (const cookie of ['', other.cookie]) {
        assert.equal((await get(web, a.thumbnailStatus, cookie)).status, 404);
        assert.equal((await get(web, ready.thumbnail, cookie)).status, 404);
      }
      assert.ok(ready.thumbnail.endsWith(encodeURIComponent(thumbnail.split('/').pop() ?? '')));
    });

    test('ignores a forged session cookie', async () => {
      const a = await uploadAs(web, '', 'forged.png');
      const forged = a.cookie.replace(
        /(up_[0-9a-f]+=s%3A[^.]+\.)[^;]+/,
        '$1AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      );
      assert.notEqual(forged, a.cookie);
      assert.doesNotMatch(await page(web, forged), /forged\.png/);
      assert.equal((await get(web, a.thumbnailStatus, forged)).status, 404);
    });

    test('a page view lists nothing and reads at most one metadata object per upload it shows', async () => {
      let cookie = '';
      for (const name of ['one.png', 'two.png', 'three.png'])
        cookie = (await uploadAs(web, cookie, name)).cookie;
      const first = await counted.requestsDuring(() => page(web, cookie));
      assert.match(first.result, /three\.png/);
      assert.deepEqual(first.requests.filter(isListing), [], 'no listing');
      assert.ok(
        first.requests.every(isMetadataRead) && first.requests.length <= 3,
        JSON.stringify(first.requests),
      );
    });

    test(`remembers at most ${SESSION_UPLOADS} uploads per browser, the newest`, async () => {
      let cookie = '';
      for (let i = 1; i <= SESSION_UPLOADS + 2; i += 1) {
        cookie = (await uploadAs(web, cookie, `many-${String(i).padStart(2, '0')}.png`)).cookie;
      }
      assert.ok(cookie.split('; ').length <= SESSION_UPLOADS, 'the oldest cookies were cleared');
      const html = await page(web, cookie);
      assert.equal(html.match(/<li class="card">/g)?.length ?? 0, SESSION_UPLOADS);
      assert.doesNotMatch(html, /many-0[12]\.png/);
      assert.match(html, /many-14\.png/);
    });
  });

  describe('thumbnail caching', () => {
    let web: RunningApp;
    before(async () => {
      web = await startWeb({ stack: counted.stack, clock: () => new Date('2025-06-01T11:00:00Z') });
    });
    after(() => web?.close());

    test('sends a strong ETag from the generation, immutable caching, and 304 without a body for If-None-Match', async () => {
      const a = await uploadAs(web, '', 'cached.png');
      await makeThumbnail(bucket, a.name);
      const { thumbnail } = (await (await get(web, a.thumbnailStatus, a.cookie)).json()) as {
        thumbnail: string;
      };
      const first = await get(web, thumbnail, a.cookie);
      assert.equal(first.status, 200);
      const etag = first.headers.get('etag') ?? '';
      assert.match(etag, /^"\d+"$/, 'strong, quoted generation');
      assert.match(first.headers.get('cache-control') ?? '', /private, max-age=31536000, immutable/);
      const again = await get(web, thumbnail, a.cookie, { 'If-None-Match': etag });
      assert.equal(again.status, 304);
      assert.equal((await again.arrayBuffer()).byteLength, 0);
      assert.equal(again.headers.get('etag'), etag);
      const stale = await get(web, thumbnail, a.cookie, { 'If-None-Match': '"1"' });
      assert.equal(stale.status, 200);
      assert.equal((await get(web, thumbnail, '', { 'If-None-Match': etag })).status, 404, 'not for others');
    });
  });

  describe('GALLERY=public', () => {
    test("lists the bucket's recent uploads to anyone, newest first, with their thumbnails served to anyone", async () => {
      const clock = () => new Date('2025-07-01T08:30:00Z');
      const uploader = await startWeb({ stack: counted.stack, clock });
      const older = await uploadAs(uploader, '', 'public-older.png');
      const newer = await uploadAs(uploader, '', 'public-newer.png');
      await uploader.close();
      const thumbnail = await makeThumbnail(bucket, newer.name);
      const web = await startWeb({ stack: counted.stack, clock, env: { GALLERY: 'public' } });
      try {
        const html = await page(web);
        const cards = [...html.matchAll(/class="object-name" title="([^"]+)"/g)].map((m) => m[1]);
        assert.deepEqual(cards, [newer.name, older.name], 'newest first');
        assert.ok(html.includes(older.name));
        assert.match(html, /Anyone who opens this page sees the most recent uploads/);
        const url = `/thumbnail/${thumbnail.split('/').map(encodeURIComponent).join('/')}`;
        assert.ok(html.includes(`src="${url}"`));
        assert.equal((await get(web, url)).status, 200);
        assert.equal((await get(web, older.thumbnailStatus)).status, 200, 'anyone may poll');
      } finally {
        await web.close();
      }
    });

    test('shows the newest upload first in an hour of more than a thousand objects, in one listing per refresh', async () => {
      const hour = '20250802T14Z';
      const clock = () => new Date('2025-08-02T14:50:00Z');
      const png = await fixture('small-png');
      const names = Array.from({ length: 1100 }, (_, i) => `${hour}/busy-${String(i).padStart(4, '0')}.png`);
      for (let i = 0; i < names.length; i += 50) {
        await Promise.all(
          names
            .slice(i, i + 50)
            .map((name) => bucket.file(name).save(png, { resumable: false, contentType: 'image/png' })),
        );
      }
      // Last in name order as in time: a gallery that read only the first names would miss it.
      await bucket.file(`${hour}/zz-newest.png`).save(png, { resumable: false, contentType: 'image/png' });
      const web = await startWeb({ stack: counted.stack, clock, env: { GALLERY: 'public' } });
      try {
        const cold = await counted.requestsDuring(() => page(web));
        const cards = [...cold.result.matchAll(/class="object-name" title="([^"]+)"/g)].map((m) => m[1]);
        assert.equal(cards[0], `${hour}/zz-newest.png`);
        assert.equal(cards.length, SESSION_UPLOADS);
        const listings = cold.requests.filter(isListing);
        assert.equal(listings.length, 2, 'the hour folder, in two pages of 1000');
        assert.ok(
          listings.every((r) => r.path.includes('fields=')),
          'asks only for the fields it uses',
        );
        assert.ok(
          cold.requests.filter(isMetadataRead).length <= SESSION_UPLOADS,
          'one thumbnail check per card',
        );
        const warm = await counted.requestsDuring(async () => {
          for (let i = 0; i < 10; i += 1) await page(web);
        });
        assert.deepEqual(warm.requests, [], 'page views within the snapshot cost no storage request');
      } finally {
        await web.close();
      }
    });

    test("shows this instance's own upload on the next page view, before its snapshot is refreshed", async () => {
      const web = await startWeb({
        stack: counted.stack,
        clock: () => new Date('2025-09-03T07:00:00Z'),
        env: { GALLERY: 'public' },
      });
      try {
        assert.doesNotMatch(await page(web), /just-now\.png/);
        await uploadAs(web, '', 'just-now.png');
        assert.match(await page(web), /just-now\.png/);
      } finally {
        await web.close();
      }
    });
  });

  describe('GALLERY=off', () => {
    test('lists no uploads and says so, and serves thumbnails only to the browser that uploaded them', async () => {
      const web = await startWeb({
        stack: counted.stack,
        clock: () => new Date('2025-10-04T12:00:00Z'),
        env: { GALLERY: 'off' },
      });
      try {
        const a = await uploadAs(web, '', 'hidden.png');
        await makeThumbnail(bucket, a.name);
        const html = await page(web, a.cookie);
        assert.doesNotMatch(html, /hidden\.png/);
        assert.doesNotMatch(html, /id="gallery"/);
        assert.match(html, /This page lists no uploads/);
        assert.equal((await get(web, a.thumbnailStatus, a.cookie)).status, 200);
        assert.equal((await get(web, a.thumbnailStatus)).status, 404);
      } finally {
        await web.close();
      }
    });
  });

  describe('TRUST_PROXY', () => {
    const sendFrom = async (web: RunningApp, forwardedFor: string, filename: string) => {
      const form = new FormData();
      form.append('file', new Blob([await fixture('small-png')]), filename);
      return fetch(`${web.base}/upload`, {
        method: 'POST',
        body: form,
        headers: { Accept: 'application/json', 'X-Forwarded-For': forwardedFor },
      });
    };

    test('off (the default off Cloud Run): a client that sends its own X-Forwarded-For is still rate limited', async () => {
      const web = await startWeb({ stack: counted.stack, env: { RATE_LIMIT_PER_MINUTE: '2' } });
      try {
        const statuses = [];
        for (const [i, address] of ['198.51.100.1', '198.51.100.2', '198.51.100.3'].entries()) {
          statuses.push((await sendFrom(web, address, `spoof-${i}.png`)).status);
        }
        assert.deepEqual(statuses, [201, 201, 429]);
        const stored = web.logs.filter((line) => line.message === 'upload stored');
        for (const line of stored)
          assert.equal((line.httpRequest as { remoteIp: string }).remoteIp, '127.0.0.1');
      } finally {
        await web.close();
      }
    });

    test('one hop: the address the proxy appended is the client, for the rate limit and the logs', async () => {
      const web = await startWeb({
        stack: counted.stack,
        env: { RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY: '1' },
      });
      try {
        const statuses = [];
        for (const [i, address] of ['203.0.113.7', '203.0.113.7', '203.0.113.7', '203.0.113.8'].entries()) {
          statuses.push((await sendFrom(web, `10.9.9.9, ${address}`, `hop-${i}.png`)).status);
        }
        assert.deepEqual(statuses, [201, 201, 429, 201], 'each client address has its own limit');
        const last = web.logs.filter((line) => line.message === 'upload stored').at(-1);
        assert.equal((last?.httpRequest as { remoteIp: string }).remoteIp, '203.0.113.8');
      } finally {
        await web.close();
      }
    });
  });
});
