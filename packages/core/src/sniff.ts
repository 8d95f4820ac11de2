/**
 * Format detection from magic bytes, done before sharp sees the data so that nothing outside the allow-list
 * (SVG, PDF, text, HEIC, JPEG XL, …) ever reaches a decoder. Pure function over the first bytes of a file.
 */
import type { ImageFormat } from './formats.js';

/** How many leading bytes sniffFormat needs to decide. */
export const SNIFF_BYTES = 64;

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return Buffer.from(
    bytes.buffer,
    bytes.byteOffset + start,
    Math.max(0, Math.min(length, bytes.length - start)),
  ).toString('latin1');
}

function startsWith(bytes: Uint8Array, signature: readonly number[]): boolean {
  return bytes.length >= signature.length && signature.every((b, i) => bytes[i] === b);
}

const AVIF_BRANDS = new Set(['avif', 'avis']);

/** ISO-BMFF `ftyp` box naming an AVIF brand (major or compatible). HEIC and other HEIF brands → false. */
function isAvif(bytes: Uint8Array): boolean {
  if (bytes.length < 16 || ascii(bytes, 4, 4) !== 'ftyp') return false;
  const boxSize = Buffer.from(bytes.buffer, bytes.byteOffset, 4).readUInt32BE(0);
  const end = Math.min(bytes.length, boxSize >= 16 ? boxSize : 16);
  if (AVIF_BRANDS.has(ascii(bytes, 8, 4))) return true;
  for (let o = 16; o + 4 <= end; o += 4) if (AVIF_BRANDS.has(ascii(bytes, o, 4))) return true;
  return false;
}

/**
 * The allow-listed raster format these leading bytes announce, or undefined.
 * JPEG (FF D8 FF), PNG (8-byte signature), GIF (GIF87a/GIF89a), WebP (RIFF….WEBP), TIFF (II*\0, MM\0*, and
 * BigTIFF II+\0 / MM\0+), AVIF (ftyp box with an avif/avis brand).
 */
export function sniffFormat(head: Uint8Array): ImageFormat | undefined {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  const six = ascii(head, 0, 6);
  if (six === 'GIF87a' || six === 'GIF89a') return 'gif';
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 4) === 'WEBP') return 'webp';
  if (
    startsWith(head, [0x49, 0x49, 0x2a, 0x00]) ||
    startsWith(head, [0x4d, 0x4d, 0x00, 0x2a]) ||
    startsWith(head, [0x49, 0x49, 0x2b, 0x00]) ||
    startsWith(head, [0x4d, 0x4d, 0x00, 0x2b])
  ) {
    return 'tiff';
  }
  if (isAvif(head)) return 'avif';
  return undefined;
}

/** A short human name for what refused bytes look like, for error messages. */
export function describeUnsupported(head: Uint8Array): string {
  const text = ascii(head, 0, SNIFF_BYTES).trimStart();
  if (text.startsWith('%PDF-')) return 'a PDF document';
  if (/^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg|<svg[\s>])/i.test(text))
    return 'an SVG (vector) image';
  if (ascii(head, 4, 4) === 'ftyp')
    return `an ISO media file (brand ${ascii(head, 8, 4).trim() || 'unknown'})`;
  return 'not a supported raster image';
}
