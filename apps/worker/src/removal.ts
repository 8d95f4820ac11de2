/**
 * What a deleted source generation goes through: its renditions are removed once it is confirmed gone.
 *
 *   confirm — one metadata read of exactly that generation: still there (a replayed or forged delete, or a
 *             version that only became noncurrent) → nothing is removed.
 *   find    — one listing of `<prefix><YYYYMMDDTHHZ>/<name>.<generation>.`; only objects whose own metadata says
 *             they are renditions of this very generation (thumbnailOf, sourceGeneration) count, never a name
 *             alone, so another source's or a newer generation's renditions are never touched.
 *   delete  — each, pinned to the generation listed; already gone is success.
 *   outcome — removed (N, 0 when nothing was there), and the `removed` event.
 */
import { formatTimestamp } from '@thumbnailer/core';
import type { ObjectEvent } from './events.js';
import type { Outcome } from './outcomes.js';
import { skipped, type StageContext } from './stages.js';

export async function removeRenditions(ctx: StageContext, event: ObjectEvent, key: string): Promise<Outcome> {
  const live = await ctx.storage.stat(event.name, event.generation);
  if (live !== undefined) {
    return skipped('the generation still exists: a delete event for it removes nothing', 'live', key);
  }
  // The folder comes from the generation's creation time: from the event, else the generation itself (µs).
  const created = event.object.timeCreated ?? new Date(Math.floor(Number(event.generation) / 1000));
  const source = `gs://${event.bucket}/${event.name}`;
  const prefix = `${ctx.prefix}${formatTimestamp(created)}/${event.name}.${event.generation}.`;
  const removed: string[] = [];
  for await (const object of ctx.storage.list(prefix)) {
    if (object.metadata.thumbnailOf !== source || object.metadata.sourceGeneration !== event.generation)
      continue;
    const result = await ctx.storage.delete(object.name, object.generation);
    if (result.status !== 'precondition_failed') removed.push(`gs://${event.bucket}/${object.name}`);
  }
  await ctx.notifier.publish({
    kind: 'removed',
    data: { bucket: event.bucket, name: event.name, generation: event.generation, key, removed },
  });
  if (removed.length > 0) ctx.logger.info({ key, removed }, 'renditions removed');
  return { status: 'removed', key, removed: removed.length };
}
