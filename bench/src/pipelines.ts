// The pipelines a Node benchmark worker can run: core's rendition engine (a RENDITIONS set), the single-thumbnail
// path core had before it (legacy.ts, the reference), core's placeholders alone, or sharp with explicit knobs (to
// find out where sharp's time goes). Unless a set says otherwise, everything makes a thumbnail inside 100×100 in
// the source's format.
import { readFile } from 'node:fs/promises';
import sharp, { type GifOptions, type JpegOptions, type PngOptions, type WebpOptions } from 'sharp';
import { parseRenditions, placeholdersOf, renderRenditions, type RawFrame } from '@thumbnailer/core';
import { legacyThumbnail } from './legacy.js';

export const THUMBNAIL_SIZE = 100;
/** What core renders when a spec names no set: the default set, today's single thumbnail. */
export const DEFAULT_SET = `thumb:${THUMBNAIL_SIZE}x${THUMBNAIL_SIZE}`;

/**
 * How the image reaches the pipeline: a file path; bytes read inside the timed call (`buffer-read`); or bytes
 * already in memory (`buffer`: read just before the timed call and dropped after it, like a worker holding one
 * downloaded object, so the corpus never inflates peak RSS).
 */
export type InputMode = 'file' | 'buffer-read' | 'buffer';

export interface PipelineSpec {
  kind: 'core' | 'legacy' | 'placeholders' | 'sharp';
  input: InputMode;
  /** kind 'core': the RENDITIONS value to render (default DEFAULT_SET). */
  renditions?: string;
  /**
   * kind 'legacy': the box edge (default THUMBNAIL_SIZE). kind 'placeholders': the edge of the decoded image the
   * placeholders are computed from (prepared untimed, as the engine's intermediate would be).
   */
  size?: number;
  /** sharp.concurrency(n): libvips threads per image (sharp's default here is 1: glibc without jemalloc). */
  concurrency?: number;
  /** sharp.cache(false) turns libvips' operation cache off. */
  cache?: boolean;
  /** sharp knobs (kind 'sharp' only). */
  fastShrinkOnLoad?: boolean;
  /** Defeats shrink-on-load entirely (a gamma step disables sharp's pre-shrink): the full-size decode cost. */
  noShrinkOnLoad?: boolean;
  animated?: boolean;
  jpeg?: JpegOptions;
  png?: PngOptions;
  webp?: WebpOptions;
  gif?: GifOptions;
}

/** Method syntax on purpose: a worker drives any Thumbnailer without knowing what it prepares. */
export interface Thumbnailer<Prepared = unknown> {
  /** Untimed: what the timed call gets for this corpus path. */
  prepare(path: string): Promise<Prepared>;
  /** Timed: one image's work. */
  run(prepared: Prepared): Promise<unknown>;
}

/** The decoded first frame of a corpus file, inside size×size, as the engine holds its intermediate. */
async function decodedFrame(path: string, size: number): Promise<RawFrame> {
  const { data, info } = await sharp(path)
    .autoOrient()
    .resize(size, size, { fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** Applies the process-wide knobs and returns how to make one thumbnail from a corpus path. */
export function preparePipeline(spec: PipelineSpec): Thumbnailer {
  if (spec.concurrency !== undefined) sharp.concurrency(spec.concurrency);
  if (spec.cache === false) sharp.cache(false);
  const prepare = async (path: string): Promise<Buffer | string> =>
    spec.input === 'buffer' ? readFile(path) : path;
  const inputOf = async (prepared: Buffer | string): Promise<Buffer | string> =>
    spec.input === 'buffer-read' ? readFile(prepared) : prepared;

  if (spec.kind === 'core') {
    const set = parseRenditions(spec.renditions ?? DEFAULT_SET, THUMBNAIL_SIZE);
    const core: Thumbnailer<Buffer | string> = {
      prepare,
      run: async (prepared) => renderRenditions(await inputOf(prepared), set),
    };
    return core;
  }
  if (spec.kind === 'legacy') {
    const size = spec.size ?? THUMBNAIL_SIZE;
    const bytes = async (prepared: Buffer | string) =>
      typeof prepared === 'string' ? readFile(prepared) : prepared;
    const legacy: Thumbnailer<Buffer | string> = {
      prepare,
      run: async (prepared) => legacyThumbnail(await bytes(await inputOf(prepared)), size),
    };
    return legacy;
  }
  if (spec.kind === 'placeholders') {
    const size = spec.size ?? THUMBNAIL_SIZE;
    const frames: Thumbnailer<RawFrame> = {
      prepare: (path) => decodedFrame(path, size),
      run: (frame) => Promise.resolve(placeholdersOf(frame)),
    };
    return frames;
  }
  const run = async (prepared: Buffer | string): Promise<Buffer> => {
    let image = sharp(await inputOf(prepared), { animated: spec.animated ?? false }).rotate();
    if (spec.noShrinkOnLoad) image = image.gamma(2.2, 2.2);
    image = image.resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, {
      fit: 'inside',
      withoutEnlargement: true,
      fastShrinkOnLoad: spec.fastShrinkOnLoad ?? true,
    });
    if (spec.jpeg) image = image.jpeg(spec.jpeg);
    if (spec.png) image = image.png(spec.png);
    if (spec.webp) image = image.webp(spec.webp);
    if (spec.gif) image = image.gif(spec.gif);
    return image.toBuffer();
  };
  return { prepare, run };
}
