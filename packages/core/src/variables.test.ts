import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bucketVar, integerVar, logLevelVar, optionalVar, thumbnailPrefixVar } from './variables.js';

describe('environment variable readers', () => {
  test('treat a blank value as unset and trim the rest', () => {
    assert.equal(optionalVar({ A: '  ' }, 'A'), undefined);
    assert.equal(optionalVar({ A: ' x ' }, 'A'), 'x');
    assert.equal(optionalVar({}, 'A'), undefined);
  });

  const integerCases: [string, string | undefined, number | RegExp][] = [
    ['falls back when unset', undefined, 7],
    ['reads a whole number', '42', 42],
    ['refuses a fraction, naming the variable', '1.5', /^N must be a whole number, got "1.5"$/],
    ['refuses a negative number', '-1', /^N must be a whole number/],
    ['refuses a number above the range', '101', /^N must be between 1 and 100, got 101$/],
    ['refuses zero below the range', '0', /^N must be between 1 and 100, got 0$/],
  ];
  for (const [name, raw, expected] of integerCases) {
    test(`integerVar ${name}`, () => {
      const read = () => integerVar({ N: raw }, 'N', 7, 1, 100);
      if (typeof expected === 'number') assert.equal(read(), expected);
      else assert.throws(read, { message: expected });
    });
  }

  test('bucketVar accepts a bucket name and refuses one with capitals or slashes, naming the variable', () => {
    assert.equal(bucketVar({ B: 'local-bucket' }, 'B'), 'local-bucket');
    assert.equal(bucketVar({}, 'B'), undefined);
    assert.throws(() => bucketVar({ B: 'Bad/Bucket' }, 'B'), { message: /^B is not a valid bucket name/ });
  });

  test('thumbnailPrefixVar defaults to thumbnails/ and refuses a prefix that is not a folder', () => {
    assert.equal(thumbnailPrefixVar({}), 'thumbnails/');
    assert.equal(thumbnailPrefixVar({ THUMBNAIL_PREFIX: 'thumbs/small/' }), 'thumbs/small/');
    for (const bad of ['thumbs', '/thumbs/', '../thumbs/']) {
      assert.throws(() => thumbnailPrefixVar({ THUMBNAIL_PREFIX: bad }), {
        message: /^THUMBNAIL_PREFIX must be a folder/,
      });
    }
  });

  test('logLevelVar defaults to info and refuses an unknown level', () => {
    assert.equal(logLevelVar({}), 'info');
    assert.equal(logLevelVar({ LOG_LEVEL: 'debug' }), 'debug');
    assert.throws(() => logLevelVar({ LOG_LEVEL: 'loud' }), { message: /^LOG_LEVEL must be one of/ });
  });
});
