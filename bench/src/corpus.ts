// The benchmark corpus: generated once, deterministically (seeded PRNG, no sharp noise), into bench/.corpus/.
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp, { type JpegOptions } from 'sharp';

/** Bump when the generated content changes, so stale corpora are rebuilt. */
const CORPUS_VERSION = 3;

/** Image classes the report groups figures by. */
export type ImageClass =
  'jpeg-12mp' | 'jpeg-progressive' | 'jpeg-cmyk' | 'png-rgba' | 'webp' | 'gif-animated';

export interface CorpusEntry {
  name: string;
  imageClass: ImageClass;
  description: string;
}

export interface Corpus {
  dir: string;
  entries: readonly (CorpusEntry & { path: string; bytes: number })[];
}

interface Recipe extends CorpusEntry {
  make: (seed: number) => Promise<Buffer>;
}

const W12 = 4000;
const H12 = 3000;

/** mulberry32: a tiny seeded PRNG, so every run generates the same bytes. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Photo-like raw RGB(A): smooth colour fields (an upscaled random thumbnail) plus fine grain of `grain` levels. */
async function photoRaw(
  seed: number,
  width: number,
  height: number,
  grain: number,
  channels: 3 | 4 = 3,
): Promise<Buffer> {
  const random = prng(seed);
  const cw = 48;
  const ch = 36;
  const coarse = Buffer.alloc(cw * ch * 3);
  for (let i = 0; i < coarse.length; i++) coarse[i] = Math.floor(random() * 256);
  const smooth = await sharp(coarse, { raw: { width: cw, height: ch, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer();
  const out = Buffer.alloc(width * height * channels);
  for (let p = 0, s = 0, o = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) {
      const v = smooth[s++]! + Math.floor((random() - 0.5) * grain);
      out[o++] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    if (channels === 4) {
      // Transparent left quarter, a soft alpha ramp elsewhere.
      const x = p % width;
      out[o++] = x < width / 4 ? 0 : Math.min(255, Math.floor(((x - width / 4) / (width / 2)) * 255));
    }
  }
  return out;
}

async function photoJpeg(seed: number, options: JpegOptions, orientation?: number): Promise<Buffer> {
  // Grain 64 + a light blur: ~5.6 MB, what a 12 MP camera JPEG weighs (entropy decoding dominates the floor).
  const raw = await photoRaw(seed, W12, H12, 64);
  let image = sharp(raw, { raw: { width: W12, height: H12, channels: 3 } }).blur(0.4);
  if (orientation) image = image.withMetadata({ orientation });
  return image.jpeg({ quality: 90, ...options }).toBuffer();
}

const RECIPES: readonly Recipe[] = [
  ...[1, 2, 3, 4].map((n): Recipe => ({
    name: `photo-${n}.jpg`,
    imageClass: 'jpeg-12mp',
    description: '12 MP (4000×3000) baseline JPEG, q90 4:2:0',
    make: (seed) => photoJpeg(seed, {}),
  })),
  ...[5, 6].map((n): Recipe => ({
    name: `photo-${n}-exif6.jpg`,
    imageClass: 'jpeg-12mp',
    description: '12 MP baseline JPEG stored landscape with EXIF orientation 6 (a portrait photo)',
    make: (seed) => photoJpeg(seed, {}, 6),
  })),
  {
    name: 'photo-progressive.jpg',
    imageClass: 'jpeg-progressive',
    description: '12 MP progressive JPEG',
    make: (seed) => photoJpeg(seed, { progressive: true }),
  },
  {
    name: 'photo-cmyk.jpg',
    imageClass: 'jpeg-cmyk',
    description: '12 MP CMYK JPEG (print workflow)',
    make: async (seed) => {
      const raw = await photoRaw(seed, W12, H12, 48);
      return sharp(raw, { raw: { width: W12, height: H12, channels: 3 } })
        .blur(0.6)
        .toColourspace('cmyk')
        .jpeg({ quality: 90 })
        .toBuffer();
    },
  },
  ...[1, 2].map((n): Recipe => ({
    name: `graphic-${n}.png`,
    imageClass: 'png-rgba',
    description: '3 MP (2000×1500) RGBA PNG with transparent areas',
    make: async (seed) =>
      sharp(await photoRaw(seed, 2000, 1500, 6, 4), { raw: { width: 2000, height: 1500, channels: 4 } })
        .png({ compressionLevel: 6 })
        .toBuffer(),
  })),
  ...[1, 2].map((n): Recipe => ({
    name: `photo-${n}.webp`,
    imageClass: 'webp',
    description: '6 MP (3000×2000) lossy WebP, q80',
    make: async (seed) =>
      sharp(await photoRaw(seed, 3000, 2000, 32), { raw: { width: 3000, height: 2000, channels: 3 } })
        .blur(0.6)
        .webp({ quality: 80 })
        .toBuffer(),
  })),
  {
    name: 'animation.gif',
    imageClass: 'gif-animated',
    description: 'animated GIF, 480×360, 12 frames',
    make: async (seed) => {
      const frames = 12;
      const raw = await photoRaw(seed, 480, 360 * frames, 24);
      return sharp(raw, { raw: { width: 480, height: 360 * frames, channels: 3, pageHeight: 360 } })
        .gif({ delay: 100, loop: 0 })
        .toBuffer();
    },
  },
];

export const CORPUS_ENTRIES: readonly CorpusEntry[] = RECIPES.map(({ name, imageClass, description }) => ({
  name,
  imageClass,
  description,
}));

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Generates the corpus into `dir` unless a manifest of the same version is already there. */
export async function ensureCorpus(dir: string, log: (line: string) => void): Promise<Corpus> {
  const manifestPath = join(dir, 'manifest.json');
  const manifest = (await exists(manifestPath))
    ? (JSON.parse(await readFile(manifestPath, 'utf8')) as { version?: number })
    : {};
  if (manifest.version !== CORPUS_VERSION) {
    await mkdir(dir, { recursive: true });
    log(`generating the corpus into ${dir} (once)…`);
    for (const [index, recipe] of RECIPES.entries()) {
      const bytes = await recipe.make(1000 + index);
      const path = join(dir, recipe.name);
      await writeFile(`${path}.tmp`, bytes);
      await rename(`${path}.tmp`, path);
    }
    await writeFile(
      manifestPath,
      JSON.stringify({ version: CORPUS_VERSION, entries: CORPUS_ENTRIES }, null, 2),
    );
  }
  const entries = await Promise.all(
    RECIPES.map(async ({ name, imageClass, description }) => {
      const path = join(dir, name);
      return { name, imageClass, description, path, bytes: (await stat(path)).size };
    }),
  );
  return { dir, entries };
}
