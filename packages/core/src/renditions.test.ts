import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from './errors.js';
import type { ImageFormat } from './formats.js';
import {
  MAX_RENDITIONS,
  canonicalSpec,
  defaultRenditions,
  outputFormat,
  parseRenditions,
  type RenditionSpec,
} from './renditions.js';
import { renditionsVar } from './variables.js';

describe('parseRenditions', () => {
  const accepted: [string, string, Omit<RenditionSpec, 'name'>][] = [
    [
      'a box alone: inside, source format, encoder quality',
      'card:400x300',
      {
        width: 400,
        height: 300,
        fit: 'inside',
        legacyName: false,
      },
    ],
    [
      'an explicit inside',
      'card:400x300:inside',
      { width: 400, height: 300, fit: 'inside', legacyName: false },
    ],
    ['cover', 'card:400x300:cover', { width: 400, height: 300, fit: 'cover', legacyName: false }],
    [
      'jpeg',
      'card:400x300:jpeg',
      { width: 400, height: 300, fit: 'inside', format: 'jpeg', legacyName: false },
    ],
    [
      'jpg as another name for jpeg',
      'card:1x1:jpg',
      { width: 1, height: 1, fit: 'inside', format: 'jpeg', legacyName: false },
    ],
    ['png', 'card:400x300:png', { width: 400, height: 300, fit: 'inside', format: 'png', legacyName: false }],
    [
      'webp',
      'card:400x300:webp',
      { width: 400, height: 300, fit: 'inside', format: 'webp', legacyName: false },
    ],
    [
      'avif',
      'card:400x300:avif',
      { width: 400, height: 300, fit: 'inside', format: 'avif', legacyName: false },
    ],
    ['q1', 'card:400x300:q1', { width: 400, height: 300, fit: 'inside', quality: 1, legacyName: false }],
    [
      'q100',
      'card:400x300:q100',
      { width: 400, height: 300, fit: 'inside', quality: 100, legacyName: false },
    ],
    [
      'every option, in any order',
      'hero:1600x1600:q60:avif:cover',
      {
        width: 1600,
        height: 1600,
        fit: 'cover',
        format: 'avif',
        quality: 60,
        legacyName: false,
      },
    ],
    ['the largest box', 'big:4096x4096', { width: 4096, height: 4096, fit: 'inside', legacyName: false }],
    [
      'a quality for a source-format rendition (used when the output is lossy)',
      'card:10x20:q70',
      {
        width: 10,
        height: 20,
        fit: 'inside',
        quality: 70,
        legacyName: false,
      },
    ],
  ];
  for (const [behaviour, value, expected] of accepted) {
    test(`reads ${behaviour}: ${value}`, () => {
      const [spec, ...rest] = parseRenditions(value);
      assert.deepEqual(rest, []);
      assert.deepEqual(spec, { name: value.split(':')[0], ...expected });
    });
  }

  test('reads the contract example in order, trimming spaces around items', () => {
    const specs = parseRenditions(' thumb:100x100 , card:400x300:cover:webp,hero:1600x1600:avif:q60 ');
    assert.deepEqual(
      specs.map((s) => [s.name, s.width, s.height, s.fit, s.format, s.quality, s.legacyName]),
      [
        ['thumb', 100, 100, 'inside', undefined, undefined, true],
        ['card', 400, 300, 'cover', 'webp', undefined, false],
        ['hero', 1600, 1600, 'inside', 'avif', 60, false],
      ],
    );
  });

  test('takes names of one letter, of 32 characters, with digits and dashes', () => {
    const long = `a${'b-9'.repeat(10)}z`;
    assert.equal(long.length, 32);
    assert.deepEqual(
      parseRenditions(`x:1x1,${long}:1x1,a-1:1x1`).map((s) => s.name),
      ['x', long, 'a-1'],
    );
  });

  const legacy: [string, string, number, boolean][] = [
    ['thumb at THUMBNAIL_SIZE keeps the old name', 'thumb:100x100', 100, true],
    ['… with an explicit inside too', 'thumb:100x100:inside', 100, true],
    ['… whatever THUMBNAIL_SIZE is', 'thumb:256x256', 256, true],
    ['thumb at another size does not', 'thumb:200x200', 100, false],
    ['a non-square box does not', 'thumb:100x99', 100, false],
    ['cover does not', 'thumb:100x100:cover', 100, false],
    ['an explicit format does not', 'thumb:100x100:jpeg', 100, false],
    ['an explicit quality does not', 'thumb:100x100:q80', 100, false],
    ['another name does not', 'small:100x100', 100, false],
  ];
  for (const [behaviour, value, size, expected] of legacy) {
    test(`marks the legacy name: ${behaviour} (${value}, THUMBNAIL_SIZE ${size})`, () => {
      assert.equal(parseRenditions(value, size)[0]?.legacyName, expected);
    });
  }

  const refused: [string, string, string][] = [
    ['an empty item', 'a:1x1,,b:1x1', 'RENDITIONS has an empty item, got "a:1x1,,b:1x1"'],
    ['a trailing comma', 'a:1x1,', 'RENDITIONS has an empty item, got "a:1x1,"'],
    ['an item without a size', 'card', 'RENDITIONS item "card": must be name:WIDTHxHEIGHT[:option]…'],
    [
      'a capital in the name',
      'Card:1x1',
      'RENDITIONS item "Card:1x1": the name must match [a-z][a-z0-9-]{0,31}, got "Card"',
    ],
    [
      'a name starting with a digit',
      '1card:1x1',
      'RENDITIONS item "1card:1x1": the name must match [a-z][a-z0-9-]{0,31}, got "1card"',
    ],
    ['an empty name', ':1x1', 'RENDITIONS item ":1x1": the name must match [a-z][a-z0-9-]{0,31}, got ""'],
    [
      'a name with a dot',
      'a.b:1x1',
      'RENDITIONS item "a.b:1x1": the name must match [a-z][a-z0-9-]{0,31}, got "a.b"',
    ],
    [
      'a name of 33 characters',
      `a${'b'.repeat(32)}:1x1`,
      `RENDITIONS item "a${'b'.repeat(32)}:1x1": the name must match [a-z][a-z0-9-]{0,31}, got "a${'b'.repeat(32)}"`,
    ],
    [
      'a size without x',
      'card:400',
      'RENDITIONS item "card:400": the size must be WIDTHxHEIGHT (e.g. 400x300), got "400"',
    ],
    [
      'a capital X',
      'card:400X300',
      'RENDITIONS item "card:400X300": the size must be WIDTHxHEIGHT (e.g. 400x300), got "400X300"',
    ],
    [
      'a negative size',
      'card:-1x300',
      'RENDITIONS item "card:-1x300": the size must be WIDTHxHEIGHT (e.g. 400x300), got "-1x300"',
    ],
    [
      'a fractional size',
      'card:1.5x300',
      'RENDITIONS item "card:1.5x300": the size must be WIDTHxHEIGHT (e.g. 400x300), got "1.5x300"',
    ],
    [
      'a zero width',
      'card:0x300',
      'RENDITIONS item "card:0x300": width and height must be between 1 and 4096, got 0x300',
    ],
    [
      'a zero height',
      'card:300x0',
      'RENDITIONS item "card:300x0": width and height must be between 1 and 4096, got 300x0',
    ],
    [
      'a box over 4096',
      'card:4097x300',
      'RENDITIONS item "card:4097x300": width and height must be between 1 and 4096, got 4097x300',
    ],
    [
      'an unknown option',
      'card:1x1:gif',
      'RENDITIONS item "card:1x1:gif": an option must be inside, cover, jpeg, png, webp, avif or q1…q100, got "gif"',
    ],
    [
      'an empty option',
      'card:1x1:',
      'RENDITIONS item "card:1x1:": an option must be inside, cover, jpeg, png, webp, avif or q1…q100, got ""',
    ],
    [
      'a capitalised option',
      'card:1x1:WEBP',
      'RENDITIONS item "card:1x1:WEBP": an option must be inside, cover, jpeg, png, webp, avif or q1…q100, got "WEBP"',
    ],
    ['q0', 'card:1x1:q0', 'RENDITIONS item "card:1x1:q0": the quality must be q1…q100, got "q0"'],
    ['q101', 'card:1x1:q101', 'RENDITIONS item "card:1x1:q101": the quality must be q1…q100, got "q101"'],
    [
      'a bare q',
      'card:1x1:q',
      'RENDITIONS item "card:1x1:q": an option must be inside, cover, jpeg, png, webp, avif or q1…q100, got "q"',
    ],
    [
      'two fits',
      'card:1x1:inside:cover',
      'RENDITIONS item "card:1x1:inside:cover": give the fit at most once, got "inside" and "cover"',
    ],
    [
      'the same fit twice',
      'card:1x1:cover:cover',
      'RENDITIONS item "card:1x1:cover:cover": give the fit at most once, got "cover" and "cover"',
    ],
    [
      'two formats',
      'card:1x1:webp:avif',
      'RENDITIONS item "card:1x1:webp:avif": give the format at most once, got "webp" and "avif"',
    ],
    [
      'jpeg and jpg',
      'card:1x1:jpeg:jpg',
      'RENDITIONS item "card:1x1:jpeg:jpg": give the format at most once, got "jpeg" and "jpg"',
    ],
    [
      'two qualities',
      'card:1x1:q50:q60',
      'RENDITIONS item "card:1x1:q50:q60": give the quality at most once, got "q50" and "q60"',
    ],
    [
      'a quality for png',
      'card:1x1:png:q60',
      'RENDITIONS item "card:1x1:png:q60": a quality applies only to jpeg, webp and avif; png is lossless',
    ],
    ['a repeated name', 'card:1x1,card:2x2', 'RENDITIONS item "card:2x2": the name "card" is used twice'],
    [
      'too many renditions',
      Array.from({ length: MAX_RENDITIONS + 1 }, (_, i) => `r${i}:1x1`).join(','),
      `RENDITIONS must list at most ${MAX_RENDITIONS} renditions, got ${MAX_RENDITIONS + 1}`,
    ],
  ];
  for (const [behaviour, value, message] of refused) {
    test(`refuses ${behaviour} with one line naming RENDITIONS: ${value.slice(0, 40)}`, () => {
      assert.throws(
        () => parseRenditions(value),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, String(err));
          assert.equal(err.variable, 'RENDITIONS');
          assert.equal(err.message, message);
          assert.doesNotMatch(err.message, /\n/);
          return true;
        },
      );
    });
  }
});

describe('renditionsVar', () => {
  test('is thumb:<THUMBNAIL_SIZE>x<THUMBNAIL_SIZE> with the legacy name when unset or blank', () => {
    assert.deepEqual(renditionsVar({}, 100), defaultRenditions(100));
    assert.deepEqual(renditionsVar({ RENDITIONS: '  ' }, 256), [
      { name: 'thumb', width: 256, height: 256, fit: 'inside', legacyName: true },
    ]);
  });

  test('parses a set, judging the legacy name against THUMBNAIL_SIZE', () => {
    const specs = renditionsVar({ RENDITIONS: 'thumb:64x64,card:400x300:cover:webp' }, 64);
    assert.deepEqual(
      specs.map((s) => [s.name, s.legacyName]),
      [
        ['thumb', true],
        ['card', false],
      ],
    );
  });

  test('throws the ConfigError of a malformed set', () => {
    assert.throws(() => renditionsVar({ RENDITIONS: 'card:400' }, 100), {
      name: 'ConfigError',
      message: /^RENDITIONS item "card:400"/,
    });
  });
});

describe('canonicalSpec and outputFormat', () => {
  const cases: [string, ImageFormat, ImageFormat, string][] = [
    ['thumb:100x100', 'jpeg', 'jpeg', '100x100:inside:jpeg:q80'],
    ['thumb:100x100', 'png', 'png', '100x100:inside:png'],
    ['thumb:100x100', 'gif', 'gif', '100x100:inside:gif'],
    ['thumb:100x100', 'tiff', 'tiff', '100x100:inside:tiff'],
    ['thumb:100x100', 'webp', 'webp', '100x100:inside:webp:q80'],
    ['thumb:100x100', 'avif', 'avif', '100x100:inside:avif:q50'],
    ['card:400x300:cover:webp', 'png', 'webp', '400x300:cover:webp:q80'],
    ['card:400x300:webp:cover:q80', 'gif', 'webp', '400x300:cover:webp:q80'],
    ['hero:1600x1600:avif:q60', 'jpeg', 'avif', '1600x1600:inside:avif:q60'],
    ['card:400x300:jpg:q95', 'png', 'jpeg', '400x300:inside:jpeg:q95'],
    ['card:400x300:png', 'jpeg', 'png', '400x300:inside:png'],
    ['card:400x300:q30', 'jpeg', 'jpeg', '400x300:inside:jpeg:q30'],
    ['card:400x300:q30', 'png', 'png', '400x300:inside:png'],
  ];
  for (const [value, source, format, canonical] of cases) {
    test(`${value} of a ${source} source is written as ${format}, canonically ${canonical}`, () => {
      const [spec] = parseRenditions(value);
      assert.ok(spec);
      assert.equal(outputFormat(spec, source), format);
      assert.equal(canonicalSpec(spec, source), canonical);
    });
  }
});
