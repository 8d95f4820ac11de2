/**
 * Tells subscribers of EVENTS_TOPIC what became of each source generation: `ready` (every rendition exists),
 * `failed` (a real source refused for good) or `removed` (the generation is gone, and so are its renditions).
 *
 * Each is a CloudEvent in the Pub/Sub protocol binding, binary content mode: the context attributes travel as
 * `ce-*` message attributes (datacontenttype as `content-type`), the data is the JSON body. The event is built
 * with the cloudevents SDK, which validates it. `ce-id` is `<key>/<type>`: delivery is at least once (a worker
 * that dies between writing and publishing publishes on the redelivery) and consumers dedupe on the id.
 * The data shapes are JSON Schemas in ../schemas/.
 */
import type { PubSub, Topic } from '@google-cloud/pubsub';
import { TransientError, type ImageErrorCode } from '@thumbnailer/core';
import { CloudEvent } from 'cloudevents';

export const EVENT_TYPES = {
  ready: 'dev.thumbnailer.renditions.v1.ready',
  failed: 'dev.thumbnailer.renditions.v1.failed',
  removed: 'dev.thumbnailer.renditions.v1.removed',
} as const;

export type NoticeKind = keyof typeof EVENT_TYPES;

/** The source generation every event is about. */
export interface SourceRef {
  bucket: string;
  name: string;
  generation: string;
  key: string;
}

export interface RenditionRef {
  rendition: string;
  uri: string;
  width: number;
  height: number;
  bytes: number;
  contentType: string;
}

export interface ReadyData extends SourceRef {
  renditions: RenditionRef[];
  thumbhash: string;
  dominantColor: string;
  latencyMs: number;
}

export interface FailedData extends SourceRef {
  code: ImageErrorCode;
  reason: string;
}

export interface RemovedData extends SourceRef {
  removed: string[];
}

export type Notice =
  | { kind: 'ready'; data: ReadyData }
  | { kind: 'failed'; data: FailedData }
  | { kind: 'removed'; data: RemovedData };

export interface PubSubMessage {
  data: Buffer;
  attributes: Record<string, string>;
}

/** The CloudEvent for a notice, as one Pub/Sub message (binary content mode). */
export function toPubSubMessage(notice: Notice, time: Date): PubSubMessage {
  const { bucket, name, key } = notice.data;
  const type = EVENT_TYPES[notice.kind];
  const event = new CloudEvent<Notice['data']>({
    specversion: '1.0',
    id: `${key}/${type}`,
    type,
    source: `//storage.googleapis.com/projects/_/buckets/${bucket}`,
    subject: `objects/${name}`,
    time: time.toISOString(),
    datacontenttype: 'application/json',
    data: notice.data,
  });
  const attributes: Record<string, string> = {};
  for (const [attribute, value] of Object.entries(event)) {
    // Context attributes are strings once validated; data travels as the message body.
    if (typeof value !== 'string' || attribute === 'data_base64') continue;
    if (attribute === 'datacontenttype') attributes['content-type'] = value;
    else attributes[`ce-${attribute}`] = value;
  }
  return { data: Buffer.from(JSON.stringify(notice.data)), attributes };
}

export interface Notifier {
  /** Publishes the notice; a failure is transient (the delivery is retried, and publishes again). */
  publish(notice: Notice): Promise<void>;
  close(): Promise<void>;
}

/** Publishes nothing: EVENTS_TOPIC is unset. */
export const silentNotifier: Notifier = {
  publish: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

export function createNotifier(options: { pubsub: PubSub; topic: string; clock?: () => Date }): Notifier {
  const clock = options.clock ?? (() => new Date());
  const topic: Topic = options.pubsub.topic(options.topic, {
    batching: { maxMessages: 100, maxMilliseconds: 10 },
  });
  return {
    async publish(notice) {
      try {
        await topic.publishMessage(toPubSubMessage(notice, clock()));
      } catch (err) {
        throw new TransientError(
          'events_unavailable',
          `could not publish ${EVENT_TYPES[notice.kind]} for ${notice.data.key}: ${(err as Error).message}`,
          { cause: err },
        );
      }
    },
    async close() {
      await topic.flush();
    },
  };
}
