import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventError } from './errors.js';
import {
  FINALIZED,
  MESSAGE_PUBLISHED,
  parseHttpEvent,
  parseNotification,
  type ObjectEvent,
} from './events.js';

// Real-shaped fixtures: a production notification (JSON_API_V1 payload with string generation) and the
// emulator's (generation as a number), and the CloudEvents Eventarc sends for both kinds.
const BUCKET = 'local-bucket';
const NAME = '20251203T15Z/photo.jpg';
const GENERATION = '1733241552345678';
const EVENT_TIME = '2025-12-03T15:59:12.345678Z';

const attributes = {
  bucketId: BUCKET,
  eventTime: EVENT_TIME,
  eventType: 'OBJECT_FINALIZE',
  notificationConfig: `projects/_/buckets/${BUCKET}/notificationConfigs/1`,
  objectGeneration: GENERATION,
  objectId: NAME,
  payloadFormat: 'JSON_API_V1',
};

const resource = {
  kind: 'storage#object',
  id: `${BUCKET}/${NAME}/${GENERATION}`,
  name: NAME,
  bucket: BUCKET,
  generation: GENERATION,
  metageneration: '1',
  contentType: 'image/jpeg',
  timeCreated: '2025-12-03T15:59:12.345Z',
  updated: '2025-12-03T15:59:12.345Z',
  storageClass: 'STANDARD',
  size: '48213',
  md5Hash: 'XrY7u+Ae7tCTyyK7j1rNww==',
  crc32c: 'yZRlqg==',
  etag: 'CM7Zx5/v8YkDEAE=',
};

const base64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

const pushBody = {
  message: {
    attributes,
    data: base64(resource),
    messageId: '13172418853712345',
    message_id: '13172418853712345',
    publishTime: '2025-12-03T15:59:13.001Z',
  },
  subscription: 'projects/local-project/subscriptions/thumbnailer',
};

const expected: ObjectEvent = {
  via: 'cloudevent',
  kind: 'finalize',
  bucket: BUCKET,
  name: NAME,
  generation: GENERATION,
  eventTime: new Date(EVENT_TIME),
  object: { size: 48213, contentType: 'image/jpeg', timeCreated: new Date('2025-12-03T15:59:12.345Z') },
};

const binaryHeaders = (type: string, source: string) => ({
  'ce-id': '7170735932345678',
  'ce-source': source,
  'ce-specversion': '1.0',
  'ce-type': type,
  'ce-subject': `objects/${NAME}`,
  'ce-time': EVENT_TIME,
  'content-type': 'application/json',
});

const STORAGE_SOURCE = `//storage.googleapis.com/projects/_/buckets/${BUCKET}`;
const PUBSUB_SOURCE = '//pubsub.googleapis.com/projects/local-project/topics/gcs-notifications';

const structured = (type: string, source: string, data: unknown) =>
  JSON.stringify({
    specversion: '1.0',
    id: '7170735932345678',
    source,
    type,
    subject: `objects/${NAME}`,
    time: EVENT_TIME,
    datacontenttype: 'application/json',
    data,
  });

describe('parseHttpEvent', () => {
  const accepted: {
    name: string;
    headers: Record<string, string>;
    body: string;
    expect: Partial<ObjectEvent>;
  }[] = [
    {
      name: 'a binary-mode storage finalized CloudEvent',
      headers: binaryHeaders(FINALIZED, STORAGE_SOURCE),
      body: JSON.stringify(resource),
      expect: expected,
    },
    {
      name: 'a structured-mode storage finalized CloudEvent',
      headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
      body: structured(FINALIZED, STORAGE_SOURCE, resource),
      expect: expected,
    },
    {
      name: 'a structured-mode CloudEvent whose content type is written in capitals',
      headers: { 'content-type': 'application/cloudevents+json; charset=UTF-8' },
      body: structured(FINALIZED, STORAGE_SOURCE, resource),
      expect: expected,
    },
    {
      name: 'a finalized CloudEvent naming the object file_name with a numeric generation',
      headers: binaryHeaders(FINALIZED, STORAGE_SOURCE),
      body: JSON.stringify({ bucket: BUCKET, file_name: NAME, generation: 1733241552345678 }),
      expect: { kind: 'finalize', name: NAME, generation: GENERATION, object: {} },
    },
    {
      name: 'a binary-mode messagePublished CloudEvent wrapping a notification',
      headers: binaryHeaders(MESSAGE_PUBLISHED, PUBSUB_SOURCE),
      body: JSON.stringify(pushBody),
      expect: expected,
    },
    {
      name: 'a structured-mode messagePublished CloudEvent wrapping a notification',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: structured(MESSAGE_PUBLISHED, PUBSUB_SOURCE, pushBody),
      expect: expected,
    },
    {
      name: 'a plain Pub/Sub push body',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(pushBody),
      expect: { ...expected, via: 'push' },
    },
    {
      name: 'a storage deleted CloudEvent, as a non-finalize event',
      headers: binaryHeaders('google.cloud.storage.object.v1.deleted', STORAGE_SOURCE),
      body: JSON.stringify(resource),
      expect: { kind: 'delete', name: NAME },
    },
  ];
  for (const { name, headers, body, expect } of accepted) {
    it(`reads ${name}`, () => {
      const event = parseHttpEvent({ headers, body });
      for (const [key, value] of Object.entries(expect)) {
        assert.deepEqual(event[key as keyof ObjectEvent], value, key);
      }
    });
  }

  const refused: { name: string; headers: Record<string, string>; body: string; message: RegExp }[] = [
    {
      name: 'an empty body',
      headers: { 'content-type': 'application/json' },
      body: '',
      message: /empty body/,
    },
    { name: 'a body that is not JSON', headers: {}, body: 'hello', message: /neither a CloudEvent/ },
    { name: 'JSON without a message', headers: {}, body: '{"foo":1}', message: /no message object/ },
    {
      name: 'a push body whose message has no attributes',
      headers: {},
      body: JSON.stringify({ message: { data: base64(resource) } }),
      message: /no string attributes/,
    },
    {
      name: 'a push body without objectId',
      headers: {},
      body: JSON.stringify({ message: { attributes: { ...attributes, objectId: undefined } } }),
      message: /objectId/,
    },
    {
      name: 'a push body with a generation that is not a number',
      headers: {},
      body: JSON.stringify({ message: { attributes: { ...attributes, objectGeneration: 'latest' } } }),
      message: /objectGeneration/,
    },
    {
      name: 'a finalized CloudEvent without data.bucket',
      headers: binaryHeaders(FINALIZED, STORAGE_SOURCE),
      body: JSON.stringify({ name: NAME, generation: GENERATION }),
      message: /data\.bucket/,
    },
    {
      name: 'a finalized CloudEvent with a generation above int64 (no object can have it)',
      headers: binaryHeaders(FINALIZED, STORAGE_SOURCE),
      body: JSON.stringify({ bucket: BUCKET, name: NAME, generation: '99999999999999999999' }),
      message: /data\.generation/,
    },
    {
      name: 'a push body with a generation one above int64',
      headers: {},
      body: JSON.stringify({
        message: { attributes: { ...attributes, objectGeneration: '9223372036854775808' } },
      }),
      message: /objectGeneration/,
    },
    {
      name: 'a finalized CloudEvent with generation 0',
      headers: binaryHeaders(FINALIZED, STORAGE_SOURCE),
      body: JSON.stringify({ bucket: BUCKET, name: NAME, generation: 0 }),
      message: /data\.generation/,
    },
    {
      name: 'a CloudEvent of a type the worker does not handle',
      headers: binaryHeaders('com.example.something', '//example'),
      body: '{}',
      message: /is not handled/,
    },
    {
      name: 'a structured CloudEvent that is not JSON',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: '{not json',
      message: /CloudEvent could not be read/,
    },
  ];
  for (const { name, headers, body, message } of refused) {
    it(`refuses ${name} with an EventError saying why`, () => {
      assert.throws(
        () => parseHttpEvent({ headers, body }),
        (err: unknown) => err instanceof EventError && message.test(err.message),
      );
    });
  }
});

describe('parseNotification', () => {
  it('takes identity from the attributes and hints from a JSON_API_V1 payload with a numeric generation', () => {
    const emulatorPayload = Buffer.from(JSON.stringify({ ...resource, generation: Number(GENERATION) }));
    const event = parseNotification(attributes, emulatorPayload, 'pull');
    assert.deepEqual(event, { ...expected, via: 'pull' });
  });

  it('accepts a payload-less (NONE) notification and falls back to the publish time', () => {
    const publishTime = new Date('2025-12-03T16:00:00Z');
    const { eventTime: _, ...noTime } = attributes;
    const event = parseNotification(
      { ...noTime, payloadFormat: 'NONE' },
      Buffer.alloc(0),
      'pull',
      publishTime,
    );
    assert.deepEqual(event, { ...expected, via: 'pull', eventTime: publishTime, object: {} });
  });

  it('takes the payload timeCreated as the event time when the eventTime attribute is only second-precise', () => {
    const truncated = { ...attributes, eventTime: '2025-12-03T15:59:12Z' };
    const event = parseNotification(truncated, base64(resource), 'pull');
    assert.deepEqual(event.eventTime, new Date(resource.timeCreated));
  });

  it('ignores a payload naming another object, keeping the attributes', () => {
    const other = Buffer.from(JSON.stringify({ ...resource, name: 'other.jpg', size: '0' }));
    const event = parseNotification(attributes, other, 'pull');
    assert.equal(event.name, NAME);
    assert.deepEqual(event.object, {});
  });

  it('keeps custom metadata from the payload, so thumbnails are recognised early', () => {
    const payload = Buffer.from(JSON.stringify({ ...resource, metadata: { thumbnailOf: 'gs://b/o' } }));
    assert.deepEqual(parseNotification(attributes, payload, 'pull').object.metadata, {
      thumbnailOf: 'gs://b/o',
    });
  });

  it('normalises the other notification kinds', () => {
    for (const [eventType, kind] of [
      ['OBJECT_DELETE', 'delete'],
      ['OBJECT_ARCHIVE', 'archive'],
      ['OBJECT_METADATA_UPDATE', 'metadata_update'],
      ['SOMETHING_NEW', 'other'],
    ]) {
      assert.equal(parseNotification({ ...attributes, eventType }, undefined, 'pull').kind, kind);
    }
  });
});
