// A real browser (Debian chromium via playwright-core) uploading through the page against the storage emulator.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Bucket } from '@google-cloud/storage';
import { createThumbnail } from '@thumbnailer/core';
import { startStack } from '@thumbnailer/emulators';
import { fixture, waitFor } from '@thumbnailer/testkit';
import { chromium, type Browser } from 'playwright-core';
import { expectedThumbnailName } from '../../src/thumbnails.js';
import { startWeb, type RunningApp } from './harness.js';

const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url));
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Plays the worker: writes the thumbnail where the worker would, with its metadata. */
async function makeThumbnail(bucket: Bucket, name: string): Promise<void> {
  const file = bucket.file(name);
  const [metadata] = await file.getMetadata();
  const [source] = await file.download();
  const thumbnail = await createThumbnail(source, { size: 100 });
  const target = expectedThumbnailName('thumbnails/', {
    name,
    generation: String(metadata.generation),
    created: new Date(String(metadata.timeCreated)),
    contentType: String(metadata.contentType),
  });
  await bucket.file(target).save(thumbnail.data, {
    resumable: false,
    contentType: thumbnail.contentType,
    metadata: {
      metadata: { thumbnailOf: `gs://${bucket.name}/${name}`, sourceGeneration: String(metadata.generation) },
    },
  });
}

describe('the upload page in a real browser', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  let bucket: Bucket;
  let web: RunningApp;
  let browser: Browser;

  before(async () => {
    mkdirSync(RESULTS, { recursive: true });
    stack = await startStack();
    bucket = stack.storage().bucket(stack.provisioning.bucket);
    web = await startWeb({ bucket });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
    });
  });
  after(async () => {
    await browser?.close();
    await web?.close();
    await stack?.stop();
  });

  test('uploads a JPEG through the file input, shows what was stored, then its thumbnail without a reload', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`${web.base}/`);
    assert.match(await page.locator('h1').innerText(), /Upload an image/);
    await page.setInputFiles('#file', {
      name: 'mountain.jpg',
      mimeType: 'image/jpeg',
      buffer: await fixture('landscape-jpeg'),
    });
    assert.match(await page.locator('#file-name').innerText(), /mountain\.jpg/);
    await page.click('#upload-button');
    const flash = page.locator('#flash.flash-success');
    await flash.waitFor();
    assert.match(await flash.innerText(), /Uploaded mountain\.jpg as \d{8}T\d{2}Z\/mountain\.jpg/);
    assert.match(await page.locator('#result').innerText(), /gs:\/\/.*mountain\.jpg/);

    const [files] = await bucket.getFiles();
    const stored = files.find((f) => f.name.endsWith('/mountain.jpg'));
    assert.ok(stored, 'the upload is in the bucket');
    await makeThumbnail(bucket, stored.name);
    await page.locator('#result img').waitFor({ timeout: 15_000 });
    await waitFor(
      () =>
        page.locator('#result img').evaluate((node) => {
          const img = node as unknown as { complete: boolean; naturalWidth: number };
          return img.complete && img.naturalWidth > 0;
        }),
      { message: 'the thumbnail image loads' },
    );
    assert.deepEqual(errors, [], 'no console errors (CSP violations included)');
    await page.screenshot({ path: `${RESULTS}upload-success.png`, fullPage: true });

    // Uploads from another tab show up in the gallery, with their thumbnails, after a reload.
    await page.reload();
    await page.locator('#gallery img').first().waitFor();
    await page.screenshot({ path: `${RESULTS}upload-gallery.png`, fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: `${RESULTS}upload-gallery-dark.png`, fullPage: true });
    await page.close();
  });

  test('shows a clear error for a text file and stores nothing', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    await page.goto(`${web.base}/`);
    const before_ = (await bucket.getFiles())[0].length;
    await page.setInputFiles('#file', {
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: await fixture('text'),
    });
    await page.click('#upload-button');
    const flash = page.locator('#flash.flash-error');
    await flash.waitFor();
    assert.match(await flash.innerText(), /not a supported image/);
    assert.equal((await bucket.getFiles())[0].length, before_);
    await page.screenshot({ path: `${RESULTS}upload-error.png`, fullPage: true });
    await page.close();
  });

  test('accepts a file dropped on the drop zone and uploads it', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    await page.goto(`${web.base}/`);
    const b64 = (await fixture('small-png')).toString('base64');
    // Built in the page: a DataTransfer holding a File, as the browser makes for a real drop.
    const dataTransfer = await page.evaluateHandle(`(() => {
      const bytes = Uint8Array.from(atob('${b64}'), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
      return transfer;
    })()`);
    await page.dispatchEvent('#dropzone', 'dragenter', { dataTransfer });
    assert.match((await page.locator('#dropzone').getAttribute('class')) ?? '', /is-dragover/);
    await page.dispatchEvent('#dropzone', 'drop', { dataTransfer });
    assert.match(await page.locator('#file-name').innerText(), /Selected: dropped\.png/);
    await page.click('#upload-button');
    const flash = page.locator('#flash.flash-success');
    await flash.waitFor();
    assert.match(await flash.innerText(), /Uploaded dropped\.png as \d{8}T\d{2}Z\/dropped\.png/);
    await page.close();
  });

  test('works without JavaScript: the form posts, redirects and shows the flash message', async () => {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 420, height: 900 },
    });
    const page = await context.newPage();
    await page.goto(`${web.base}/`);
    await page.setInputFiles('#file', {
      name: 'nojs.png',
      mimeType: 'image/png',
      buffer: await fixture('small-png'),
    });
    await page.click('#upload-button');
    await page.locator('#flash.flash-success').waitFor();
    assert.match(await page.locator('#flash.flash-success').innerText(), /nojs\.png/);
    await page.screenshot({ path: `${RESULTS}upload-nojs-mobile.png`, fullPage: true });
    await context.close();
  });
});
