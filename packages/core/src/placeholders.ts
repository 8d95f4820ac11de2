/**
 * Placeholders a page can show before a rendition loads: a ThumbHash (evanw/thumbhash, base64) and a dominant
 * colour (`#rrggbb`), both from one small RGBA copy of the decoded image, made here in JS (a strided box average)
 * because a sharp call on a 1600 px intermediate alone costs more than the 3 ms budget of both.
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
export function smallRgba(frame: RawFrame): { rgba: Uint8Array; width: number; height: number } {
  const { data, width: w, height: h, channels: c } = frame;
  const scale = Math.min(1, PLACEHOLDER_EDGE / w, PLACEHOLDER_EDGE / h);
  const width = Math.max(1, Math.round(w * scale));
  const height = Math.max(1, Math.round(h * scale));
  const grey = c < 3;
  const alpha = c === 2 || c === 4;
  const rgba = new Uint8Array(width * height * 4);
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
 * `#c81e1e` image gives `#c81e1e`, not `#c81818`). A fully transparent image counts every pixel alike.
 */
export function dominantColor(rgba: Uint8Array): string {
  const bins = new Float64Array(4096 * 4); // weight, Σr, Σg, Σb per bin
  let total = 0;
  for (let i = 0; i < rgba.length; i += 4) total += rgba[i + 3]!;
  for (let i = 0; i < rgba.length; i += 4) {
    const r = rgba[i]!;
    const g = rgba[i + 1]!;
    const b = rgba[i + 2]!;
    const w = total === 0 ? 1 : rgba[i + 3]!;
    const bin = ((r >> 4) * 256 + (g >> 4) * 16 + (b >> 4)) * 4;
    bins[bin]! += w;
    bins[bin + 1]! += w * r;
    bins[bin + 2]! += w * g;
    bins[bin + 3]! += w * b;
  }
  let best = 0;
  for (let bin = 4; bin < bins.length; bin += 4) if (bins[bin]! > bins[best]!) best = bin;
  const weight = bins[best]! || 1;
  const hex = (sum: number) =>
    Math.round(sum / weight)
      .toString(16)
      .padStart(2, '0');
  return `#${hex(bins[best + 1]!)}${hex(bins[best + 2]!)}${hex(bins[best + 3]!)}`;
}

/** ThumbHash and dominant colour of one decoded frame. */
export function placeholdersOf(frame: RawFrame): Placeholders {
  const { rgba, width, height } = smallRgba(frame);
  return {
    thumbhash: Buffer.from(rgbaToThumbHash(width, height, rgba)).toString('base64'),
    dominantColor: dominantColor(rgba),
  };
}
