/**
 * Every input (Pub/Sub pull, CloudEvents binary/structured, plain Pub/Sub push) becomes one ObjectEvent.
 * The cloudevents SDK does the transport part (HTTP.toEvent); type and field checks are ours, with one
 * error shape: EventError('malformed_event' | 'unsupported_event', '<what> <why>').
 */
import { HTTP, type CloudEventV1 } from 'cloudevents';
import { EventError } from './errors.js';
import { isGeneration, isNonEmptyString, isPlainObject, isString, isStringRecord } from './guards.js';

export type EventSource = 'pull' | 'cloudevent' | 'push' | 'backfill';

export interface ObjectEvent {
  via: EventSource;
  /** The storage event kind, normalised: 'finalize', or another kind that is never processed. */
  kind: 'finalize' | 'delete' | 'archive' | 'metadata_update' | 'other';
  bucket: string;
  name: string;
  /** Decimal string. */
  generation: string;
  /** When the event happened (event time, else publish time); for the latency log field. */
  eventTime: Date | undefined;
  object: ObjectHints;
}

/**
 * What the event itself says about the object, when it carries the object resource (a JSON_API_V1 payload, an
 * Eventarc storage payload, a backfill listing). With `timeCreated` known the pipeline needs no metadata read.
 */
export interface ObjectHints {
  size?: number;
  contentType?: string;
  metadata?: Record<string, string>;
  timeCreated?: Date;
}

export const FINALIZED = 'google.cloud.storage.object.v1.finalized';
export const MESSAGE_PUBLISHED = 'google.cloud.pubsub.topic.v1.messagePublished';
const STORAGE_EVENT_PREFIX = 'google.cloud.storage.object.v1.';

const NOTIFICATION_KINDS: Record<string, ObjectEvent['kind']> = {
  OBJECT_FINALIZE: 'finalize',
  OBJECT_DELETE: 'delete',
  OBJECT_ARCHIVE: 'archive',
  OBJECT_METADATA_UPDATE: 'metadata_update',
};

const CLOUDEVENT_KINDS: Record<string, ObjectEvent['kind']> = {
  [FINALIZED]: 'finalize',
  [`${STORAGE_EVENT_PREFIX}deleted`]: 'delete',
  [`${STORAGE_EVENT_PREFIX}archived`]: 'archive',
  [`${STORAGE_EVENT_PREFIX}metadataUpdated`]: 'metadata_update',
};

function malformed(what: string, why: string): EventError {
  return new EventError('malformed_event', `${what} ${why}`);
}

function date(value: unknown): Date | undefined {
  if (!isNonEmptyString(value) && !(value instanceof Date)) return undefined;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

/** The optional facts an object resource (JSON_API_V1 payload, CloudEvent data) carries; wrong types ignored. */
function hints(resource: Record<string, unknown>): ObjectHints {
  const out: ObjectHints = {};
  const size = typeof resource.size === 'string' ? Number(resource.size) : resource.size;
  if (typeof size === 'number' && Number.isSafeInteger(size) && size >= 0) out.size = size;
  if (isNonEmptyString(resource.contentType)) out.contentType = resource.contentType;
  if (isStringRecord(resource.metadata)) out.metadata = resource.metadata;
  const created = date(resource.timeCreated);
  if (created) out.timeCreated = created;
  return out;
}

function bytes(data: unknown): Buffer | undefined {
  if (data === undefined || data === null) return undefined;
  if (Buffer.isBuffer(data)) return data;
  if (isString(data)) return Buffer.from(data, 'base64');
  // The SDK hands structured-mode `data_base64` over as a typed array with one byte per element.
  if (ArrayBuffer.isView(data)) return Buffer.from(Array.from(data as unknown as ArrayLike<number>));
  return undefined;
}

/**
 * A Cloud Storage Pub/Sub notification: the attributes are the source of truth; a JSON_API_V1 payload only adds
 * hints (size, contentType, metadata) when it parses and names the same object.
 */
export function parseNotification(
  attributes: unknown,
  data: unknown,
  via: EventSource,
  publishTime?: Date,
): ObjectEvent {
  const what = 'Pub/Sub message';
  if (!isStringRecord(attributes)) throw malformed(what, 'has no string attributes');
  const { eventType, bucketId, objectId, objectGeneration } = attributes;
  if (!isNonEmptyString(eventType)) throw malformed(what, 'has no eventType attribute');
  if (!isNonEmptyString(bucketId)) throw malformed(what, 'has no bucketId attribute');
  if (!isNonEmptyString(objectId)) throw malformed(what, 'has no objectId attribute');
  if (!isGeneration(objectGeneration)) throw malformed(what, 'has no valid objectGeneration attribute');

  let object: ObjectHints = {};
  const payload = attributes.payloadFormat === 'JSON_API_V1' ? bytes(data) : undefined;
  if (payload && payload.length > 0) {
    try {
      const resource: unknown = JSON.parse(payload.toString('utf8'));
      if (isPlainObject(resource) && resource.name === objectId && resource.bucket === bucketId) {
        object = hints(resource);
      }
    } catch {
      // The attributes are enough; a payload that does not parse adds nothing.
    }
  }
  return {
    via,
    kind: NOTIFICATION_KINDS[eventType] ?? 'other',
    bucket: bucketId,
    name: objectId,
    generation: String(objectGeneration),
    eventTime: latest(date(attributes.eventTime), object.timeCreated) ?? publishTime,
    object,
  };
}

/**
 * The later of two times that both precede the event: the eventTime attribute and the object's timeCreated.
 * fake-gcs-server writes eventTime to the second, so there timeCreated is the closer one.
 */
function latest(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  return a.getTime() >= b.getTime() ? a : b;
}

/** A Pub/Sub push body, or a messagePublished CloudEvent's data: `{ message: { attributes, data, … }, subscription }`. */
export function parsePushBody(body: unknown, via: EventSource): ObjectEvent {
  if (!isPlainObject(body) || !isPlainObject(body.message)) {
    throw malformed('Pub/Sub push body', 'has no message object');
  }
  const { attributes, data, publishTime, publish_time } = body.message;
  return parseNotification(attributes, data, via, date(publishTime ?? publish_time));
}

/** A `google.cloud.storage.object.v1.*` CloudEvent's data: `{ bucket, name | file_name, generation }`. */
function parseStorageData(type: string, data: unknown, time: Date | undefined): ObjectEvent {
  const what = `CloudEvent ${type}`;
  let resource = data;
  if (isString(resource) || Buffer.isBuffer(resource)) {
    try {
      resource = JSON.parse(resource.toString());
    } catch {
      throw malformed(what, 'has data that is not JSON');
    }
  }
  if (!isPlainObject(resource)) throw malformed(what, 'has no data object');
  const name = resource.name ?? resource.file_name;
  if (!isNonEmptyString(resource.bucket)) throw malformed(what, 'has no data.bucket');
  if (!isNonEmptyString(name)) throw malformed(what, 'has no data.name');
  if (!isGeneration(resource.generation)) throw malformed(what, 'has no valid data.generation');
  return {
    via: 'cloudevent',
    kind: CLOUDEVENT_KINDS[type] ?? 'other',
    bucket: resource.bucket,
    name,
    generation: String(resource.generation),
    eventTime: time ?? date(resource.timeCreated),
    object: hints(resource),
  };
}

/** A parsed CloudEvent → ObjectEvent, or EventError for types we do not handle and missing fields. */
export function fromCloudEvent(event: CloudEventV1<unknown>): ObjectEvent {
  const { type } = event;
  if (!isNonEmptyString(type)) throw malformed('CloudEvent', 'has no type');
  const time = date(event.time);
  if (type === MESSAGE_PUBLISHED) {
    let data = event.data;
    if (isString(data)) {
      try {
        data = JSON.parse(data);
      } catch {
        throw malformed(`CloudEvent ${type}`, 'has data that is not JSON');
      }
    }
    const parsed = parsePushBody(data, 'cloudevent');
    return { ...parsed, eventTime: parsed.eventTime ?? time };
  }
  if (type.startsWith(STORAGE_EVENT_PREFIX)) return parseStorageData(type, event.data, time);
  throw new EventError('unsupported_event', `CloudEvent type ${JSON.stringify(type)} is not handled`);
}

export interface HttpMessage {
  headers: Record<string, string | string[] | undefined>;
  /** The raw request body. */
  body: string;
}

function hasCloudEventHeaders(headers: HttpMessage['headers']): boolean {
  const contentType = headers['content-type'];
  return (
    headers['ce-id'] !== undefined ||
    (isString(contentType) && contentType.toLowerCase().startsWith('application/cloudevents'))
  );
}

/** `POST /event`: a CloudEvent (binary or structured mode) or a plain Pub/Sub push body. */
export function parseHttpEvent(message: HttpMessage): ObjectEvent {
  if (message.body.trim() === '' && !message.headers['ce-id'])
    throw malformed('request', 'has an empty body');
  if (hasCloudEventHeaders(message.headers)) {
    let parsed: CloudEventV1<unknown> | CloudEventV1<unknown>[];
    try {
      // The SDK picks its body parser by the exact content-type string; media types are case-insensitive.
      const contentType = message.headers['content-type'];
      const headers = isString(contentType)
        ? { ...message.headers, 'content-type': contentType.toLowerCase() }
        : message.headers;
      parsed = HTTP.toEvent<unknown>({ headers, body: message.body });
    } catch (err) {
      throw new EventError('malformed_event', `CloudEvent could not be read: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (Array.isArray(parsed))
      throw new EventError('unsupported_event', 'CloudEvent batches are not handled');
    return fromCloudEvent(parsed);
  }
  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch {
    throw malformed('request', 'is neither a CloudEvent nor a JSON Pub/Sub push body');
  }
  return parsePushBody(body, 'push');
}
