/**
 * Placeholders a page can show before a rendition loads: a ThumbHash (evanw/thumbhash, base64) and a dominant
 * colour (`#rrggbb`), both from one ≤ 100×100 RGBA copy of the decoded image.
 */
import sharp from 'sharp';
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

/** ThumbHash's own bound on its input: at most 100×100 pixels. */
export const PLACEHOLDER_EDGE = 100;

/** `frame` as RGBA, at most PLACEHOLDER_EDGE on each side (sharp's resize where it must shrink, else in JS). */
async function smallRgba(frame: RawFrame, timeoutSeconds: number): Promise<RawFrame> {
  if (frame.width <= PLACEHOLDER_EDGE && frame.height <= PLACEHOLDER_EDGE) {
    if (frame.channels === 4) return frame;
    return { ...frame, data: expandToRgba(frame), channels: 4 };
  }
  const { data, info } = await sharp(frame.data, {
    raw: { width: frame.width, height: frame.height, channels: frame.channels },
  })
    .timeout({ seconds: timeoutSeconds })
    .resize(PLACEHOLDER_EDGE, PLACEHOLDER_EDGE, { fit: 'inside' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 4 };
}

function expandToRgba({ data, width, height, channels }: RawFrame): Buffer {
  const out = Buffer.alloc(width * height * 4);
  for (let p = 0, i = 0, o = 0; p < width * height; p++, i += channels, o += 4) {
    const grey = channels < 3;
    out[o] = data[i]!;
    out[o + 1] = grey ? data[i]! : data[i + 1]!;
    out[o + 2] = grey ? data[i]! : data[i + 2]!;
    out[o + 3] = channels === 2 || channels === 4 ? data[i + channels - 1]! : 255;
  }
  return out;
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
export async function placeholdersOf(frame: RawFrame, timeoutSeconds = 20): Promise<Placeholders> {
  const small = await smallRgba(frame, timeoutSeconds);
  return {
    thumbhash: Buffer.from(rgbaToThumbHash(small.width, small.height, small.data)).toString('base64'),
    dominantColor: dominantColor(small.data),
  };
}
