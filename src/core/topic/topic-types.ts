/**
 * Shapes shared by the topic router and its callers (the Broker and, through it, front-ends).
 */
import type { Message } from '../message.js';
import type { SubscriptionRecord } from '../store.js';

/**
 * One published message as subscribers see it. A single object is shared by every subscriber of
 * one publish (the hot path allocates it once): treat it, and its `message`, as immutable.
 */
export interface TopicMessage {
  /** Broker message id (unique). */
  id: string;
  /** Concrete topic name it was published to. */
  topic: string;
  message: Message;
  publishedAt: number;
}

/** A live (session) subscriber. Called synchronously during publish. */
export interface LiveSink {
  /** false = could not take it (slow consumer): the message is dropped for this subscriber and counted. */
  offer(m: TopicMessage): boolean;
}

export interface LiveSubscription {
  readonly id: string;
  readonly pattern: string;
  /** Messages this subscription refused (offer returned false or threw). */
  dropped: number;
  /** Messages this subscription accepted. */
  delivered: number;
  /** Stop delivery. Idempotent. */
  close(): void;
}

export interface QueueTarget {
  /** Enqueue a copy into the named queue; resolves after durable commit; may reject (e.g. queue missing). */
  (queue: string, m: TopicMessage): Promise<unknown>;
}

export interface PublishResult {
  /** Broker id of the message (for a duplicate: the id of the first message with that dedup id). */
  id: string;
  /** Live subscriptions that accepted it plus queue copies durably enqueued. */
  delivered: number;
  /** FIFO topics: true when the dedup id was seen within the window; nothing was delivered. */
  duplicate: boolean;
}

export interface LiveSubscriptionInfo {
  id: string;
  pattern: string;
  live: true;
  /** Canonical filter policy JSON, or null. */
  filterPolicy: string | null;
  noLocal: boolean;
  createdAt: number;
  delivered: number;
  dropped: number;
}

/**
 * listSubscriptions() entries: durable queue subscriptions are plain SubscriptionRecord copies
 * (no `live` key: narrow with `'live' in s`), live ones are LiveSubscriptionInfo.
 */
export type SubscriptionInfo = SubscriptionRecord | LiveSubscriptionInfo;

export interface TopicStats {
  /** Publishes accepted (duplicates excluded). */
  published: number;
  /** Deliveries: live offers accepted plus queue copies committed. */
  delivered: number;
  /** Live offers refused (slow consumer). */
  dropped: number;
  /** Queue copies that failed to enqueue (missing queue, rejected message, store failure). */
  failed: number;
  /** FIFO publishes suppressed as duplicates. */
  duplicates: number;
  /** Subscriptions (live + queue) matching the topic; overall: every subscription. */
  subscriptions: number;
}

export interface SubscriptionCounters {
  delivered: number;
  dropped: number;
  failed: number;
}

export interface PublishOptions {
  /** Also make this the topic's retained message (an empty body clears it and is still delivered). */
  retain?: boolean;
  /** Broker message id to use instead of a fresh one. */
  id?: string;
  /** Identity of the publishing connection, for noLocal subscriptions. */
  origin?: string;
  /**
   * More destinations of this one publish (queues an exchange routed it to, src/core/exchange).
   * Each is one more copy unless a queue subscription of the topic already targets that name
   * (a queue gets at most one copy per publish); counted in `delivered` like queue copies.
   */
  extraTargets?: readonly ExtraTarget[];
}

/** A destination added to a publish by its caller, by queue (or stream) name. */
export interface ExtraTarget {
  queue: string;
  enqueue(m: TopicMessage): Promise<unknown>;
}
