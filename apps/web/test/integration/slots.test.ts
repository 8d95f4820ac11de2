// Uploads beyond MAX_CONCURRENT_UPLOADS wait for a slot instead of being read into memory at once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bucket } from '@google-cloud/storage';
import { startStack, type Stack } from '@thumbnailer/emulators';
import { fixture } from '@thumbnailer/testkit';
import { objectNames, startWeb, upload, type RunningApp } from './harness.js';

describe('upload slots', () => {
  let stack: Stack;
  let bucket: Bucket;
  let web: RunningApp;

  before(async () => {
    stack = await startStack();
    bucket = stack.storage().bucket(stack.provisioning.bucket);
    web = await startWeb({
      stack,
      clock: () => new Date('2025-12-03T15:42:00Z'),
      env: { MAX_CONCURRENT_UPLOADS: '1' },
    });
  });
  after(async () => {
    await web?.close();
    await stack?.stop();
  });

  test('with one slot, simultaneous uploads are taken one after another and every one is answered', async () => {
    const image = await fixture('landscape-jpeg');
    const text = await fixture('text');
    const responses = await Promise.all([
      upload(web.base, { filename: 'a.jpg', data: image }),
      upload(web.base, { filename: 'notes.txt', data: text }),
      upload(web.base, { filename: 'b.jpg', data: image }),
      upload(web.base, { filename: 'c.jpg', data: image }),
    ]);
    assert.deepEqual(
      responses.map((res) => res.status),
      [201, 415, 201, 201],
      'a refused upload frees its slot too',
    );
    const sequence = web.logs
      .map((line) => line.message)
      .filter((m) => m === 'upload started' || m === 'upload stored' || m === 'upload refused');
    assert.equal(sequence.length, 8, sequence.join(' → '));
    sequence.forEach((message, i) =>
      assert.equal(
        message === 'upload started',
        i % 2 === 0,
        `each upload starts only after the previous one has ended: ${sequence.join(' → ')}`,
      ),
    );
    assert.deepEqual((await objectNames(bucket)).sort(), [
      '20251203T15Z/a.jpg',
      '20251203T15Z/b.jpg',
      '20251203T15Z/c.jpg',
    ]);
  });
});
