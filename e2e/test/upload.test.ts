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

/** The loaded image's natural width; 0 while it is missing or still loading. */
function loadedWidth(img: Locator): Promise<number> {
  return img.evaluate((node) => {
    const image = node as unknown as { complete: boolean; naturalWidth: number };
    return image.complete ? image.naturalWidth : 0;
  });
}

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
      await page.setInputFiles('#file', photo);
      await page.click('#upload-button');
      const flash = page.locator('#flash.flash-success');
      await flash.waitFor();
      const match = /Uploaded harbour\.jpg as (\d{8}T\d{2}Z\/harbour\.jpg)/.exec(await flash.innerText());
      assert.ok(match?.[1], `the flash names the stored object: ${await flash.innerText()}`);
      const name = match[1];

      // The page polls the web app, which finds the thumbnail the worker wrote after the bucket notification.
      const thumbnail = page.locator('#result img');
      const width = await waitFor(() => loadedWidth(thumbnail), {
        timeoutMs: 20_000,
        message: 'the thumbnail to appear and load on the page without a reload',
      });
      assert.ok(width <= 100, `the thumbnail is at most 100 px wide, got ${width}`);
      await page.screenshot({ path: join(RESULTS, 'upload-with-thumbnail.png'), fullPage: true });

      await page.reload();
      const card = page.locator('#gallery li.card', { has: page.locator(`[title="${name}"]`) });
      const galleryWidth = await waitFor(() => loadedWidth(card.locator('img')), {
        message: 'the gallery card of the upload to show its thumbnail after a reload',
      });
      assert.ok(galleryWidth > 0 && galleryWidth <= 100, `gallery thumbnail width ${galleryWidth}`);
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
