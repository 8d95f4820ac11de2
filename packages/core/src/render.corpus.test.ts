// Every real-world file of the shared corpus through a three-rendition set (a source-format cover, a WebP, an AVIF):
// each gets every rendition or exactly one clear ImageError, as the table says from what the file is.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import sharp from 'sharp';
import { thumbHashToApproximateAspectRatio } from 'thumbhash';
import { corpusImage, corpusImageNames } from '@thumbnailer/testkit';
import { ImageError, type ImageErrorCode } from './errors.js';
import { thumbnailFormatFor } from './formats.js';
import { renderRenditions, type RenderResult } from './render.js';
import { parseRenditions } from './renditions.js';

const SET = parseRenditions('thumb:100x100:cover,card:400x300:webp,hero:800x800:avif');

type Expected = 'rendered' | ImageErrorCode;

/** What each file is, and so what it must give. */
const CORPUS: Record<string, [Expected, string]> = {
  'exif-Landscape_0.jpg': ['rendered', 'JPEG with orientation 0 (invalid, read as upright)'],
  ...Object.fromEntries(
    [1, 2, 3, 4, 5, 6, 7, 8].flatMap((n) => [
      [`exif-Landscape_${n}.jpg`, ['rendered', `1800×1200 photo, EXIF orientation ${n}`]],
      [`exif-Portrait_${n}.jpg`, ['rendered', `1200×1800 photo, EXIF orientation ${n}`]],
    ]),
  ),
  'exs-32-lens_data.jpeg': ['rendered', 'JPEG with lens EXIF data'],
  'exs-Samsung_Digimax_i50_MP3.jpg': [
    'rendered',
    'camera JPEG, 100×75 (smaller than the card and hero boxes)',
  ],
  'gen-empty.jpg': ['empty_image', 'zero bytes'],
  'pil-broken.png': ['corrupt_image', 'PNG with a broken header'],
  'pil-broken_data_stream.png': ['corrupt_image', 'PNG whose compressed data is broken'],
  'pil-decompression_bomb.gif': ['corrupt_image', 'GIF bomb whose data ends early'],
  'pil-decompression_bomb_extents.gif': [
    'rendered',
    '2-frame GIF whose frames claim extents past its canvas (clipped)',
  ],
  'pil-exif_gps.jpg': ['rendered', '8×8 JPEG with GPS EXIF'],
  'pil-g4_orientation_6.tif': ['rendered', 'CCITT G4 TIFF with orientation 6'],
  'pil-hopper.avif': ['rendered', 'AVIF'],
  'pil-hopper.heif': ['unsupported_format', 'HEIC (HEVC): not on the allow-list'],
  'pil-hopper_16bit_qtables.jpg': ['rendered', 'JPEG with 16-bit quantisation tables'],
  'pil-hopper_orientation_6.webp': ['rendered', 'WebP with EXIF orientation 6'],
  'pil-icc-after-SOF.jpg': ['rendered', 'JPEG with its ICC profile after the frame header'],
  'pil-iss634.apng': ['rendered', 'animated PNG: read as a still PNG (first frame)'],
  'pil-iss634.gif': ['rendered', '42-frame animated GIF'],
  'pil-iss634.webp': ['rendered', '42-frame animated WebP'],
  'pil-l_trns.png': ['rendered', 'greyscale PNG with a tRNS transparent colour'],
  'pil-multipage.tiff': ['rendered', 'multi-page TIFF (first page)'],
  'pil-orientation_rectangle.jpg': ['rendered', '2×1 JPEG with orientation 8 (displayed 1×2)'],
  'pil-pil_sample_cmyk.jpg': ['rendered', 'CMYK JPEG'],
  'pil-png_decompression_dos.png': ['rendered', '1×1 PNG with huge compressed text chunks (pixels are fine)'],
  'pil-rot1mir0.avif': ['rendered', 'AVIF with irot/imir transforms'],
  'pil-seek_too_large.tif': ['unsupported_format', 'TIFF magic, but libtiff finds no readable image in it'],
  'pil-star.avifs': ['unsupported_format', 'AVIF image sequence, which sharp’s libheif does not decode'],
  'pil-tiff_16bit_RGB.tiff': ['rendered', '16-bit RGB TIFF'],
  'pil-tiff_strip_cmyk_jpeg.tif': ['rendered', 'JPEG-compressed CMYK TIFF'],
  'pil-truncated_app14.jpg': ['rendered', 'JPEG with a truncated APP14 marker libjpeg only warns about'],
  'pil-truncated_end_chunk.png': ['rendered', 'PNG cut inside its IEND chunk, after all image data'],
  'pil-truncated_image.png': ['corrupt_image', 'PNG cut inside its image data'],
  'pil-truncated_jpeg.jpg': ['corrupt_image', 'JPEG cut inside its scan'],
  'pil-zero_width.gif': ['corrupt_image', 'GIF declaring zero width'],
  'png-PngSuite.README': ['unsupported_format', 'text'],
  'png-basi3p08.png': ['rendered', 'interlaced palette PNG'],
  'png-basn0g01.png': ['rendered', '1-bit greyscale PNG'],
  'png-basn6a16.png': ['rendered', '16-bit RGBA PNG'],
  'png-bgai4a16.png': ['rendered', 'interlaced 16-bit grey + alpha PNG'],
  'png-tbbn3p08.png': ['rendered', 'palette PNG with transparency'],
  'png-xc9n2c08.png': ['corrupt_image', 'PngSuite x: invalid colour type'],
  'png-xcrn0g04.png': ['unsupported_format', 'PngSuite x: signature mangled by CR/LF conversion'],
  'png-xcsn0g01.png': ['corrupt_image', 'PngSuite x: bad IDAT checksum'],
  'png-xdtn0g01.png': ['corrupt_image', 'PngSuite x: no IDAT chunk'],
  'png-xhdn0g08.png': ['corrupt_image', 'PngSuite x: bad IHDR checksum'],
  'png-xs1n0g01.png': ['unsupported_format', 'PngSuite x: signature byte 1 wrong'],
  'sharp-65536-uint32-limit.png': ['pixel_limit', 'PNG declaring 65536 × 65536'],
  'sharp-Channel_digital_image_CMYK_color.jpg': ['rendered', 'CMYK JPEG photo'],
  'sharp-G31D_MULTI.TIF': ['rendered', 'multi-page fax TIFF (first page)'],
  'sharp-animated-loop-3.webp': ['rendered', '10-frame WebP looping 3 times'],
  'sharp-big-height.webp': ['rendered', '97-frame WebP, 13×169 per frame'],
  'sharp-check.svg': ['unsupported_format', 'SVG: never rasterised'],
  'sharp-corrupt-header.jpg': ['corrupt_image', 'JPEG with a corrupt header'],
  'sharp-giant-image.jpg': ['pixel_limit', 'JPEG declaring far more pixels than the limit'],
  'sharp-p3.png': ['rendered', 'Display P3 PNG (converted to sRGB)'],
  'sharp-pitm.avif': ['rendered', 'AVIF with a primary item'],
  'sharp-relax_tileparts.jp2': ['unsupported_format', 'JPEG 2000: not on the allow-list'],
  'sharp-testimgl.jpg': ['rendered', 'JPEG'],
  'sharp-truncated.jpg': ['corrupt_image', 'truncated JPEG'],
  'vips-17000x17000.avif': ['pixel_limit', 'AVIF declaring 17000 × 17000'],
  'vips-avif-orientation-6.avif': ['rendered', '12 MP AVIF with orientation 6'],
  'vips-blankpage.pdf': ['unsupported_format', 'PDF: never rasterised'],
  'vips-cogs.gif': ['rendered', '5-frame GIF, 85×77 (smaller than the thumb box in one side)'],
  'vips-invalid_multiframe.gif': ['corrupt_image', 'GIF with an invalid later frame'],
  'vips-logo.svgz': ['unsupported_format', 'gzipped SVG'],
  'vips-looks-like-svg.webp': ['rendered', 'WebP whose bytes contain "<svg"'],
  'vips-ojpeg-strip.tif': ['corrupt_image', 'old-style JPEG TIFF, which libtiff in sharp cannot decode'],
  'vips-sample-xyb.jpg': ['rendered', 'JPEG XL-style XYB JPEG (ICC converted)'],
  'vips-small.bmp': ['unsupported_format', 'BMP: not on the allow-list'],
  'vips-trans-x.gif': ['rendered', 'still GIF with transparency'],
  'vips-truncated.gif': ['corrupt_image', 'truncated GIF'],
  'vips-truncated.svgz': ['unsupported_format', 'truncated gzipped SVG'],
};

/** Every rendition there, in the right format and size, decodable; the placeholders well-formed. */
async function checkRendered(file: string, result: RenderResult): Promise<void> {
  const { source, renditions } = result;
  assert.deepEqual(
    renditions.map((r) => r.spec.name),
    ['thumb', 'card', 'hero'],
  );
  const [thumb, card, hero] = renditions;
  assert.deepEqual(
    [thumb!.format, card!.format, hero!.format],
    [thumbnailFormatFor(source.format), 'webp', 'avif'],
  );
  for (const r of renditions) {
    const meta = await sharp(r.data, { animated: true }).metadata();
    const expectedPages = source.pages > 1 && (r.format === 'gif' || r.format === 'webp') ? source.pages : 1;
    assert.equal(r.pages, expectedPages, `${r.spec.name} frames`);
    assert.equal(meta.format, r.format === 'avif' ? 'heif' : r.format, r.spec.name);
    assert.deepEqual([meta.width, meta.pageHeight ?? meta.height], [r.width, r.height], r.spec.name);
    assert.ok(r.width <= source.width && r.height <= source.height, `${r.spec.name} never enlarged`);
  }
  // cover: the box exactly where the source fills it, else the box's aspect (±1 px) within the source.
  if (source.width >= 100 && source.height >= 100)
    assert.deepEqual([thumb!.width, thumb!.height], [100, 100]);
  else assert.ok(Math.abs(thumb!.width - thumb!.height) <= 1, `thumb ${thumb!.width}×${thumb!.height}`);
  // inside: within the box, touching it (or the source's own size), aspect kept to ±1 px.
  for (const [r, w, h] of [
    [card!, 400, 300],
    [hero!, 800, 800],
  ] as const) {
    assert.ok(r.width <= w && r.height <= h, `${r.spec.name} ${r.width}×${r.height} inside ${w}×${h}`);
    const scale = Math.min(1, w / source.width, h / source.height);
    assert.ok(
      Math.abs(r.width - source.width * scale) <= 1 && Math.abs(r.height - source.height * scale) <= 1,
    );
  }
  const aspect = thumbHashToApproximateAspectRatio(Buffer.from(result.thumbhash, 'base64'));
  assert.ok(aspect > 0, file);
  assert.match(result.dominantColor, /^#[0-9a-f]{6}$/);
}

describe('renderRenditions over the shared corpus', () => {
  it('has an expected outcome for every corpus file', async () => {
    const names = await corpusImageNames();
    assert.deepEqual(
      names.filter((n) => !(n in CORPUS)),
      [],
      'files the table does not know',
    );
    assert.deepEqual(
      Object.keys(CORPUS).filter((n) => !names.includes(n)),
      [],
      'table rows without a file',
    );
  });

  for (const [file, [expected, what]] of Object.entries(CORPUS)) {
    const title =
      expected === 'rendered'
        ? `renders all three renditions of ${file} (${what})`
        : `refuses ${file} with ${expected} (${what})`;
    it(title, async () => {
      let result: RenderResult | undefined;
      let error: unknown;
      try {
        result = await renderRenditions(await corpusImage(file), SET);
      } catch (err) {
        error = err;
      }
      if (expected === 'rendered') {
        assert.equal(error, undefined, `refused: ${inspect(error)}`);
        await checkRendered(file, result!);
      } else {
        assert.ok(
          error instanceof ImageError,
          `expected ImageError ${expected}, got ${error === undefined ? 'renditions' : inspect(error)}`,
        );
        assert.equal(error.code, expected, error.message);
        assert.doesNotMatch(error.message, /^\s*$/);
      }
    });
  }
});
