/**
 * Reading the dead-letter subscription for a replay: a streaming pull that holds every message it gets (the client
 * keeps extending their leases) until no new one has arrived for `idleMs` or `maxMessages` distinct ones are held.
 * Held messages are counted once each, however often Pub/Sub redelivers them meanwhile. Nothing is acked here:
 * the caller acks what it settled, and release() hands everything else back to the subscription at once (a nack),
 * for the next run. The dead-letter subscription has no dead-letter policy of its own, so those nacks cost nothing.
 */
import { Duration, type Message, type PubSub, type SubscriberOptions } from '@google-cloud/pubsub';

/** Added by Pub/Sub when it forwards a message to a dead-letter topic (pstest adds none). */
export const SOURCE_DELIVERY_COUNT = 'CloudPubSubDeadLetterSourceDeliveryCount';

export interface DeadLetter {
  /** The Pub/Sub message id (a dead-lettered message keeps its original one). */
  id: string;
  attributes: Record<string, string>;
  data: Buffer;
  publishTime: Date;
  /** Deliveries on the source subscription before it was dead-lettered, when the attributes say. */
  sourceDeliveries: number | undefined;
}

export interface HeldLetters {
  letters: readonly DeadLetter[];
  /** `maxMessages` was reached: more may be waiting. */
  full: boolean;
  /** Acks the letter (every copy of it that was delivered). */
  ack(letter: DeadLetter): void;
  /** Stops the stream; what was not acked goes back to the subscription now. Sends the acks first. */
  release(): Promise<void>;
}

export interface HoldOptions {
  pubsub: PubSub;
  subscription: string;
  maxMessages: number;
  idleMs: number;
}

function sourceDeliveries(attributes: Record<string, string>): number | undefined {
  const raw = attributes[SOURCE_DELIVERY_COUNT];
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
}

export function subscriberOptions(options: Pick<HoldOptions, 'maxMessages'>): SubscriberOptions {
  return {
    // Exactly as many as we mean to hold: the rest stay on the subscription, undelivered.
    flowControl: { maxMessages: options.maxMessages, allowExcessMessages: false },
    closeOptions: { behavior: 'NACK', timeout: Duration.from({ seconds: 10 }) },
  };
}

/** Holds the dead-letter subscription's messages; rejects (after closing) if the subscription cannot be read. */
export async function holdDeadLetters(options: HoldOptions): Promise<HeldLetters> {
  const subscription = options.pubsub.subscription(options.subscription, subscriberOptions(options));
  const copies = new Map<string, Message[]>();
  const letters: DeadLetter[] = [];
  let reading = true;

  const held = new Promise<boolean>((resolve, reject) => {
    const stop = (full: boolean): void => {
      reading = false;
      clearTimeout(idle);
      resolve(full);
    };
    let idle = setTimeout(() => stop(false), options.idleMs);
    subscription.on('message', (message: Message) => {
      const seen = copies.get(message.id);
      if (seen) {
        seen.push(message); // a redelivery of one already held: settled with it
        return;
      }
      // Arrivals after the count is closed are not counted; release() nacks them.
      if (!reading) return;
      copies.set(message.id, [message]);
      letters.push({
        id: message.id,
        attributes: { ...message.attributes },
        data: message.data,
        publishTime: new Date(message.publishTime.getTime()),
        sourceDeliveries: sourceDeliveries(message.attributes),
      });
      clearTimeout(idle);
      if (letters.length >= options.maxMessages) stop(true);
      else idle = setTimeout(() => stop(false), options.idleMs);
    });
    // Kept after the first: a late error from a closed subscriber must not become an uncaught one.
    subscription.on('error', (err: unknown) => {
      reading = false;
      clearTimeout(idle);
      reject(err instanceof Error ? err : new Error(String(err)));
    });
  });

  const release = async (): Promise<void> => {
    reading = false;
    await subscription.close();
    subscription.removeAllListeners('message');
  };

  let full: boolean;
  try {
    full = await held;
  } catch (err) {
    await release().catch(() => undefined);
    throw new Error(
      `cannot read the dead-letter subscription ${options.subscription}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  return {
    letters,
    full,
    ack(letter) {
      for (const message of copies.get(letter.id) ?? []) message.ack();
    },
    release,
  };
}
