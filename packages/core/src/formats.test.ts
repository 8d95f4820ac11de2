import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatOfContentType, thumbnailFormatFor } from './formats.js';

describe('formatOfContentType', () => {
  const cases: [string | undefined, string | undefined][] = [
    ['image/jpeg', 'jpeg'],
    ['image/png', 'png'],
    ['image/webp', 'webp'],
    ['image/gif', 'gif'],
    ['image/avif', 'avif'],
    ['image/tiff', 'tiff'],
    ['IMAGE/JPEG; charset=binary', 'jpeg'],
    ['image/heic', undefined],
    ['image/svg+xml', undefined],
    ['application/octet-stream', undefined],
    ['', undefined],
    [undefined, undefined],
  ];
  for (const [contentType, format] of cases) {
    it(`predicts ${String(format)} from ${JSON.stringify(contentType)}`, () => {
      assert.equal(formatOfContentType(contentType), format);
    });
  }
});

describe('thumbnailFormatFor', () => {
  it('keeps every allow-listed format and falls back to PNG for any other', () => {
    for (const format of ['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff'])
      assert.equal(thumbnailFormatFor(format), format);
    for (const format of ['heif', 'jxl', 'svg', '']) assert.equal(thumbnailFormatFor(format), 'png');
  });
});
