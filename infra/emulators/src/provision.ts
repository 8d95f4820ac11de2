// Idempotent provisioning: bucket, topics, subscriptions (the worker's with its dead-letter policy), and the bucket →
// topic notification; the same names and settings as infra/terraform, where an emulator can hold them.
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
  /**
   * Where `subscription` forwards a notification after `maxDeliveryAttempts` deliveries without an ack (Terraform's
   * dead_letter_policy), and the subscription that keeps those for `npm run replay-dead-letters`. Unset: none.
   */
  deadLetterTopic?: string;
  deadLetterSubscription?: string;
  /** Pub/Sub allows 5–100; Terraform's local.max_delivery_attempts. */
  maxDeliveryAttempts?: number;
  /** EVENTS_TOPIC (ready / failed / removed), and a subscription on it a developer can pull. Unset: none. */
  eventsTopic?: string;
  eventsSubscription?: string;
}

/** The contract's local defaults (`npm run dev`, `npm run emulators`, docker-compose.yml). */
export const localDefaults: Readonly<Provisioning> = Object.freeze({
  projectId: 'local-project',
  bucket: 'local-bucket',
  topic: 'gcs-notifications',
  subscription: 'thumbnailer',
  thumbnailPrefix: 'thumbnails/',
  deadLetterTopic: 'gcs-notifications-dead-letter',
  deadLetterSubscription: 'thumbnailer-dead-letter',
  maxDeliveryAttempts: 10,
  eventsTopic: 'thumbnailer-events',
  eventsSubscription: 'thumbnailer-events-tail',
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
 * Creates what is missing and changes nothing that exists; running it twice fails on nothing. The one exception is
 * the worker's subscription made before dead letters existed: it gets its dead-letter policy by a metadata update
 * (a policy can be added to a live subscription; a filter cannot, so that one is left as it is).
 * Cloud Storage goes through the storage client; the notification config goes through the JSON API
 * directly with the short topic form `projects/{p}/topics/{t}`, the only one fake-gcs-server publishes to
 * (bucket.createNotification() sends the production form, which it stores but cannot publish to).
 *
 * No retry policy is set (Terraform's is 10–600 s): pstest stores one but never applies it, redelivering a nacked
 * message at once, so a local policy would only claim a pacing that does not happen. What paces redeliveries locally
 * is the worker itself, which holds each nack back 0.25 s, doubling to 10 s while failures follow each other: ten
 * failed deliveries reach the dead-letter topic after about 45 s locally, after about 40 minutes on Pub/Sub.
 */
export async function provision(
  set: { storage: Storage; pubsub: PubSub; storageHost: string },
  p: Provisioning,
): Promise<void> {
  const topicName = topicPath(p, p.topic);
  await ensureBucket(set.storage, p.bucket);
  await ensureTopic(set.pubsub, topicName);
  let deadLetterPolicy: DeadLetterPolicy | undefined;
  if (p.deadLetterTopic) {
    const deadLetterTopic = topicPath(p, p.deadLetterTopic);
    await ensureTopic(set.pubsub, deadLetterTopic);
    // Before the policy that feeds it: a topic without a subscription drops what is published to it.
    if (p.deadLetterSubscription)
      await ensureSubscription(
        set.pubsub,
        deadLetterTopic,
        subscriptionPath(p, p.deadLetterSubscription),
        {},
      );
    deadLetterPolicy = { deadLetterTopic, maxDeliveryAttempts: p.maxDeliveryAttempts ?? 10 };
  }
  const options: CreateSubscriptionOptions = {};
  if (p.ackDeadlineSeconds !== undefined) options.ackDeadlineSeconds = p.ackDeadlineSeconds;
  if (p.thumbnailPrefix) options.filter = subscriptionFilter(p.thumbnailPrefix);
  if (deadLetterPolicy) options.deadLetterPolicy = deadLetterPolicy;
  await ensureSubscription(set.pubsub, topicName, subscriptionPath(p, p.subscription), options);
  if (p.eventsTopic) {
    const eventsTopic = topicPath(p, p.eventsTopic);
    await ensureTopic(set.pubsub, eventsTopic);
    if (p.eventsSubscription)
      await ensureSubscription(set.pubsub, eventsTopic, subscriptionPath(p, p.eventsSubscription), {});
  }
  await ensureNotification(set.storageHost, p.bucket, topicName);
}

type DeadLetterPolicy = NonNullable<CreateSubscriptionOptions['deadLetterPolicy']>;

const topicPath = (p: Provisioning, name: string): string => `projects/${p.projectId}/topics/${name}`;
const subscriptionPath = (p: Provisioning, name: string): string =>
  `projects/${p.projectId}/subscriptions/${name}`;

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
  options: CreateSubscriptionOptions,
): Promise<void> {
  try {
    await createSubscription(pubsub, topicName, subscriptionName, options);
  } catch (error) {
    if (!hasCode(error, ALREADY_EXISTS)) throw error;
    const subscription = pubsub.subscription(subscriptionName);
    const [metadata] = await subscription.getMetadata();
    if (metadata.topic !== topicName) {
      throw new Error(
        `subscription ${subscriptionName} exists but is attached to ${metadata.topic ?? 'no topic'}`,
        {
          cause: error,
        },
      );
    }
    const wanted = options.deadLetterPolicy;
    const current = metadata.deadLetterPolicy;
    if (
      wanted &&
      (current?.deadLetterTopic !== wanted.deadLetterTopic ||
        current?.maxDeliveryAttempts !== wanted.maxDeliveryAttempts)
    )
      await subscription.setMetadata({ deadLetterPolicy: wanted });
  }
}

/**
 * Creates the subscription. An emulator that refuses one of the optional features gets the subscription without it
 * (the worker skips filtered-out notifications itself; without a dead-letter policy nothing is dead-lettered).
 */
async function createSubscription(
  pubsub: PubSub,
  topicName: string,
  subscriptionName: string,
  options: CreateSubscriptionOptions,
): Promise<void> {
  const { filter, deadLetterPolicy, ...required } = options;
  const attempts: CreateSubscriptionOptions[] = [options];
  if (filter !== undefined) attempts.push({ ...required, ...(deadLetterPolicy ? { deadLetterPolicy } : {}) });
  if (deadLetterPolicy !== undefined) attempts.push(required);
  for (const [i, attempt] of attempts.entries()) {
    try {
      await pubsub.createSubscription(topicName, subscriptionName, attempt);
      return;
    } catch (error) {
      const refused = hasCode(error, INVALID_ARGUMENT) || hasCode(error, UNIMPLEMENTED);
      if (!refused || i === attempts.length - 1) throw error;
    }
  }
}

interface NotificationConfig {
  id?: string;
  topic?: string;
  event_types?: string[];
  payload_format?: string;
}

/** The events the worker acts on, as Terraform's notification lists them: finalize makes renditions, delete removes them. */
const NOTIFIED_EVENTS: readonly string[] = ['OBJECT_FINALIZE', 'OBJECT_DELETE'];

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
