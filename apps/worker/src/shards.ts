/**
 * How the backfill's tasks split INPUT_FOLDER without each listing everything. Pure functions.
 *
 * The plan's maker (checkpoint.ts: one plan per run, shared by every task) reads the folder listing (a delimiter
 * listing: one request per 1,000 folders, no object read) and cuts the key space under the prefix into
 * CLOUD_RUN_TASK_COUNT contiguous name ranges at folder boundaries — and, when there are too few folders to spread
 * (one huge folder, loose objects only), inside them too, from the first page of each (SpaceSample). Each task
 * then lists only its own ranges with startOffset/endOffset. The ranges
 * partition the key space, so every object — in a `YYYYMMDDTHHZ/` folder or loose — is in exactly one shard, and
 * the tasks' list requests add up to about one task's listing plus one page per task. THUMBNAIL_PREFIX is cut
 * out of every range: its objects are outputs, never listed as inputs (the prune pass lists THUMBNAIL_PREFIX itself
 * by the same scheme, with its `.backfill/` folder cut out).
 *
 * Names compare as Cloud Storage orders them, by their UTF-8 bytes (compareNames), not by JavaScript's UTF-16 code
 * units: the two differ for names with characters beyond U+FFFF, and a range whose ends were ordered the other way
 * round would miss objects.
 */

/** Names in [start, end); `end` undefined means to the end of the key space. */
export interface NameRange {
  start: string;
  end?: string;
}

/** Cloud Storage's order of object names: by their UTF-8 bytes. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const before = (a: string, b: string): boolean => compareNames(a, b) < 0;

/** True when `name` lies in the range. */
export function inRange(name: string, range: NameRange): boolean {
  return !before(name, range.start) && (range.end === undefined || before(name, range.end));
}

/**
 * Cut points inside a folder whose names are not known: the characters most uploaded names start with
 * (safeFilename keeps only `[A-Za-z0-9_.-]`, and most names are lower case or digits), in byte order. Any other
 * first character still falls in exactly one range; it only balances less well.
 */
const NAME_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * The first page (at most 1000 names) of a space's listing — a folder's, or the loose objects' when there is no
 * folder — which the plan's maker reads when there are too few folders to cut at. `complete`: the page held the
 * whole space.
 */
export interface SpaceSample {
  names: readonly string[];
  complete: boolean;
}

const CHARACTER_CLASSES = ['0123456789', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'];

/**
 * Where to cut a space of which only the first page is known: at the last character the page's names share (the
 * names after the page are likely to differ there: `IMG_0000`…`IMG_0999` → at `IMG_`), over that character's class
 * (digits, upper or lower case letters).
 */
function partialCuts(space: string, names: readonly string[]): { stem: string; alphabet: string } {
  const [first, last] = [names[0] ?? '', names.at(-1) ?? ''];
  let i = space.length;
  while (i < first.length && i < last.length && first[i] === last[i]) i += 1;
  const at = Math.max(space.length, i - 1);
  const c = first[at] ?? '';
  return {
    stem: first.slice(0, at),
    alphabet: CHARACTER_CLASSES.find((cls) => cls.includes(c)) ?? NAME_ALPHABET,
  };
}

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
 * per task — points inside each folder (and among loose objects) so that the tasks still get a share each: every
 * name of a space whose whole listing was sampled (the tasks then get equal counts), else characters where the
 * sampled names begin to differ (`IMG_…` folders are cut at `IMG_0`, `IMG_2`, …).
 */
export function cutPoints(
  prefix: string,
  folders: readonly string[],
  taskCount: number,
  samples: ReadonlyMap<string, SpaceSample> = new Map(),
): string[] {
  const cuts = new Set(folders);
  const spaces = folders.length < 2 * taskCount ? [prefix, ...folders] : [];
  const perSpace = Math.ceil((2 * taskCount) / Math.max(1, spaces.length));
  for (const space of spaces) {
    const sample = samples.get(space);
    if (sample?.complete) {
      for (const name of sample.names) cuts.add(name);
      continue;
    }
    const { stem, alphabet } =
      sample && sample.names.length > 0
        ? partialCuts(space, sample.names)
        : { stem: space, alphabet: NAME_ALPHABET };
    for (const c of evenly([...alphabet], perSpace)) cuts.add(stem + c);
  }
  return [...cuts].filter((cut) => before(prefix, cut)).sort(compareNames);
}

/** Removes [excluded, end of excluded) from a range: zero, one or two ranges remain. */
export function without(range: NameRange, excluded: string): NameRange[] {
  const excludedEnd = prefixEnd(excluded);
  const head = range.end === undefined || before(excluded, range.end) ? excluded : range.end;
  const out: NameRange[] = [];
  if (before(range.start, head)) out.push({ start: range.start, end: head });
  if (excludedEnd !== undefined && (range.end === undefined || before(excludedEnd, range.end))) {
    const start = before(excludedEnd, range.start) ? range.start : excludedEnd;
    out.push(range.end === undefined ? { start } : { start, end: range.end });
  }
  return out.filter((r) => r.end === undefined || before(r.start, r.end));
}

/**
 * The name ranges task `taskIndex` of `taskCount` lists under `prefix`, with everything under `excluded` cut out
 * (THUMBNAIL_PREFIX for the sources; the checkpoints' folder when listing THUMBNAIL_PREFIX itself).
 */
export function shardRanges(
  prefix: string,
  folders: readonly string[],
  taskIndex: number,
  taskCount: number,
  excluded: string,
  samples?: ReadonlyMap<string, SpaceSample>,
): NameRange[] {
  const inputs = folders.filter((folder) => !folder.startsWith(excluded));
  const cuts = cutPoints(prefix, inputs, taskCount, samples);
  const boundary = (i: number): string | undefined => {
    if (i <= 0) return prefix;
    if (i >= taskCount) return prefixEnd(prefix);
    return cuts[Math.floor((i * cuts.length) / taskCount)] ?? prefixEnd(prefix);
  };
  const start = boundary(taskIndex) ?? prefix;
  const end = boundary(taskIndex + 1);
  if (end !== undefined && !before(start, end)) return [];
  const range: NameRange = end === undefined ? { start } : { start, end };
  return excluded.startsWith(prefix) || prefix.startsWith(excluded) ? without(range, excluded) : [range];
}
