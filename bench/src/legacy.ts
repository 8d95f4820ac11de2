// The single-thumbnail path core had before renditions (createThumbnail at commit f6d5266), kept here as the
// reference the rendition engine is measured against in the same run: sniff, header check, then one sharp pipeline
// straight from the file to the encoded thumbnail (autoOrient → resize inside → encode), no intermediate.
import sharp, { type Sharp } from 'sharp';
import { DEFAULT_LIMITS, sniffFormat, type ImageFormat } from '@thumbnailer/core';

const SHARP_FORMAT: Readonly<Record<ImageFormat, string>> = {
  jpeg: 'jpeg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  avif: 'heif',
  tiff: 'tiff',
};

function encode(pipeline: Sharp, format: ImageFormat): Sharp {
  switch (format) {
    case 'jpeg':
      return pipeline.jpeg({ quality: 80, mozjpeg: false, progressive: false });
    case 'png':
      return pipeline.png({ compressionLevel: 6, adaptiveFiltering: false });
    case 'webp':
      return pipeline.webp({ quality: 80, effort: 2 });
    case 'gif':
      return pipeline.gif({ effort: 3 });
    case 'avif':
      return pipeline.avif({ quality: 50, effort: 2 });
    case 'tiff':
      return pipeline.tiff({ compression: 'lzw' });
  }
}

/** The old thumbnail inside size×size, in the source format, from bytes in memory. */
export async function legacyThumbnail(source: Buffer, size: number): Promise<Buffer> {
  const format = sniffFormat(source.subarray(0, 64));
  if (!format) throw new Error('not an allow-listed image');
  const limits = DEFAULT_LIMITS;
  const animatable = format === 'gif' || format === 'webp';
  const meta = await sharp(source, {
    failOn: 'error',
    limitInputPixels: limits.maxPixels,
    animated: animatable,
  }).metadata();
  if (meta.format !== SHARP_FORMAT[format]) throw new Error(`decodes as ${meta.format}`);
  const pages = animatable ? (meta.pages ?? 1) : 1;
  let pipeline = sharp(source, { failOn: 'error', limitInputPixels: limits.maxPixels, animated: pages > 1 })
    .timeout({ seconds: limits.timeoutSeconds })
    .autoOrient()
    .resize(size, size, { fit: 'inside', withoutEnlargement: true });
  if (meta.space === 'cmyk') pipeline = pipeline.toColourspace('srgb');
  return encode(pipeline, format).toBuffer();
}
