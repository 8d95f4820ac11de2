// The rendition set on the page and in /api/thumbnail, against the emulator: what a poll and a page view cost in
// storage requests, what the answer lists, and that every rendition is served. The test plays the worker with core's
// rendition engine (makeRenditions).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bucket } from '@google-cloud/storage';
import { fixture } from '@thumbnailer/testkit';
import {
  makeRenditions,
  makeThumbnail,
  startCountedStack,
  startWeb,
  uploadAs,
  type RunningApp,
  type StorageRequest,
  type Uploaded,
} from './harness.js';

const RENDITIONS = 'thumb:100x100,card:400x300:cover:webp,hero:1600x1600:avif:q60';

interface Ready {
  status: 'ready';
  thumbnail: string;
  complete: boolean;
  renditions: {
    rendition: string;
    name: string;
    url: string;
    width: number | null;
    height: number | null;
    contentType: string;
    bytes: number;
  }[];
  thumbhash: string | null;
  dominantColor: string | null;
  picture: { src: string; sources: { type: string; srcset: string }[]; srcset?: string };
}

const get = (web: RunningApp, path: string, cookie = '', headers: Record<string, string> = {}) =>
  fetch(`${web.base}${path}`, { headers: { cookie, ...headers } });

const isMetadataRead = (r: StorageRequest): boolean => r.method === 'GET' && /\/o\/[^?]+/.test(r.path);
/** The object names these requests read the metadata of. */
const readNames = (requests: StorageRequest[]): string[] =>
  requests.map((r) => decodeURIComponent(/\/o\/([^?]+)/.exec(r.path)?.[1] ?? '')).sort();

describe('renditions on the page and in /api/thumbnail', () => {
  let counted: Awaited<ReturnType<typeof startCountedStack>>;
  let bucket: Bucket;
  let web: RunningApp;

  before(async () => {
    counted = await startCountedStack();
    bucket = counted.bucket;
    web = await startWeb({
      stack: counted.stack,
      env: { RENDITIONS },
      clock: () => new Date('2025-12-03T15:42:00Z'),
    });
  });
  after(async () => {
    await web?.close();
    await counted?.stack.stop();
  });

  /** One poll of /api/thumbnail and the storage requests it cost. */
  const poll = (upload: Uploaded) =>
    counted.requestsDuring(async () => {
      const res = await get(web, upload.thumbnailStatus, upload.cookie);
      assert.equal(res.status, 200);
      return (await res.json()) as Ready | { status: 'pending' };
    });

  test('a poll costs one metadata read while the first rendition is missing, the others once when it appears, then nothing', async () => {
    const upload = await uploadAs(web, '', 'harbour.jpg', await fixture('landscape-jpeg'));
    const pending = await poll(upload);
    assert.equal(pending.result.status, 'pending');
    assert.equal(pending.requests.length, 1, JSON.stringify(pending.requests));
    assert.ok(pending.requests.every(isMetadataRead));

    const written = await makeRenditions(bucket, upload.name, RENDITIONS);
    const ready = await poll(upload);
    assert.equal(ready.result.status, 'ready');
    assert.deepEqual(readNames(ready.requests), Object.values(written).sort(), 'one read per rendition');
    const body = ready.result;
    assert.equal(body.complete, true);
    assert.deepEqual(
      body.renditions.map((r) => [r.rendition, r.name, r.contentType, r.width, r.height]),
      [
        ['thumb', written.thumb, 'image/jpeg', 100, 75],
        ['card', written.card, 'image/webp', 400, 300],
        ['hero', written.hero, 'image/avif', 640, 480],
      ],
    );
    for (const r of body.renditions) {
      const [metadata] = await bucket.file(r.name).getMetadata();
      assert.equal(r.bytes, Number(metadata.size));
      assert.equal(r.url, `/thumbnail/${r.name.split('/').map(encodeURIComponent).join('/')}`);
      assert.equal(body.thumbhash, metadata.metadata?.thumbhash);
      assert.equal(body.dominantColor, metadata.metadata?.dominantColor);
    }
    assert.match(body.thumbhash ?? '', /^[A-Za-z0-9+/]+=*$/);
    assert.match(body.dominantColor ?? '', /^#[0-9a-f]{6}$/);
    assert.equal(body.thumbnail, body.renditions[0]?.url, '`thumbnail` is still the first rendition');
    assert.deepEqual(
      body.picture.sources.map((s) => s.type),
      ['image/avif', 'image/webp'],
    );

    const again = await poll(upload);
    assert.equal(again.result.status, 'ready');
    assert.deepEqual(again.requests, [], 'a set found whole is remembered');
  });

  test('a set still being written is ready once its first rendition is: it lists what exists, says it is incomplete, and later polls read only what is missing', async () => {
    const upload = await uploadAs(web, '', 'lighthouse.jpg', await fixture('portrait-jpeg'));
    const written = await makeRenditions(bucket, upload.name, RENDITIONS, ['thumb']);
    const first = await poll(upload);
    const body = first.result as Ready;
    assert.equal(body.status, 'ready');
    assert.equal(body.complete, false);
    assert.deepEqual(
      body.renditions.map((r) => r.name),
      [written.thumb],
    );
    assert.equal(first.requests.length, 3);

    const next = await poll(upload);
    assert.equal(next.requests.length, 2, 'only the two missing ones');
    const rest = await makeRenditions(bucket, upload.name, RENDITIONS, ['card', 'hero']);
    const whole = await poll(upload);
    assert.deepEqual(readNames(whole.requests), [rest.card, rest.hero].sort());
    assert.equal((whole.result as Ready).complete, true);
    assert.deepEqual(
      (whole.result as Ready).renditions.map((r) => r.rendition),
      ['thumb', 'card', 'hero'],
    );
    assert.deepEqual((await poll(upload)).requests, []);
  });

  test('serves every rendition with its content type, a strong ETag and 304 on revalidation, and 404 to another browser', async () => {
    const upload = await uploadAs(web, '', 'dunes.jpg', await fixture('landscape-jpeg'));
    await makeRenditions(bucket, upload.name, RENDITIONS);
    const body = (await poll(upload)).result as Ready;
    const stranger = await uploadAs(web, '', 'mine.jpg', await fixture('landscape-jpeg'));
    for (const r of body.renditions) {
      const res = await get(web, r.url, upload.cookie);
      assert.equal(res.status, 200, r.rendition);
      assert.equal(res.headers.get('content-type'), r.contentType);
      assert.equal((await res.arrayBuffer()).byteLength, r.bytes);
      const etag = res.headers.get('etag') ?? '';
      assert.match(etag, /^"\d+"$/);
      assert.equal((await get(web, r.url, upload.cookie, { 'If-None-Match': etag })).status, 304);
      assert.equal((await get(web, r.url, stranger.cookie)).status, 404, 'not another browser’s');
      assert.equal((await get(web, r.url)).status, 404, 'not a browser without uploads');
    }
  });

  test('the gallery card is a <picture>: AVIF and WebP sources over the widths, its display size, the placeholder; a page view reads each rendition once', async () => {
    const upload = await uploadAs(web, '', 'cliffs.jpg', await fixture('landscape-jpeg'));
    const written = await makeRenditions(bucket, upload.name, RENDITIONS);
    // A fresh instance, which has found nothing yet.
    const other = await startWeb({ stack: counted.stack, env: { RENDITIONS } });
    try {
      const view = () => counted.requestsDuring(async () => (await get(other, '/', upload.cookie)).text());
      const cold = await view();
      assert.deepEqual(readNames(cold.requests), Object.values(written).sort());
      const url = (name: string | undefined) =>
        `/thumbnail/${(name ?? '').split('/').map(encodeURIComponent).join('/')}`;
      const card = /<li class="card">.*?<\/li>/s.exec(cold.result)?.[0] ?? '';
      assert.ok(
        card.includes(
          `<a href="${url(written.hero)}"><picture>` +
            `<source type="image/avif" srcset="${url(written.thumb)} 100w, ${url(written.card)} 400w, ${url(written.hero)} 640w" sizes="200px">` +
            `<source type="image/webp" srcset="${url(written.thumb)} 100w, ${url(written.card)} 400w" sizes="200px">` +
            `<img src="${url(written.thumb)}" width="200" height="150" alt="Thumbnail of ${upload.name}" loading="lazy" decoding="async" data-thumbhash="`,
        ),
        card,
      );
      assert.match(card, /data-thumbhash="[A-Za-z0-9+/]+=*" data-color="#[0-9a-f]{6}"><\/picture><\/a>/);
      assert.match(
        cold.result,
        /make 3 renditions of it: thumb \(100 px\), card \(400×300 px\) and hero \(1600 px\)/,
      );
      assert.deepEqual((await view()).requests, [], 'the next view reads nothing');
    } finally {
      await other.close();
    }
  });

  test('a thumbnail of an earlier release (no size, no placeholder recorded) is ready as a plain image', async () => {
    const legacy = await startWeb({ stack: counted.stack, clock: () => new Date('2025-12-03T16:00:00Z') });
    try {
      const upload = await uploadAs(legacy, '', 'old.png', await fixture('small-png'));
      const name = await makeThumbnail(bucket, upload.name);
      const body = (await (await get(legacy, upload.thumbnailStatus, upload.cookie)).json()) as Ready;
      assert.equal(body.status, 'ready');
      assert.deepEqual(body.renditions, [
        {
          rendition: 'thumb',
          name,
          url: body.thumbnail,
          width: null,
          height: null,
          contentType: 'image/png',
          bytes: body.renditions[0]?.bytes,
        },
      ]);
      assert.equal(body.thumbhash, null);
      assert.deepEqual(body.picture.sources, []);
      const html = await (await get(legacy, '/', upload.cookie)).text();
      assert.ok(
        html.includes(
          `<picture><img src="${body.thumbnail}" alt="Thumbnail of ${upload.name}" loading="lazy" decoding="async"></picture>`,
        ),
      );
      assert.match(html, /make a 100 px thumbnail/);
    } finally {
      await legacy.close();
    }
  });
});
