/**
 * Draws the README's picture of one source's renditions side by side (docs/renditions.png): a real photo from
 * ../shared/corpus/images through core's renderRenditions with a three-rendition set, each tile labelled with its
 * rendition name, size, format and bytes, plus the placeholder the page paints first (the ThumbHash, decoded, on
 * the dominant colour). Tiles are shown at their own pixel size up to TILE_MAX wide; a larger one is scaled down and
 * says so.
 *
 *   node --import tsx apps/web/scripts/renditions-picture.ts [corpus image name] [output png]
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { FORMAT_LABELS, parseRenditions, renderRenditions, type Rendition } from '@thumbnailer/core';
import { corpusImage } from '@thumbnailer/testkit';
import escapeHtml from 'escape-html';
import sharp, { type OverlayOptions } from 'sharp';
import { thumbHashToRGBA } from 'thumbhash';

const RENDITIONS = 'thumb:100x100,card:400x300:cover:webp,hero:1600x1600:avif:q60';
/** A photo stored sideways with EXIF orientation 6 (recurser/exif-orientation-examples, Unsplash licence). */
const SOURCE = process.argv[2] ?? 'exif-Landscape_6.jpg';
const OUTPUT = process.argv[3] ?? fileURLToPath(new URL('../../../docs/renditions.png', import.meta.url));

const TILE_MAX = 400;
const GAP = 28;
const MARGIN = 28;
const HEADER = 64;
const LABEL = 78;
const FONT = 'DejaVu Sans, Verdana, sans-serif';

interface Tile {
  image: Buffer;
  width: number;
  height: number;
  lines: [string, string, string];
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

async function renditionTile(r: Rendition, spec: string): Promise<Tile> {
  const scale = Math.min(1, TILE_MAX / r.width);
  const width = Math.round(r.width * scale);
  const height = Math.round(r.height * scale);
  const image = await sharp(r.data).resize(width, height).png().toBuffer();
  const quality = /:q(\d+)$/.exec(r.canonicalSpec)?.[1];
  const shown = scale < 1 ? ` · shown at ${Math.round(scale * 100)}%` : '';
  return {
    image,
    width,
    height,
    lines: [
      r.spec.name,
      `${r.width}×${r.height} · ${FORMAT_LABELS[r.format]}${quality ? ` q${quality}` : ''} · ${kb(r.data.length)}`,
      `${spec}${shown}`,
    ],
  };
}

/** The ThumbHash decoded (as the page's script does) and scaled to `width`×`height`, on the dominant colour. */
async function placeholderTile(
  thumbhash: string,
  color: string,
  width: number,
  height: number,
): Promise<Tile> {
  const hash = Buffer.from(thumbhash, 'base64');
  const { w, h, rgba } = thumbHashToRGBA(hash);
  const image = await sharp(Buffer.from(rgba), { raw: { width: w, height: h, channels: 4 } })
    .resize(width, height, { fit: 'fill', kernel: 'cubic' })
    .flatten({ background: color })
    .png()
    .toBuffer();
  return {
    image,
    width,
    height,
    lines: ['placeholder', `ThumbHash · ${hash.length} bytes · ${color}`, 'painted until the picture loads'],
  };
}

function labelSvg(tile: Tile): Buffer {
  const [name, size, spec] = tile.lines.map((line) => escapeHtml(line));
  const width = Math.max(tile.width, 260);
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${LABEL}">
<text x="0" y="22" font-family="${FONT}" font-size="19" font-weight="bold" fill="#1b2330">${name}</text>
<text x="0" y="46" font-family="${FONT}" font-size="15" fill="#1b2330">${size}</text>
<text x="0" y="68" font-family="${FONT}" font-size="14" fill="#5b6473">${spec}</text>
</svg>`);
}

async function main(): Promise<void> {
  const data = await corpusImage(SOURCE);
  const specs = parseRenditions(RENDITIONS);
  const result = await renderRenditions(data, specs);
  const tiles = await Promise.all(
    result.renditions.map((r) =>
      renditionTile(
        r,
        `${r.spec.name}:${RENDITIONS.split(',')[specs.indexOf(r.spec)]!.split(':').slice(1).join(':')}`,
      ),
    ),
  );
  const largest = tiles.at(-1)!;
  tiles.push(
    await placeholderTile(
      result.thumbhash,
      result.dominantColor,
      200,
      Math.round((200 * largest.height) / largest.width),
    ),
  );

  const columns = tiles.map((tile) => Math.max(tile.width, 260));
  const imageHeight = Math.max(...tiles.map((tile) => tile.height));
  const width = MARGIN * 2 + columns.reduce((a, b) => a + b, 0) + GAP * (tiles.length - 1);
  const height = MARGIN + HEADER + imageHeight + 12 + LABEL + MARGIN;
  const { source } = result;
  const title = escapeHtml(
    `${SOURCE} (${FORMAT_LABELS[source.format]}, ${kb(data.length)}, stored sideways with EXIF orientation 6: shown ${source.width}×${source.height}) — RENDITIONS=${RENDITIONS}`,
  );
  const header =
    Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width - 2 * MARGIN}" height="${HEADER}">
<text x="0" y="24" font-family="${FONT}" font-size="20" font-weight="bold" fill="#1b2330">One upload, three renditions, one decode</text>
<text x="0" y="50" font-family="${FONT}" font-size="15" fill="#5b6473">${title}</text>
</svg>`);

  const layers: OverlayOptions[] = [{ input: header, left: MARGIN, top: MARGIN }];
  let left = MARGIN;
  tiles.forEach((tile, i) => {
    const top = MARGIN + HEADER + (imageHeight - tile.height);
    layers.push({ input: tile.image, left, top });
    layers.push({ input: labelSvg(tile), left, top: MARGIN + HEADER + imageHeight + 12 });
    left += columns[i]! + GAP;
  });
  const png = await sharp({ create: { width, height, channels: 3, background: '#f5f7fa' } })
    .composite(layers)
    .png({ compressionLevel: 9, palette: true, colours: 256, dither: 0.5 })
    .toBuffer();
  await writeFile(OUTPUT, png);
  console.log(`${OUTPUT}: ${width}×${height}, ${kb(png.length)}`);
}

await main();
