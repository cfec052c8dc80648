/**
 * Push consumers (STOMP / AMQP / MQTT sessions) of a Queue. A consumer holds its unacked
 * deliveries until ack, nack or close; there is no visibility timeout for push deliveries.
 * Capacity: unacked < prefetch and, in credit mode (AMQP 1.0 link credit), credit > 0.
 * The Queue does the dispatching; this class keeps the per-consumer state and validates input.
 */
import { BrokerError } from '../errors.js';
import type { EntryHolder, QueueEntry } from './entry.js';
import type { ConsumerInfo, ConsumerOptions, NackOptions, QueueConsumer, QueueDelivery } from './types.js';

export const DEFAULT_PREFETCH = 1000;

/** What a consumer needs from its queue. */
export interface ConsumerHost {
  ack(c: PushConsumer, tag: number): Promise<void>;
  nack(c: PushConsumer, tag: number, opts: NackOptions): void;
  close(c: PushConsumer, requeue: boolean): void;
  /** Capacity may have grown: dispatch soon. */
  changed(c: PushConsumer): void;
  /** Dispatch now, synchronously. */
  pumpNow(): void;
}

let consumerCounter = 0;

export function checkPrefetch(n: unknown): number {
  if (n === Infinity) return n;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new BrokerError('INVALID_ARGUMENT', `prefetch must be an integer >= 1 or Infinity, got ${String(n)} (AMQP 0-9-1 prefetch 0 means unlimited: pass Infinity)`);
  }
  return n;
}

export function checkCredit(n: unknown, what = 'credit'): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new BrokerError('INVALID_ARGUMENT', `${what} must be an integer >= 0, got ${String(n)}`);
  }
  return n;
}

export class PushConsumer implements QueueConsumer, EntryHolder {
  readonly id: string;
  readonly tag: string | undefined;
  readonly autoAck: boolean;
  /** @internal unacked deliveries by tag, in delivery order. */
  readonly held = new Map<number, QueueEntry>();
  /** @internal */
  readonly onMessage: (d: QueueDelivery) => void;
  /** @internal */
  readonly onClosed: ((reason: string) => void) | undefined;
  private prefetchValue: number;
  private creditValue: number | undefined;
  private closedFlag = false;

  constructor(private readonly host: ConsumerHost, opts: ConsumerOptions) {
    if (typeof opts.onMessage !== 'function') throw new BrokerError('INVALID_ARGUMENT', 'onMessage must be a function');
    if (opts.tag !== undefined && typeof opts.tag !== 'string') throw new BrokerError('INVALID_ARGUMENT', 'consumer tag must be a string');
    this.prefetchValue = opts.prefetch === undefined ? DEFAULT_PREFETCH : checkPrefetch(opts.prefetch);
    this.creditValue = opts.credit === undefined ? undefined : checkCredit(opts.credit);
    this.autoAck = opts.autoAck === true;
    this.onMessage = opts.onMessage;
    this.onClosed = opts.onClosed;
    this.tag = opts.tag;
    consumerCounter += 1;
    this.id = `qc-${consumerCounter}`;
  }

  get unacked(): number {
    return this.held.size;
  }

  get prefetch(): number {
    return this.prefetchValue;
  }

  get credit(): number | undefined {
    return this.creditValue;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** @internal */
  hasCapacity(): boolean {
    return !this.closedFlag && this.held.size < this.prefetchValue && (this.creditValue === undefined || this.creditValue > 0);
  }

  /** @internal one delivery made */
  useCredit(): void {
    if (this.creditValue !== undefined) this.creditValue -= 1;
  }

  /** @internal the queue closed: forget everything, no requeue. */
  detach(): void {
    this.closedFlag = true;
    this.held.clear();
  }

  ack(tag: number): Promise<void> {
    return this.host.ack(this, tag);
  }

  nack(tag: number, opts: NackOptions = {}): void {
    this.host.nack(this, tag, opts);
  }

  addCredit(n: number): void {
    checkCredit(n);
    if (this.closedFlag) return;
    this.creditValue = (this.creditValue ?? 0) + n;
    if (n > 0) this.host.changed(this);
  }

  setCredit(n: number): void {
    checkCredit(n);
    if (this.closedFlag) return;
    const grew = this.creditValue === undefined ? false : n > this.creditValue;
    this.creditValue = n;
    if (grew || n > 0) this.host.changed(this);
  }

  setPrefetch(n: number): void {
    const p = checkPrefetch(n);
    if (this.closedFlag) return;
    const grew = p > this.prefetchValue;
    this.prefetchValue = p;
    if (grew) this.host.changed(this);
  }

  drain(): number {
    if (this.closedFlag || this.creditValue === undefined) return 0;
    this.host.pumpNow();
    const dropped = this.creditValue;
    this.creditValue = 0;
    return dropped;
  }

  close(opts: { requeue?: boolean } = {}): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.host.close(this, opts.requeue !== false);
  }

  info(): Omit<ConsumerInfo, 'active'> {
    return { id: this.id, tag: this.tag, unacked: this.held.size, prefetch: this.prefetchValue, credit: this.creditValue, autoAck: this.autoAck };
  }
}
