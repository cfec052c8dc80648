/**
 * Public shapes of the session layer (see server-session.ts): what a front-end asks for when it
 * consumes, what it is handed, and the consumer it settles deliveries on.
 */
import type { Message } from '../message.js';
import type { Address } from '../names.js';
import type { SubscribeStart } from '../stream/types.js';

/**
 * - `auto`: the client never settles. With `autoSettle: 'dispatch'` a queue message is removed
 *   when it is dispatched (MQTT QoS 0, AMQP pre-settled); with `'written'` (the default) the
 *   front-end calls `consumer.ack(id)` once the bytes reached the socket, so what a slow reader
 *   has not received goes back to the queue when the session closes.
 * - `client`: the client settles; `ack`/`nack` may be cumulative (STOMP `client`).
 * - `individual`: the client settles one delivery at a time.
 */
export type SessionAckMode = 'auto' | 'client' | 'individual';

/** Where a consumer reads from. */
export type ConsumerSource =
  | { kind: 'queue'; name: string }
  /** A temporary queue of this session, by its session-local name (created on first use). */
  | { kind: 'temp-queue'; name: string }
  /** Live (not durable) unless `durable` is given: then a durable subscription of the session's client id. */
  | { kind: 'topic'; pattern: string; filterPolicy?: string; durable?: { name: string } }
  | { kind: 'stream'; name: string; offset?: SubscribeStart };

export interface ConsumerSpec {
  source: ConsumerSource;
  ack: SessionAckMode;
  /** auto mode only: when a delivery counts as settled (default 'written'). */
  autoSettle?: 'dispatch' | 'written';
  /**
   * Max unsettled deliveries (client/individual; auto+written: unwritten ones). Infinity =
   * unlimited. Default 1000.
   */
  prefetch?: number;
  /** Start in credit mode with this much credit (AMQP 1.0 link credit): each delivery uses one. */
  credit?: number;
  /** Front-end's own name for the consumer (STOMP subscription id, AMQP link name): logs and stats. */
  tag?: string;
}

/** One message handed to a front-end. */
export interface Delivery {
  /** Session-unique, increasing from 1: the front-end's ack id / delivery tag. */
  readonly id: number;
  readonly consumer: SessionConsumer;
  /** Broker message id; for streams the record's sequence number. */
  readonly messageId: string;
  readonly message: Message;
  readonly redelivered: boolean;
  /** Times the message was delivered, this one included (1 for topics and streams). */
  readonly receiveCount: number;
  /**
   * The concrete destination: the queue (a temp queue by its core name), the topic a message was
   * published to (behind a wildcard or a durable subscription), or the stream.
   */
  readonly destination: Address;
  /** Streams: the record's sequence number (resume with offset = this + 1). */
  readonly streamOffset?: string;
}

export interface ConsumerCallback {
  /** Called synchronously by the session; may call back into the consumer (ack, pause, ...). */
  deliver(delivery: Delivery): void;
  /** The broker ended the consumer (queue deleted, broker closing); not called after consumer.close(). */
  ended?(reason: string): void;
}

export interface NackOutcome {
  /** Default true. false: dead-letter queue if configured, else dropped (AMQP rejected). */
  requeue?: boolean;
  /** Default true. false: the delivery does not count towards receiveCount (AMQP released). */
  countDelivery?: boolean;
  /** Also settle every earlier unsettled delivery of this consumer (STOMP `client` mode). */
  cumulative?: boolean;
}

export interface SessionConsumer {
  /** Session-unique consumer id. */
  readonly id: string;
  readonly tag: string | undefined;
  readonly source: ConsumerSource;
  readonly ackMode: SessionAckMode;
  readonly prefetch: number;
  /** Remaining credit, or undefined when not in credit mode. */
  readonly credit: number | undefined;
  /** Deliveries handed over and not settled yet. */
  readonly unsettled: number;
  /** Live topics: messages dropped because the buffer was full. */
  readonly dropped: number;
  readonly closed: boolean;
  /** Is `deliveryId` an unsettled delivery of this consumer? */
  has(deliveryId: number): boolean;
  /** The oldest unsettled delivery carrying broker message id `messageId` (STOMP 1.0/1.1 ACK). */
  findByMessageId(messageId: string): number | undefined;
  /** Settle positively; resolves after the core committed it. An unknown id is ignored. */
  ack(deliveryId: number, opts?: { cumulative?: boolean }): Promise<void>;
  /** Hand back (requeue by default). Live topic and stream deliveries are just forgotten. Unknown id: ignored. */
  nack(deliveryId: number, opts?: NackOutcome): void;
  /** nack with requeue and without counting the delivery (AMQP released). */
  release(deliveryId: number): void;
  /** Switch to (or stay in) credit mode and add `n`. */
  addCredit(n: number): void;
  /** Switch to credit mode with exactly `n`. */
  setCredit(n: number): void;
  /** Deliver what is available now within the credit, then drop the rest; returns the credit dropped. */
  drain(): number;
  /** Stop handing over deliveries (held ones stay held) until resume(); also see ServerSession.pause. */
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  /** Detach: unsettled queue deliveries go back to the queue (redelivered). Idempotent. */
  close(): void;
}
