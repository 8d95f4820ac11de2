import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPacer, rateLimiter } from './pacing.js';

/** A clock that only moves when the pacer sleeps. */
function fakeTime() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    clock: () => now,
    sleep: (ms: number) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
    sleeps,
    advance: (ms: number) => (now += ms),
  };
}

describe('createPacer', () => {
  it('pauses the whole task when storage pushes back, for a delay that doubles with each push-back in a row', async () => {
    const time = fakeTime();
    const pacer = createPacer({ ...time, random: () => 1 - Number.EPSILON, baseDelayMs: 1000 });
    await pacer.ready();
    assert.deepEqual(time.sleeps, [], 'no pause before any push-back');
    const pauses = [pacer.pushedBack(), pacer.pushedBack(), pacer.pushedBack()];
    assert.deepEqual(pauses, [1000, 2000, 4000]);
    assert.equal(pacer.paused, true);
    await pacer.ready();
    assert.equal(time.clock(), 4000, 'the next object starts when the longest pause is over');
    assert.equal(pacer.paused, false);
  });

  it('shortens the next pause as requests go through again, and never pauses longer than the bound', () => {
    const time = fakeTime();
    const pacer = createPacer({
      ...time,
      random: () => 1 - Number.EPSILON,
      baseDelayMs: 1000,
      maxDelayMs: 5000,
    });
    for (let i = 0; i < 10; i++) pacer.pushedBack();
    assert.equal(pacer.pushedBack(), 5000);
    for (let i = 0; i < 11; i++) pacer.succeeded();
    assert.equal(pacer.pushedBack(), 1000);
  });

  it('jitters pauses between half and all of the delay, so that tasks do not retry in step', () => {
    const time = fakeTime();
    assert.equal(createPacer({ ...time, random: () => 0 }).pushedBack(), 500);
  });
});

describe('rateLimiter', () => {
  it('starts at most MAX_RATE calls per second, spread over the second', async () => {
    const take = rateLimiter(20);
    const started = Date.now();
    const at: number[] = [];
    for (let i = 0; i < 6; i++) {
      await take();
      at.push(Date.now() - started);
    }
    // Six calls at 20/s need at least five gaps of 50 ms (a lower bound; no upper bound is asserted).
    assert.ok(at[5]! >= 240, `calls at ${at.join(', ')} ms`);
  });
});
