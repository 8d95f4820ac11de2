import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FIXTURES, fixture, type FixtureName } from '@thumbnailer/testkit';
import { ImageError, type ImageErrorCode } from './errors.js';
import { probeImage } from './probe.js';

describe('probeImage', () => {
  const accepted: [FixtureName, string, string, number, number, number][] = [
    ['landscape-jpeg', 'jpeg', 'image/jpeg', 640, 480, 1],
    ['portrait-jpeg', 'jpeg', 'image/jpeg', 480, 640, 1],
    ['exif-rotated-jpeg', 'jpeg', 'image/jpeg', 480, 640, 1],
    ['progressive-jpeg', 'jpeg', 'image/jpeg', 640, 480, 1],
    ['cmyk-jpeg', 'jpeg', 'image/jpeg', 320, 240, 1],
    ['rgba-png', 'png', 'image/png', 200, 150, 1],
    ['small-png', 'png', 'image/png', 40, 30, 1],
    ['animated-gif', 'gif', 'image/gif', 160, 120, 4],
    ['animated-webp', 'webp', 'image/webp', 160, 120, 4],
    ['webp', 'webp', 'image/webp', 320, 240, 1],
    ['avif', 'avif', 'image/avif', 320, 240, 1],
    ['tiff', 'tiff', 'image/tiff', 320, 240, 1],
  ];
  for (const [name, format, contentType, width, height, pages] of accepted) {
    it(`accepts ${name} as ${format} ${width}×${height} (displayed) with ${pages} frame(s)`, async () => {
      const result = await probeImage(await fixture(name));
      assert.equal(result.format, format);
      assert.equal(result.contentType, contentType);
      assert.equal(result.width, width);
      assert.equal(result.height, height);
      assert.equal(result.pages, pages);
    });
  }

  it('covers every image fixture testkit has', () => {
    const covered = new Set<string>([
      ...accepted.map(([n]) => n),
      'truncated-jpeg',
      'text',
      'svg',
      'pdf',
      'pixel-bomb-png',
    ]);
    assert.deepEqual(
      FIXTURES.map((f) => f.name).filter((n) => !covered.has(n)),
      [],
    );
  });

  const refused: [FixtureName, ImageErrorCode][] = [
    ['truncated-jpeg', 'corrupt_image'],
    ['text', 'unsupported_format'],
    ['svg', 'unsupported_format'],
    ['pdf', 'unsupported_format'],
    ['pixel-bomb-png', 'pixel_limit'],
  ];
  for (const [name, code] of refused) {
    it(`refuses ${name} with ${code}`, async () => {
      await assert.rejects(probeImage(await fixture(name)), (err: unknown) => {
        assert.ok(err instanceof ImageError);
        assert.equal(err.code, code);
        return true;
      });
    });
  }

  it('names the PDF and SVG in the refusal message', async () => {
    await assert.rejects(probeImage(await fixture('pdf')), /PDF/);
    await assert.rejects(probeImage(await fixture('svg')), /SVG/);
  });

  it('refuses a PNG whose compressed pixel data is damaged', async () => {
    const bytes = Buffer.from(await fixture('rgba-png'));
    const idat = bytes.indexOf('IDAT');
    bytes.fill(0x55, idat + 20, idat + 60);
    await assert.rejects(
      probeImage(bytes),
      (err: unknown) => err instanceof ImageError && err.code === 'corrupt_image',
    );
  });

  it('refuses zero bytes as empty_image', async () => {
    await assert.rejects(
      probeImage(Buffer.alloc(0)),
      (err: unknown) => err instanceof ImageError && err.code === 'empty_image',
    );
  });
});
