import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { fixture, type FixtureName } from '@thumbnailer/testkit';
import { ImageError, type ImageErrorCode } from './errors.js';
import { createThumbnail } from './thumbnail.js';

async function pixel(data: Buffer, x: number, y: number): Promise<number[]> {
  const { data: px } = await sharp(data)
    .extract({ left: x, top: y, width: 1, height: 1 })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return [...px];
}

function isRed([r, g, b]: number[]): boolean {
  return r! > 180 && g! < 80 && b! < 80;
}

function refusedWith(code: ImageErrorCode) {
  return (err: unknown) => {
    assert.ok(err instanceof ImageError, `expected an ImageError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.ok(err.message.length > 0);
    return true;
  };
}

describe('createThumbnail', () => {
  const stills: [FixtureName, string, number, number, string, string][] = [
    ['landscape-jpeg', 'jpeg', 100, 75, 'image/jpeg', 'jpg'],
    ['portrait-jpeg', 'jpeg', 75, 100, 'image/jpeg', 'jpg'],
    ['progressive-jpeg', 'jpeg', 100, 75, 'image/jpeg', 'jpg'],
    ['webp', 'webp', 100, 75, 'image/webp', 'webp'],
    ['avif', 'avif', 100, 75, 'image/avif', 'avif'],
    ['tiff', 'tiff', 100, 75, 'image/tiff', 'tiff'],
    ['rgba-png', 'png', 100, 75, 'image/png', 'png'],
  ];
  for (const [name, format, width, height, contentType, extension] of stills) {
    it(`fits ${name} inside 100×100 as ${width}×${height} ${format}, keeping the source format`, async () => {
      const thumb = await createThumbnail(await fixture(name));
      assert.deepEqual(
        {
          format: thumb.format,
          width: thumb.width,
          height: thumb.height,
          contentType: thumb.contentType,
          extension: thumb.extension,
        },
        { format, width, height, contentType, extension },
      );
      const meta = await sharp(thumb.data).metadata();
      assert.equal(meta.format, format === 'avif' ? 'heif' : format);
      assert.equal(meta.width, width);
      assert.equal(meta.height, height);
    });
  }

  it('keeps the marked top-left corner of an upright image where it was', async () => {
    const thumb = await createThumbnail(await fixture('landscape-jpeg'));
    assert.ok(isRed(await pixel(thumb.data, 3, 3)));
    assert.ok(!isRed(await pixel(thumb.data, thumb.width - 3, 3)));
  });

  it('applies EXIF orientation 6: a stored 640×480 becomes a 75×100 portrait with the marker top-right', async () => {
    const thumb = await createThumbnail(await fixture('exif-rotated-jpeg'));
    assert.equal(thumb.width, 75);
    assert.equal(thumb.height, 100);
    assert.ok(isRed(await pixel(thumb.data, thumb.width - 3, 3)), 'marker at the top-right');
    assert.ok(!isRed(await pixel(thumb.data, 3, 3)), 'not at the top-left');
  });

  it('carries no EXIF, GPS or orientation tag into the thumbnail', async () => {
    const thumb = await createThumbnail(await fixture('exif-rotated-jpeg'));
    const meta = await sharp(thumb.data).metadata();
    assert.equal(meta.exif, undefined);
    assert.equal(meta.orientation, undefined);
    assert.equal(meta.xmp, undefined);
    assert.ok(!thumb.data.includes(Buffer.from('Fixture Camera')));
  });

  it('keeps the alpha channel of an RGBA PNG, transparent where the source was', async () => {
    const thumb = await createThumbnail(await fixture('rgba-png'));
    const meta = await sharp(thumb.data).metadata();
    assert.equal(meta.hasAlpha, true);
    assert.equal((await pixel(thumb.data, thumb.width - 2, 10))[3], 0);
    assert.equal((await pixel(thumb.data, 2, 10))[3], 255);
  });

  it('never enlarges an image smaller than the box', async () => {
    const thumb = await createThumbnail(await fixture('small-png'));
    assert.equal(thumb.width, 40);
    assert.equal(thumb.height, 30);
  });

  for (const name of ['animated-gif', 'animated-webp'] as const) {
    it(`keeps ${name} animated: every frame resized to 100×75`, async () => {
      const thumb = await createThumbnail(await fixture(name));
      const meta = await sharp(thumb.data, { animated: true }).metadata();
      assert.equal(meta.format, name === 'animated-gif' ? 'gif' : 'webp');
      assert.equal(meta.pages, 4);
      assert.equal(meta.width, 100);
      assert.equal(meta.pageHeight, 75);
      assert.equal(thumb.height, 75);
    });
  }

  it('converts a CMYK JPEG to an sRGB JPEG', async () => {
    const thumb = await createThumbnail(await fixture('cmyk-jpeg'));
    const meta = await sharp(thumb.data).metadata();
    assert.equal(thumb.format, 'jpeg');
    assert.equal(meta.space, 'srgb');
    assert.equal(meta.channels, 3);
  });

  it('fits a custom box size', async () => {
    const thumb = await createThumbnail(await fixture('portrait-jpeg'), { size: 48 });
    assert.equal(thumb.width, 36);
    assert.equal(thumb.height, 48);
  });

  it('reads a file path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'core-thumb-'));
    try {
      const path = join(dir, 'in.jpg');
      await writeFile(path, await fixture('landscape-jpeg'));
      const thumb = await createThumbnail(path);
      assert.equal(thumb.width, 100);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads a stream', async () => {
    const bytes = await fixture('webp');
    const thumb = await createThumbnail(Readable.from([bytes.subarray(0, 10), bytes.subarray(10)]));
    assert.equal(thumb.format, 'webp');
    assert.equal(thumb.width, 100);
  });

  it('refuses a truncated JPEG as corrupt_image', async () => {
    await assert.rejects(createThumbnail(await fixture('truncated-jpeg')), refusedWith('corrupt_image'));
  });

  for (const name of ['text', 'svg', 'pdf'] as const) {
    it(`refuses ${name} as unsupported_format without rasterising it`, async () => {
      await assert.rejects(createThumbnail(await fixture(name)), refusedWith('unsupported_format'));
    });
  }

  it('refuses a PNG that declares 30000×30000 before decoding it (pixel_limit, no large allocation)', async () => {
    const rssBefore = process.memoryUsage().rss;
    await assert.rejects(createThumbnail(await fixture('pixel-bomb-png')), refusedWith('pixel_limit'));
    assert.ok(process.memoryUsage().rss - rssBefore < 200 * 1024 * 1024, 'no multi-hundred-MB decode');
  });

  it('refuses an image over a lowered pixel limit', async () => {
    await assert.rejects(
      createThumbnail(await fixture('landscape-jpeg'), { limits: { maxPixels: 640 * 480 - 1 } }),
      refusedWith('pixel_limit'),
    );
  });

  it('counts every frame of an animation against the pixel limit', async () => {
    await assert.rejects(
      createThumbnail(await fixture('animated-gif'), { limits: { maxPixels: 160 * 120 * 3 } }),
      refusedWith('pixel_limit'),
    );
  });

  it('refuses an animation with more frames than allowed (too_many_frames)', async () => {
    await assert.rejects(
      createThumbnail(await fixture('animated-webp'), { limits: { maxFrames: 3 } }),
      refusedWith('too_many_frames'),
    );
  });

  it('refuses zero bytes as empty_image', async () => {
    await assert.rejects(createThumbnail(Buffer.alloc(0)), refusedWith('empty_image'));
  });

  it('refuses an empty stream as empty_image', async () => {
    await assert.rejects(createThumbnail(Readable.from([])), refusedWith('empty_image'));
  });

  it('rejects a box size that is not a positive integer', async () => {
    await assert.rejects(createThumbnail(await fixture('small-png'), { size: 0 }), RangeError);
    await assert.rejects(createThumbnail(await fixture('small-png'), { size: 1.5 }), RangeError);
  });
});
