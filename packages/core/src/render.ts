/**
 * The rendition engine: every rendition of one image from a single decode.
 *
 * 1. openImage: empty check, sniff, header, pixel and frame limits (nothing decoded yet).
 * 2. One decode, straight to an in-memory intermediate: 8-bit sRGB raw pixels, EXIF/TIFF/HEIF orientation
 *    applied, CMYK and embedded ICC profiles converted, shrunk on load (JPEG DCT scaling, WebP scaled decode) to
 *    the size the most demanding rendition of the set needs — inside: min(W/w, H/h), cover: max(W/w, H/h), never
 *    above 1. An animated GIF/WebP is decoded with all its frames only when some rendition of the set can animate
 *    (GIF, WebP output); otherwise only its first frame.
 * 3. Each rendition is resized from that intermediate and encoded (encode.ts); nothing reads the file again.
 * 4. ThumbHash and dominant colour come from the intermediate's first frame (placeholders.ts).
 *
 * The intermediate depends on the whole set, so a subset (`only`) gives the same bytes and placeholders as the
 * whole set: pass every configured spec and name the missing ones in `only`.
 */
import sharp, { type Sharp } from 'sharp';
import { encode } from './encode.js';
import { ImageError } from './errors.js';
import { ANIMATED_FORMATS, CONTENT_TYPES, EXTENSIONS, OPAQUE_FORMATS, type ImageFormat } from './formats.js';
import { imageErrorFromSharp, openImage, type ImageInput, type OpenedImage } from './input.js';
import { resolveLimits, type ImageLimits } from './limits.js';
import { placeholdersOf, type RawFrame } from './placeholders.js';
import { canonicalSpec, outputFormat, outputQuality, type RenditionSpec } from './renditions.js';

export interface RenderOptions {
  limits?: Partial<ImageLimits>;
  /**
   * Names of the renditions to encode (default: all of `specs`). The decode is still sized for all of `specs`,
   * so each rendition comes out byte for byte as it would from the whole set.
   */
  only?: Iterable<string>;
}

export interface Rendition {
  spec: RenditionSpec;
  /** canonicalSpec(spec, source format): the `renditionSpec` metadata, e.g. `400x300:cover:webp:q80`. */
  canonicalSpec: string;
  data: Buffer;
  format: ImageFormat;
  contentType: string;
  /** Without the dot: `jpg`, `png`, … */
  extension: string;
  /** Of one frame. */
  width: number;
  height: number;
  /** Frames written: the source's for an animated GIF/WebP output, else 1. */
  pages: number;
}

export interface RenderResult {
  /** Displayed size (orientation applied) and frames of the source. */
  source: { format: ImageFormat; width: number; height: number; pages: number };
  /** In the order of `specs`, only those selected by `only`. */
  renditions: Rendition[];
  /** Base64 ThumbHash of the image (first frame of an animation). */
  thumbhash: string;
  /** `#rrggbb`. */
  dominantColor: string;
}

export interface RenditionSize {
  width: number;
  height: number;
  /** Scale from the source to the rendition (≤ 1): what the decode must keep. */
  scale: number;
}

/**
 * Output size of `spec` for a source displayed at `width`×`height`; never enlarged.
 * - inside: the largest size with the source's aspect inside the box (scale min(W/w, H/h), at most 1).
 * - cover: exactly the box when the source can fill it (scale max(W/w, H/h) < 1); otherwise the source is kept
 *   at its own scale and cropped to the box's aspect — the largest such crop it holds (a 40×30 source in a
 *   100×100 box gives 30×30, a 1000×200 one in 400×300 gives 267×200).
 */
export function renditionSize(spec: RenditionSpec, width: number, height: number): RenditionSize {
  if (spec.fit === 'inside') {
    const scale = Math.min(1, spec.width / width, spec.height / height);
    return { width: atLeastOne(width * scale), height: atLeastOne(height * scale), scale };
  }
  const scale = Math.min(1, Math.max(spec.width / width, spec.height / height));
  if (scale < 1) return { width: spec.width, height: spec.height, scale };
  const aspect = spec.width / spec.height;
  return {
    width: Math.min(spec.width, width, atLeastOne(height * aspect)),
    height: Math.min(spec.height, height, atLeastOne(width / aspect)),
    scale,
  };
}

const atLeastOne = (value: number): number => Math.max(1, Math.round(value));

/** C's rint (round half to even): how sharp rounds resize targets. */
function rint(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** The decoded image every rendition is made from. */
interface Intermediate {
  data: Buffer;
  width: number;
  /** Of one frame. */
  height: number;
  channels: RawFrame['channels'];
  /** Frames held (1 unless an animated output needs them all). */
  pages: number;
  delay: number[] | undefined;
  loop: number | undefined;
}

/** Whole seconds left of the per-image time bound, for each sharp call's own timeout; none left → image_timeout. */
function deadline(seconds: number): () => number {
  const end = Date.now() + seconds * 1000;
  return () => {
    const left = Math.ceil((end - Date.now()) / 1000);
    if (left <= 0) throw new ImageError('image_timeout', 'The image took too long to process.');
    return left;
  };
}

async function decode(
  image: OpenedImage,
  size: { width: number; height: number },
  animate: boolean,
  seconds: number,
): Promise<Intermediate> {
  const pages = animate ? image.pages : 1;
  let pipeline = sharp(image.source, { ...image.sharpOptions, animated: animate })
    .timeout({ seconds })
    .autoOrient();
  if (size.width !== image.width || size.height !== image.height) {
    pipeline = pipeline.resize(size.width, size.height, { fit: 'fill' });
  }
  const { data, info } = await pipeline.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.height % pages !== 0) {
    throw new ImageError(
      'corrupt_image',
      `The animation's ${pages} frames do not divide its ${info.height} rows.`,
    );
  }
  return {
    data,
    width: info.width,
    height: info.height / pages,
    channels: info.channels,
    pages,
    delay: image.delay,
    loop: image.loop,
  };
}

function firstFrame(intermediate: Intermediate): RawFrame {
  const { width, height, channels } = intermediate;
  return { data: intermediate.data.subarray(0, width * height * channels), width, height, channels };
}

/**
 * Where sharp's attention strategy crops the first frame for a `size` cover: the window, in the frame scaled to
 * cover `size`, that every frame of an animation is cut to (sharp's smart crop works on single images only).
 */
async function attentionWindow(
  frame: RawFrame,
  size: { width: number; height: number },
  seconds: number,
): Promise<{ scaledWidth: number; scaledHeight: number; left: number; top: number }> {
  const shrink = Math.min(frame.width / size.width, frame.height / size.height);
  const scaledWidth = rint(frame.width / shrink);
  const scaledHeight = rint(frame.height / shrink);
  const { info } = await sharp(frame.data, {
    raw: { width: frame.width, height: frame.height, channels: frame.channels },
  })
    .timeout({ seconds })
    .resize(size.width, size.height, { fit: 'cover', position: 'attention' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const clamp = (value: number, max: number) => Math.min(Math.max(0, value), Math.max(0, max));
  return {
    scaledWidth,
    scaledHeight,
    left: clamp(-(info.cropOffsetLeft ?? 0), scaledWidth - size.width),
    top: clamp(-(info.cropOffsetTop ?? 0), scaledHeight - size.height),
  };
}

async function renderOne(
  intermediate: Intermediate,
  spec: RenditionSpec,
  source: OpenedImage,
  maxPixels: number,
  seconds: () => number,
): Promise<Rendition> {
  const format = outputFormat(spec, source.format);
  const size = renditionSize(spec, source.width, source.height);
  const animated = intermediate.pages > 1 && ANIMATED_FORMATS.has(format);
  const pages = animated ? intermediate.pages : 1;
  const { width, height, channels } = intermediate;
  const input = animated ? intermediate.data : firstFrame(intermediate).data;

  let pipeline: Sharp = sharp(input, {
    raw: { width, height: height * pages, channels, ...(animated ? { pageHeight: height } : {}) },
    animated,
    limitInputPixels: maxPixels,
  }).timeout({ seconds: seconds() });
  if (OPAQUE_FORMATS.has(format) && (channels === 2 || channels === 4)) {
    pipeline = pipeline.flatten({ background: '#ffffff' });
  }
  if (spec.fit === 'cover' && animated) {
    const window = await attentionWindow(firstFrame(intermediate), size, seconds());
    if (window.scaledWidth !== width || window.scaledHeight !== height) {
      pipeline = pipeline.resize(window.scaledWidth, window.scaledHeight, { fit: 'fill' });
    }
    pipeline = pipeline.extract({
      left: window.left,
      top: window.top,
      width: size.width,
      height: size.height,
    });
  } else if (spec.fit === 'cover') {
    pipeline = pipeline.resize(size.width, size.height, { fit: 'cover', position: 'attention' });
  } else if (size.width !== width || size.height !== height) {
    pipeline = pipeline.resize(size.width, size.height, { fit: 'fill' });
  }
  const animation = animated
    ? {
        ...(intermediate.delay !== undefined ? { delay: intermediate.delay } : {}),
        ...(intermediate.loop !== undefined ? { loop: intermediate.loop } : {}),
      }
    : undefined;
  const quality = outputQuality(spec, source.format);
  pipeline = encode(pipeline, format, { ...(quality !== undefined ? { quality } : {}), animation });

  const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
  return {
    spec,
    canonicalSpec: canonicalSpec(spec, source.format),
    data,
    format,
    contentType: CONTENT_TYPES[format],
    extension: EXTENSIONS[format],
    width: info.width,
    height: animated ? info.height / pages : info.height,
    pages,
  };
}

function selected(specs: readonly RenditionSpec[], only: Iterable<string> | undefined): RenditionSpec[] {
  if (specs.length === 0) throw new RangeError('renderRenditions needs at least one rendition spec');
  const names = new Set(specs.map((s) => s.name));
  if (names.size !== specs.length) throw new RangeError('rendition names must be unique');
  if (only === undefined) return [...specs];
  const wanted = new Set(only);
  for (const name of wanted) {
    if (!names.has(name))
      throw new RangeError(`only names ${JSON.stringify(name)}, which is not among the specs`);
  }
  return specs.filter((s) => wanted.has(s.name));
}

/**
 * Renders `specs` (or the `only` subset) of one image: decoded once, everything a thumbnail promises for each
 * rendition — orientation applied, no metadata carried over, CMYK → sRGB, never enlarged, animated GIF/WebP
 * kept animated in GIF/WebP outputs (first frame in JPEG, PNG, AVIF), transparent sources flattened onto white
 * in JPEG — plus the placeholders.
 * Input: bytes, a file path, or a stream (collected into memory; prefer bytes or a path). Throws ImageError for
 * refused input (including image_timeout: `limits.timeoutSeconds` bounds the whole call, decode and every
 * encode), RangeError for bad arguments. Sharp's thread pool is left to the caller.
 */
export async function renderRenditions(
  input: ImageInput,
  specs: readonly RenditionSpec[],
  options: RenderOptions = {},
): Promise<RenderResult> {
  const wanted = selected(specs, options.only);
  const limits = resolveLimits(options.limits);
  const seconds = deadline(limits.timeoutSeconds);
  const image = await openImage(input, limits);
  try {
    const scale = Math.max(...specs.map((spec) => renditionSize(spec, image.width, image.height).scale));
    const animate =
      image.pages > 1 && specs.some((spec) => ANIMATED_FORMATS.has(outputFormat(spec, image.format)));
    const intermediate = await decode(
      image,
      { width: atLeastOne(image.width * scale), height: atLeastOne(image.height * scale) },
      animate,
      seconds(),
    );
    const placeholders = placeholdersOf(firstFrame(intermediate));
    const renditions: Rendition[] = [];
    for (const spec of wanted) {
      renditions.push(await renderOne(intermediate, spec, image, limits.maxPixels, seconds));
    }
    return {
      source: { format: image.format, width: image.width, height: image.height, pages: image.pages },
      renditions,
      ...placeholders,
    };
  } catch (err) {
    throw imageErrorFromSharp(err);
  }
}
