// Idempotent provisioning: bucket, topic, subscription, and the bucket → topic notification.
import type { CreateSubscriptionOptions, PubSub } from '@google-cloud/pubsub';
import type { Storage } from '@google-cloud/storage';

export interface Provisioning {
  projectId: string;
  bucket: string;
  topic: string;
  subscription: string;
  /** Only used when the subscription is created. */
  ackDeadlineSeconds?: number;
  /**
   * THUMBNAIL_PREFIX: notifications of objects under it (thumbnails, claim markers) are filtered out of the
   * subscription when it is created, so Pub/Sub acks them instead of the worker. '' or unset: no filter.
   */
  thumbnailPrefix?: string;
}

/** The contract's local defaults (`npm run dev`, `npm run emulators`, docker-compose.yml). */
export const localDefaults: Readonly<Provisioning> = Object.freeze({
  projectId: 'local-project',
  bucket: 'local-bucket',
  topic: 'gcs-notifications',
  subscription: 'thumbnailer',
  thumbnailPrefix: 'thumbnails/',
});

/**
 * The subscription filter that keeps the worker's own objects away from it (the same expression as
 * infra/terraform). The worker still skips them itself: push deliveries and unfiltered subscriptions carry them.
 */
export function subscriptionFilter(thumbnailPrefix: string): string {
  return `NOT hasPrefix(attributes.objectId, ${JSON.stringify(thumbnailPrefix)})`;
}

/** gRPC status codes the Pub/Sub client reports. */
const INVALID_ARGUMENT = 3;
const ALREADY_EXISTS = 6;
const UNIMPLEMENTED = 12;

/**
 * Creates what is missing and changes nothing that exists; running it twice fails on nothing.
 * Cloud Storage goes through the storage client; the notification config goes through the JSON API
 * directly with the short topic form `projects/{p}/topics/{t}`, the only one fake-gcs-server publishes to
 * (bucket.createNotification() sends the production form, which it stores but cannot publish to).
 */
export async function provision(
  set: { storage: Storage; pubsub: PubSub; storageHost: string },
  p: Provisioning,
): Promise<void> {
  const topicName = `projects/${p.projectId}/topics/${p.topic}`;
  await ensureBucket(set.storage, p.bucket);
  await ensureTopic(set.pubsub, topicName);
  await ensureSubscription(
    set.pubsub,
    topicName,
    `projects/${p.projectId}/subscriptions/${p.subscription}`,
    p,
  );
  await ensureNotification(set.storageHost, p.bucket, topicName);
}

function hasCode(error: unknown, code: number): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}

async function ensureBucket(storage: Storage, name: string): Promise<void> {
  const [exists] = await storage.bucket(name).exists();
  if (exists) return;
  try {
    await storage.createBucket(name);
  } catch (error) {
    if (!hasCode(error, 409)) throw error;
  }
}

async function ensureTopic(pubsub: PubSub, topicName: string): Promise<void> {
  try {
    await pubsub.createTopic(topicName);
  } catch (error) {
    if (!hasCode(error, ALREADY_EXISTS)) throw error;
  }
}

async function ensureSubscription(
  pubsub: PubSub,
  topicName: string,
  subscriptionName: string,
  p: Provisioning,
): Promise<void> {
  const options: CreateSubscriptionOptions = {};
  if (p.ackDeadlineSeconds !== undefined) options.ackDeadlineSeconds = p.ackDeadlineSeconds;
  if (p.thumbnailPrefix) options.filter = subscriptionFilter(p.thumbnailPrefix);
  try {
    await createSubscription(pubsub, topicName, subscriptionName, options);
  } catch (error) {
    if (!hasCode(error, ALREADY_EXISTS)) throw error;
    const [metadata] = await pubsub.subscription(subscriptionName).getMetadata();
    if (metadata.topic !== topicName) {
      throw new Error(
        `subscription ${subscriptionName} exists but is attached to ${metadata.topic ?? 'no topic'}`,
        {
          cause: error,
        },
      );
    }
  }
}

/** Creates the subscription; an emulator without filter support gets it unfiltered (the worker skips anyway). */
async function createSubscription(
  pubsub: PubSub,
  topicName: string,
  subscriptionName: string,
  options: CreateSubscriptionOptions,
): Promise<void> {
  try {
    await pubsub.createSubscription(topicName, subscriptionName, options);
  } catch (error) {
    const refused = hasCode(error, INVALID_ARGUMENT) || hasCode(error, UNIMPLEMENTED);
    if (options.filter === undefined || !refused) throw error;
    const { filter: _, ...unfiltered } = options;
    await pubsub.createSubscription(topicName, subscriptionName, unfiltered);
  }
}

interface NotificationConfig {
  id?: string;
  topic?: string;
  event_types?: string[];
  payload_format?: string;
}

/** The events the worker acts on, as Terraform's notification lists them: finalize makes renditions, delete removes them. */
export const NOTIFIED_EVENTS: readonly string[] = ['OBJECT_FINALIZE', 'OBJECT_DELETE'];

async function ensureNotification(storageHost: string, bucket: string, topicName: string): Promise<void> {
  const url = `${storageHost}/storage/v1/b/${encodeURIComponent(bucket)}/notificationConfigs`;
  const listed = (await jsonRequest(url, { method: 'GET' })) as { items?: NotificationConfig[] };
  const covered = new Set<string>();
  for (const config of listed.items ?? []) {
    if (config.topic !== topicName || config.payload_format !== 'JSON_API_V1') continue;
    const types = config.event_types?.length ? config.event_types : NOTIFIED_EVENTS;
    for (const type of types) covered.add(type);
  }
  const missing = NOTIFIED_EVENTS.filter((type) => !covered.has(type));
  if (missing.length === 0) return;
  await jsonRequest(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ topic: topicName, payload_format: 'JSON_API_V1', event_types: missing }),
  });
}

async function jsonRequest(url: string, init: RequestInit): Promise<unknown> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${text}`);
  return text === '' ? {} : JSON.parse(text);
}
