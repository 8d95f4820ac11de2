/**
 * Finding the renditions the worker made, without a database. Every rendition's name is deterministic (core's
 * renditionObjectName, from the source's name, generation, creation time and format and the rendition's spec), so
 * one metadata read says whether it exists and what it is: its custom metadata carries its size, and the source's
 * ThumbHash and dominant colour. Renditions are generation-pinned and written create-only, so one found never
 * changes: found ones are remembered (per instance, for the REMEMBERED most recent sources).
 *
 * What a lookup (`find`) costs:
 * - while the first rendition is missing, one metadata read (the worker writes a set's renditions at once, so the
 *   first is a fair sign of the rest);
 * - the lookup that finds it reads the other renditions once, at once (one read each);
 * - a set found whole costs nothing from then on.
 * A rendition still missing after that (a worker stopped between writes, a rendition added to RENDITIONS but not
 * backfilled yet) is read again by the next lookup, so no lookup costs more than one read per rendition.
 */
import {
  formatOfContentType,
  renditionObjectName,
  type ImageFormat,
  type RenditionSpec,
  type StorageAdapter,
  type StoredObject,
} from '@thumbnailer/core';

/** Raster content types the web app is willing to serve back (never HTML, SVG or anything scriptable). */
export function isServableImageType(contentType: string | undefined): contentType is string {
  return formatOfContentType(contentType) !== undefined;
}

/** An upload (one source generation) as the page shows it. */
export interface SourceInfo {
  name: string;
  generation: string;
  created: Date;
  contentType: string;
  size: number;
}

/** One rendition that exists, as the page and `/api/thumbnail` describe it. */
export interface RenditionInfo {
  /** Its name in RENDITIONS (`thumb`, `card`, …). */
  rendition: string;
  /** Its object name. */
  name: string;
  /** `/thumbnail/…`: where this app serves it. */
  url: string;
  /** In pixels, from its metadata; undefined for thumbnails of earlier releases, which do not record them. */
  width: number | undefined;
  height: number | undefined;
  contentType: string;
  bytes: number;
}

/** The renditions of one source generation that exist, once its first one does. */
export interface RenditionSet {
  /** In RENDITIONS order, only those that exist; the first rendition always among them, first. */
  renditions: RenditionInfo[];
  /** Every rendition of RENDITIONS is there. */
  complete: boolean;
  /** Base64 ThumbHash of the source; undefined for thumbnails of earlier releases. */
  thumbhash: string | undefined;
  /** `#rrggbb`; undefined for thumbnails of earlier releases. */
  dominantColor: string | undefined;
}

export interface GalleryItem extends SourceInfo {
  /** Its renditions, once the worker has made the first. */
  renditions: RenditionSet | undefined;
}

export function sourceInfo(object: StoredObject): SourceInfo {
  return {
    name: object.name,
    generation: object.generation,
    created: object.timeCreated ?? new Date(0),
    contentType: object.contentType ?? 'application/octet-stream',
    size: object.size,
  };
}

/**
 * Where the worker writes (or wrote) `spec`'s rendition of this source generation; undefined when the source's
 * content type is no image format (the worker makes none then).
 */
export function expectedRenditionName(
  prefix: string,
  source: Omit<SourceInfo, 'size'>,
  spec: RenditionSpec,
): string | undefined {
  const format: ImageFormat | undefined = formatOfContentType(source.contentType);
  if (format === undefined) return undefined;
  return renditionObjectName(
    prefix,
    { name: source.name, generation: source.generation, created: source.created },
    spec,
    format,
  );
}

/** `/thumbnail/<object name, each segment URL-encoded>`: the web app's own URL for a rendition object. */
export function thumbnailUrl(objectName: string): string {
  return `/thumbnail/${objectName.split('/').map(encodeURIComponent).join('/')}`;
}

/** `gs://bucket/name` (a rendition's `thumbnailOf`) → its object name in `bucket`, else undefined. */
export function sourceNameOf(uri: string | undefined, bucket: string): string | undefined {
  const prefix = `gs://${bucket}/`;
  return uri?.startsWith(prefix) ? uri.slice(prefix.length) : undefined;
}

/** A positive pixel count from metadata, else undefined. */
function pixels(value: string | undefined): number | undefined {
  return value !== undefined && /^[1-9][0-9]{0,5}$/.test(value) ? Number(value) : undefined;
}

const THUMBHASH = /^[A-Za-z0-9+/]{4,64}={0,2}$/;
const COLOR = /^#[0-9a-f]{6}$/i;

/** What the page needs of one rendition object, from its metadata read. */
export function renditionInfo(rendition: string, object: StoredObject): RenditionInfo | undefined {
  if (!isServableImageType(object.contentType)) return undefined;
  return {
    rendition,
    name: object.name,
    url: thumbnailUrl(object.name),
    width: pixels(object.metadata.width),
    height: pixels(object.metadata.height),
    contentType: object.contentType,
    bytes: object.size,
  };
}

interface Found {
  renditions: Map<string, RenditionInfo>;
  thumbhash: string | undefined;
  dominantColor: string | undefined;
}

/** Sources whose found renditions are remembered. */
const REMEMBERED = 4096;

export class RenditionFinder {
  readonly #found = new Map<string, Found>();

  constructor(
    private readonly storage: StorageAdapter,
    private readonly prefix: string,
    private readonly specs: readonly RenditionSpec[],
  ) {
    if (specs.length === 0) throw new TypeError('a rendition set has at least one rendition');
  }

  /** The renditions known to exist, if the first is among them; no request. */
  known(source: SourceInfo): RenditionSet | undefined {
    const found = this.#found.get(keyOf(source));
    return found ? this.#setOf(found) : undefined;
  }

  /** The renditions that exist, once the first does, else undefined; at most one metadata read per rendition. */
  async find(source: SourceInfo): Promise<RenditionSet | undefined> {
    const key = keyOf(source);
    let found = this.#found.get(key);
    const [first, ...rest] = this.specs as [RenditionSpec, ...RenditionSpec[]];
    if (!found) {
      const object = await this.#read(source, first);
      if (!object) return undefined;
      found = {
        renditions: new Map([[first.name, object.info]]),
        thumbhash: THUMBHASH.test(object.metadata.thumbhash ?? '') ? object.metadata.thumbhash : undefined,
        dominantColor: COLOR.test(object.metadata.dominantColor ?? '')
          ? object.metadata.dominantColor!.toLowerCase()
          : undefined,
      };
      this.#remember(key, found);
    }
    const missing = rest.filter((spec) => !found.renditions.has(spec.name));
    const read = await Promise.all(missing.map((spec) => this.#read(source, spec)));
    missing.forEach((spec, i) => {
      const object = read[i];
      if (object) found.renditions.set(spec.name, object.info);
    });
    return this.#setOf(found);
  }

  /** Each source with its renditions: at most one metadata read per rendition not known yet, all at once. */
  async withRenditions(sources: readonly SourceInfo[]): Promise<GalleryItem[]> {
    return Promise.all(sources.map(async (source) => ({ ...source, renditions: await this.find(source) })));
  }

  async #read(
    source: SourceInfo,
    spec: RenditionSpec,
  ): Promise<{ info: RenditionInfo; metadata: Record<string, string> } | undefined> {
    const name = expectedRenditionName(this.prefix, source, spec);
    if (name === undefined) return undefined;
    const object = await this.storage.stat(name);
    const info = object && renditionInfo(spec.name, object);
    return info && { info, metadata: object.metadata };
  }

  #remember(key: string, found: Found): void {
    if (this.#found.size >= REMEMBERED) this.#found.delete(this.#found.keys().next().value as string);
    this.#found.set(key, found);
  }

  #setOf(found: Found): RenditionSet {
    const renditions = this.specs.flatMap((spec) => found.renditions.get(spec.name) ?? []);
    return {
      renditions,
      complete: renditions.length === this.specs.length,
      thumbhash: found.thumbhash,
      dominantColor: found.dominantColor,
    };
  }
}

const keyOf = (source: SourceInfo): string => `${source.name}#${source.generation}`;
