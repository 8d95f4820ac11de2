// The thumbnail pipelines a Node benchmark worker can run: core's createThumbnail, or sharp with explicit knobs
// (to find out where sharp's time goes). Everything makes a thumbnail inside 100×100 in the source's format.
import { readFile } from 'node:fs/promises';
import sharp, { type GifOptions, type JpegOptions, type PngOptions, type WebpOptions } from 'sharp';
import { createThumbnail } from '@thumbnailer/core';

export const THUMBNAIL_SIZE = 100;

/**
 * How the image reaches the pipeline: a file path; bytes read inside the timed call (`buffer-read`); or bytes
 * already in memory (`buffer`: read just before the timed call and dropped after it, like a worker holding one
 * downloaded object, so the corpus never inflates peak RSS).
 */
export type InputMode = 'file' | 'buffer-read' | 'buffer';

export interface PipelineSpec {
  kind: 'core' | 'sharp';
  input: InputMode;
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

export interface Thumbnailer {
  /** Untimed: what the timed call gets for this corpus path. */
  prepare: (path: string) => Promise<Buffer | string>;
  /** Timed: one thumbnail. */
  run: (prepared: Buffer | string) => Promise<Buffer>;
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
    return {
      prepare,
      run: async (prepared) =>
        (await createThumbnail(await inputOf(prepared), { size: THUMBNAIL_SIZE })).data,
    };
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
