import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeFilename } from './multipart.js';

/** A name as busboy hands it over with `defParamCharset: 'latin1'`: one character per byte sent. */
const asSent = (bytes: Buffer): string => bytes.toString('latin1');

describe('decodeFilename', () => {
  test('decodes a browser’s raw UTF-8 file name', () => {
    assert.equal(decodeFilename(asSent(Buffer.from('café.jpg', 'utf8'))), 'café.jpg');
    assert.equal(decodeFilename(asSent(Buffer.from('写真.jpg', 'utf8'))), '写真.jpg');
  });

  test('keeps a genuine latin1 file name (bytes that are not UTF-8)', () => {
    assert.equal(decodeFilename(asSent(Buffer.from('café.jpg', 'latin1'))), 'café.jpg');
  });

  test('keeps ASCII and names already decoded from filename* as they are', () => {
    assert.equal(decodeFilename('photo.jpg'), 'photo.jpg');
    assert.equal(decodeFilename('写真.jpg'), '写真.jpg');
  });
});
