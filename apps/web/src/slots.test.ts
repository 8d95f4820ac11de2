import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, test } from 'node:test';
import { UploadSlots } from './slots.js';

/** Just what UploadSlots reads of a response: its state and its `close` event. */
function response(): ServerResponse & { close(): void } {
  const res = Object.assign(new EventEmitter(), { writableEnded: false, destroyed: false });
  return Object.assign(res, {
    close() {
      res.destroyed = true;
      res.emit('close');
    },
  }) as unknown as ServerResponse & { close(): void };
}

describe('UploadSlots', () => {
  test('grants up to its size at once and the next waiter when a holder closes', async () => {
    const slots = new UploadSlots(2);
    const [a, b, c] = [response(), response(), response()];
    assert.equal(await slots.acquire(a), true);
    assert.equal(await slots.acquire(b), true);
    const third = slots.acquire(c);
    assert.deepEqual([slots.inUse, slots.waiting], [2, 1]);
    a.close();
    assert.equal(await third, true);
    assert.deepEqual([slots.inUse, slots.waiting], [2, 0]);
    b.close();
    c.close();
    assert.deepEqual([slots.inUse, slots.waiting], [0, 0]);
  });

  test('drops a waiter that hangs up from the queue, so it never takes or leaks a slot', async () => {
    const slots = new UploadSlots(1);
    const holder = response();
    await slots.acquire(holder);
    const leavers = [response(), response(), response(), response()];
    const waits = leavers.map((res) => slots.acquire(res));
    for (const res of leavers) res.close();
    assert.deepEqual(await Promise.all(waits), [false, false, false, false]);
    assert.equal(slots.waiting, 0);
    holder.close();
    assert.equal(slots.inUse, 0);
    assert.equal(await slots.acquire(response()), true, 'the slot is free for the next upload');
  });

  test('refuses a response that already closed', async () => {
    const slots = new UploadSlots(1);
    const gone = response();
    gone.close();
    assert.equal(await slots.acquire(gone), false);
    assert.equal(slots.inUse, 0);
  });
});
