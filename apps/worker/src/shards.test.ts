import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareNames,
  cutPoints,
  inRange,
  prefixEnd,
  shardRanges,
  without,
  type NameRange,
} from './shards.js';

/** The folders a delimiter listing under `prefix` would return for these names. */
function foldersOf(names: string[], prefix: string): string[] {
  const folders = new Set<string>();
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const slash = name.indexOf('/', prefix.length);
    if (slash >= 0) folders.add(name.slice(0, slash + 1));
  }
  return [...folders].sort();
}

/** A deterministic pseudo-random bucket: hour folders of varied sizes, one huge folder, loose objects, outputs. */
function bucketNames(): string[] {
  let seed = 7;
  const next = () => (seed = (seed * 48271) % 2147483647);
  const pick = (chars: string) => chars[next() % chars.length]!;
  const file = () =>
    Array.from({ length: 3 + (next() % 8) }, () => pick('abcdefghijklmnopqrstuvwxyzABC0123456789_-.')).join(
      '',
    );
  const names = new Set<string>();
  for (let h = 0; h < 30; h++)
    for (let i = 0; i < next() % 20; i++)
      names.add(
        `202512${String(1 + (h % 28)).padStart(2, '0')}T${String(h % 24).padStart(2, '0')}Z/${file()}.jpg`,
      );
  for (let i = 0; i < 400; i++) names.add(`20251203T15Z/${file()}.png`);
  for (let i = 0; i < 25; i++) names.add(`${file()}.jpg`);
  for (let i = 0; i < 40; i++) names.add(`thumbnails/20251203T15Z/${file()}.jpg`);
  names.add('zzz-last.jpg');
  names.add('0-first.jpg');
  return [...names].sort();
}

describe('shardRanges', () => {
  const names = bucketNames();
  for (const [prefix, label] of [
    ['', 'the whole bucket'],
    ['20251203T15Z/', 'one huge folder of loose objects'],
  ] as const) {
    for (const taskCount of [1, 2, 3, 4, 7]) {
      it(`puts every input object of ${label} in exactly one of ${taskCount} shards, and no thumbnail in any`, () => {
        const folders = foldersOf(names, prefix);
        const shards = Array.from({ length: taskCount }, (_, i) =>
          shardRanges(prefix, folders, i, taskCount, 'thumbnails/'),
        );
        for (const name of names.filter((n) => n.startsWith(prefix))) {
          const owners = shards.filter((ranges) => ranges.some((r) => inRange(name, r))).length;
          assert.equal(owners, name.startsWith('thumbnails/') ? 0 : 1, name);
        }
        for (const ranges of shards)
          for (const r of ranges) assert.ok(r.start >= prefix, `${JSON.stringify(r)} stays under ${prefix}`);
      });
    }
  }

  it('spreads one huge folder over the tasks instead of giving it to one', () => {
    const prefix = '20251203T15Z/';
    const huge = names.filter((n) => n.startsWith(prefix));
    const counts = [0, 1, 2, 3].map(
      (i) =>
        huge.filter((n) => shardRanges(prefix, [], i, 4, 'thumbnails/').some((r) => inRange(n, r))).length,
    );
    assert.ok(Math.min(...counts) > 0, `every task gets a share: ${counts.join(', ')}`);
  });

  it('cuts the checkpoints folder out when it lists the thumbnail prefix itself', () => {
    const folders = ['thumbnails/.backfill/', 'thumbnails/20251203T15Z/', 'thumbnails/20251204T09Z/'];
    const ranges = [0, 1].flatMap((i) => shardRanges('thumbnails/', folders, i, 2, 'thumbnails/.backfill/'));
    assert.ok(!ranges.some((r) => inRange('thumbnails/.backfill/local/x/task-0.json', r)));
    for (const name of [
      'thumbnails/20251203T15Z/a.jpg',
      'thumbnails/20251204T09Z/b.jpg',
      'thumbnails/.claims/c',
    ])
      assert.equal(ranges.filter((r) => inRange(name, r)).length, 1, name);
  });

  it('orders folders as Cloud Storage does (UTF-8 bytes), so names beyond U+FFFF stay in exactly one shard', () => {
    // U+1F600 is a surrogate pair in UTF-16 (0xD83D…), which sorts below U+FF5E there but above it in UTF-8; with
    // these folders two of the three tasks' boundaries fall on such names.
    const folders = ['a/', 'b/', '\u{1F600}/', '\u{1F601}/', '\uFF5E/', '\uFF5F/'];
    const names = [...folders.map((f) => `${f}x.jpg`), 'loose.jpg'];
    const shards = [0, 1, 2].map((i) => shardRanges('', folders, i, 3, 'thumbnails/'));
    // How Cloud Storage answers a listing of [start, end): by the names' UTF-8 bytes.
    const bytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    const listed = (name: string, r: NameRange) =>
      bytes(name, r.start) >= 0 && (r.end === undefined || bytes(name, r.end) < 0);
    for (const name of names)
      assert.equal(shards.filter((ranges) => ranges.some((r) => listed(name, r))).length, 1, name);
    assert.ok(compareNames('\uFF5E', '\u{1F600}') < 0);
  });

  it('cuts a sampled folder by its names, so that the tasks get equal counts', () => {
    const prefix = '20251203T15Z/';
    const names = Array.from({ length: 50 }, (_, i) => `${prefix}${String(i).padStart(2, '0')}.jpg`);
    const samples = new Map([[prefix, { names, complete: true }]]);
    const counts = [0, 1, 2].map(
      (i) =>
        names.filter((n) => shardRanges(prefix, [], i, 3, 'thumbnails/', samples).some((r) => inRange(n, r)))
          .length,
    );
    assert.deepEqual(counts.sort(), [16, 17, 17]);
  });

  it('cuts a folder sampled in part after what its names have in common (IMG_0…, IMG_2…)', () => {
    const prefix = 'camera/';
    const page = Array.from({ length: 1000 }, (_, i) => `${prefix}IMG_${String(i).padStart(4, '0')}.JPG`);
    const samples = new Map([[prefix, { names: page, complete: false }]]);
    const all = Array.from({ length: 10_000 }, (_, i) => `${prefix}IMG_${String(i).padStart(4, '0')}.JPG`);
    const counts = [0, 1, 2, 3].map(
      (i) =>
        all.filter((n) => shardRanges(prefix, [], i, 4, 'thumbnails/', samples).some((r) => inRange(n, r)))
          .length,
    );
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      all.length,
    );
    for (const count of counts)
      assert.ok(count >= 1000, `every task gets a real share: ${counts.join(', ')}`);
  });

  it('gives nothing to list when the input folder is under the thumbnail prefix', () => {
    assert.deepEqual(shardRanges('thumbnails/20251203T15Z/', [], 0, 1, 'thumbnails/'), []);
  });
});

describe('name range helpers', () => {
  it('finds the first name after a prefix', () => {
    assert.equal(prefixEnd('thumbnails/'), 'thumbnails0');
    assert.equal(prefixEnd(''), undefined);
  });

  it('cuts a range around an excluded prefix', () => {
    assert.deepEqual(without({ start: 'a' }, 't/'), [{ start: 'a', end: 't/' }, { start: 't0' }]);
    assert.deepEqual(without({ start: 'a', end: 'm' }, 't/'), [{ start: 'a', end: 'm' }]);
    assert.deepEqual(without({ start: 't/a', end: 't/z' }, 't/'), []);
  });

  it('cuts at folder starts only when there are enough folders', () => {
    const folders = Array.from({ length: 10 }, (_, i) => `f${i}/`);
    assert.deepEqual(cutPoints('', folders, 2), folders);
    assert.ok(cutPoints('', folders.slice(0, 1), 4).length >= 8);
  });
});
