import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, ImageError, TransientError } from '@thumbnailer/core';
import { EventError } from './errors.js';
import { deliveryOf, errorOutcome, eventHttpStatus, logOutcome, responseBody } from './outcomes.js';

describe('errorOutcome', () => {
  const cases: { name: string; err: unknown; status: number; ack: boolean; body: object }[] = [
    {
      name: 'an unusable event is a 400 error, acked once',
      err: new EventError('malformed_event', 'request has an empty body'),
      status: 400,
      ack: true,
      body: { status: 'error', error: 'request has an empty body' },
    },
    {
      name: 'an image refusal is a permanent skip, acked once',
      err: new ImageError('pixel_limit', 'too many pixels'),
      status: 200,
      ack: true,
      body: { status: 'skipped', reason: 'pixel_limit: too many pixels' },
    },
    {
      name: 'storage being unavailable is a 503 retry, nacked',
      err: new TransientError('storage_unavailable', 'storage unavailable'),
      status: 503,
      ack: false,
      body: { status: 'retry', error: 'storage unavailable' },
    },
    {
      name: 'shutting down is a 503 retry, nacked',
      err: new TransientError('shutting_down', 'the worker is shutting down'),
      status: 503,
      ack: false,
      body: { status: 'retry', error: 'the worker is shutting down' },
    },
    {
      name: 'a permission storage refuses is a 503 retry, nacked (the deployment can fix it; nothing is dropped)',
      err: new TransientError('storage_forbidden', 'Cloud Storage refused the write'),
      status: 503,
      ack: false,
      body: { status: 'retry', error: 'Cloud Storage refused the write' },
    },
    {
      name: 'an unexpected error is retried rather than dropped',
      err: new TypeError('boom'),
      status: 503,
      ack: false,
      body: { status: 'retry', error: 'unexpected failure: boom' },
    },
    {
      name: 'a body the parser refused (413) is a 400 error',
      err: Object.assign(new Error('request entity too large'), { status: 413 }),
      status: 400,
      ack: true,
      body: { status: 'error', error: 'request entity too large' },
    },
  ];
  for (const { name, err, status, ack, body } of cases) {
    it(name, () => {
      const outcome = errorOutcome(err, 'b/o@1');
      assert.equal(eventHttpStatus(outcome), status);
      assert.equal(deliveryOf(outcome) === 'settled', ack);
      assert.deepEqual(responseBody(outcome), body);
    });
  }
});

describe('logOutcome', () => {
  function capture() {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      service: 'worker',
      destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    return { lines, logger };
  }

  it('logs a permanent refusal as a warning carrying its key and reason', () => {
    const { lines, logger } = capture();
    logOutcome(logger, {
      status: 'skipped',
      reason: 'corrupt_image: cut',
      code: 'corrupt_image',
      key: 'b/o@1',
      permanent: true,
    });
    assert.equal(lines[0]?.severity, 'WARNING');
    assert.equal(lines[0]?.key, 'b/o@1');
    assert.equal(lines[0]?.reason, 'corrupt_image: cut');
  });

  it("logs a thumbnail's own event as an ordinary skip", () => {
    const { lines, logger } = capture();
    logOutcome(logger, {
      status: 'skipped',
      reason: 'a thumbnail',
      code: 'thumbnail',
      key: 'b/thumbnails/x@1',
    });
    assert.equal(lines[0]?.severity, 'INFO');
    assert.equal(lines[0]?.message, 'event skipped: a thumbnail');
  });
});
