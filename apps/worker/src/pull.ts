/**
 * Pub/Sub pull: a streaming-pull subscriber feeding the pipeline. Every message is acked or nacked exactly
 * once by the same outcome mapping as POST /event, and the handler catches everything (no unhandled rejection).
 * On a subscriber 'error' (e.g. the emulator or the service went away) it logs, closes and re-opens with
 * exponential backoff, until stop().
 */
import {
  Duration,
  type Message,
  type PubSub,
  type Subscription,
  type SubscriberOptions,
} from '@google-cloud/pubsub';
import type { Logger } from 'pino';
import { parseNotification } from './events.js';
import { deliveryOf, errorOutcome, logOutcome, type Outcome } from './outcomes.js';
import type { WorkerMetrics } from './metrics.js';
import type { Pipeline } from './pipeline.js';

export interface PullOptions {
  pubsub: PubSub;
  subscription: string;
  pipeline: Pipeline;
  logger: Logger;
  /** Told of every message's outcome. */
  metrics?: Pick<WorkerMetrics, 'event'>;
  maxConcurrency: number;
  /** How long close() waits for in-flight messages before nacking the rest. */
  closeTimeoutMs?: number;
  /** Longest a slow image keeps its lease extended. */
  maxExtensionMinutes?: number;
  backoff?: { initialMs: number; maxMs: number };
  /**
   * How long a message to be retried is held before its nack: doubling while retries follow each other, back to
   * the start after a settled message. A storage outage then slows pulling down instead of spinning through
   * immediate redeliveries (the emulator has no retry policy; production's backs off too).
   */
  retryBackoff?: { initialMs: number; maxMs: number };
}

export interface PullConsumer {
  start(): void;
  /** Stops pulling, waits for in-flight messages (up to closeTimeoutMs), nacks the rest. */
  stop(): Promise<void>;
  /** Messages handed to the pipeline and not yet settled. */
  readonly inFlight: number;
}

/** How long acks and modacks wait to be sent in one batch. */
const ACK_BATCH_MS = 10;

export function subscriberOptions(options: PullOptions): SubscriberOptions {
  return {
    flowControl: { maxMessages: options.maxConcurrency, allowExcessMessages: false },
    // The client frees a flow-control slot only once the ack batch is sent, so its default batch window (100 ms)
    // caps delivery at maxMessages per window; a short window makes that negligible (bench/README.md measured it).
    batching: { maxMilliseconds: ACK_BATCH_MS },
    // Slow images keep their lease; past this the message is redelivered.
    maxExtensionTime: Duration.from({ minutes: options.maxExtensionMinutes ?? 10 }),
    closeOptions: {
      behavior: 'WAIT', // SubscriberCloseBehaviors.WaitForProcessing
      timeout: Duration.from({ milliseconds: options.closeTimeoutMs ?? 7000 }),
    },
  };
}

/**
 * Settles each message by the delivery decision: an ack, or a nack held back for a while that doubles while
 * retries follow each other and starts again after a settled message. `flush()` sends the held nacks at once.
 */
function createSettler(backoff: { initialMs: number; maxMs: number }) {
  let streak = 0;
  const held = new Map<NodeJS.Timeout, Message>();
  return {
    settle(message: Message, outcome: Outcome): void {
      if (deliveryOf(outcome) === 'settled') {
        streak = 0;
        message.ack();
        return;
      }
      const wait = Math.min(backoff.maxMs, backoff.initialMs * 2 ** streak);
      streak = Math.min(streak + 1, 30);
      const timer = setTimeout(() => {
        held.delete(timer);
        message.nack();
      }, wait);
      held.set(timer, message);
    },
    flush(): void {
      for (const [timer, message] of held) {
        clearTimeout(timer);
        message.nack();
      }
      held.clear();
    },
  };
}

export function createPullConsumer(options: PullOptions): PullConsumer {
  const { pubsub, pipeline, logger } = options;
  const { initialMs, maxMs } = options.backoff ?? { initialMs: 500, maxMs: 30_000 };
  let subscription: Subscription | undefined;
  let stopped = false;
  let delayMs = initialMs;
  let retryTimer: NodeJS.Timeout | undefined;
  let inFlight = 0;
  const settler = createSettler(options.retryBackoff ?? { initialMs: 250, maxMs: 10_000 });

  async function handle(message: Message): Promise<void> {
    inFlight += 1;
    let outcome: Outcome;
    let object: string | undefined;
    try {
      const event = parseNotification(message.attributes, message.data, 'pull', message.publishTime);
      object = `gs://${event.bucket}/${event.name}`;
      outcome = await pipeline.process(event);
    } catch (err) {
      outcome = errorOutcome(err);
    }
    try {
      options.metrics?.event('pull', outcome);
      logOutcome(logger, outcome, { via: 'pull', messageId: message.id, ...(object ? { object } : {}) });
      delayMs = initialMs; // a delivered message proves the stream is healthy
      settler.settle(message, outcome);
    } catch (err) {
      logger.error({ err, messageId: message.id }, 'could not settle a Pub/Sub message');
    } finally {
      inFlight -= 1;
    }
  }

  function open(): void {
    const sub = pubsub.subscription(options.subscription, subscriberOptions(options));
    subscription = sub;
    sub.on('message', (message: Message) => {
      void handle(message);
    });
    sub.on('error', (err: unknown) => {
      if (subscription !== sub || stopped) return;
      logger.error(
        { err, subscription: options.subscription, retryInMs: delayMs },
        'subscriber failed; re-opening',
      );
      subscription = undefined;
      sub.removeAllListeners('message');
      void sub
        .close()
        .catch((closeErr: unknown) =>
          logger.debug({ err: closeErr }, 'closing the failed subscriber failed'),
        );
      scheduleReopen();
    });
    logger.info({ subscription: options.subscription, maxMessages: options.maxConcurrency }, 'pulling');
  }

  function scheduleReopen(): void {
    if (stopped || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      if (stopped) return;
      delayMs = Math.min(delayMs * 2, maxMs);
      try {
        open();
      } catch (err) {
        logger.error({ err }, 'could not open the subscriber');
        scheduleReopen();
      }
    }, delayMs);
  }

  return {
    get inFlight() {
      return inFlight;
    },
    start() {
      stopped = false;
      open();
    },
    async stop() {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = undefined;
      settler.flush();
      const sub = subscription;
      subscription = undefined;
      if (!sub) return;
      try {
        await sub.close();
      } catch (err) {
        logger.warn({ err }, 'closing the subscriber failed');
      }
      // The 'error' listener stays: a late error from a closed subscriber must not become an uncaught one.
      sub.removeAllListeners('message');
    },
  };
}
