/**
 * What every STOMP subscription shares: its id, ack mode, prefetch window and the deliveries
 * waiting for ACK/NACK, plus the narrow interface to the connection it writes to.
 *
 * Ack modes (STOMP 1.2):
 * - `auto`: the client never acknowledges. Queue deliveries are acknowledged to the core once the
 *   MESSAGE frame has been flushed to the socket (so a slow reader bounds what is buffered).
 * - `client`: cumulative; ACK (or NACK) of one delivery covers every earlier delivery of the
 *   same subscription still pending.
 * - `client-individual`: one delivery per ACK/NACK.
 * In the client modes at most `prefetch` deliveries are pending per subscription.
 */
import type { Logger } from '../../src/log.js';
import type { StompFrame, StompVersion } from './frame.js';
import type { StompOptions } from './options.js';

export type AckMode = 'auto' | 'client' | 'client-individual';

export const ACK_MODES: readonly AckMode[] = ['auto', 'client', 'client-individual'];

/** One MESSAGE frame the client has not acknowledged yet. */
export interface PendingDelivery {
  readonly ackId: string;
  readonly messageId: string;
  ack(): Promise<void>;
  nack(requeue: boolean): void;
}

/** Pending deliveries of one subscription, in delivery order. */
export class AckWindow {
  private readonly pending = new Map<string, PendingDelivery>();

  get size(): number {
    return this.pending.size;
  }

  add(d: PendingDelivery): void {
    this.pending.set(d.ackId, d);
  }

  has(ackId: string): boolean {
    return this.pending.has(ackId);
  }

  /** The ack id of the oldest pending delivery of broker message `messageId` (STOMP 1.0/1.1 ACK). */
  findByMessageId(messageId: string): string | undefined {
    for (const d of this.pending.values()) if (d.messageId === messageId) return d.ackId;
    return undefined;
  }

  /** Remove `ackId` (and, cumulatively, every earlier delivery); [] if it is not pending. */
  take(ackId: string, cumulative: boolean): PendingDelivery[] {
    const target = this.pending.get(ackId);
    if (!target) return [];
    if (!cumulative) {
      this.pending.delete(ackId);
      return [target];
    }
    const out: PendingDelivery[] = [];
    for (const [id, d] of this.pending) {
      this.pending.delete(id);
      out.push(d);
      if (id === ackId) break;
    }
    return out;
  }

  clear(): void {
    this.pending.clear();
  }
}

/** What a subscription needs from its connection. */
export interface SubscriptionHost {
  readonly version: StompVersion;
  readonly options: StompOptions;
  readonly logger: Logger;
  /** The transport holds more unflushed bytes than its high-water mark. */
  readonly backedUp: boolean;
  /** A new connection-unique ack id. */
  nextAckId(): string;
  /** Write a frame; `flushed` runs once it reached the OS (err set if the connection went away). */
  writeFrame(frame: StompFrame, flushed?: (err?: Error | null) => void): void;
  /** The core ended the subscription (queue deleted, broker closing). */
  subscriptionEnded(sub: StompSubscription, reason: string): void;
}

export interface SubscriptionInit {
  id: string;
  ackMode: AckMode;
  /** Window for the client ack modes; Infinity = unlimited. */
  prefetch: number;
  host: SubscriptionHost;
}

export abstract class StompSubscription {
  readonly id: string;
  readonly ackMode: AckMode;
  readonly prefetch: number;
  readonly window = new AckWindow();
  protected readonly host: SubscriptionHost;
  protected isClosed = false;

  constructor(init: SubscriptionInit) {
    this.id = init.id;
    this.ackMode = init.ackMode;
    this.prefetch = init.prefetch;
    this.host = init.host;
  }

  /** Attach to the core. Rejects (e.g. FORBIDDEN, KIND_MISMATCH) without side effects left behind. */
  abstract start(): Promise<void>;

  /** Detach; unacknowledged queue deliveries go back to their queue (redelivered). */
  abstract close(): void;

  /** Room appeared (an ACK, or the socket drained): deliver what is waiting. */
  pump(): void {
    // Subscriptions whose source pushes on its own (queues) have nothing to do.
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Client ack modes only: the prefetch window is full. */
  get windowFull(): boolean {
    return this.ackMode !== 'auto' && this.window.size >= this.prefetch;
  }

  get cumulative(): boolean {
    return this.ackMode === 'client';
  }

  /** ACK: settle the delivery (cumulatively in `client` mode). Resolves after the core committed. */
  async ack(ackId: string): Promise<void> {
    const settled = this.window.take(ackId, this.cumulative);
    if (settled.length === 0) return;
    const done = Promise.all(settled.map((d) => d.ack()));
    this.pump();
    await done;
  }

  /** NACK: hand the delivery back (requeue: redelivered later; else dead-letter or drop). */
  nack(ackId: string, requeue: boolean): void {
    for (const d of this.window.take(ackId, this.cumulative)) d.nack(requeue);
    this.pump();
  }

  /** A pending delivery for the client ack modes, or undefined for `auto`. */
  protected track(messageId: string, ack: () => Promise<void>, nack: (requeue: boolean) => void): string | undefined {
    if (this.ackMode === 'auto') return undefined;
    const ackId = this.host.nextAckId();
    this.window.add({ ackId, messageId, ack, nack });
    return ackId;
  }
}

/** A settle function for deliveries that need no core action (live topics, streams). */
export const settled = (): Promise<void> => Promise.resolve();
