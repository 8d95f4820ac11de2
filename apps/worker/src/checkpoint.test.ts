import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultRenditions, parseRenditions } from '@thumbnailer/core';
import { emptyTally, isCheckpoint, isPlan, newPlan, runKey, Watermark } from './checkpoint.js';

describe('Watermark', () => {
  it('stays at the last name before the first one still in flight, whatever order work finishes in', () => {
    const w = new Watermark();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => w.add(name)) as [number, number, number, number];
    assert.equal(w.value, undefined);
    w.settle(b);
    w.settle(d);
    assert.equal(w.value, undefined, 'a is still in flight');
    w.settle(a);
    assert.equal(w.value, 'b', 'c is still in flight');
    w.settle(c);
    assert.equal(w.value, 'd');
    assert.equal(w.pending, 0);
  });

  it('starts from a resumed watermark and keeps working past its compaction', () => {
    const w = new Watermark('k');
    assert.equal(w.value, 'k');
    const tickets = Array.from({ length: 5000 }, (_, i) => w.add(`n${String(i).padStart(5, '0')}`));
    for (const t of tickets.slice(0, 4000)) w.settle(t);
    assert.equal(w.value, 'n03999');
    for (const t of tickets.slice(4001)) w.settle(t);
    assert.equal(w.value, 'n03999', 'n04000 is in flight');
    w.settle(tickets[4000]!);
    assert.equal(w.value, 'n04999');
  });
});

describe('checkpoint shapes', () => {
  it('reads back what it writes, and treats anything damaged as absent', () => {
    const plan = newPlan([[{ start: '' }]]);
    assert.ok(isPlan(JSON.parse(JSON.stringify(plan))));
    const checkpoint = {
      version: 1,
      plan: plan.id,
      task: 0,
      phase: 'sources',
      watermark: 'a/b.jpg',
      complete: false,
      tally: emptyTally(),
      failed: [{ phase: 'sources', name: 'x.jpg', generation: '1' }],
      updated: new Date().toISOString(),
    };
    assert.ok(isCheckpoint(JSON.parse(JSON.stringify(checkpoint))));
    for (const damaged of [
      { ...checkpoint, version: 2 },
      { ...checkpoint, phase: 'other' },
      { ...checkpoint, tally: { ...checkpoint.tally, processed: -1 } },
      { ...checkpoint, failed: [{ name: 'x' }] },
      null,
      'text',
    ])
      assert.equal(isCheckpoint(damaged), false, JSON.stringify(damaged));
    assert.equal(isPlan({ ...plan, sources: [[{ end: 'x' }]] }), false);
  });

  it('names a different run when what the shares depend on changes', () => {
    const base = {
      bucket: 'b',
      prefix: '',
      taskCount: 4,
      thumbnailPrefix: 'thumbnails/',
      renditions: defaultRenditions(100),
      prune: false,
    };
    const key = runKey(base);
    assert.equal(runKey({ ...base }), key);
    for (const changed of [
      { taskCount: 5 },
      { prefix: 'old/' },
      { prune: true },
      { renditions: parseRenditions('thumb:100x100,card:400x300:cover:webp') },
    ])
      assert.notEqual(runKey({ ...base, ...changed }), key, JSON.stringify(changed));
  });
});
