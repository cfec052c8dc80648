/**
 * What every session consumer shares (queue, live topic, stream): the window of unsettled
 * deliveries, credit, pause/resume, the items held while it may not deliver, and settling.
 *
 * A consumer may deliver when it is not paused (by itself or by its session), its window has
 * room (client/individual modes: unsettled < prefetch) and it has credit (credit mode).
 * Otherwise arriving items are held, in order, and handed over by pump() once it may deliver
 * again. Subclasses decide how much may be held (queues and streams are bounded by their own
 * flow control; live topics drop and count past `liveBufferMessages`).
 */
import type { Logger } from '../../log.js';
import type { Address } from '../names.js';
import type {
  ConsumerCallback, ConsumerSource, ConsumerSpec, Delivery, NackOutcome, SessionAckMode, SessionConsumer,
} from './types.js';

/** What a consumer needs from its session. */
export interface ConsumerHost {
  readonly logger: Logger;
  /** The session is paused (the front-end's socket is backed up). */
  readonly paused: boolean;
  nextDeliveryId(): number;
  /** The consumer is gone (closed, or ended by the broker). */
  consumerClosed(consumer: SessionConsumer): void;
}

/** An item as the subclass knows it, before the session gives it a delivery id. */
export interface Deliverable<T> {
  item: T;
  messageId: string;
  message: Delivery['message'];
  redelivered: boolean;
  receiveCount: number;
  destination: Address;
  streamOffset?: string;
}

export interface Unsettled<T> {
  messageId: string;
  item: T;
}

export const DEFAULT_PREFETCH = 1000;

export abstract class ConsumerBase<T> implements SessionConsumer {
  readonly id: string;
  readonly tag: string | undefined;
  readonly source: ConsumerSource;
  readonly ackMode: SessionAckMode;
  readonly autoSettle: 'dispatch' | 'written';
  protected prefetchLimit: number;
  protected creditLeft: number | undefined;
  protected readonly window = new Map<number, Unsettled<T>>();
  protected readonly held: Deliverable<T>[] = [];
  protected isClosed = false;
  private pausedSelf = false;
  private pumping = false;
  droppedCount = 0;

  constructor(id: string, spec: ConsumerSpec, protected readonly host: ConsumerHost, protected readonly callback: ConsumerCallback) {
    this.id = id;
    this.tag = spec.tag;
    this.source = spec.source;
    this.ackMode = spec.ack;
    this.autoSettle = spec.autoSettle ?? 'written';
    this.prefetchLimit = spec.prefetch ?? DEFAULT_PREFETCH;
    this.creditLeft = spec.credit;
  }

  get prefetch(): number {
    return this.prefetchLimit;
  }

  get credit(): number | undefined {
    return this.creditLeft;
  }

  get unsettled(): number {
    return this.window.size;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get paused(): boolean {
    return this.pausedSelf || this.host.paused;
  }

  /** Deliveries are tracked until settled: client modes, and auto mode settled when written. */
  protected get tracks(): boolean {
    return this.ackMode !== 'auto' || this.autoSettle === 'written';
  }

  /** Does this consumer itself enforce prefetch and credit (true), or does its source (queues)? */
  protected get enforcesFlow(): boolean {
    return true;
  }

  protected mayDeliver(): boolean {
    if (this.isClosed || this.paused) return false;
    if (!this.enforcesFlow) return true;
    if (this.creditLeft !== undefined && this.creditLeft <= 0) return false;
    return this.ackMode === 'auto' || this.window.size < this.prefetchLimit;
  }

  /** An item arrived from the source: deliver it now or hold it. */
  protected accept(d: Deliverable<T>): void {
    if (this.held.length === 0 && this.mayDeliver()) this.emit(d);
    else this.held.push(d);
    this.flowChanged();
  }

  private emit(d: Deliverable<T>): void {
    const id = this.host.nextDeliveryId();
    if (this.tracks) this.window.set(id, { messageId: d.messageId, item: d.item });
    if (this.enforcesFlow && this.creditLeft !== undefined) this.creditLeft -= 1;
    const delivery: Delivery = {
      id,
      consumer: this,
      messageId: d.messageId,
      message: d.message,
      redelivered: d.redelivered,
      receiveCount: d.receiveCount,
      destination: d.destination,
      ...(d.streamOffset !== undefined ? { streamOffset: d.streamOffset } : {}),
    };
    this.callback.deliver(delivery);
  }

  /** Hand over held items while allowed. */
  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.held.length > 0 && this.mayDeliver()) this.emit(this.held.shift()!);
    } finally {
      this.pumping = false;
    }
    this.flowChanged();
  }

  /** Subclass hook after deliveries or flow changes (pause a stream reader, ...). */
  protected flowChanged(): void {
    // nothing by default
  }

  has(deliveryId: number): boolean {
    return this.window.has(deliveryId);
  }

  findByMessageId(messageId: string): number | undefined {
    for (const [id, u] of this.window) if (u.messageId === messageId) return id;
    return undefined;
  }

  /** Remove `deliveryId` (and, cumulatively, every earlier one); [] if it is not unsettled. */
  protected take(deliveryId: number, cumulative: boolean): T[] {
    const target = this.window.get(deliveryId);
    if (!target) return [];
    if (!cumulative) {
      this.window.delete(deliveryId);
      return [target.item];
    }
    const out: T[] = [];
    for (const [id, u] of this.window) {
      this.window.delete(id);
      out.push(u.item);
      if (id === deliveryId) break;
    }
    return out;
  }

  async ack(deliveryId: number, opts: { cumulative?: boolean } = {}): Promise<void> {
    const items = this.take(deliveryId, opts.cumulative === true);
    if (items.length === 0) return;
    const done = items.length === 1 ? this.settleAck(items[0]!) : Promise.all(items.map((i) => this.settleAck(i))).then(() => undefined);
    this.pump();
    await done;
  }

  nack(deliveryId: number, opts: NackOutcome = {}): void {
    for (const item of this.take(deliveryId, opts.cumulative === true)) this.settleNack(item, opts);
    this.pump();
  }

  release(deliveryId: number): void {
    this.nack(deliveryId, { requeue: true, countDelivery: false });
  }

  /** Core action for an ack (queues delete the message; topics and streams have none). */
  protected abstract settleAck(item: T): Promise<void>;
  protected abstract settleNack(item: T, opts: NackOutcome): void;

  addCredit(n: number): void {
    checkCredit(n);
    this.creditLeft = (this.creditLeft ?? 0) + n;
    this.pump();
  }

  setCredit(n: number): void {
    checkCredit(n);
    this.creditLeft = n;
    this.pump();
  }

  drain(): number {
    this.pump();
    const dropped = Math.max(0, this.creditLeft ?? 0);
    if (this.creditLeft !== undefined) this.creditLeft = 0;
    this.flowChanged();
    return dropped;
  }

  pause(): void {
    this.pausedSelf = true;
    this.flowChanged();
  }

  resume(): void {
    this.pausedSelf = false;
    this.pump();
  }

  /** The session was paused or resumed. */
  sessionFlowChanged(): void {
    if (this.host.paused) this.flowChanged();
    else this.pump();
  }

  /** Detach from the source; subclasses return unsettled work to it first. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.detach();
    this.window.clear();
    this.held.length = 0;
    this.host.consumerClosed(this);
  }

  /** The broker ended the consumer. */
  protected ended(reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.window.clear();
    this.held.length = 0;
    this.host.consumerClosed(this);
    this.callback.ended?.(reason);
  }

  protected abstract detach(): void;
}

function checkCredit(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`credit must be a non-negative integer, got ${String(n)}`);
}
