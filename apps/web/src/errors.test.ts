import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ImageError, TransientError } from '@thumbnailer/core';
import multer from 'multer';
import { formatBytes, fromMulterError, toHttpProblem, UploadError } from './errors.js';

describe('fromMulterError', () => {
  const cases: [string, number, RegExp][] = [
    ['LIMIT_FILE_SIZE', 413, /larger than the 20 MB limit/],
    ['LIMIT_FILE_COUNT', 400, /one file at a time/],
    ['LIMIT_UNEXPECTED_FILE', 400, /field named "file"/],
    ['LIMIT_PART_COUNT', 400, /too many parts/],
    ['LIMIT_FIELD_COUNT', 400, /too many parts/],
    ['LIMIT_FIELD_KEY', 400, /too long/],
    ['LIMIT_FIELD_VALUE', 400, /too long/],
    ['MISSING_FIELD_NAME', 400, /could not be read/],
  ];
  for (const [code, status, message] of cases) {
    test(`maps multer's ${code} to ${status} with a clear message`, () => {
      const problem = toHttpProblem(
        fromMulterError(new multer.MulterError(code as multer.ErrorCode, 'file'), 20971520),
      );
      assert.equal(problem.status, status);
      assert.match(problem.message, message);
    });
  }

  test('maps a malformed multipart body (a plain busboy error) to 400', () => {
    const problem = toHttpProblem(fromMulterError(new Error('Unexpected end of form'), 1024));
    assert.equal(problem.status, 400);
    assert.equal(problem.reason, 'bad_form');
    assert.match(problem.message, /malformed/);
  });
});

describe('toHttpProblem', () => {
  const cases: [string, unknown, number][] = [
    ['an unsupported format', new ImageError('unsupported_format', 'svg'), 415],
    ['a corrupt image', new ImageError('corrupt_image', 'truncated'), 422],
    ['a pixel bomb', new ImageError('pixel_limit', 'too big'), 422],
    ['too many frames', new ImageError('too_many_frames', 'long'), 422],
    ['a decode timeout', new ImageError('image_timeout', 'slow'), 422],
    ['an empty image', new ImageError('empty_image', 'empty'), 400],
    ['a missing file', new UploadError('no_file', 'none'), 400],
    ['a missing bucket', new UploadError('not_configured', 'unset'), 503],
    ['too many requests', new UploadError('rate_limited', 'slow down'), 429],
    ['storage being down', new TransientError('storage_unavailable', 'down'), 503],
    ['an http-errors 404', Object.assign(new Error('Not Found'), { status: 404 }), 404],
    ['a stalled body', new UploadError('too_slow', 'slow'), 408],
    ['an unexpected error', new Error('boom'), 500],
  ];
  for (const [what, err, status] of cases) {
    test(`answers ${status} for ${what}`, () => {
      assert.equal(toHttpProblem(err).status, status);
    });
  }

  test("shows core's specific wording for an SVG and a pixel bomb, ours for a corrupt file and an outage", () => {
    const svg = new ImageError(
      'unsupported_format',
      'The file is an SVG (vector) image; accepted: JPEG, PNG, WebP, GIF, AVIF or TIFF.',
    );
    assert.equal(toHttpProblem(svg).message, svg.message);
    const bomb = new ImageError(
      'pixel_limit',
      'The image declares 30000×30000, over the limit of 67108864 pixels.',
    );
    assert.equal(toHttpProblem(bomb).message, bomb.message);
    assert.match(
      toHttpProblem(new ImageError('corrupt_image', 'VipsJpeg: Premature end of input file')).message,
      /could not be decoded \(truncated or corrupt\)/,
    );
    const outage = toHttpProblem(new TransientError('storage_unavailable', 'ECONNRESET 10.0.0.1:443'));
    assert.doesNotMatch(outage.message, /ECONNRESET/);
  });

  test('never echoes the internal error message for unexpected errors', () => {
    assert.doesNotMatch(toHttpProblem(new Error('secret path /etc/x')).message, /secret/);
  });
});

describe('formatBytes', () => {
  test('states the default limit as 20 MB and odd sizes with one decimal', () => {
    assert.equal(formatBytes(20971520), '20 MB');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatBytes(12), '12 bytes');
  });
});
