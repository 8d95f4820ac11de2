import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename, dirname } from 'node:path';
import { corpusImage, corpusImageNames, corpusImagesDir } from './corpus.js';

test('finds shared/corpus/images in a folder above the repository and reads its files', async () => {
  const dir = corpusImagesDir();
  assert.equal(basename(dirname(dirname(dir))), 'shared');
  const names = await corpusImageNames();
  assert.ok(names.includes('exif-Landscape_1.jpg'));
  assert.deepEqual([...names].sort(), names);
  const bytes = await corpusImage('exif-Landscape_1.jpg');
  assert.deepEqual([...bytes.subarray(0, 3)], [0xff, 0xd8, 0xff]);
});
