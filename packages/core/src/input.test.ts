import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ImageError } from './errors.js';
import { imageErrorFromSharp } from './input.js';

describe('imageErrorFromSharp', () => {
  const cases: [string, string][] = [
    ['Input image exceeds pixel limit', 'pixel_limit'],
    ['timeout: 43% complete', 'image_timeout'],
    ['Input buffer contains unsupported image format', 'unsupported_format'],
    ['VipsJpeg: Premature end of input file', 'corrupt_image'],
    ['something nobody expected', 'corrupt_image'],
  ];
  for (const [message, code] of cases) {
    it(`maps sharp's "${message}" to ${code}`, () => {
      const err = imageErrorFromSharp(new Error(message));
      assert.equal(err.code, code);
      assert.equal((err.cause as Error).message, message);
    });
  }

  it('passes an ImageError through unchanged', () => {
    const original = new ImageError('too_many_frames', 'x');
    assert.equal(imageErrorFromSharp(original), original);
  });
});
