// File names as people write them (UTF-8, RFC 5987, latin1) and popular names, against the storage emulator.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bucket } from '@google-cloud/storage';
import { MAX_FILENAME_BYTES } from '@thumbnailer/core';
import { fixture } from '@thumbnailer/testkit';
import { startCountedStack, startWeb, upload, type RunningApp } from './harness.js';

const AT = new Date('2025-12-04T09:10:00Z');
const FOLDER = '20251204T09Z';

/** POSTs one file part whose Content-Disposition parameters are given as raw bytes. */
async function uploadWithDisposition(base: string, disposition: Buffer, data: Buffer): Promise<Response> {
  const boundary = 'namesboundary';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; `),
    disposition,
    Buffer.from('\r\nContent-Type: image/png\r\n\r\n'),
    data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return fetch(`${base}/upload`, {
    method: 'POST',
    headers: { Accept: 'application/json', 'Content-Type': `multipart/form-data; boundary=${boundary}` },
    body,
  });
}

describe('upload names', () => {
  let counted: Awaited<ReturnType<typeof startCountedStack>>;
  let bucket: Bucket;
  let web: RunningApp;

  before(async () => {
    counted = await startCountedStack();
    bucket = counted.bucket;
    web = await startWeb({ stack: counted.stack, clock: () => AT, env: { RATE_LIMIT_PER_MINUTE: '1000' } });
  });
  after(async () => {
    await web?.close();
    await counted?.stack.stop();
  });

  async function stored(res: Response): Promise<{ name: string; originalFilename: unknown }> {
    assert.equal(res.status, 201);
    const { name } = (await res.json()) as { name: string };
    const [metadata] = await bucket.file(name).getMetadata();
    return { name, originalFilename: metadata.metadata?.originalFilename };
  }

  test('decodes a raw UTF-8 file name as browsers send it: café.jpg is stored as cafe.jpg and keeps its name', async () => {
    const png = await fixture('small-png');
    const cafe = await stored(await upload(web.base, { filename: 'café.jpg', data: png }));
    assert.deepEqual(cafe, { name: `${FOLDER}/cafe.jpg`, originalFilename: 'café.jpg' });
    const photo = await stored(
      await uploadWithDisposition(web.base, Buffer.from('filename="写真.png"', 'utf8'), png),
    );
    assert.deepEqual(photo, { name: `${FOLDER}/upload.png`, originalFilename: '写真.png' });
  });

  test("decodes an RFC 5987 filename*=UTF-8''… over the plain filename", async () => {
    const res = await uploadWithDisposition(
      web.base,
      Buffer.from(`filename="creme.png"; filename*=UTF-8''cr%C3%A8me%20br%C3%BBl%C3%A9e.png`),
      await fixture('small-png'),
    );
    assert.deepEqual(await stored(res), {
      name: `${FOLDER}/creme_brulee.png`,
      originalFilename: 'crème brûlée.png',
    });
  });

  test('keeps a genuine latin1 file name (bytes that are not UTF-8)', async () => {
    const res = await uploadWithDisposition(
      web.base,
      Buffer.from('filename="déjà vu.png"', 'latin1'),
      await fixture('small-png'),
    );
    assert.deepEqual(await stored(res), { name: `${FOLDER}/deja_vu.png`, originalFilename: 'déjà vu.png' });
  });

  test('gives 60 uploads of one name in one hour 60 distinct names, each in two storage requests', async () => {
    const data = await fixture('small-png');
    const names = new Set<string>();
    for (let i = 0; i < 60; i += 1) {
      const { result, requests } = await counted.requestsDuring(() =>
        upload(web.base, { filename: 'IMG_0001.JPG', data }),
      );
      const { name } = await stored(result);
      names.add(name);
      assert.deepEqual(
        requests.map((r) => r.method),
        ['GET', 'POST'],
        `upload ${i + 1}: one metadata check of the plain name, one create-only write`,
      );
    }
    assert.equal(names.size, 60);
    assert.ok(names.has(`${FOLDER}/IMG_0001.JPG`));
    for (const name of names) assert.match(name, new RegExp(`^${FOLDER}/IMG_0001(-[0-9a-f]{8})?\\.JPG$`));
  });

  test('stores a burst of 20 same-named uploads under 20 names in at most five storage requests each', async () => {
    const data = await fixture('small-png');
    const { result, requests } = await counted.requestsDuring(() =>
      Promise.all(Array.from({ length: 20 }, () => upload(web.base, { filename: 'burst.png', data }))),
    );
    const names = await Promise.all(result.map(async (res) => (await stored(res)).name));
    assert.equal(new Set(names).size, 20);
    assert.ok(requests.length <= 20 * 5, `${requests.length} storage requests`);
  });

  test('keeps a long name within the length bound when it needs a suffix', async () => {
    const data = await fixture('small-png');
    const filename = `${'long'.repeat(80)}.png`;
    const first = await stored(await upload(web.base, { filename, data }));
    const second = await stored(await upload(web.base, { filename, data }));
    for (const { name } of [first, second]) {
      assert.ok(name.length - FOLDER.length - 1 <= MAX_FILENAME_BYTES, `${name.length}: ${name}`);
      assert.ok(name.endsWith('.png'));
    }
    assert.notEqual(first.name, second.name);
  });
});
