import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ImageFormat } from './formats.js';
import {
  FALLBACK_FILENAME,
  MAX_FILENAME_BYTES,
  isUnderPrefix,
  parseRenditionObjectName,
  renditionObjectName,
  safeFilename,
  specHash,
  thumbnailObjectName,
  uploadObjectName,
  withCollisionSuffix,
} from './naming.js';
import { canonicalSpec, parseRenditions } from './renditions.js';

describe('safeFilename', () => {
  const cases: [string, string, string][] = [
    ['keeps an ordinary name', 'photo.jpg', 'photo.jpg'],
    ['turns spaces into underscores', 'My holiday photo.jpg', 'My_holiday_photo.jpg'],
    ['removes directory traversal', '../../etc/passwd', 'etc_passwd'],
    ['removes Windows traversal', '..\\..\\windows\\system32\\cmd.exe', 'windows_system32_cmd.exe'],
    ['removes CR/LF (header injection)', 'a\r\nSet-Cookie: x.jpg', 'aSet-Cookie_x.jpg'],
    ['removes NUL and other control characters', 'ev\u0000il\u0007.png', 'evil.png'],
    ['removes the right-to-left override used to fake extensions', 'invoice\u202Egpj.exe', 'invoicegpj.exe'],
    ['removes other bidi and zero-width characters', '\u2066a\u200Bb\u2069.png', 'ab.png'],
    ['neutralises HTML', '<script>alert(1)</script>.png', 'scriptalert1_script.png'],
    ['folds accents to ASCII', 'Café crème.jpg', 'Cafe_creme.jpg'],
    ['folds compatibility characters', 'ﬁle①.png', 'file1.png'],
    ['keeps the extension of a stem with no ASCII form', '写真.jpg', 'upload.jpg'],
    ['treats a dot-file as a name, not a lost stem', '.bashrc', 'bashrc'],
    ['drops leading dots (no hidden files)', '.htaccess', 'htaccess'],
    ['collapses runs of dots', 'a...b..png', 'a.b.png'],
    ['gives a name made only of dots the fallback', '...', FALLBACK_FILENAME],
    ['gives an empty name the fallback', '', FALLBACK_FILENAME],
    ['gives a name of only spaces the fallback', '   ', FALLBACK_FILENAME],
    ['gives a name of only unicode the fallback', '写真', FALLBACK_FILENAME],
    ['drops leading dashes (no command-line options)', '--rf.png', 'rf.png'],
    ['prefixes Windows device names', 'CON.jpg', '_CON.jpg'],
    ['keeps the last path segment as well as earlier ones', 'C:\\Users\\me\\pic.gif', 'C_Users_me_pic.gif'],
  ];
  for (const [behaviour, input, expected] of cases) {
    it(`${behaviour}: ${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(safeFilename(input), expected);
    });
  }

  it('bounds the length in bytes and keeps the extension', () => {
    const out = safeFilename(`${'a'.repeat(500)}.jpeg`);
    assert.equal(Buffer.byteLength(out), MAX_FILENAME_BYTES);
    assert.ok(out.endsWith('.jpeg'));
  });

  it('bounds a long multi-byte name too', () => {
    const out = safeFilename(`${'é'.repeat(400)}.png`);
    assert.ok(Buffer.byteLength(out) <= MAX_FILENAME_BYTES);
    assert.ok(out.endsWith('.png'));
  });

  it('is idempotent', () => {
    for (const name of ['../x/y z.png', '<b>.jpg', 'ok.png', '', 'CON']) {
      assert.equal(safeFilename(safeFilename(name)), safeFilename(name));
    }
  });

  it('never returns a name with a separator, "..", a control or non-ASCII character', () => {
    const hostile = ['../', '..\\', '/..', 'a/../b', '\u202E', '\r\n', '..', '.', '/', '\\', '\t\v\f'];
    for (const name of hostile) {
      const out = safeFilename(name);
      assert.doesNotMatch(out, /[/\\]|\.\.|[^\x21-\x7e]/, `${JSON.stringify(name)} → ${out}`);
      assert.ok(out.length > 0);
    }
  });
});

describe('withCollisionSuffix', () => {
  it('returns the name unchanged for n = 0', () =>
    assert.equal(withCollisionSuffix('photo.jpg', 0), 'photo.jpg'));
  it('puts the suffix before the extension', () =>
    assert.equal(withCollisionSuffix('photo.jpg', 2), 'photo-2.jpg'));
  it('takes a string suffix too', () =>
    assert.equal(withCollisionSuffix('photo.jpg', '3f9a1c2e'), 'photo-3f9a1c2e.jpg'));
  it('appends to a name without extension', () => assert.equal(withCollisionSuffix('photo', 3), 'photo-3'));
  it('changes only the last path segment', () =>
    assert.equal(withCollisionSuffix('20251203T15Z/photo.tar.gz', 1), '20251203T15Z/photo.tar-1.gz'));
  it('does not treat a dot in the folder as an extension', () =>
    assert.equal(withCollisionSuffix('a.b/photo', 1), 'a.b/photo-1'));
  it('keeps a name at the length bound within it: the stem is cut, the suffix and extension kept', () => {
    const base = `20251203T15Z/${safeFilename(`${'a'.repeat(300)}.jpeg`)}`;
    for (const suffix of [1, 'deadbeef']) {
      const out = withCollisionSuffix(base, suffix);
      const segment = out.slice(out.lastIndexOf('/') + 1);
      assert.equal(segment.length, MAX_FILENAME_BYTES, out);
      assert.ok(segment.endsWith(`-${suffix}.jpeg`), out);
      assert.ok(out.startsWith('20251203T15Z/aaa'));
    }
  });
  it('does not leave a dot or dash before the suffix when it cuts the stem', () => {
    const base = `${'a'.repeat(185)}._-xxxx.png`; // cut at 187 characters: inside `._-`
    assert.equal(withCollisionSuffix(base, 'deadbeef'), `${'a'.repeat(185)}-deadbeef.png`);
  });
});

describe('uploadObjectName', () => {
  it('puts the safe filename in the UTC hour folder', () => {
    assert.equal(uploadObjectName('photo.jpg', new Date('2025-12-03T15:59:00Z')), '20251203T15Z/photo.jpg');
  });
  it('sanitises the filename', () => {
    assert.equal(uploadObjectName('../../x.png', new Date('2025-12-03T15:00:00Z')), '20251203T15Z/x.png');
  });
  it('never leaves the hour folder', () => {
    assert.match(uploadObjectName('', new Date('2026-01-01T00:00:00Z')), /^20260101T00Z\/upload$/);
  });
});

describe('thumbnailObjectName', () => {
  const created = new Date('2025-12-03T15:59:59.500Z');
  const source = { name: '20251203T15Z/photo.jpg', generation: '1733238000123456', created };

  it('places the thumbnail under the prefix in the folder of the source creation hour', () => {
    assert.equal(
      thumbnailObjectName('thumbnails/', source, 'jpg'),
      'thumbnails/20251203T15Z/20251203T15Z/photo.jpg.1733238000123456.jpg',
    );
  });

  it('is the same for every retry, whatever the time of processing', () => {
    assert.equal(
      thumbnailObjectName('thumbnails/', source, 'jpg'),
      thumbnailObjectName('thumbnails/', { ...source }, 'jpg'),
    );
  });

  it('adds the missing slash to a prefix', () => {
    assert.ok(thumbnailObjectName('thumbs', source, 'png').startsWith('thumbs/20251203T15Z/'));
  });

  it('differs for another generation of the same object', () => {
    assert.notEqual(
      thumbnailObjectName('thumbnails/', source, 'jpg'),
      thumbnailObjectName('thumbnails/', { ...source, generation: '1733238000123457' }, 'jpg'),
    );
  });

  it('differs for sources that differ only by extension and share a generation', () => {
    const a = thumbnailObjectName('t/', { ...source, name: 'x/photo.png' }, 'png');
    const b = thumbnailObjectName('t/', { ...source, name: 'x/photo.heic' }, 'png');
    assert.notEqual(a, b);
  });

  it('is always under the prefix', () => {
    assert.ok(isUnderPrefix(thumbnailObjectName('thumbnails/', source, 'webp'), 'thumbnails/'));
  });

  it('refuses a generation that is not a decimal integer', () => {
    assert.throws(() => thumbnailObjectName('t/', { ...source, generation: '12.3' }, 'jpg'), TypeError);
  });

  it('refuses an extension with a dot', () => {
    assert.throws(() => thumbnailObjectName('t/', source, '.jpg'), TypeError);
  });
});

describe('renditionObjectName', () => {
  const created = new Date('2025-12-03T15:59:59.500Z');
  const source = { name: '20251203T15Z/photo.jpg', generation: '1733238000123456', created };
  const one = (value: string, size = 100) => {
    const [spec] = parseRenditions(value, size);
    assert.ok(spec);
    return spec;
  };

  it('gives the default thumb rendition exactly the thumbnail name of old', () => {
    assert.equal(
      renditionObjectName('thumbnails/', source, one('thumb:100x100'), 'jpeg'),
      thumbnailObjectName('thumbnails/', source, 'jpg'),
    );
    assert.equal(
      renditionObjectName('thumbnails/', source, one('thumb:100x100'), 'jpeg'),
      'thumbnails/20251203T15Z/20251203T15Z/photo.jpg.1733238000123456.jpg',
    );
  });

  it('keeps the old name for the default rendition whatever THUMBNAIL_SIZE is', () => {
    assert.equal(
      renditionObjectName('thumbnails/', source, one('thumb:256x256', 256), 'png'),
      'thumbnails/20251203T15Z/20251203T15Z/photo.jpg.1733238000123456.png',
    );
  });

  it('names any other rendition by its name and the hash of its canonical spec, with the output extension', () => {
    const spec = one('card:400x300:cover:webp');
    assert.equal(
      renditionObjectName('thumbnails/', source, spec, 'jpeg'),
      `thumbnails/20251203T15Z/20251203T15Z/photo.jpg.1733238000123456.card-${specHash('400x300:cover:webp:q80')}.webp`,
    );
    assert.match(specHash('400x300:cover:webp:q80'), /^[0-9a-f]{8}$/);
  });

  it('pins the README example, since a change of the hash scheme would rename every stored rendition', () => {
    assert.equal(
      renditionObjectName('thumbnails/', source, one('card:400x300:cover:webp'), 'jpeg'),
      'thumbnails/20251203T15Z/20251203T15Z/photo.jpg.1733238000123456.card-5be07c32.webp',
    );
  });

  it('takes the extension of a source-format rendition from the source format', () => {
    assert.match(renditionObjectName('t/', source, one('card:400x300'), 'png'), /\.card-[0-9a-f]{8}\.png$/);
    assert.match(renditionObjectName('t/', source, one('card:400x300'), 'gif'), /\.card-[0-9a-f]{8}\.gif$/);
    assert.match(renditionObjectName('t/', source, one('card:400x300'), 'jpeg'), /\.card-[0-9a-f]{8}\.jpg$/);
  });

  it('gives a changed spec a new name', () => {
    const names = [
      'card:400x300',
      'card:400x301',
      'card:400x300:cover',
      'card:400x300:webp',
      'card:400x300:q81',
    ].map((v) => renditionObjectName('t/', source, one(v), 'jpeg'));
    assert.equal(new Set(names).size, names.length);
  });

  it('gives specs that make the same thing the same name', () => {
    assert.equal(
      renditionObjectName('t/', source, one('card:400x300:webp:cover'), 'png'),
      renditionObjectName('t/', source, one('card:400x300:cover:webp:q80'), 'png'),
    );
  });

  it('does not give thumb with an explicit format the old name', () => {
    assert.notEqual(
      renditionObjectName('t/', source, one('thumb:100x100:jpeg'), 'jpeg'),
      thumbnailObjectName('t/', source, 'jpg'),
    );
  });

  it('is under the prefix in the folder of the source creation hour', () => {
    const name = renditionObjectName('thumbnails/', source, one('hero:1600x1600:avif'), 'jpeg');
    assert.ok(isUnderPrefix(name, 'thumbnails/'));
    assert.ok(name.startsWith('thumbnails/20251203T15Z/'));
  });

  it('refuses a hand-made spec whose name could break the layout', () => {
    const spec = { ...one('card:1x1'), name: 'a.b' };
    assert.throws(() => renditionObjectName('t/', source, spec, 'png'), TypeError);
  });

  it('never gives two (source, generation, rendition, spec) the same name, and reads each back from the right', () => {
    // Source names chosen to imitate the other parts: digits like a generation, a rendition segment, dots.
    const sources = [
      'photo.jpg',
      'photo',
      'photo.jpg.1733238000123456',
      'photo.jpg.1733238000123456.jpg',
      'photo.jpg.1.card-00000000',
      'photo.jpg.1.card-00000000.webp',
      'a.1',
      'a',
      '20251203T15Z/photo.jpg',
      '20251203T15Z/photo.jpg.7.thumb-1f0e3dad.png',
      'x/.../y.123',
      'card-00000000',
    ];
    const generations = ['1', '7', '1733238000123456', '11'];
    const specs = parseRenditions(
      'thumb:100x100,card:400x300,card2:400x300:cover:webp,a:1x1:avif,a-1:1x1:avif',
    );
    const formats: ImageFormat[] = ['jpeg', 'png', 'gif', 'webp'];
    const seen = new Map<string, string>();
    for (const name of sources) {
      for (const generation of generations) {
        for (const spec of specs) {
          for (const format of formats) {
            const target = renditionObjectName('thumbnails/', { name, generation, created }, spec, format);
            const key = JSON.stringify([name, generation, spec.name, canonicalSpec(spec, format)]);
            const other = seen.get(target);
            assert.ok(other === undefined || other === key, `${target}: ${other} and ${key}`);
            seen.set(target, key);
            const parsed = parseRenditionObjectName(target, 'thumbnails/');
            assert.deepEqual(
              [parsed?.source, parsed?.generation, parsed?.rendition, parsed?.specHash],
              [
                name,
                generation,
                spec.legacyName ? undefined : spec.name,
                spec.legacyName ? undefined : specHash(canonicalSpec(spec, format)),
              ],
              target,
            );
          }
        }
      }
    }
    // Per source generation: thumb and card follow the source format (4 names each); card2, a and a-1 name their
    // format, so every source format gives them the same canonical spec and the same name (1 each).
    assert.equal(seen.size, sources.length * generations.length * (4 + 4 + 1 + 1 + 1));
  });
});

describe('parseRenditionObjectName', () => {
  it('reads a default rendition name', () => {
    assert.deepEqual(
      parseRenditionObjectName(
        'thumbnails/20251203T15Z/20251203T15Z/photo.jpg.1733238000123456.jpg',
        'thumbnails/',
      ),
      {
        folder: '20251203T15Z',
        source: '20251203T15Z/photo.jpg',
        generation: '1733238000123456',
        extension: 'jpg',
      },
    );
  });

  it('reads a rendition name', () => {
    assert.deepEqual(
      parseRenditionObjectName('thumbnails/20251203T15Z/a.png.12.card-0123abcd.webp', 'thumbnails/'),
      {
        folder: '20251203T15Z',
        source: 'a.png',
        generation: '12',
        rendition: 'card',
        specHash: '0123abcd',
        extension: 'webp',
      },
    );
  });

  const others = [
    ['outside the prefix', 'uploads/20251203T15Z/a.png.12.png'],
    ['without a timestamp folder', 'thumbnails/a.png.12.png'],
    ['without a generation', 'thumbnails/20251203T15Z/a.png'],
    ['a claim marker', 'thumbnails/.claims/0123abcd'],
  ];
  for (const [what, name] of others) {
    it(`answers undefined for a name ${what}`, () => {
      assert.equal(parseRenditionObjectName(name!, 'thumbnails/'), undefined);
    });
  }
});

describe('isUnderPrefix', () => {
  it('is true for objects under the prefix', () =>
    assert.equal(isUnderPrefix('thumbnails/a.jpg', 'thumbnails/'), true));
  it('is false for others', () => assert.equal(isUnderPrefix('a/thumbnails/a.jpg', 'thumbnails/'), false));
  it('is false for an empty prefix', () => assert.equal(isUnderPrefix('a.jpg', ''), false));
});
