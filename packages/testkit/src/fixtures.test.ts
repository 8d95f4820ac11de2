import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { FIXTURES, MARKER, fixture, largeJpeg } from './fixtures.js';

const IMAGES = FIXTURES.filter(
  (f) => f.pages !== undefined && f.name !== 'truncated-jpeg' && f.name !== 'pixel-bomb-png',
);

describe('fixtures', () => {
  for (const f of IMAGES) {
    it(`${f.name} decodes fully as ${f.format} at its declared ${f.width}×${f.height} with ${f.pages} frame(s)`, async () => {
      const bytes = await fixture(f.name);
      const image = sharp(bytes, { animated: true, failOn: 'error' });
      const meta = await image.metadata();
      assert.equal(meta.format, f.format);
      assert.equal(meta.autoOrient.width, f.width);
      assert.equal(meta.pages ?? 1, f.pages);
      assert.equal(meta.pageHeight ?? meta.autoOrient.height, f.height);
      assert.equal(meta.hasAlpha, f.hasAlpha);
      await image.toBuffer(); // a full decode succeeds
    });
  }

  it('returns the very same bytes on every call (memoized)', async () => {
    assert.equal(await fixture('landscape-jpeg'), await fixture('landscape-jpeg'));
  });

  it('rejects an unknown fixture name', async () => {
    await assert.rejects(fixture('nope' as never), /unknown fixture: nope/);
  });

  it('stores exif-rotated-jpeg landscape with Orientation 6 and GPS data, marker at the stored top-left', async () => {
    const bytes = await fixture('exif-rotated-jpeg');
    const meta = await sharp(bytes).metadata();
    assert.equal(meta.orientation, 6);
    assert.equal(meta.width, 640);
    assert.equal(meta.height, 480);
    assert.ok(meta.exif, 'has an EXIF block');
    assert.ok(meta.exif.includes(Buffer.from('Fixture Camera')), 'has the camera model');
    assert.ok(
      meta.exif.includes(Buffer.from([0x88, 0x25])) || meta.exif.includes(Buffer.from([0x25, 0x88])),
      'has a GPS IFD',
    );
    const { data } = await sharp(bytes)
      .extract({ left: 10, top: 10, width: 1, height: 1 })
      .raw()
      .toBuffer({ resolveWithObject: true });
    assert.ok(
      data[0]! > 200 && data[1]! < 60 && data[2]! < 60,
      `stored top-left is red, got ${[...data].join(',')}`,
    );
  });

  it('cmyk-jpeg is stored in the CMYK colour space', async () => {
    assert.equal((await sharp(await fixture('cmyk-jpeg')).metadata()).space, 'cmyk');
  });

  it('progressive-jpeg is interlaced', async () => {
    assert.equal((await sharp(await fixture('progressive-jpeg')).metadata()).isProgressive, true);
  });

  it('rgba-png has fully transparent pixels on the right and opaque ones on the left', async () => {
    const { data, info } = await sharp(await fixture('rgba-png'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    assert.equal(info.channels, 4);
    assert.equal(data[(10 * info.width + 10) * 4 + 3], 255);
    assert.equal(data[(10 * info.width + info.width - 10) * 4 + 3], 0);
  });

  it('landscape-jpeg carries the marker colour in its top-left corner', async () => {
    const { data } = await sharp(await fixture('landscape-jpeg'))
      .extract({ left: 5, top: 5, width: 1, height: 1 })
      .raw()
      .toBuffer({ resolveWithObject: true });
    assert.ok(Math.abs(data[0]! - MARKER.r) < 40 && data[1]! < 60 && data[2]! < 60);
  });

  it('truncated-jpeg is refused by a strict full decode', async () => {
    await assert.rejects(sharp(await fixture('truncated-jpeg'), { failOn: 'error' }).toBuffer());
  });

  it('pixel-bomb-png is about 1 KB yet declares 30000×30000', async () => {
    const bytes = await fixture('pixel-bomb-png');
    assert.ok(bytes.length < 2048, `size ${bytes.length}`);
    const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    assert.equal(meta.format, 'png');
    assert.equal(meta.width, 30000);
    assert.equal(meta.height, 30000);
  });

  it('svg and pdf are what sharp would identify as svg and pdf (so core can refuse them)', async () => {
    const svg = await fixture('svg');
    assert.match(svg.toString('utf8'), /<svg /);
    const pdf = await fixture('pdf');
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.match(pdf.toString('latin1'), /%%EOF\n$/);
  });

  it('text is plain text that sharp cannot read', async () => {
    await assert.rejects(sharp(await fixture('text')).metadata());
  });

  it('largeJpeg makes a JPEG of the asked size that does not compress trivially', async () => {
    const bytes = await largeJpeg(800, 600);
    const meta = await sharp(bytes).metadata();
    assert.equal(meta.format, 'jpeg');
    assert.equal(meta.width, 800);
    assert.equal(meta.height, 600);
    assert.ok(bytes.length > 800 * 600 * 0.1, `only ${bytes.length} bytes`);
  });
});
