// A real browser (Debian chromium via playwright-core) using the page against the storage emulator; the test plays
// the worker. Accessibility is checked with axe-core injected into the page.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Bucket } from '@google-cloud/storage';
import { startStack, type Stack } from '@thumbnailer/emulators';
import { fixture, waitFor } from '@thumbnailer/testkit';
import { dataTransferOf, launchChromium } from '@thumbnailer/testkit/browser';
import type { Browser, FileChooser, Page } from 'playwright-core';
import { makeRenditions, makeThumbnail, startWeb, type RunningApp } from './harness.js';

const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url));
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's violations of serious or critical impact on the page as it is now (WCAG 2.x A/AA rules). */
async function seriousViolations(page: Page): Promise<string[]> {
  // Through the DevTools protocol, so the page's CSP (no inline scripts) stays as it is.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const { axe, document } = globalThis as unknown as {
      axe: { run(context: unknown, options: unknown): Promise<unknown> };
      document: unknown;
    };
    const result = (await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    })) as { violations: { id: string; impact: string; nodes: { target: string[] }[] }[] };
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      targets: v.nodes.map((n) => n.target),
    }));
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${JSON.stringify(v.targets)}`);
}

/** Drags these files over the drop zone (it shows it), then drops them. */
async function dropFiles(page: Page, files: { name: string; type: string; data: Buffer }[]): Promise<void> {
  const dataTransfer = await dataTransferOf(page, files);
  await page.dispatchEvent('#dropzone', 'dragenter', { dataTransfer });
  assert.match((await page.locator('#dropzone').getAttribute('class')) ?? '', /is-dragover/);
  await page.dispatchEvent('#dropzone', 'drop', { dataTransfer });
}

const imageLoaded = (page: Page, selector: string) =>
  page.locator(selector).evaluateAll(
    (nodes) =>
      nodes.filter((node) => {
        const img = node as unknown as { complete: boolean; naturalWidth: number };
        return img.complete && img.naturalWidth > 0;
      }).length,
  );

/** What an <img> shows: the candidate the browser chose, and whether it has loaded. */
const imgState = (page: Page, selector: string) =>
  page.locator(selector).evaluate((node) => {
    const img = node as unknown as {
      currentSrc: string;
      complete: boolean;
      naturalWidth: number;
      className: string;
      style: { backgroundImage: string; backgroundColor: string };
    };
    return {
      currentSrc: img.currentSrc,
      loaded: img.complete && img.naturalWidth > 0,
      naturalWidth: img.naturalWidth,
      placeholder: img.className.includes('is-placeholder'),
      backgroundImage: img.style.backgroundImage,
      backgroundColor: img.style.backgroundColor,
    };
  });

/** Holds every /thumbnail/… request until `release()`: what the page shows before its pictures arrive. */
async function holdThumbnails(page: Page): Promise<{ release(): Promise<void>; held(): number }> {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const handled: Promise<void>[] = [];
  const handler = (route: { continue(): Promise<void> }) => {
    const done = gate.then(() => route.continue());
    handled.push(done);
    return done;
  };
  await page.route('**/thumbnail/**', handler);
  return {
    held: () => handled.length,
    release: async () => {
      open();
      await Promise.all(handled);
      await page.unroute('**/thumbnail/**', handler);
    },
  };
}

const RENDITIONS = 'thumb:100x100,card:400x300:cover:webp,hero:1600x1600:avif:q60';

describe('the upload page in a real browser', () => {
  let stack: Stack;
  let bucket: Bucket;
  let web: RunningApp;
  let webWithRenditions: RunningApp;
  let browser: Browser;

  before(async () => {
    mkdirSync(RESULTS, { recursive: true });
    stack = await startStack();
    bucket = stack.storage().bucket(stack.provisioning.bucket);
    web = await startWeb({ stack });
    webWithRenditions = await startWeb({ stack, env: { RENDITIONS } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await web?.close();
    await webWithRenditions?.close();
    await stack?.stop();
  });

  test('three files dropped at once, one of them text: three progress bars, two thumbnails, one clear refusal, no axe violations', async () => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 1000 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${web.base}/`);
    await dropFiles(page, [
      { name: 'mountain.jpg', type: 'image/jpeg', data: await fixture('landscape-jpeg') },
      { name: 'notes.txt', type: 'text/plain', data: await fixture('text') },
      { name: 'tower.jpg', type: 'image/jpeg', data: await fixture('portrait-jpeg') },
    ]);
    await waitFor(async () => (await page.locator('#uploads .upload progress').count()) === 3, {
      message: 'three rows, each with its own progress bar',
    });
    await page.locator('#uploads .upload.is-refused').waitFor();
    await waitFor(async () => (await page.locator('#uploads .upload.is-stored').count()) === 2, {
      message: 'two uploads stored',
    });
    const refused = page.locator('#uploads .upload.is-refused');
    assert.match(
      await refused.innerText(),
      /notes\.txt[\s\S]*Refused: The file is not a supported raster image; accepted: JPEG/,
    );
    for (const row of await page.locator('#uploads .upload.is-stored').all()) {
      assert.match(await row.innerText(), /Stored as \d{8}T\d{2}Z\/(mountain|tower)\.jpg/);
      assert.equal(
        await row
          .locator('progress')
          .evaluate(
            (p) =>
              (p as unknown as { value: number; max: number }).value ===
              (p as unknown as { max: number }).max,
          ),
        true,
        'a stored upload shows its bar full',
      );
    }
    assert.match((await page.locator('#upload-status').textContent()) ?? '', /stored as|refused|thumbnail/);

    const [files] = await bucket.getFiles();
    const stored = files.filter((f) => /\/(mountain|tower)\.jpg$/.test(f.name));
    assert.equal(stored.length, 2, 'the two images are in the bucket, the text file is not');
    for (const file of stored) await makeThumbnail(bucket, file.name);
    await waitFor(async () => (await imageLoaded(page, '#uploads .upload img')) === 2, {
      timeoutMs: 30_000,
      message: 'both thumbnails appear and load without a reload',
    });
    assert.deepEqual(
      errors.filter((e) => !/status of 415/.test(e)),
      [],
      'no console errors but the refused upload’s 415 (CSP violations included)',
    );
    // From here on axe-core runs in the page (its own inline styles are refused by the CSP: console noise).
    assert.deepEqual(await seriousViolations(page), [], 'the page with uploads, progress and a refusal');
    await page.screenshot({ path: `${RESULTS}uploads-three-dropped.png`, fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    assert.deepEqual(await seriousViolations(page), [], 'the same in dark mode');
    await page.screenshot({ path: `${RESULTS}uploads-three-dropped-dark.png`, fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });

    // After a reload this browser's gallery lists both, and a reload of a thumbnail is answered 304.
    await page.reload();
    await waitFor(async () => (await imageLoaded(page, '#gallery img')) === 2, {
      message: 'the gallery shows both thumbnails after a reload',
    });
    assert.deepEqual(await seriousViolations(page), [], 'the gallery');
    const src = (await page.locator('#gallery img').first().getAttribute('src')) ?? '';
    const first = await page.goto(`${web.base}${src}`);
    assert.equal(first?.status(), 200);
    // What went over the wire (the page-level response of a revalidated reload reads 200, from the cache).
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    const wire: { ifNoneMatch?: string; status?: number } = {};
    cdp.on('Network.requestWillBeSentExtraInfo', (e) => (wire.ifNoneMatch = e.headers['If-None-Match']));
    cdp.on('Network.responseReceivedExtraInfo', (e) => (wire.status = e.statusCode));
    await page.reload();
    assert.equal(wire.ifNoneMatch, first?.headers().etag, 'the reload asks with If-None-Match');
    assert.equal(wire.status, 304, 'and is answered 304');
    await context.close();
  });

  test('with three renditions: the placeholder shows before the picture, Chromium takes the WebP card at 1× and the AVIF hero at 3×, axe-core stays clean, a reload of a rendition is answered 304', async () => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 1000 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`${webWithRenditions.base}/`);
    assert.match(await page.locator('.lead').innerText(), /3 renditions of it: thumb \(100 px\)/);
    await page.setInputFiles('#file', {
      name: 'harbour.jpg',
      mimeType: 'image/jpeg',
      buffer: await fixture('landscape-jpeg'),
    });
    await page.locator('#uploads .upload.is-stored').waitFor();
    const name =
      /Stored as (\S+)/.exec(await page.locator('#uploads .upload.is-stored').innerText())?.[1] ?? '';

    // The worker writes the set while the pictures' bytes are held back: the placeholder is what shows. The first
    // rendition comes first (a set still being written): the page shows it, then redraws with the whole set.
    const hold = await holdThumbnails(page);
    await makeRenditions(bucket, name, RENDITIONS, ['thumb']);
    const preview = '#uploads .upload img';
    await page.locator(preview).waitFor({ state: 'attached', timeout: 20_000 });
    assert.equal(await page.locator('#uploads .upload source').count(), 0, 'the first rendition alone');
    await makeRenditions(bucket, name, RENDITIONS, ['card', 'hero']);
    await waitFor(async () => (await page.locator('#uploads .upload source').count()) === 2, {
      timeoutMs: 20_000,
      message: 'the preview is redrawn with the AVIF and WebP sources once the set is whole',
    });
    const [thumb] = await bucket.getFiles({ prefix: 'thumbnails/' });
    const before = await waitFor(
      async () => {
        if ((await page.locator(preview).count()) === 0) return undefined;
        const state = await imgState(page, preview);
        return state.backgroundImage.startsWith('url("data:image/png;base64,') ? state : undefined;
      },
      { timeoutMs: 20_000, message: 'the preview shows its ThumbHash before the picture' },
    );
    assert.equal(before.loaded, false, 'the picture itself has not arrived');
    assert.equal(before.placeholder, true);
    assert.match(before.backgroundColor, /^rgb\(/, 'and the dominant colour under it');
    assert.ok(thumb, 'the renditions are in the bucket');
    assert.equal(
      await page.locator('#uploads .upload img').getAttribute('width'),
      '100',
      'the space is reserved before anything loads',
    );
    await page.screenshot({ path: `${RESULTS}renditions-placeholder.png` });
    await hold.release();
    // `complete` turns true a moment before the load event that clears the placeholder: wait for both.
    const after = await waitFor(
      async () => {
        const state = await imgState(page, preview);
        return state.loaded && !state.placeholder ? state : undefined;
      },
      { message: 'the preview loads and its placeholder is cleared' },
    );
    assert.equal(after.backgroundImage, '');

    // The server-rendered gallery: its card's <img> takes the WebP card (or the AVIF hero), never the JPEG.
    const holdAgain = await holdThumbnails(page);
    await page.reload();
    const card = '#gallery .card img';
    const pending = await waitFor(
      async () => {
        const state = await imgState(page, card);
        return state.backgroundImage.startsWith('url("data:image/png') ? state : undefined;
      },
      { message: 'the gallery card shows its placeholder first' },
    );
    assert.equal(pending.loaded, false);
    assert.ok(holdAgain.held() > 0, 'its request is being held');
    await holdAgain.release();
    const shown = await waitFor(
      async () => {
        const state = await imgState(page, card);
        return state.loaded && !state.placeholder ? state : undefined;
      },
      { message: 'the gallery card loads and its placeholder is cleared' },
    );
    assert.match(
      shown.currentSrc,
      /\.card-[0-9a-f]{8}\.webp$/,
      'at 1×, the 400 px WebP card for a 200 px slot',
    );
    assert.equal(shown.backgroundImage, '');
    assert.deepEqual(await seriousViolations(page), [], 'the page with renditions');
    await page.screenshot({ path: `${RESULTS}renditions-gallery.png`, fullPage: true });

    // A reload of the chosen rendition is revalidated and answered 304, in a page without request interception.
    const rendition = await context.newPage();
    const first = await rendition.goto(shown.currentSrc);
    assert.equal(first?.status(), 200);
    assert.equal(
      first?.headers()['content-type'],
      shown.currentSrc.endsWith('.webp') ? 'image/webp' : 'image/avif',
    );
    const cdp = await context.newCDPSession(rendition);
    await cdp.send('Network.enable');
    const wire: { status?: number } = {};
    cdp.on('Network.responseReceivedExtraInfo', (e) => (wire.status = e.statusCode));
    await rendition.reload();
    assert.equal(wire.status, 304);

    // The same gallery on a 3× screen: the AVIF hero (640 px here, the photo's own size).
    const highDensity = await browser.newContext({
      viewport: { width: 1000, height: 1000 },
      deviceScaleFactor: 3,
      storageState: await context.storageState(),
    });
    const retina = await highDensity.newPage();
    await retina.goto(`${webWithRenditions.base}/`);
    const dense = await waitFor(
      async () => {
        const state = await imgState(retina, card);
        return state.loaded ? state : undefined;
      },
      { message: 'the gallery card loads at 3×' },
    );
    assert.match(dense.currentSrc, /\.hero-[0-9a-f]{8}\.avif$/, dense.currentSrc);
    await highDensity.close();
    assert.deepEqual(errors, [], 'no console errors (CSP violations included)');
    await context.close();
  });

  test("a second browser sees none of the first one's uploads, and gets 404 for their thumbnails", async () => {
    const first = await browser.newContext();
    const page = await first.newPage();
    await page.goto(`${web.base}/`);
    await page.setInputFiles('#file', {
      name: 'secret.png',
      mimeType: 'image/png',
      buffer: await fixture('small-png'),
    });
    await page.locator('#uploads .upload.is-stored').waitFor();
    const name =
      /Stored as (\S+)/.exec(await page.locator('#uploads .upload.is-stored').innerText())?.[1] ?? '';
    const thumbnail = await makeThumbnail(bucket, name);
    await page.locator('#uploads .upload img').waitFor();
    const url = (await page.locator('#uploads .upload img').getAttribute('src')) ?? '';
    assert.ok(url.endsWith(encodeURIComponent(thumbnail.split('/').pop() ?? '')));

    const second = await browser.newContext();
    const other = await second.newPage();
    await other.goto(`${web.base}/`);
    assert.doesNotMatch(await other.content(), /secret\.png/);
    assert.match(await other.locator('#gallery-empty').innerText(), /No uploads from this browser yet/);
    assert.match(await other.locator('footer').innerText(), /Only you see your uploads/);
    assert.equal((await other.goto(`${web.base}${url}`))?.status(), 404);
    await first.close();
    await second.close();
  });

  test('is keyboard-operable: Tab reaches the drop zone’s file input, whose picker takes several files', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${web.base}/`);
    assert.deepEqual(await seriousViolations(page), [], 'the empty page');
    for (
      let i = 0;
      i < 5 && (await page.evaluate('document.activeElement && document.activeElement.id')) !== 'file';
      i += 1
    ) {
      await page.keyboard.press('Tab');
    }
    assert.equal(
      await page.evaluate('document.activeElement && document.activeElement.id'),
      'file',
      'the file input takes focus',
    );
    const outline = await page.evaluate("getComputedStyle(document.getElementById('dropzone')).outlineStyle");
    assert.equal(outline, 'solid', 'the drop zone shows where the focus is');
    // Playwright switches file-chooser interception on without waiting for it (puppeteer/puppeteer#6040 is the
    // same race), so a first Space can open an unintercepted picker that never shows up here: press again until
    // one is intercepted. The focus stays on the input throughout.
    let chooser: FileChooser | undefined;
    page.on('filechooser', (opened) => (chooser ??= opened));
    await waitFor(
      async () => {
        if (chooser === undefined) await page.keyboard.press('Space');
        return chooser !== undefined;
      },
      { timeoutMs: 30_000, intervalMs: 1_000, message: 'Space on the focused file input opens the picker' },
    );
    assert.ok(chooser);
    assert.equal(chooser.isMultiple(), true);
    await chooser.setFiles([
      { name: 'key-1.png', mimeType: 'image/png', buffer: await fixture('small-png') },
      { name: 'key-2.png', mimeType: 'image/png', buffer: await fixture('rgba-png') },
    ]);
    await waitFor(async () => (await page.locator('#uploads .upload.is-stored').count()) === 2, {
      message: 'both chosen files are uploaded',
    });
    await context.close();
  });

  test('works without JavaScript: one file posts, redirects and shows the flash message', async () => {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 420, height: 900 },
    });
    const page = await context.newPage();
    await page.goto(`${web.base}/`);
    assert.equal(await page.locator('#file').getAttribute('multiple'), null, 'one file per form post');
    await page.setInputFiles('#file', {
      name: 'nojs.png',
      mimeType: 'image/png',
      buffer: await fixture('small-png'),
    });
    await page.click('#upload-button');
    await page.locator('#flash.flash-success').waitFor();
    assert.match(await page.locator('#flash.flash-success').innerText(), /nojs\.png/);
    assert.match(
      await page.locator('#gallery').innerText(),
      /nojs\.png/,
      'and lists it in this browser’s gallery',
    );
    await page.screenshot({ path: `${RESULTS}upload-nojs-mobile.png`, fullPage: true });
    await context.close();
  });
});
