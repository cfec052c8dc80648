/**
 * Public shapes of the Queue API (see queue.ts).
 */
import type { Message } from '../message.js';

export interface SendOptions {
  /** Per-message delay, 0..900_000 ms (standard queues only; SQS forbids it on FIFO queues). */
  delayMs?: number;
  /** Broker message id to use instead of a fresh one. */
  id?: string;
}

export interface SendResult {
  id: string;
  /** Seq of the message; for a duplicate, the first message's seq (0 if only its id is known, after a restart). */
  seq: number;
  /** FIFO dedup hit: accepted but not enqueued again. */
  duplicate: boolean;
}

export interface ReceiveOptions {
  /** 1..10, default 1. */
  max?: number;
  /** Long-poll wait 0..20_000 ms, default attributes.receiveWaitMs. */
  waitMs?: number;
  /** 0..43_200_000 ms, default attributes.visibilityTimeoutMs. */
  visibilityTimeoutMs?: number;
  /** Abandon a long poll (e.g. the client went away): resolves [] at once. */
  signal?: AbortSignal;
}

export interface ReceivedMessage {
  id: string;
  seq: number;
  /** Opaque receipt handle, new for every receive. */
  receipt: string;
  message: Message;
  receiveCount: number;
  /** receiveCount > 1 */
  redelivered: boolean;
  enqueuedAt: number;
}

export interface QueueDelivery {
  /** Per-queue unique delivery tag. */
  tag: number;
  id: string;
  seq: number;
  message: Message;
  receiveCount: number;
  redelivered: boolean;
  enqueuedAt: number;
}

export interface ConsumerOptions {
  /** Max unacked deliveries; default 1000; Infinity allowed; must be >= 1. */
  prefetch?: number;
  /** AMQP 1.0 link credit: each delivery consumes one; the front-end calls addCredit/setCredit. */
  credit?: number;
  /** Message is removed at dispatch (MQTT QoS 0, STOMP ack:auto, pre-settled). */
  autoAck?: boolean;
  onMessage(d: QueueDelivery): void;
  /** Called once if the queue ends the consumer (queue deleted, broker closing); not after consumer.close(). */
  onClosed?(reason: string): void;
  /** Front-end's own name for the consumer (AMQP consumer tag, STOMP subscription id). */
  tag?: string;
}

export interface NackOptions {
  /** Default true. false: dead-letter queue if configured, else drop (AMQP 'rejected'). */
  requeue?: boolean;
  /** With requeue: invisible for this long first. */
  delayMs?: number;
  /** Default true. false = AMQP 'released': the delivery does not count towards receiveCount. */
  countDelivery?: boolean;
}

export interface QueueConsumer {
  /** Unique per process. */
  readonly id: string;
  readonly tag: string | undefined;
  readonly unacked: number;
  readonly prefetch: number;
  /** Remaining credit, or undefined when not in credit mode. */
  readonly credit: number | undefined;
  readonly autoAck: boolean;
  readonly closed: boolean;
  /** Resolves after the delete is committed. Unknown tag: rejects with RECEIPT_INVALID. */
  ack(tag: number): Promise<void>;
  /** Unknown tag: throws RECEIPT_INVALID. */
  nack(tag: number, opts?: NackOptions): void;
  /** Adds credit (switches the consumer to credit mode if it was not). */
  addCredit(n: number): void;
  /** Sets credit absolutely (switches to credit mode). */
  setCredit(n: number): void;
  setPrefetch(n: number): void;
  /** Deliver what is available now within the credit, then drop the remaining credit; returns how much was dropped. */
  drain(): number;
  /** Unacked deliveries go back to the queue (redelivered); requeue:false treats them as nack requeue:false. */
  close(opts?: { requeue?: boolean }): void;
}

export interface ConsumerInfo {
  id: string;
  tag: string | undefined;
  unacked: number;
  prefetch: number;
  credit: number | undefined;
  autoAck: boolean;
  /** Whether it receives now: always, except the waiting ones of a singleActiveConsumer queue. */
  active: boolean;
}

export interface QueueStats {
  /** Deliverable now (FIFO: including messages queued behind an in-flight group head). */
  visible: number;
  /** Received and not deleted (pull) plus unacked push deliveries. */
  inFlight: number;
  /** Waiting for their delay to pass. */
  delayed: number;
  consumers: number;
  /** Long-poll receives waiting. */
  waiting: number;
  /** Counters since open. */
  enqueued: number;
  /** Deleted by ack / deleteMessage / autoAck dispatch. */
  dequeued: number;
  /** Dropped for TTL (expiresAt, messageTtlMs) with no dead-letter target, or for retention. */
  expired: number;
  /** Moved to the dead-letter queue or published to the dead-letter exchange, for any reason. */
  deadLettered: number;
  /** FIFO sends dropped by deduplication. */
  duplicates: number;
  /** Removed by purge(). */
  purged: number;
  /** Dropped by nack/close with requeue:false and no dead-letter target. */
  rejected: number;
  /** Dropped by drop-head overflow (maxLength / maxLengthBytes) with no dead-letter target. */
  overflowed: number;
  /** Sends refused by reject-publish / reject-publish-dlx overflow (QUEUE_FULL). */
  refused: number;
  /** Dropped past maxReceiveCount (delivery limit) with no dead-letter target. */
  deliveryLimitDropped: number;
}
