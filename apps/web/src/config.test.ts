import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, defaultRenditions, parseRenditions } from '@thumbnailer/core';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  test('uses the contract defaults when nothing is set', () => {
    assert.deepEqual(loadConfig({}), {
      uploadBucket: undefined,
      sessionSecret: undefined,
      port: 8080,
      maxUploadBytes: 20971520,
      thumbnailPrefix: 'thumbnails/',
      renditions: defaultRenditions(100),
      rateLimitPerMinute: 60,
      maxConcurrentUploads: 4,
      gallery: 'session',
      trustProxy: false,
      projectId: undefined,
      logLevel: 'info',
    });
  });

  const accepted: [string, Record<string, string>, Partial<ReturnType<typeof loadConfig>>][] = [
    ['a bucket name', { UPLOAD_BUCKET: 'local-bucket' }, { uploadBucket: 'local-bucket' }],
    ['an empty bucket as unset', { UPLOAD_BUCKET: '  ' }, { uploadBucket: undefined }],
    ['a port', { PORT: '3000' }, { port: 3000 }],
    ['an upload limit', { MAX_UPLOAD_BYTES: '1024' }, { maxUploadBytes: 1024 }],
    ['a thumbnail prefix', { THUMBNAIL_PREFIX: 'thumbs/small/' }, { thumbnailPrefix: 'thumbs/small/' }],
    ['a rate limit', { RATE_LIMIT_PER_MINUTE: '5' }, { rateLimitPerMinute: 5 }],
    ['an upload slot count', { MAX_CONCURRENT_UPLOADS: '2' }, { maxConcurrentUploads: 2 }],
    ['a session secret', { SESSION_SECRET: 'x'.repeat(32) }, { sessionSecret: 'x'.repeat(32) }],
    ['a log level', { LOG_LEVEL: 'debug' }, { logLevel: 'debug' }],
    ['a public gallery', { GALLERY: 'public' }, { gallery: 'public' }],
    ['no gallery', { GALLERY: 'off' }, { gallery: 'off' }],
    [
      'one proxy hop by default on Cloud Run (K_SERVICE set)',
      { K_SERVICE: 'thumbnailer-web' },
      { trustProxy: 1 },
    ],
    [
      'TRUST_PROXY=off on Cloud Run',
      { K_SERVICE: 'thumbnailer-web', TRUST_PROXY: 'off' },
      { trustProxy: false },
    ],
    ['TRUST_PROXY=0 as off', { TRUST_PROXY: '0' }, { trustProxy: false }],
    ['two proxy hops', { TRUST_PROXY: '2' }, { trustProxy: 2 }],
  ];
  for (const [what, env, expected] of accepted) {
    test(`accepts ${what}`, () => {
      const config = loadConfig(env);
      for (const [key, value] of Object.entries(expected)) {
        assert.equal(config[key as keyof typeof config], value);
      }
    });
  }

  const refused: [string, Record<string, string>, string][] = [
    ['a port that is not a number', { PORT: 'eighty' }, 'PORT'],
    ['a port out of range', { PORT: '70000' }, 'PORT'],
    ['a negative upload limit', { MAX_UPLOAD_BYTES: '-5' }, 'MAX_UPLOAD_BYTES'],
    ['a fractional upload limit', { MAX_UPLOAD_BYTES: '1.5' }, 'MAX_UPLOAD_BYTES'],
    ['a zero upload limit', { MAX_UPLOAD_BYTES: '0' }, 'MAX_UPLOAD_BYTES'],
    ['a bucket name with a slash', { UPLOAD_BUCKET: 'bucket/other' }, 'UPLOAD_BUCKET'],
    ['a bucket name with capitals', { UPLOAD_BUCKET: 'MyBucket' }, 'UPLOAD_BUCKET'],
    ['a prefix without a trailing slash', { THUMBNAIL_PREFIX: 'thumbnails' }, 'THUMBNAIL_PREFIX'],
    ['a prefix that climbs out', { THUMBNAIL_PREFIX: '../thumbnails/' }, 'THUMBNAIL_PREFIX'],
    ['a zero rate limit', { RATE_LIMIT_PER_MINUTE: '0' }, 'RATE_LIMIT_PER_MINUTE'],
    ['zero upload slots', { MAX_CONCURRENT_UPLOADS: '0' }, 'MAX_CONCURRENT_UPLOADS'],
    ['a short session secret', { SESSION_SECRET: 'short' }, 'SESSION_SECRET'],
    ['an unknown log level', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    ['an unknown gallery mode', { GALLERY: 'everyone' }, 'GALLERY'],
    ['a trust setting that is neither a hop count nor off', { TRUST_PROXY: 'true' }, 'TRUST_PROXY'],
    ['more than ten proxy hops', { TRUST_PROXY: '11' }, 'TRUST_PROXY'],
    ['a rendition without a size', { RENDITIONS: 'thumb:100x100,card' }, 'RENDITIONS'],
    ['a rendition option it does not know', { RENDITIONS: 'card:400x300:gif' }, 'RENDITIONS'],
    ['a thumbnail size that is not a number', { THUMBNAIL_SIZE: 'big' }, 'THUMBNAIL_SIZE'],
  ];
  test('reads the rendition set as the worker does: RENDITIONS, else thumb:<THUMBNAIL_SIZE>x<THUMBNAIL_SIZE>', () => {
    const set = 'thumb:100x100,card:400x300:cover:webp,hero:1600x1600:avif:q60';
    assert.deepEqual(loadConfig({ RENDITIONS: set }).renditions, parseRenditions(set));
    assert.deepEqual(loadConfig({ THUMBNAIL_SIZE: '64' }).renditions, defaultRenditions(64));
    assert.equal(loadConfig({ THUMBNAIL_SIZE: '64' }).renditions[0]?.legacyName, true);
  });

  test('names RENDITIONS and the bad item in one line', () => {
    assert.throws(
      () => loadConfig({ RENDITIONS: 'thumb:100x100,Card:400x300' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        !err.message.includes('\n') &&
        /^RENDITIONS .*"Card:400x300"/.test(err.message),
    );
  });

  for (const [what, env, variable] of refused) {
    test(`refuses ${what} with an error naming ${variable}`, () => {
      assert.throws(
        () => loadConfig(env),
        (err: unknown) =>
          err instanceof ConfigError && err.variable === variable && err.message.startsWith(variable),
      );
    });
  }
});
