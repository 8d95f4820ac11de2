/**
 * How the backfill's tasks split INPUT_FOLDER without each listing everything. Pure functions.
 *
 * Every task reads the same folder listing (a delimiter listing: one request per 1,000 folders, no object read)
 * and cuts the key space under the prefix into CLOUD_RUN_TASK_COUNT contiguous name ranges at folder boundaries —
 * and, when there are too few folders to spread (one huge folder, loose objects only), also at the first
 * character after a folder. Each task then lists only its own range with startOffset/endOffset. The ranges
 * partition the key space, so every object — in a `YYYYMMDDTHHZ/` folder or loose — is in exactly one shard, and
 * the tasks' list requests add up to about one task's listing plus one page per task. THUMBNAIL_PREFIX is cut
 * out of every range: its objects are outputs, never listed as inputs.
 */

/** Names in [start, end); `end` undefined means to the end of the key space. */
export interface NameRange {
  start: string;
  end?: string;
}

/**
 * Cut points inside a folder: the characters most uploaded names start with (safeFilename keeps only
 * `[A-Za-z0-9_.-]`, and most names are lower case or digits). Any other first character still falls in exactly
 * one range; it only balances less well.
 */
const NAME_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** The first name after every name that starts with `prefix` ('' → the end of the key space). */
export function prefixEnd(prefix: string): string | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const code = prefix.charCodeAt(i);
    if (code < 0xffff) return prefix.slice(0, i) + String.fromCharCode(code + 1);
  }
  return undefined;
}

function evenly<T>(items: readonly T[], count: number): T[] {
  if (count >= items.length) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]!);
}

/**
 * Cut points in the key space under `prefix`: every folder's start, plus — when there are fewer than two folders
 * per task — points inside each folder (and among loose objects) so that the tasks still get a share each.
 */
export function cutPoints(prefix: string, folders: readonly string[], taskCount: number): string[] {
  const cuts = new Set(folders);
  const spaces = folders.length < 2 * taskCount ? [prefix, ...folders] : [];
  const perSpace = Math.ceil((2 * taskCount) / Math.max(1, spaces.length));
  for (const space of spaces) for (const c of evenly([...NAME_ALPHABET], perSpace)) cuts.add(space + c);
  return [...cuts].filter((cut) => cut > prefix).sort();
}

/** Removes [excluded, end of excluded) from a range: zero, one or two ranges remain. */
export function without(range: NameRange, excluded: string): NameRange[] {
  const excludedEnd = prefixEnd(excluded);
  const before = range.end === undefined || range.end > excluded ? excluded : range.end;
  const out: NameRange[] = [];
  if (range.start < before) out.push({ start: range.start, end: before });
  if (excludedEnd !== undefined && (range.end === undefined || range.end > excludedEnd)) {
    const start = range.start > excludedEnd ? range.start : excludedEnd;
    out.push(range.end === undefined ? { start } : { start, end: range.end });
  }
  return out.filter((r) => r.end === undefined || r.start < r.end);
}

/** The name ranges task `taskIndex` of `taskCount` lists under `prefix`, the thumbnail prefix cut out. */
export function shardRanges(
  prefix: string,
  folders: readonly string[],
  taskIndex: number,
  taskCount: number,
  thumbnailPrefix: string,
): NameRange[] {
  const inputs = folders.filter((folder) => !folder.startsWith(thumbnailPrefix));
  const cuts = cutPoints(prefix, inputs, taskCount);
  const boundary = (i: number): string | undefined => {
    if (i <= 0) return prefix;
    if (i >= taskCount) return prefixEnd(prefix);
    return cuts[Math.floor((i * cuts.length) / taskCount)] ?? prefixEnd(prefix);
  };
  const start = boundary(taskIndex) ?? prefix;
  const end = boundary(taskIndex + 1);
  if (end !== undefined && start >= end) return [];
  const range: NameRange = end === undefined ? { start } : { start, end };
  return thumbnailPrefix.startsWith(prefix) || prefix.startsWith(thumbnailPrefix)
    ? without(range, thumbnailPrefix)
    : [range];
}
