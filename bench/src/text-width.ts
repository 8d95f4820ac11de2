// Text widths for Vega's layout without a canvas. Vega sizes axes, legends and titles by measuring text; with no
// canvas it guesses 0.8 em per character, which leaves wide empty margins and truncates long labels. Its
// `textMetrics.width` hook is meant to be replaced for this (vega/vega#3792); this one sums Helvetica's own
// glyph widths (Arial's are the same), as a browser showing the SVG will draw them.
import { Encodings, Font, FontNames } from '@pdf-lib/standard-fonts';

/** Width of a character Helvetica's WinAnsi set does not hold (→, ≤): a wide glyph, in 1/1000 em. */
const FALLBACK_UNITS = 1000;

let fonts: { regular: Font; bold: Font } | undefined;

/** Width in pixels of one line of text set in Helvetica at `fontSize` px. */
export function textWidth(text: string, fontSize: number, bold = false): number {
  fonts ??= { regular: Font.load(FontNames.Helvetica), bold: Font.load(FontNames.HelveticaBold) };
  const font = bold ? fonts.bold : fonts.regular;
  let units = 0;
  for (const char of text) {
    const codePoint = char.codePointAt(0)!;
    const glyph = Encodings.WinAnsi.canEncodeUnicodeCodePoint(codePoint)
      ? Encodings.WinAnsi.encodeUnicodeCodePoint(codePoint).name
      : undefined;
    const width = glyph === undefined ? undefined : font.getWidthOfGlyph(glyph);
    units += typeof width === 'number' ? width : FALLBACK_UNITS;
  }
  return (units / 1000) * fontSize;
}

/** The parts of a Vega text item the width depends on. */
interface TextItem {
  fontSize?: number | string;
  fontWeight?: number | string;
  limit?: number;
}

interface VegaTextMetrics {
  width: (item: TextItem, text: unknown) => number;
}

function isTextMetrics(value: unknown): value is VegaTextMetrics {
  return (
    typeof value === 'object' && value !== null && typeof (value as VegaTextMetrics).width === 'function'
  );
}

/** Vega's text width for one item and line: Helvetica's widths, bold where the item is, capped at its limit. */
export function itemWidth(item: TextItem, text: unknown): number {
  const line = typeof text === 'string' ? text.trim() : typeof text === 'number' ? String(text) : '';
  const size = item.fontSize === undefined ? 11 : Number(item.fontSize) || 0;
  const weight = item.fontWeight;
  const bold = weight === 'bold' || weight === 'bolder' || Number(weight) >= 600;
  const width = textWidth(line, size, bold);
  return item.limit !== undefined && item.limit > 0 ? Math.min(width, item.limit) : width;
}

/** Makes `vega` (the module namespace) measure text with `itemWidth`; idempotent. */
export function useHelveticaMetrics(vega: object): void {
  const metrics = (vega as { textMetrics?: unknown }).textMetrics;
  if (!isTextMetrics(metrics)) throw new Error('vega exports no textMetrics to measure chart text with');
  metrics.width = itemWidth;
}
