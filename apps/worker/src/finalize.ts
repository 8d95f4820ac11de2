/**
 * What a finalized source generation goes through, after the filter and the in-process dedupe (pipeline.ts), in
 * the order it runs:
 *
 *   dedupe  — the source facts (from the event, or one metadata read when it carries none) give every rendition's
 *             name; one metadata read per rendition finds those already written. All there: a duplicate, without
 *             downloading or decoding anything.
 *   fetch   — the download pinned to the event's generation; 404 means gone or superseded: skipped.
 *   render  — renderRenditions for the missing renditions only (one decode, sized for the whole set, so each comes
 *             out as it would from the whole set); an ImageError is a permanent refusal: skipped, `failed` event.
 *   store   — one create-only write per missing rendition at its deterministic name; "exists" means another
 *             delivery wrote it first.
 *   outcome — processed when this delivery wrote something, else duplicate; the `ready` event either way.
 *
 * Happy path with an event that carries the object's metadata: one download plus, per rendition, one metadata
 * read and one create-only write.
 */
import {
  formatOfContentType,
  formatTimestamp,
  ImageError,
  renderRenditions,
  renditionObjectName,
  type ImageFormat,
  type RenderResult,
  type RenditionSpec,
  type StoredObject,
  type ThumbnailSource,
} from '@thumbnailer/core';
import type { ObjectEvent } from './events.js';
import type { SkipReason } from './metrics.js';
import { skipped, type StageContext } from './stages.js';
import type { Outcome, RenditionRef } from './outcomes.js';

/** What the pipeline knows about the source generation before downloading it. */
interface SourceFacts {
  source: ThumbnailSource;
  /** The format its content type announces (a prediction: the bytes decide). */
  predicted: ImageFormat | undefined;
}

export const GONE = 'gone or superseded (generation no longer exists)';

/** Custom metadata on every rendition. */
const META = {
  of: 'thumbnailOf',
  generation: 'sourceGeneration',
  rendition: 'rendition',
  spec: 'renditionSpec',
  thumbhash: 'thumbhash',
  color: 'dominantColor',
  width: 'width',
  height: 'height',
} as const;

/**
 * The source generation's creation time and announced format: from the event when it carries the object's
 * metadata, else from one metadata read pinned to the generation (which also catches what the event could not:
 * gone, a thumbnail by its metadata, empty).
 */
async function sourceFacts(
  ctx: StageContext,
  event: ObjectEvent,
  key: string,
): Promise<SourceFacts | Outcome> {
  let { timeCreated, contentType } = event.object;
  if (timeCreated === undefined) {
    const stat = await ctx.storage.stat(event.name, event.generation);
    if (stat === undefined) return skipped(GONE, 'gone', key, true);
    if (stat.metadata[META.of] !== undefined)
      return skipped('a thumbnail (has thumbnailOf metadata)', 'thumbnail', key);
    if (stat.size === 0) return skipped('an empty object', 'empty', key);
    // Without timeCreated a generation is its creation time in microseconds.
    timeCreated = stat.timeCreated ?? new Date(Math.floor(Number(stat.generation) / 1000));
    contentType = stat.contentType;
  }
  return {
    source: { name: event.name, generation: event.generation, created: timeCreated },
    predicted: formatOfContentType(contentType),
  };
}

/** The renditions already written, by rendition name (one metadata read each; none without a predicted format). */
async function existingRenditions(ctx: StageContext, facts: SourceFacts): Promise<Map<string, StoredObject>> {
  const found = new Map<string, StoredObject>();
  const { predicted } = facts;
  if (predicted === undefined) return found;
  await Promise.all(
    ctx.renditions.map(async (spec) => {
      const object = await ctx.storage.stat(renditionObjectName(ctx.prefix, facts.source, spec, predicted));
      if (object) found.set(spec.name, object);
    }),
  );
  return found;
}

function refOf(bucket: string, spec: RenditionSpec, object: StoredObject): RenditionRef {
  return {
    rendition: spec.name,
    uri: `gs://${bucket}/${object.name}`,
    width: Number(object.metadata[META.width]),
    height: Number(object.metadata[META.height]),
    bytes: object.size,
    contentType: object.contentType ?? '',
  };
}

async function render(
  ctx: StageContext,
  data: Buffer,
  missing: readonly RenditionSpec[],
): Promise<RenderResult | ImageError> {
  try {
    return await ctx.cpu(() =>
      ctx.metrics.timeRender(() =>
        renderRenditions(data, ctx.renditions, { only: missing.map((spec) => spec.name) }),
      ),
    );
  } catch (err) {
    if (err instanceof ImageError) return err;
    throw err;
  }
}

/** One create-only write per rendition; returns the refs and whether this delivery wrote any. */
async function store(
  ctx: StageContext,
  event: ObjectEvent,
  source: ThumbnailSource,
  result: RenderResult,
): Promise<{ refs: Map<string, RenditionRef>; wrote: boolean }> {
  const refs = new Map<string, RenditionRef>();
  let wrote = false;
  await Promise.all(
    result.renditions.map(async (r) => {
      const name = renditionObjectName(ctx.prefix, source, r.spec, result.source.format);
      const written = await ctx.storage.createOnly(name, r.data, {
        contentType: r.contentType,
        metadata: {
          [META.of]: `gs://${event.bucket}/${event.name}`,
          [META.generation]: event.generation,
          [META.rendition]: r.spec.name,
          [META.spec]: r.canonicalSpec,
          [META.thumbhash]: result.thumbhash,
          [META.color]: result.dominantColor,
          [META.width]: String(r.width),
          [META.height]: String(r.height),
        },
      });
      if (written.status === 'created') wrote = true;
      refs.set(r.spec.name, {
        rendition: r.spec.name,
        uri: `gs://${event.bucket}/${name}`,
        width: r.width,
        height: r.height,
        bytes: r.data.length,
        contentType: r.contentType,
      });
    }),
  );
  return { refs, wrote };
}

/**
 * The `ready` event of a duplicate: from the renditions' own metadata. Renditions written before placeholders and
 * sizes were recorded (the thumbnails of earlier releases) carry too little for one: then nothing is published.
 */
async function announceExisting(
  ctx: StageContext,
  event: ObjectEvent,
  key: string,
  facts: SourceFacts,
  existing: Map<string, StoredObject>,
): Promise<void> {
  const objects = ctx.renditions.map((spec) => existing.get(spec.name)!);
  const complete = objects.every(
    (o) => o.metadata[META.thumbhash] && o.metadata[META.color] && Number(o.metadata[META.width]) > 0,
  );
  if (!complete) return;
  const written = Math.max(...objects.map((o) => o.timeCreated?.getTime() ?? 0));
  await ctx.notifier.publish({
    kind: 'ready',
    data: {
      bucket: event.bucket,
      name: event.name,
      generation: event.generation,
      key,
      renditions: ctx.renditions.map((spec, i) => refOf(event.bucket, spec, objects[i]!)),
      thumbhash: objects[0]!.metadata[META.thumbhash]!,
      dominantColor: objects[0]!.metadata[META.color]!,
      latencyMs: Math.max(0, written - facts.source.created.getTime()),
    },
  });
}

/** What a finalize would do, found with metadata reads only (no download, no decode, no write): for dry runs. */
export type FinalizePlan =
  | { status: 'skipped'; reason: string; code: SkipReason }
  | { status: 'complete' }
  /** Its content type is not an image's: a real run downloads it to be sure (the bytes decide). */
  | { status: 'not_image_by_type'; missing: string[] }
  | { status: 'missing'; missing: string[] };

export async function planFinalize(
  ctx: StageContext,
  event: ObjectEvent,
  key: string,
): Promise<FinalizePlan> {
  const facts = await sourceFacts(ctx, event, key);
  if ('status' in facts) {
    const skip = facts as Extract<Outcome, { status: 'skipped' }>;
    return { status: 'skipped', reason: skip.reason, code: skip.code };
  }
  const existing = await existingRenditions(ctx, facts);
  const missing = ctx.renditions.filter((spec) => !existing.has(spec.name)).map((spec) => spec.name);
  if (facts.predicted === undefined) return { status: 'not_image_by_type', missing };
  return missing.length === 0 ? { status: 'complete' } : { status: 'missing', missing };
}

export async function finalize(ctx: StageContext, event: ObjectEvent, key: string): Promise<Outcome> {
  const facts = await sourceFacts(ctx, event, key);
  if ('status' in facts) return facts;
  const existing = await existingRenditions(ctx, facts);
  if (existing.size === ctx.renditions.length) {
    // A redelivery makes good a ready event its first delivery may have died before publishing. A backfill over a
    // complete bucket is no redelivery: announcing every source again would flood subscribers for nothing.
    if (event.via !== 'backfill') await announceExisting(ctx, event, key, facts, existing);
    return { status: 'duplicate', key };
  }

  const downloaded = await ctx.storage.download(event.name, event.generation, ctx.buffers);
  if (downloaded.status === 'gone') return skipped(GONE, 'gone', key, true);

  const missing = ctx.renditions.filter((spec) => !existing.has(spec.name));
  let result: RenderResult | ImageError;
  try {
    result = await render(ctx, downloaded.data, missing);
  } finally {
    // The render has settled (every sharp call of it): nothing reads the source bytes any more.
    ctx.buffers.give(downloaded.data);
  }
  if (result instanceof ImageError) {
    await ctx.notifier.publish({
      kind: 'failed',
      data: {
        bucket: event.bucket,
        name: event.name,
        generation: event.generation,
        key,
        code: result.code,
        reason: result.message,
      },
    });
    return skipped(`${result.code}: ${result.message}`, result.code, key, true);
  }

  const { refs, wrote } = await store(ctx, event, facts.source, result);
  const renditions = ctx.renditions.map(
    (spec) => refs.get(spec.name) ?? refOf(event.bucket, spec, existing.get(spec.name)!),
  );
  const latencyMs = ctx.clock().getTime() - (event.eventTime ?? facts.source.created).getTime();
  await ctx.notifier.publish({
    kind: 'ready',
    data: {
      bucket: event.bucket,
      name: event.name,
      generation: event.generation,
      key,
      renditions,
      thumbhash: result.thumbhash,
      dominantColor: result.dominantColor,
      latencyMs: Math.max(0, latencyMs),
    },
  });
  if (!wrote) return { status: 'duplicate', key };
  if (event.eventTime) ctx.metrics.latency(event.via, latencyMs / 1000);
  ctx.logger.info(
    {
      key,
      renditions: renditions.map((r) => r.uri),
      format: result.source.format,
      folder: formatTimestamp(facts.source.created),
      ...(event.eventTime ? { latencyMs } : {}),
    },
    'renditions written',
  );
  return { status: 'processed', key, renditions };
}
