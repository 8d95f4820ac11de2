/**
 * Placeholders a page can show before a rendition loads: a ThumbHash (evanw/thumbhash, base64) and a dominant
 * colour (`#rrggbb`), both from one small RGBA copy of the decoded image, made here in JS (a strided box average)
 * because a sharp call on a 1600 px intermediate alone costs more than the 3 ms budget of both. Small plain
 * arrays and a Map only: no per-image off-heap buffer, no 4096-bin histogram array.
 */
import { rgbaToThumbHash } from 'thumbhash';

/** Raw 8-bit pixels of one frame, as sharp's `raw()` gives them (1–4 channels, interleaved). */
export interface RawFrame {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

export interface Placeholders {
  /** Base64 ThumbHash (thumbHashToRGBA / thumbHashToDataURL of the `thumbhash` package decode it). */
  thumbhash: string;
  /** `#rrggbb`. */
  dominantColor: string;
}

/**
 * Longest side of the copy both placeholders are computed from. ThumbHash takes at most 100×100 and keeps at most
 * 7 cosines a side, so 32 px carry all it encodes: on the bench's photos the hash of a 32 px copy differs from a
 * 100 px one's only in the last bits of a few coefficients, for a ninth of the cost.
 */
export const PLACEHOLDER_EDGE = 32;
/** Samples per side of each output pixel's source box. */
const SAMPLES = 4;

/**
 * `frame` as RGBA at most PLACEHOLDER_EDGE a side: each output pixel is the mean of SAMPLES×SAMPLES evenly spaced
 * source pixels of its box, colour weighted by alpha (transparent pixels lend no colour). Never enlarged.
 */
export function smallRgba(frame: RawFrame): { rgba: number[]; width: number; height: number } {
  const { data, width: w, height: h, channels: c } = frame;
  const scale = Math.min(1, PLACEHOLDER_EDGE / w, PLACEHOLDER_EDGE / h);
  const width = Math.max(1, Math.round(w * scale));
  const height = Math.max(1, Math.round(h * scale));
  const grey = c < 3;
  const alpha = c === 2 || c === 4;
  const rgba: number[] = new Array<number>(width * height * 4);
  for (let y = 0; y < height; y++) {
    const top = (y * h) / height;
    const boxHeight = h / height;
    for (let x = 0; x < width; x++) {
      const left = (x * w) / width;
      const boxWidth = w / width;
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      let plainR = 0;
      let plainG = 0;
      let plainB = 0;
      for (let j = 0; j < SAMPLES; j++) {
        const row = Math.floor(top + ((j + 0.5) * boxHeight) / SAMPLES) * w;
        for (let i = 0; i < SAMPLES; i++) {
          const o = (row + Math.floor(left + ((i + 0.5) * boxWidth) / SAMPLES)) * c;
          const pr = data[o]!;
          const pg = grey ? pr : data[o + 1]!;
          const pb = grey ? pr : data[o + 2]!;
          const pa = alpha ? data[o + c - 1]! : 255;
          r += pr * pa;
          g += pg * pa;
          b += pb * pa;
          a += pa;
          plainR += pr;
          plainG += pg;
          plainB += pb;
        }
      }
      const n = SAMPLES * SAMPLES;
      const o = (y * width + x) * 4;
      rgba[o] = a > 0 ? Math.round(r / a) : Math.round(plainR / n);
      rgba[o + 1] = a > 0 ? Math.round(g / a) : Math.round(plainG / n);
      rgba[o + 2] = a > 0 ? Math.round(b / a) : Math.round(plainB / n);
      rgba[o + 3] = Math.round(a / n);
    }
  }
  return { rgba, width, height };
}

/**
 * The most common colour of RGBA pixels: sharp's `stats().dominant` method (a 16×16×16 histogram), but each pixel
 * weighted by its alpha (transparent areas do not count; sharp's ignores alpha, so a logo on a transparent
 * background came out black) and answering the mean of the winning bin rather than its centre (a solid
 * `#c81e1e` image gives `#c81e1e`, not `#c81818`). A fully transparent image counts every pixel alike. Ties go
 * to the lowest bin.
 */
export function dominantColor(rgba: ArrayLike<number>): string {
  let total = 0;
  for (let i = 3; i < rgba.length; i += 4) total += rgba[i]!;
  const weightOf = (i: number) => (total === 0 ? 1 : rgba[i + 3]!);
  const binOf = (i: number) => (rgba[i]! >> 4) * 256 + (rgba[i + 1]! >> 4) * 16 + (rgba[i + 2]! >> 4);
  const weights = new Map<number, number>();
  for (let i = 0; i < rgba.length; i += 4) {
    const bin = binOf(i);
    weights.set(bin, (weights.get(bin) ?? 0) + weightOf(i));
  }
  let best = -1;
  let bestWeight = -1;
  for (const [bin, weight] of weights) {
    if (weight > bestWeight || (weight === bestWeight && bin < best)) [best, bestWeight] = [bin, weight];
  }
  let r = 0;
  let g = 0;
  let b = 0;
  for (let i = 0; i < rgba.length; i += 4) {
    if (binOf(i) !== best) continue;
    const w = weightOf(i);
    r += w * rgba[i]!;
    g += w * rgba[i + 1]!;
    b += w * rgba[i + 2]!;
  }
  const weight = bestWeight || 1;
  const hex = (sum: number) =>
    Math.round(sum / weight)
      .toString(16)
      .padStart(2, '0');
  return `#${hex(r)}${hex(g)}${hex(b)}`;
}

/** ThumbHash and dominant colour of one decoded frame. */
export function placeholdersOf(frame: RawFrame): Placeholders {
  const { rgba, width, height } = smallRgba(frame);
  return {
    thumbhash: Buffer.from(rgbaToThumbHash(width, height, rgba)).toString('base64'),
    dominantColor: dominantColor(rgba),
  };
}
