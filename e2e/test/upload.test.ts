// A real browser (Debian chromium) over the whole native stack: emulators, the built web app and the built
// worker pulling the bucket's notifications. Nothing is faked: the thumbnails on the page are the worker's.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Bucket } from '@google-cloud/storage';
import { fixture, largeJpeg, waitFor } from '@thumbnailer/testkit';
import { dataTransferOf, launchChromium } from '@thumbnailer/testkit/browser';
import type { Browser, Page } from 'playwright-core';
import { explainFailure, startNativeStack, type NativeStack } from '../src/index.js';

const RESULTS = fileURLToPath(new URL('../test-results/', import.meta.url));
/** The worker makes these and the page shows them: both apps get the same RENDITIONS. */
const RENDITIONS = 'thumb:100x100,card:400x300:cover:webp,hero:1600x1600:avif:q60';

// Nothing here runs on Google Cloud: the test's own clients skip the auth library's metadata-server probe.
process.env.METADATA_SERVER_DETECTION ??= 'none';

/** Images on the page that have loaded, with their natural sizes. */
async function loadedImages(page: Page, selector: string): Promise<{ width: number; height: number }[]> {
  return page.locator(selector).evaluateAll((nodes) =>
    nodes
      .map((node) => node as unknown as { complete: boolean; naturalWidth: number; naturalHeight: number })
      .filter((img) => img.complete && img.naturalWidth > 0)
      .map((img) => ({ width: img.naturalWidth, height: img.naturalHeight })),
  );
}

/** Drops these files on the drop zone, as the browser does for a real drop. */
async function dropFiles(page: Page, files: { name: string; type: string; data: Buffer }[]): Promise<void> {
  await page.dispatchEvent('#dropzone', 'drop', { dataTransfer: await dataTransferOf(page, files) });
}

/** Progress bars of the rows still sending, as fractions. */
const sending = (page: Page): Promise<number[]> =>
  page
    .locator('#uploads .upload.is-sending progress')
    .evaluateAll((nodes) =>
      nodes.map(
        (node) =>
          (node as unknown as { value: number; max: number }).value /
          (node as unknown as { max: number }).max,
      ),
    );

describe('uploading photos in a real browser over the whole native stack', () => {
  let stack: NativeStack | undefined;
  let browser: Browser | undefined;
  const output = (): string => stack?.output() ?? '';

  before(async () => {
    mkdirSync(RESULTS, { recursive: true });
    stack = await startNativeStack({ inherit: process.env, renditions: RENDITIONS });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  test('three files dropped at once, one of them text: three progress bars, the worker’s renditions of both photos as responsive pictures, one clear refusal; another browser sees none of them', () =>
    explainFailure(output, async () => {
      assert.ok(stack && browser);
      const bucket: Bucket = stack.emulators.storage().bucket(stack.emulators.provisioning.bucket);
      const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));

      // One earlier upload, so that this browser's gallery has something in it.
      await page.goto(`${stack.web.base}/`);
      await page.setInputFiles('#file', {
        name: 'harbour.jpg',
        mimeType: 'image/jpeg',
        buffer: await fixture('landscape-jpeg'),
      });
      await waitFor(async () => (await loadedImages(page, '#uploads .upload img')).length === 1, {
        timeoutMs: 20_000,
        message: 'the first upload’s thumbnail, made by the worker',
      });
      await page.reload();
      // The gallery card's <picture> over the worker's three renditions: Chromium takes the WebP card or the AVIF
      // hero for its 200 px slot, never the 100 px JPEG.
      const card = await waitFor(
        async () => {
          const [state] = await page.locator('#gallery .card img').evaluateAll((nodes) =>
            nodes.map((node) => {
              const img = node as unknown as { currentSrc: string; complete: boolean; naturalWidth: number };
              return { currentSrc: img.currentSrc, loaded: img.complete && img.naturalWidth > 0 };
            }),
          );
          return state?.loaded ? state : undefined;
        },
        { message: 'the gallery card’s picture loads' },
      );
      assert.match(card.currentSrc, /\.(webp|avif)$/, card.currentSrc);
      assert.equal(await page.locator('#gallery .card source').count(), 2, 'an AVIF and a WebP source');
      assert.match(
        (await page.locator('#gallery .card img').getAttribute('data-thumbhash')) ?? '',
        /^[A-Za-z0-9+/]+=*$/,
        'the worker’s ThumbHash is the placeholder',
      );
      await page.evaluate(() => Object.assign(globalThis, { e2eSameDocument: true }));

      // A slow uplink, so that the progress can be seen (and photographed) while the bytes go out.
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 20,
        downloadThroughput: -1,
        uploadThroughput: 400 * 1024,
      });
      const big = await largeJpeg(1200, 900);
      await dropFiles(page, [
        { name: 'lighthouse.jpg', type: 'image/jpeg', data: big },
        { name: 'shopping-list.txt', type: 'text/plain', data: await fixture('text') },
        { name: 'dunes.jpg', type: 'image/jpeg', data: await largeJpeg(900, 1200) },
      ]);
      assert.equal(await page.locator('#uploads .upload progress').count(), 3, 'a progress bar per file');
      await waitFor(
        async () => {
          const bars = await sending(page);
          return bars.length === 2 && bars.every((f) => f > 0.1 && f < 0.9);
        },
        { timeoutMs: 30_000, intervalMs: 50, message: 'both photos part-way sent' },
      );
      await page.screenshot({ path: join(RESULTS, 'uploads-in-progress.png'), fullPage: true });
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: -1,
      });

      const refused = page.locator('#uploads .upload.is-refused');
      await refused.waitFor();
      assert.match(
        await refused.innerText(),
        /shopping-list\.txt[\s\S]*Refused: The file is not a supported raster image/,
      );
      const thumbnails = await waitFor(
        async () => {
          const images = await loadedImages(page, '#uploads .upload img');
          return images.length === 2 ? images : undefined;
        },
        { timeoutMs: 30_000, message: 'the worker’s thumbnails of both photos appear without a reload' },
      );
      for (const size of thumbnails) assert.ok(size.width <= 100 && size.height <= 100, JSON.stringify(size));
      assert.equal(await page.evaluate(() => 'e2eSameDocument' in globalThis), true, 'no reload');
      await page.screenshot({ path: join(RESULTS, 'uploads-finished.png'), fullPage: true });
      assert.deepEqual(pageErrors, []);

      const names = (await page.locator('#uploads .upload.is-stored .upload-state').allInnerTexts()).map(
        (text) => text.replace(/^Stored as /, ''),
      );
      assert.equal(names.length, 2);
      for (const name of names) {
        const [source] = await bucket.file(name).getMetadata();
        const [made] = await bucket.getFiles({ prefix: 'thumbnails/' });
        const metadata = await Promise.all(made.map(async (file) => (await file.getMetadata())[0]));
        const ours = metadata.filter((m) => m.metadata?.thumbnailOf === `gs://${bucket.name}/${name}`);
        assert.deepEqual(
          ours.map((m) => m.metadata?.rendition).sort(),
          ['card', 'hero', 'thumb'],
          `exactly one object per rendition names ${name} in thumbnailOf`,
        );
        for (const m of ours) assert.equal(String(m.metadata?.sourceGeneration), String(source.generation));

        // /api/thumbnail lists the worker's renditions as this browser's session sees them.
        const status = await page.evaluate(
          async (query) => {
            const response = await fetch(`/api/thumbnail?${query}`, {
              headers: { Accept: 'application/json' },
            });
            return (await response.json()) as {
              status: string;
              complete: boolean;
              renditions: { rendition: string; contentType: string; width: number; height: number }[];
              dominantColor: string;
            };
          },
          new URLSearchParams({ name, generation: String(source.generation) }).toString(),
        );
        assert.equal(status.status, 'ready');
        assert.equal(status.complete, true);
        assert.deepEqual(
          status.renditions.map((r) => [r.rendition, r.contentType]),
          [
            ['thumb', 'image/jpeg'],
            ['card', 'image/webp'],
            ['hero', 'image/avif'],
          ],
        );
        assert.deepEqual(
          [status.renditions[1]?.width, status.renditions[1]?.height],
          [400, 300],
          'the cover crop',
        );
        assert.equal(status.dominantColor, ours[0]?.metadata?.dominantColor);
      }

      // A reload of a rendition is revalidated and answered 304 (seen on the wire: the page reads 200 from cache).
      const src = new URL(
        await page
          .locator('#uploads .upload img')
          .first()
          .evaluate((img) => (img as unknown as { currentSrc: string }).currentSrc),
      ).pathname;
      const first = await page.goto(`${stack.web.base}${src}`);
      assert.equal(first?.status(), 200);
      // Only the rendition's own request counts (the browser also asks for /favicon.ico, answered 404).
      const urls = new Map<string, string>();
      cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
      const wire: { status?: number } = {};
      cdp.on('Network.responseReceivedExtraInfo', (e) => {
        if (urls.get(e.requestId)?.endsWith(src)) wire.status = e.statusCode;
      });
      await page.reload();
      await waitFor(() => wire.status !== undefined, { message: 'the rendition’s reload on the wire' });
      assert.equal(wire.status, 304);

      // Another browser: none of these uploads, and 404 for their thumbnails.
      const stranger = await browser.newContext();
      const other = await stranger.newPage();
      await other.goto(`${stack.web.base}/`);
      const html = await other.content();
      for (const name of ['harbour', 'lighthouse', 'dunes']) assert.doesNotMatch(html, new RegExp(name));
      assert.equal((await other.goto(`${stack.web.base}${src}`))?.status(), 404);
      await stranger.close();
      await context.close();
    }));
});
