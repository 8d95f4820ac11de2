// `npm run events`: the worker's ready / failed / removed CloudEvents as they are published to EVENTS_TOPIC, one line
// each, pulled (and acked) from the local events subscription. A developer's view of the local stack, no gcloud.
import type { Message, PubSub } from '@google-cloud/pubsub';

/** What a line is made of: the message's CloudEvents attributes (Pub/Sub binding, binary mode) and its data. */
export interface EventMessage {
  attributes: Record<string, string>;
  data: Buffer;
  publishTime: Date;
}

/** `<time>  <type>  <id>  <data as compact JSON>`; data that is not JSON is shown as text. */
export function formatEvent(message: EventMessage): string {
  const attributes = message.attributes;
  const time = attributes['ce-time'] ?? message.publishTime.toISOString();
  const type = attributes['ce-type'] ?? '(no ce-type)';
  const id = attributes['ce-id'] ?? '(no ce-id)';
  const text = message.data.toString('utf8');
  let data = text;
  try {
    data = JSON.stringify(JSON.parse(text));
  } catch {
    // not JSON: shown as it is
  }
  return `${time}  ${type}  ${id}  ${data}`;
}

export interface TailOptions {
  pubsub: PubSub;
  subscription: string;
  write(line: string): void;
  /** Aborting stops the tail; the promise then resolves. */
  signal: AbortSignal;
}

/** Writes every event until the signal is aborted; rejects when the subscription cannot be read. */
export async function tailEvents(options: TailOptions): Promise<void> {
  const subscription = options.pubsub.subscription(options.subscription);
  const failed = new Promise<never>((_, reject) => subscription.once('error', reject));
  subscription.on('message', (message: Message) => {
    options.write(formatEvent(message));
    message.ack();
  });
  const aborted = new Promise<void>((resolve) => {
    if (options.signal.aborted) resolve();
    options.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  try {
    await Promise.race([aborted, failed]);
  } finally {
    subscription.removeAllListeners('message');
    await subscription.close();
  }
}
