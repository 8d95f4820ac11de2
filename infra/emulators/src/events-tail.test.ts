import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatEvent } from './events-tail.js';

const publishTime = new Date('2025-12-03T15:00:01.000Z');

describe('formatEvent', () => {
  it('shows the event time, type, id and the data as compact JSON on one line', () => {
    const line = formatEvent({
      attributes: {
        'ce-time': '2025-12-03T15:00:00.000Z',
        'ce-type': 'dev.thumbnailer.renditions.v1.ready',
        'ce-id': 'b/a.png@1/dev.thumbnailer.renditions.v1.ready',
      },
      data: Buffer.from('{\n  "key": "b/a.png@1"\n}'),
      publishTime,
    });
    assert.equal(
      line,
      '2025-12-03T15:00:00.000Z  dev.thumbnailer.renditions.v1.ready  b/a.png@1/dev.thumbnailer.renditions.v1.ready  {"key":"b/a.png@1"}',
    );
  });

  it('falls back to the publish time, says what is missing, and shows data that is not JSON as text', () => {
    const line = formatEvent({
      attributes: {},
      data: Buffer.from('plain text'),
      publishTime,
    });
    assert.equal(line, '2025-12-03T15:00:01.000Z  (no ce-type)  (no ce-id)  plain text');
  });
});
