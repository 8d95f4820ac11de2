import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { thumbHashToApproximateAspectRatio, thumbHashToRGBA } from 'thumbhash';
import { corpusImage, corpusImagesDir, fixture, type FixtureName } from '@thumbnailer/testkit';
import { ImageError, type ImageErrorCode } from './errors.js';
import { renderRenditions, renditionSize, type Rendition } from './render.js';
import { parseRenditions, type RenditionSpec } from './renditions.js';

const corpus = corpusImage;
const specs = (value: string) => parseRenditions(value);
const one = (value: string): RenditionSpec => specs(value)[0]!;

function byName(renditions: Rendition[], name: string): Rendition {
  const found = renditions.find((r) => r.spec.name === name);
  assert.ok(found, `no rendition ${name}`);
  return found;
}

function refusedWith(code: ImageErrorCode) {
  return (err: unknown) => {
    assert.ok(err instanceof ImageError, `expected an ImageError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  };
}

type Rgb = [number, number, number];

/** Raw RGB pixels: a flat grey-green field with one saturated red disc, an unmistakably interesting region. */
function salientScene(width: number, height: number, disc: { x: number; y: number; r: number }): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = (x - disc.x) ** 2 + (y - disc.y) ** 2 < disc.r ** 2;
      data.set(inside ? [220, 20, 30] : [120, 130, 120], (y * width + x) * 3);
    }
  }
  return data;
}

async function scenePng(width: number, height: number, disc: { x: number; y: number; r: number }) {
  return sharp(salientScene(width, height, disc), { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** Share of the pixels of (one frame of) an encoded image that are the disc's red. */
async function redShare(image: Buffer, page = 0): Promise<number> {
  const { data, info } = await sharp(image, { page })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  let red = 0;
  for (let i = 0; i < data.length; i += 3)
    if (data[i]! > 170 && data[i + 1]! < 90 && data[i + 2]! < 90) red++;
  return red / (info.width * info.height);
}

async function solid(width: number, height: number, [r, g, b]: Rgb): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
    .png()
    .toBuffer();
}

async function meanAbsDiff(a: Buffer, b: Buffer): Promise<number> {
  const pa = await sharp(a).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const pb = await sharp(b).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([pa.info.width, pa.info.height], [pb.info.width, pb.info.height]);
  let sum = 0;
  for (let i = 0; i < pa.data.length; i++) sum += Math.abs(pa.data[i]! - pb.data[i]!);
  return sum / pa.data.length;
}

describe('renditionSize', () => {
  const cases: [string, string, number, number, number, number][] = [
    ['inside fits a landscape to the box width', 'a:100x100', 640, 480, 100, 75],
    ['inside fits a portrait to the box height', 'a:100x100', 480, 640, 75, 100],
    ['inside never enlarges', 'a:1600x1600', 640, 480, 640, 480],
    ['inside keeps at least one pixel', 'a:1x1', 1, 2000, 1, 1],
    ['cover fills the box exactly', 'a:400x300:cover', 640, 480, 400, 300],
    ['cover fills a square box from a landscape', 'a:100x100:cover', 640, 480, 100, 100],
    ['cover fills a box the source only just covers', 'a:400x300:cover', 450, 350, 400, 300],
    [
      'cover of a source smaller than the box: the largest square it holds',
      'a:100x100:cover',
      40,
      30,
      30,
      30,
    ],
    ['cover of a source too short for the box: its box-aspect crop', 'a:400x300:cover', 1000, 200, 267, 200],
    ['cover of a source too narrow for the box: its box-aspect crop', 'a:300x400:cover', 200, 1000, 200, 267],
  ];
  for (const [behaviour, value, w, h, width, height] of cases) {
    it(`${behaviour}: ${value} of ${w}×${h} is ${width}×${height}`, () => {
      const size = renditionSize(one(value), w, h);
      assert.deepEqual([size.width, size.height], [width, height]);
      assert.ok(size.scale <= 1);
    });
  }
});

describe('renderRenditions', () => {
  it('renders the contract example set of a 640×480 JPEG: sizes, crops and formats', async () => {
    const result = await renderRenditions(
      await fixture('landscape-jpeg'),
      specs('thumb:100x100,card:400x300:cover:webp,hero:1600x1600:avif:q60'),
    );
    assert.deepEqual(result.source, { format: 'jpeg', width: 640, height: 480, pages: 1 });
    const seen = await Promise.all(
      result.renditions.map(async (r) => {
        const meta = await sharp(r.data).metadata();
        return [
          r.spec.name,
          r.format,
          r.contentType,
          r.extension,
          r.width,
          r.height,
          meta.format,
          meta.width,
          meta.height,
        ];
      }),
    );
    assert.deepEqual(seen, [
      ['thumb', 'jpeg', 'image/jpeg', 'jpg', 100, 75, 'jpeg', 100, 75],
      ['card', 'webp', 'image/webp', 'webp', 400, 300, 'webp', 400, 300],
      ['hero', 'avif', 'image/avif', 'avif', 640, 480, 'heif', 640, 480],
    ]);
    assert.deepEqual(
      result.renditions.map((r) => r.canonicalSpec),
      ['100x100:inside:jpeg:q80', '400x300:cover:webp:q80', '1600x1600:inside:avif:q60'],
    );
  });

  const sourceFormats: [FixtureName, string, string][] = [
    ['landscape-jpeg', 'jpeg', 'jpeg'],
    ['rgba-png', 'png', 'png'],
    ['webp', 'webp', 'webp'],
    ['avif', 'avif', 'heif'],
    ['tiff', 'tiff', 'tiff'],
    ['animated-gif', 'gif', 'gif'],
  ];
  for (const [name, format, sharpFormat] of sourceFormats) {
    it(`writes a rendition without a format in the source's own: ${name} → ${format}`, async () => {
      const { renditions } = await renderRenditions(await fixture(name), specs('a:64x64,b:32x32:cover'));
      for (const r of renditions) {
        assert.equal(r.format, format);
        assert.equal((await sharp(r.data).metadata()).format, sharpFormat);
      }
    });
  }

  for (const [format, sharpFormat] of [
    ['jpeg', 'jpeg'],
    ['png', 'png'],
    ['webp', 'webp'],
    ['avif', 'heif'],
  ] as const) {
    it(`writes a ${format} rendition of every source format when asked`, async () => {
      for (const name of ['landscape-jpeg', 'rgba-png', 'animated-gif', 'tiff'] as const) {
        const { renditions } = await renderRenditions(await fixture(name), specs(`a:80x80:${format}`));
        const meta = await sharp(renditions[0]!.data).metadata();
        assert.equal(meta.format, sharpFormat, name);
        assert.equal(renditions[0]!.format, format);
      }
    });
  }

  for (const format of ['jpeg', 'webp', 'avif'] as const) {
    it(`makes a smaller ${format} at a lower quality`, async () => {
      const photo = await corpus('exif-Landscape_1.jpg');
      const { renditions } = await renderRenditions(
        photo,
        specs(`low:400x400:${format}:q20,high:400x400:${format}:q90`),
      );
      const [low, high] = renditions;
      assert.ok(low!.data.length < high!.data.length * 0.7, `${low!.data.length} vs ${high!.data.length}`);
      assert.deepEqual([low!.width, low!.height], [high!.width, high!.height]);
    });
  }

  it('crops a cover rendition around the interesting region, wherever it is', async () => {
    for (const x of [680, 120]) {
      const scene = await scenePng(800, 400, { x, y: 200, r: 60 });
      const { renditions } = await renderRenditions(scene, specs('square:200x200:cover'));
      const share = await redShare(renditions[0]!.data);
      // The whole disc (radius 30 once scaled to 400×200) is 7.1 % of a 200×200 crop.
      assert.ok(share > 0.06, `disc at x=${x}: ${share}`);
      const centre = await sharp(scene).resize(200, 200, { fit: 'cover', position: 'centre' }).toBuffer();
      assert.equal(await redShare(centre), 0, 'a centre crop would have missed it');
    }
  });

  it('crops every frame of an animated cover rendition around the interesting region of the first', async () => {
    const frames = Buffer.concat(
      [0, 1, 2].map((i) => salientScene(400, 200, { x: 330 + i * 5, y: 100, r: 40 })),
    );
    const gif = await sharp(frames, { raw: { width: 400, height: 600, channels: 3, pageHeight: 200 } })
      .gif({ delay: [50, 60, 70], loop: 2 })
      .toBuffer();
    const { renditions } = await renderRenditions(gif, specs('square:100x100:cover:webp'));
    const [square] = renditions;
    const meta = await sharp(square!.data, { animated: true }).metadata();
    assert.deepEqual([meta.width, meta.pageHeight, meta.pages, meta.loop], [100, 100, 3, 2]);
    assert.deepEqual(meta.delay, [50, 60, 70]);
    for (const page of [0, 1, 2]) assert.ok((await redShare(square!.data, page)) > 0.1, `frame ${page}`);
  });

  it('keeps an animation in GIF and WebP outputs, with its delays and loop, and takes the first frame elsewhere', async () => {
    const gif = await fixture('animated-gif');
    const source = await sharp(gif, { animated: true }).metadata();
    const { renditions } = await renderRenditions(
      gif,
      specs(
        'own:100x100,webp:100x100:webp,avif:100x100:avif,jpeg:100x100:jpeg,png:100x100:png,cover:50x50:cover',
      ),
    );
    const seen = await Promise.all(
      renditions.map(async (r) => {
        const meta = await sharp(r.data, { animated: true }).metadata();
        return [r.spec.name, r.pages, meta.pages ?? 1, meta.width, meta.pageHeight ?? meta.height];
      }),
    );
    assert.deepEqual(seen, [
      ['own', 4, 4, 100, 75],
      ['webp', 4, 4, 100, 75],
      ['avif', 1, 1, 100, 75],
      ['jpeg', 1, 1, 100, 75],
      ['png', 1, 1, 100, 75],
      ['cover', 4, 4, 50, 50],
    ]);
    for (const name of ['own', 'webp']) {
      const meta = await sharp(byName(renditions, name).data, { animated: true }).metadata();
      assert.equal(meta.loop, source.loop, name);
    }
    assert.deepEqual(
      (await sharp(byName(renditions, 'own').data, { animated: true }).metadata()).delay,
      source.delay,
    );
  });

  it('keeps an animated WebP animated in its own format', async () => {
    const { renditions } = await renderRenditions(await fixture('animated-webp'), specs('thumb:100x100'));
    const meta = await sharp(renditions[0]!.data, { animated: true }).metadata();
    assert.deepEqual([meta.format, meta.pages, meta.width, meta.pageHeight], ['webp', 4, 100, 75]);
  });

  it('applies every EXIF orientation: all eight corpus photos give the same upright renditions', async () => {
    for (const kind of ['Landscape', 'Portrait']) {
      const set = specs('thumb:100x100,card:120x120:cover:webp');
      const upright = await renderRenditions(await corpus(`exif-${kind}_1.jpg`), set);
      const [w, h] = kind === 'Landscape' ? [100, 67] : [67, 100];
      assert.deepEqual([upright.renditions[0]!.width, upright.renditions[0]!.height], [w, h]);
      for (const n of kind === 'Landscape' ? [0, 2, 3, 4, 5, 6, 7, 8] : [2, 3, 4, 5, 6, 7, 8]) {
        const { renditions } = await renderRenditions(await corpus(`exif-${kind}_${n}.jpg`), set);
        for (const [i, r] of renditions.entries()) {
          const diff = await meanAbsDiff(r.data, upright.renditions[i]!.data);
          assert.ok(diff < 8, `${kind}_${n} ${r.spec.name}: mean difference ${diff.toFixed(1)}`);
        }
      }
    }
  });

  it('applies TIFF and AVIF orientation tags too', async () => {
    const tiff = await renderRenditions(await corpus('pil-g4_orientation_6.tif'), specs('a:1000x1000'));
    assert.deepEqual([tiff.source.width, tiff.source.height], [590, 88]);
    const meta = await sharp(await corpus('pil-g4_orientation_6.tif')).metadata();
    assert.deepEqual(
      [meta.width, meta.height, meta.orientation],
      [88, 590, 6],
      'stored upright 88×590, tagged 6',
    );
    assert.deepEqual([tiff.renditions[0]!.width, tiff.renditions[0]!.height], [590, 88]);
    const avif = await renderRenditions(
      await corpus('vips-avif-orientation-6.avif'),
      specs('a:400x400:webp'),
    );
    assert.deepEqual([avif.renditions[0]!.width, avif.renditions[0]!.height], [300, 400]);
  });

  it('carries no EXIF, GPS, XMP, ICC or orientation into any rendition', async () => {
    const { renditions } = await renderRenditions(
      await fixture('exif-rotated-jpeg'),
      specs('a:100x100,b:100x100:png,c:100x100:webp,d:100x100:avif'),
    );
    for (const r of renditions) {
      const meta = await sharp(r.data).metadata();
      assert.deepEqual(
        [meta.exif, meta.xmp, meta.icc, meta.orientation],
        [undefined, undefined, undefined, undefined],
      );
      assert.ok(!r.data.includes(Buffer.from('Fixture Camera')), r.spec.name);
    }
  });

  it('converts CMYK to sRGB in every output', async () => {
    for (const source of [await fixture('cmyk-jpeg'), await corpus('pil-pil_sample_cmyk.jpg')]) {
      const { renditions } = await renderRenditions(source, specs('a:100x100,b:100x100:webp,c:100x100:png'));
      for (const r of renditions) {
        const meta = await sharp(r.data).metadata();
        assert.deepEqual([meta.space, meta.channels], ['srgb', 3], r.spec.name);
      }
    }
    // The fixture is a blue-ish scene: converted, not reinterpreted (CMYK read as RGB would be near-black).
    const { renditions } = await renderRenditions(await fixture('cmyk-jpeg'), specs('a:1x1:png'));
    const { data } = await sharp(renditions[0]!.data).raw().toBuffer({ resolveWithObject: true });
    assert.ok(data[2]! > data[0]! + 50, `mean colour ${[...data].join(',')}`);
  });

  it('keeps alpha where the output has it and flattens onto white in JPEG', async () => {
    const { renditions } = await renderRenditions(
      await fixture('rgba-png'),
      specs('png:100x100,webp:100x100:webp,avif:100x100:avif,jpeg:100x100:jpeg'),
    );
    for (const name of ['png', 'webp', 'avif']) {
      const { data, info } = await sharp(byName(renditions, name).data)
        .ensureAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      assert.equal(data[(10 * info.width + info.width - 2) * 4 + 3], 0, `${name}: transparent right half`);
    }
    const jpeg = byName(renditions, 'jpeg').data;
    const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    const right = [
      ...data.subarray((10 * info.width + info.width - 2) * 3, (10 * info.width + info.width - 1) * 3),
    ];
    assert.ok(
      right.every((v) => v > 245),
      `jpeg right half ${right.join(',')} is white`,
    );
  });

  it('never enlarges: a 40×30 PNG stays 40×30 inside and gives a 30×30 cover crop', async () => {
    const { renditions } = await renderRenditions(
      await fixture('small-png'),
      specs('hero:1600x1600,sq:100x100:cover'),
    );
    assert.deepEqual(
      renditions.map((r) => [r.width, r.height]),
      [
        [40, 30],
        [30, 30],
      ],
    );
  });

  it('renders a subset byte for byte as the whole set, with the same placeholders', async () => {
    for (const source of [
      await corpus('exif-Landscape_6.jpg'),
      await fixture('animated-gif'),
      await fixture('rgba-png'),
    ]) {
      const set = specs('thumb:100x100,card:400x300:cover:webp,hero:1600x1600:avif,mid:640x640:png');
      const all = await renderRenditions(source, set);
      for (const only of [['thumb'], ['card'], ['hero'], ['mid', 'thumb']]) {
        const part = await renderRenditions(source, set, { only });
        assert.deepEqual(
          part.renditions.map((r) => r.spec.name),
          set.map((s) => s.name).filter((n) => only.includes(n)),
        );
        for (const r of part.renditions)
          assert.ok(r.data.equals(byName(all.renditions, r.spec.name).data), r.spec.name);
        assert.equal(part.thumbhash, all.thumbhash);
        assert.equal(part.dominantColor, all.dominantColor);
      }
    }
  });

  it('gives a ThumbHash that decodes to the aspect and colours of the image', async () => {
    const width = 300;
    const height = 150;
    const data = Buffer.alloc(width * height * 3);
    for (let p = 0; p < width * height; p++)
      data.set(p % width < width / 2 ? [20, 40, 220] : [240, 220, 20], p * 3);
    const png = await sharp(data, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer();
    for (const [source, aspect] of [
      [png, 2],
      [await sharp(png).rotate(90).png().toBuffer(), 0.5],
    ] as const) {
      const { thumbhash } = await renderRenditions(source, specs('a:64x64'));
      const hash = Buffer.from(thumbhash, 'base64');
      assert.ok(
        Math.abs(thumbHashToApproximateAspectRatio(hash) - aspect) < 0.25 * aspect,
        `aspect ${aspect}`,
      );
      const decoded = thumbHashToRGBA(hash);
      const at = (fx: number, fy: number) => {
        const i = (Math.floor(fy * decoded.h) * decoded.w + Math.floor(fx * decoded.w)) * 4;
        return [...decoded.rgba.subarray(i, i + 3)];
      };
      const [blue, yellow] = aspect === 2 ? [at(0.1, 0.5), at(0.9, 0.5)] : [at(0.5, 0.1), at(0.5, 0.9)];
      assert.ok(blue[2]! > blue[0]! + 80, `blue side ${blue.join(',')}`);
      assert.ok(yellow[0]! > yellow[2]! + 80, `yellow side ${yellow.join(',')}`);
    }
  });

  it('gives the exact dominant colour of a solid image, whatever the rendition set', async () => {
    const image = await solid(300, 200, [200, 30, 30]);
    for (const set of ['a:50x50', 'a:1600x1600,b:10x10:cover:avif']) {
      const { dominantColor } = await renderRenditions(image, specs(set));
      assert.equal(dominantColor, '#c81e1e');
    }
  });

  it('reads a file path and a stream as well as bytes', async () => {
    const bytes = await fixture('webp');
    const fromBytes = await renderRenditions(bytes, specs('a:100x100'));
    const fromStream = await renderRenditions(
      Readable.from([bytes.subarray(0, 10), bytes.subarray(10)]),
      specs('a:100x100'),
    );
    const fromPath = await renderRenditions(
      join(corpusImagesDir(), 'exif-Landscape_1.jpg'),
      specs('a:100x100'),
    );
    assert.ok(fromStream.renditions[0]!.data.equals(fromBytes.renditions[0]!.data));
    assert.equal(fromPath.renditions[0]!.width, 100);
  });

  it('refuses bad input with the ImageError a thumbnail gets', async () => {
    const set = specs('a:100x100,b:400x300:cover:webp');
    await assert.rejects(
      renderRenditions(await fixture('truncated-jpeg'), set),
      refusedWith('corrupt_image'),
    );
    await assert.rejects(renderRenditions(await fixture('svg'), set), refusedWith('unsupported_format'));
    await assert.rejects(renderRenditions(await fixture('pixel-bomb-png'), set), refusedWith('pixel_limit'));
    await assert.rejects(renderRenditions(Buffer.alloc(0), set), refusedWith('empty_image'));
    await assert.rejects(
      renderRenditions(await fixture('landscape-jpeg'), set, { limits: { maxPixels: 640 * 480 - 1 } }),
      refusedWith('pixel_limit'),
    );
    await assert.rejects(
      renderRenditions(await fixture('animated-webp'), set, { limits: { maxFrames: 3 } }),
      refusedWith('too_many_frames'),
    );
  });

  it('rejects an empty set, repeated names and an unknown name in only', async () => {
    const image = await fixture('small-png');
    await assert.rejects(renderRenditions(image, []), RangeError);
    await assert.rejects(renderRenditions(image, [one('a:1x1'), one('a:2x2')]), RangeError);
    await assert.rejects(renderRenditions(image, specs('a:1x1'), { only: ['b'] }), RangeError);
  });
});
