import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HTTP } from 'cloudevents';
import { assertValidEvent } from '../test/schemas.js';
import { EVENT_TYPES, toPubSubMessage, type Notice } from './notify.js';

const source = {
  bucket: 'local-bucket',
  name: '20251203T15Z/photo.jpg',
  generation: '1733241552345678',
  key: 'local-bucket/20251203T15Z/photo.jpg@1733241552345678',
};
const TIME = new Date('2025-12-03T15:59:13.000Z');

const notices: Notice[] = [
  {
    kind: 'ready',
    data: {
      ...source,
      renditions: [
        {
          rendition: 'thumb',
          uri: 'gs://local-bucket/thumbnails/20251203T15Z/20251203T15Z/photo.jpg.1733241552345678.jpg',
          width: 100,
          height: 75,
          bytes: 3120,
          contentType: 'image/jpeg',
        },
      ],
      thumbhash: '3OcRJYB4d3h/iIeHeEh3eIhw+j3A',
      dominantColor: '#a0b0c0',
      latencyMs: 412,
    },
  },
  { kind: 'failed', data: { ...source, code: 'corrupt_image', reason: 'The image could not be decoded.' } },
  { kind: 'removed', data: { ...source, removed: ['gs://local-bucket/thumbnails/x.jpg'] } },
];

describe('outgoing events', () => {
  for (const notice of notices) {
    it(`publishes ${notice.kind} as a binary-mode CloudEvent whose data matches its JSON Schema`, () => {
      const { data, attributes } = toPubSubMessage(notice, TIME);
      const type = EVENT_TYPES[notice.kind];
      assert.deepEqual(attributes, {
        'ce-specversion': '1.0',
        'ce-id': `${source.key}/${type}`,
        'ce-type': type,
        'ce-source': '//storage.googleapis.com/projects/_/buckets/local-bucket',
        'ce-subject': 'objects/20251203T15Z/photo.jpg',
        'ce-time': '2025-12-03T15:59:13.000Z',
        'content-type': 'application/json',
      });
      const body: unknown = JSON.parse(data.toString());
      assert.deepEqual(body, notice.data);
      assertValidEvent(type, body);
      // The same attributes read back as a CloudEvent by the SDK (its HTTP binary binding has the same rules).
      const event = HTTP.toEvent({
        headers: Object.fromEntries(Object.entries(attributes)),
        body: data.toString(),
      });
      assert.ok(!Array.isArray(event) && event.id === `${source.key}/${type}`);
    });
  }

  it('gives the same id to every publication for one generation and type, so consumers can dedupe', () => {
    const first = toPubSubMessage(notices[0]!, TIME);
    const again = toPubSubMessage(notices[0]!, new Date(TIME.getTime() + 60_000));
    assert.equal(first.attributes['ce-id'], again.attributes['ce-id']);
    assert.notEqual(first.attributes['ce-time'], again.attributes['ce-time']);
  });

  it('refuses data that breaks its schema (the validator the integration tests use can fail)', () => {
    assert.throws(
      () => assertValidEvent(EVENT_TYPES.ready, { ...notices[0]!.data, dominantColor: 'red' }),
      /dominantColor/,
    );
    assert.throws(
      () => assertValidEvent(EVENT_TYPES.failed, { ...source, code: 'gone', reason: 'x' }),
      /code/,
    );
  });
});
