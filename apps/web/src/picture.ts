/**
 * A rendition set as a responsive `<picture>`, so that a browser fetches the size and format it can use. Pure.
 *
 * - The picture is the first rendition's: its shape, its `src`. Renditions of a similar shape (aspect ratios within
 *   MAX_SHAPE_RATIO of each other: a 4:3 `card` crop of a 3:2 photo, not a landscape crop of a portrait) are the
 *   same picture at another size and become `srcset` candidates, with `w` descriptors from their recorded widths;
 *   the `<img>` keeps the first rendition's shape whichever loads (`object-fit: cover` trims the small difference),
 *   so nothing moves when it arrives. A rendition of another shape is a different picture and is left out (it is
 *   still listed by /api/thumbnail and served).
 * - Formats in tiers, most compact first: a `<source type="image/avif">` lists what a browser that decodes AVIF can
 *   show (AVIF, WebP, JPEG, PNG, GIF), a `<source type="image/webp">` the same without AVIF, and the `<img>` only
 *   JPEG, PNG and GIF; at a width offered in two formats the more compact one is kept. So a browser takes the
 *   first tier it decodes and, in it, the smallest candidate that covers its slot — never a 1600 px AVIF for a
 *   200 px card just because it is the only AVIF. A tier that adds nothing over the next is left out. TIFF is
 *   never a candidate (most browsers cannot show it); it can only be the `src`, as the first rendition.
 * - The display size: the first rendition's shape fitted in the slot's box, never wider than the largest candidate
 *   (never enlarged). It becomes the `<img>`'s width and height (the browser reserves the space before anything
 *   loads) and `sizes`.
 * - The placeholder: the ThumbHash and dominant colour go along as `data-thumbhash` / `data-color`; the page's
 *   script paints them as the `<img>`'s background until it loads (static/app.js), which a strict CSP allows
 *   (a style property set from script, a data: URL image) where a `style` attribute would not be.
 *
 * static/app.js builds the same markup from the `picture` of /api/thumbnail.
 */
import escapeHtml from 'escape-html';
import type { RenditionInfo, RenditionSet } from './thumbnails.js';

export interface PictureSource {
  type: string;
  srcset: string;
}

/** What the markup is made of; also `picture` in /api/thumbnail answers. */
export interface Picture {
  /** The first rendition: the `<img>`'s src. */
  src: string;
  /** The largest rendition a browser can show: where the picture links to. */
  href: string;
  /** The first rendition's size; undefined for a thumbnail of an earlier release (not recorded). */
  width: number | undefined;
  height: number | undefined;
  /** Width of the largest candidate: the picture is never shown wider. */
  maxWidth: number | undefined;
  /** Most compact format first; empty when the set offers nothing but what the `<img>` has. */
  sources: PictureSource[];
  /** The `<img>`'s candidates; undefined when it has none but its src. */
  srcset: string | undefined;
  thumbhash: string | undefined;
  dominantColor: string | undefined;
}

type Displayable = 'image/avif' | 'image/webp' | 'image/jpeg' | 'image/png' | 'image/gif';
const UNIVERSAL: readonly string[] = ['image/jpeg', 'image/png', 'image/gif'];
/** Each `<source>` and what a browser that picks it can show, most compact format first. */
const TIERS: readonly { type: Displayable; shows: readonly string[] }[] = [
  { type: 'image/avif', shows: ['image/avif', 'image/webp', ...UNIVERSAL] },
  { type: 'image/webp', shows: ['image/webp', ...UNIVERSAL] },
];

type Sized = RenditionInfo & { width: number; height: number };
const isSized = (r: RenditionInfo): r is Sized => r.width !== undefined && r.height !== undefined;

/** Largest ratio between two renditions' aspect ratios for them to be one picture: at most a sixth trimmed. */
export const MAX_SHAPE_RATIO = 1.2;

/** The same picture at another size: aspect ratios within MAX_SHAPE_RATIO of each other. */
export function similarShape(
  a: { width: number; height: number },
  b: { width: number; height: number },
): boolean {
  const ratio = (a.width * b.height) / (a.height * b.width);
  return Math.max(ratio, 1 / ratio) <= MAX_SHAPE_RATIO;
}

/** `url 400w, …` from the candidates a tier shows, one per width (the most compact format), narrowest first. */
function srcsetOf(candidates: readonly Sized[], shows: readonly string[]): string | undefined {
  const byWidth = new Map<number, Sized>();
  for (const candidate of candidates) {
    const rank = shows.indexOf(candidate.contentType);
    if (rank < 0) continue;
    const kept = byWidth.get(candidate.width);
    if (!kept || rank < shows.indexOf(kept.contentType)) byWidth.set(candidate.width, candidate);
  }
  const chosen = [...byWidth.values()].sort((a, b) => a.width - b.width);
  return chosen.length > 0 ? chosen.map((c) => `${c.url} ${c.width}w`).join(', ') : undefined;
}

export function pictureOf(set: RenditionSet): Picture {
  const first = set.renditions[0];
  if (!first) throw new TypeError('a rendition set holds at least its first rendition');
  const shown = set.renditions.filter((r) => r === first || r.contentType !== 'image/tiff');
  const largest = shown.reduce((a, b) =>
    (b.width ?? 0) * (b.height ?? 0) > (a.width ?? 0) * (a.height ?? 0) ? b : a,
  );
  const candidates = isSized(first)
    ? set.renditions.filter(isSized).filter((r) => r.contentType !== 'image/tiff' && similarShape(first, r))
    : [];
  const imgSrcset = srcsetOf(candidates, UNIVERSAL);
  const sources: PictureSource[] = [];
  let next = imgSrcset;
  for (const tier of [...TIERS].reverse()) {
    const srcset = srcsetOf(candidates, tier.shows);
    if (srcset !== undefined && srcset !== next) sources.unshift({ type: tier.type, srcset });
    next = srcset ?? next;
  }
  return {
    src: first.url,
    href: largest.url,
    width: first.width,
    height: first.height,
    maxWidth: candidates.length > 0 ? Math.max(...candidates.map((c) => c.width)) : first.width,
    sources,
    srcset: imgSrcset === `${first.url} ${first.width}w` ? undefined : imgSrcset,
    thumbhash: set.thumbhash,
    dominantColor: set.dominantColor,
  };
}

/** The picture's display size in a `box`×`box` CSS px slot: its shape, fitted, never wider than maxWidth. */
export function displaySize(picture: Picture, box: number): { width: number; height: number } | undefined {
  const { width, height } = picture;
  if (width === undefined || height === undefined) return undefined;
  const scale = Math.min(box / width, box / height, (picture.maxWidth ?? width) / width);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

const attr = (name: string, value: string | number | undefined): string =>
  value === undefined ? '' : ` ${name}="${escapeHtml(String(value))}"`;

/** The `<picture>` markup for a `box` px slot. Every value is escaped. */
export function pictureHtml(picture: Picture, options: { alt: string; box: number }): string {
  const size = displaySize(picture, options.box);
  const sizes = size ? `${size.width}px` : undefined;
  const sources = picture.sources
    .map((s) => `<source${attr('type', s.type)}${attr('srcset', s.srcset)}${attr('sizes', sizes)}>`)
    .join('');
  const img =
    `<img${attr('src', picture.src)}${attr('srcset', picture.srcset)}${attr('sizes', picture.srcset && sizes)}` +
    `${attr('width', size?.width)}${attr('height', size?.height)}${attr('alt', options.alt)}` +
    ` loading="lazy" decoding="async"${attr('data-thumbhash', picture.thumbhash)}${attr('data-color', picture.dominantColor)}>`;
  return `<picture>${sources}${img}</picture>`;
}
