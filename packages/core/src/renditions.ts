/**
 * Rendition specs: what `RENDITIONS` asks for, parsed and checked once at start, and the canonical form every
 * rendition's name and `renditionSpec` metadata come from. Pure functions.
 *
 * `RENDITIONS` is a comma-separated list of `name:WIDTHxHEIGHT[:option]…`, e.g.
 * `thumb:100x100,card:400x300:cover:webp,hero:1600x1600:avif:q60`. Options, each at most once, in any order:
 * a fit (`inside`, the default, or `cover`), a format (`jpeg` — alias `jpg` —, `png`, `webp`, `avif`; default:
 * the source's own where it can be written, else PNG) and a quality `q1`…`q100` (default: the encoder's,
 * DEFAULT_QUALITY).
 */
import { DEFAULT_QUALITY } from './encode.js';
import { ConfigError } from './errors.js';
import {
  LOSSY_FORMATS,
  RENDITION_FORMATS,
  thumbnailFormatFor,
  type ImageFormat,
  type RenditionFormat,
} from './formats.js';

export type Fit = 'inside' | 'cover';

export interface RenditionSpec {
  /** `[a-z][a-z0-9-]{0,31}`, unique in a set. */
  readonly name: string;
  /** The box, in pixels (1…MAX_RENDITION_EDGE). */
  readonly width: number;
  readonly height: number;
  /** `inside`: fit inside the box, aspect kept. `cover`: fill the box, cropped around the most interesting region. */
  readonly fit: Fit;
  /** Output format; undefined: the source's own where it can be written, else PNG (thumbnailFormatFor). */
  readonly format?: RenditionFormat;
  /** Encoder quality 1–100 for lossy outputs (JPEG, WebP, AVIF); undefined: DEFAULT_QUALITY. */
  readonly quality?: number;
  /**
   * True only for the rendition an unset RENDITIONS means — `thumb:<THUMBNAIL_SIZE>x<THUMBNAIL_SIZE>`, nothing
   * else given (an explicit `inside` is the same) — which keeps the object name thumbnails always had.
   */
  readonly legacyName: boolean;
}

export const DEFAULT_THUMBNAIL_SIZE = 100;
/** Largest box edge a rendition may ask for (the same bound as THUMBNAIL_SIZE). */
export const MAX_RENDITION_EDGE = 4096;
/** Most renditions in one set: each costs an existence read and a write per image. */
export const MAX_RENDITIONS = 16;
/** The name of the rendition an unset RENDITIONS means. */
export const DEFAULT_RENDITION_NAME = 'thumb';

const VARIABLE = 'RENDITIONS';
/** What a rendition may be called: it becomes part of object names (no dot, always a letter first). */
export const RENDITION_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const SIZE = /^([0-9]+)x([0-9]+)$/;
const QUALITY = /^q([0-9]+)$/;
const FORMAT_ALIASES: Readonly<Record<string, RenditionFormat>> = {
  ...Object.fromEntries(RENDITION_FORMATS.map((f) => [f, f])),
  jpg: 'jpeg',
};
const OPTIONS_LABEL = `inside, cover, ${RENDITION_FORMATS.join(', ')} or q1…q100`;

function fail(item: string, problem: string): never {
  throw new ConfigError(VARIABLE, `${VARIABLE} item ${JSON.stringify(item)}: ${problem}`);
}

function isLegacy(name: string, width: number, height: number, thumbnailSize: number): boolean {
  return name === DEFAULT_RENDITION_NAME && width === thumbnailSize && height === thumbnailSize;
}

/** The set an unset RENDITIONS means: `thumb:<size>x<size>`, today's single thumbnail under its old name. */
export function defaultRenditions(thumbnailSize = DEFAULT_THUMBNAIL_SIZE): RenditionSpec[] {
  return [
    {
      name: DEFAULT_RENDITION_NAME,
      width: thumbnailSize,
      height: thumbnailSize,
      fit: 'inside',
      legacyName: true,
    },
  ];
}

/** One `name:WIDTHxHEIGHT[:option]…` item. */
function parseItem(item: string, thumbnailSize: number): RenditionSpec {
  const [name = '', size, ...options] = item.split(':');
  if (size === undefined) fail(item, 'must be name:WIDTHxHEIGHT[:option]…');
  if (!RENDITION_NAME.test(name))
    fail(item, `the name must match [a-z][a-z0-9-]{0,31}, got ${JSON.stringify(name)}`);
  const box = SIZE.exec(size);
  if (!box) fail(item, `the size must be WIDTHxHEIGHT (e.g. 400x300), got ${JSON.stringify(size)}`);
  const width = Number(box[1]);
  const height = Number(box[2]);
  if (width < 1 || height < 1 || width > MAX_RENDITION_EDGE || height > MAX_RENDITION_EDGE) {
    fail(item, `width and height must be between 1 and ${MAX_RENDITION_EDGE}, got ${size}`);
  }

  const given: { fit?: string; format?: string; quality?: string } = {};
  let fit: Fit | undefined;
  let format: RenditionFormat | undefined;
  let quality: number | undefined;
  const once = (kind: keyof typeof given, option: string): void => {
    const previous = given[kind];
    if (previous !== undefined) {
      fail(
        item,
        `give the ${kind} at most once, got ${JSON.stringify(previous)} and ${JSON.stringify(option)}`,
      );
    }
    given[kind] = option;
  };
  for (const option of options) {
    const q = QUALITY.exec(option);
    if (option === 'inside' || option === 'cover') {
      once('fit', option);
      fit = option;
    } else if (option in FORMAT_ALIASES) {
      once('format', option);
      format = FORMAT_ALIASES[option];
    } else if (q) {
      once('quality', option);
      quality = Number(q[1]);
      if (quality < 1 || quality > 100)
        fail(item, `the quality must be q1…q100, got ${JSON.stringify(option)}`);
    } else {
      fail(item, `an option must be ${OPTIONS_LABEL}, got ${JSON.stringify(option)}`);
    }
  }
  if (quality !== undefined && format !== undefined && !LOSSY_FORMATS.has(format)) {
    fail(item, `a quality applies only to jpeg, webp and avif; ${format} is lossless`);
  }
  return {
    name,
    width,
    height,
    fit: fit ?? 'inside',
    ...(format !== undefined ? { format } : {}),
    ...(quality !== undefined ? { quality } : {}),
    legacyName:
      fit !== 'cover' &&
      format === undefined &&
      quality === undefined &&
      isLegacy(name, width, height, thumbnailSize),
  };
}

/**
 * Parses a RENDITIONS value. Throws ConfigError('RENDITIONS', …) — one line naming RENDITIONS and the bad item —
 * for anything malformed: an empty item, a bad name, size or option, an option given twice, a quality for a
 * lossless format, a repeated name, more than MAX_RENDITIONS items. Spaces around items are ignored.
 */
export function parseRenditions(value: string, thumbnailSize = DEFAULT_THUMBNAIL_SIZE): RenditionSpec[] {
  const items = value.split(',').map((item) => item.trim());
  if (items.length > MAX_RENDITIONS) {
    throw new ConfigError(
      VARIABLE,
      `${VARIABLE} must list at most ${MAX_RENDITIONS} renditions, got ${items.length}`,
    );
  }
  const specs: RenditionSpec[] = [];
  for (const item of items) {
    if (item === '') {
      throw new ConfigError(VARIABLE, `${VARIABLE} has an empty item, got ${JSON.stringify(value)}`);
    }
    const spec = parseItem(item, thumbnailSize);
    if (specs.some((s) => s.name === spec.name))
      fail(item, `the name ${JSON.stringify(spec.name)} is used twice`);
    specs.push(spec);
  }
  return specs;
}

/** The format a rendition of a `source`-format image is written in. */
export function outputFormat(spec: RenditionSpec, source: ImageFormat): ImageFormat {
  return spec.format ?? thumbnailFormatFor(source);
}

/** The quality the encoder is given for this rendition of a `source`-format image; undefined when lossless. */
export function outputQuality(spec: RenditionSpec, source: ImageFormat): number | undefined {
  const format = outputFormat(spec, source);
  return LOSSY_FORMATS.has(format) ? (spec.quality ?? DEFAULT_QUALITY[format]) : undefined;
}

/**
 * The canonical form of a rendition of a `source`-format image: what is really made, every default resolved —
 * `<W>x<H>:<fit>:<format>[:q<quality>]`, the quality present exactly when the output is lossy (JPEG, WebP, AVIF).
 * A source-format rendition names the format it resolves to, never "source": `thumb:100x100` is
 * `100x100:inside:jpeg:q80` for a JPEG and `100x100:inside:png` for a PNG. Specs that make the same thing share a
 * canonical form (`card:400x300:cover:webp` and `card:400x300:webp:cover:q80` are both `400x300:cover:webp:q80`).
 */
export function canonicalSpec(spec: RenditionSpec, source: ImageFormat): string {
  const quality = outputQuality(spec, source);
  const base = `${spec.width}x${spec.height}:${spec.fit}:${outputFormat(spec, source)}`;
  return quality === undefined ? base : `${base}:q${quality}`;
}
