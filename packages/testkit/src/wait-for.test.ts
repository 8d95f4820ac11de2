import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from './wait-for.js';

describe('waitFor', () => {
  it('returns the first truthy value, polling until it appears', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? `ready after ${calls}` : undefined), { intervalMs: 1 });
    assert.equal(value, 'ready after 3');
  });

  it('awaits promises and treats rejections as not yet', async () => {
    let calls = 0;
    const value = await waitFor(
      () => {
        calls += 1;
        return calls < 3 ? Promise.reject(new Error('not yet')) : Promise.resolve({ ok: true });
      },
      { intervalMs: 1 },
    );
    assert.deepEqual(value, { ok: true });
  });

  it('gives up with the message and the last error as cause', async () => {
    const last = new Error('still broken');
    await assert.rejects(
      waitFor(
        () => {
          throw last;
        },
        { timeoutMs: 20, intervalMs: 5, message: 'the widget' },
      ),
      (err: Error) => {
        assert.match(err.message, /waiting for the widget/);
        assert.match(err.message, /still broken/);
        assert.equal(err.cause, last);
        return true;
      },
    );
  });

  it('says the result stayed falsy when nothing threw', async () => {
    await assert.rejects(
      waitFor(() => 0, { timeoutMs: 10, intervalMs: 2 }),
      /last result was falsy/,
    );
  });
});
