// A real browser (Debian chromium) over the whole native stack: emulators, the built web app and the built
// worker pulling the bucket's notifications. Nothing is faked: the thumbnail on the page is the worker's.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Bucket } from '@google-cloud/storage';
import { fixture, waitFor } from '@thumbnailer/testkit';
import type { Browser, Locator } from 'playwright-core';
import { explainFailure, launchChromium, startNativeStack, type NativeStack } from '../src/index.js';

const RESULTS = fileURLToPath(new URL('../test-results/', import.meta.url));

/** The loaded image's natural size; undefined while it is missing or still loading. */
async function loadedSize(img: Locator): Promise<{ width: number; height: number } | undefined> {
  if ((await img.count()) === 0) return undefined; // not on the page yet: evaluate() would wait for it
  const size = await img.evaluate((node) => {
    const image = node as unknown as { complete: boolean; naturalWidth: number; naturalHeight: number };
    return { width: image.complete ? image.naturalWidth : 0, height: image.naturalHeight };
  });
  return size.width > 0 ? size : undefined;
}

// Nothing here runs on Google Cloud: the test's own clients skip the auth library's metadata-server probe.
process.env.METADATA_SERVER_DETECTION ??= 'none';

describe('uploading a photo in a real browser over the whole native stack', () => {
  let stack: NativeStack | undefined;
  let browser: Browser | undefined;
  let workdir: string | undefined;
  const output = (): string => stack?.output() ?? '';

  before(async () => {
    mkdirSync(RESULTS, { recursive: true });
    workdir = await mkdtemp(join(tmpdir(), 'thumbnailer-e2e-'));
    stack = await startNativeStack({ inherit: process.env });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
    if (workdir) await rm(workdir, { recursive: true, force: true });
  });

  test('shows the worker’s thumbnail without a reload, keeps it in the gallery after one, and stores it with thumbnailOf', () =>
    explainFailure(output, async () => {
      assert.ok(stack && browser && workdir);
      const bucket: Bucket = stack.emulators.storage().bucket(stack.emulators.provisioning.bucket);
      const photo = join(workdir, 'harbour.jpg');
      await writeFile(photo, await fixture('landscape-jpeg'));

      const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
      const pageErrors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') pageErrors.push(message.text());
      });
      page.on('pageerror', (error) => pageErrors.push(error.message));

      await page.goto(`${stack.web.base}/`);
      // Survives only as long as the document does: still there later means the page never reloaded.
      await page.evaluate(() => Object.assign(globalThis, { e2eSameDocument: true }));
      await page.setInputFiles('#file', photo);
      await page.click('#upload-button');
      const flash = page.locator('#flash.flash-success');
      await flash.waitFor();
      const match = /Uploaded harbour\.jpg as (\d{8}T\d{2}Z\/harbour\.jpg)/.exec(await flash.innerText());
      assert.ok(match?.[1], `the flash names the stored object: ${await flash.innerText()}`);
      const name = match[1];

      // The page polls the web app, which finds the thumbnail the worker wrote after the bucket notification.
      const thumbnail = page.locator('#result img');
      const size = await waitFor(() => loadedSize(thumbnail), {
        timeoutMs: 20_000,
        message: 'the thumbnail to appear and load on the page without a reload',
      });
      assert.ok(
        size.width <= 100 && size.height <= 100,
        `the thumbnail fits 100×100: ${JSON.stringify(size)}`,
      );
      assert.equal(
        await page.evaluate(() => 'e2eSameDocument' in globalThis),
        true,
        'the page was not reloaded',
      );
      await page.screenshot({ path: join(RESULTS, 'upload-with-thumbnail.png'), fullPage: true });

      await page.reload();
      const card = page.locator('#gallery li.card', { has: page.locator(`[title="${name}"]`) });
      const gallerySize = await waitFor(() => loadedSize(card.locator('img')), {
        message: 'the gallery card of the upload to show its thumbnail after a reload',
      });
      assert.deepEqual(gallerySize, size, 'the gallery shows the same thumbnail');
      await page.screenshot({ path: join(RESULTS, 'gallery-after-reload.png'), fullPage: true });
      assert.deepEqual(pageErrors, [], 'no errors in the page (CSP violations included)');
      await page.close();

      const [source] = await bucket.file(name).getMetadata();
      const [thumbnails] = await bucket.getFiles({ prefix: 'thumbnails/' });
      const made = await Promise.all(thumbnails.map(async (file) => (await file.getMetadata())[0]));
      const ours = made.filter((m) => m.metadata?.thumbnailOf === `gs://${bucket.name}/${name}`);
      assert.equal(ours.length, 1, 'exactly one thumbnail object names the upload in thumbnailOf');
      assert.equal(String(ours[0]?.metadata?.sourceGeneration), String(source.generation));
      assert.equal(ours[0]?.contentType, 'image/jpeg');
    }));
});
