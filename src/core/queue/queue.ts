/**
 * A Queue with SQS semantics (visibility timeouts, long polling, delays, retention, TTL,
 * dead-letter redrive, FIFO groups and deduplication) plus push consumers with prefetch,
 * credit and auto-ack. At-least-once: a message leaves the queue only when deleted/acked,
 * expired, dead-lettered, rejected or purged.
 *
 * Dispatch order: pending long-poll receives first (oldest first, each takes up to its max),
 * then push consumers round-robin among those with capacity. Messages go out by priority
 * (higher first) then seq; FIFO queues ignore priority and keep strict order per group.
 * Dispatch runs in a microtask after the call that made it possible (send, ack, addConsumer,
 * ...), never inside it, and synchronously from clock timers.
 *
 * Store writes: putMessage on send (persistent message, durable queue), setReceiveCount on each
 * delivery, deleteMessage on ack/delete/expiry/dead-letter. Non-durable queues never touch the store.
 */
import type { Clock, TimerHandle } from '../clock.js';
import { BrokerError } from '../errors.js';
import { DEFAULT_PRIORITY, messageSize, newMessageId, type Message } from '../message.js';
import { isFifoName } from '../names.js';
import type { Store, StoredMessage } from '../store.js';
import { silentLogger, type Logger } from '../../log.js';
import { createEntry, INFLIGHT, READY, type QueueEntry } from './entry.js';
import { QueueCore } from './queue-core.js';
import { DedupWindow, contentDedupId } from './dedup-window.js';
import { Dispatcher } from './dispatcher.js';
import { QueueRemovals } from './removals.js';
import { ReceiptIssuer } from './receipts.js';
import type { QueueContext, QueueCounters } from './queue-context.js';
import {
  DEDUP_WINDOW_MS, MAX_DELAY_MS, MAX_RECEIVE_BATCH, MAX_RECEIVE_WAIT_MS, MAX_VISIBILITY_TIMEOUT_MS,
  type QueueAttributes,
} from './queue-attributes.js';
import type { ConsumerInfo, ConsumerOptions, QueueConsumer, QueueStats, ReceivedMessage, ReceiveOptions, SendOptions, SendResult } from './types.js';

export interface QueueDeps {
  name: string;
  attributes: QueueAttributes;
  store: Store;
  clock: Clock;
  logger?: Logger;
  /** Resolve a dead-letter target by name (the broker creates it if needed). */
  deadLetter?: (name: string) => Queue | undefined;
  /** How often retention and TTL are swept (default 60_000 ms); expired messages are also dropped lazily at dispatch. */
  sweepIntervalMs?: number;
}


export const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

function checkInt(what: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new BrokerError('INVALID_ARGUMENT', `${what} must be an integer between ${min} and ${max}, got ${String(v)}`);
  }
  return v;
}

export class Queue {
  readonly name: string;
  private attrs: Readonly<QueueAttributes>;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly sweepIntervalMs: number;
  private readonly core: QueueCore;
  private readonly counters: QueueCounters = { enqueued: 0, dequeued: 0, expired: 0, deadLettered: 0, duplicates: 0, purged: 0, rejected: 0 };
  private readonly dedup = new DedupWindow();
  private readonly receipts = new ReceiptIssuer();
  private readonly removals: QueueRemovals;
  private readonly dispatcher: Dispatcher;
  private seq = 0;
  private dueTimer: TimerHandle | undefined;
  private dueTimerAt = Infinity;
  private sweepTimer: TimerHandle | undefined;
  private closedFlag = false;

  private constructor(deps: QueueDeps) {
    if (deps.attributes.fifo !== isFifoName(deps.name)) {
      throw new BrokerError('INVALID_ATTRIBUTE', `fifo: must be ${isFifoName(deps.name)} for queue "${deps.name}"`);
    }
    this.name = deps.name;
    this.attrs = Object.freeze({ ...deps.attributes });
    this.store = deps.store;
    this.clock = deps.clock;
    this.logger = (deps.logger ?? silentLogger).child({ component: 'queue', queue: deps.name });
    this.sweepIntervalMs = deps.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
    this.core = new QueueCore(deps.attributes.fifo);
    const ctx: QueueContext = {
      name: this.name,
      core: this.core,
      store: this.store,
      clock: this.clock,
      logger: this.logger,
      counters: this.counters,
      attrs: () => this.attrs,
      scheduleDue: () => this.scheduleDue(),
      schedulePump: () => this.dispatcher.schedulePump(),
      bg: (p, what) => {
        p.then(undefined, (err: unknown) => this.logger.error({ err }, what));
      },
    };
    this.removals = new QueueRemovals(ctx, this, deps.deadLetter);
    this.dispatcher = new Dispatcher(ctx, this.removals, this.receipts);
  }

  /** Open the queue; a durable one loads its persisted messages (all visible again, receive counts kept, delayed ones stay delayed). */
  static async open(deps: QueueDeps): Promise<Queue> {
    const q = new Queue(deps);
    if (q.attrs.durable) await q.load();
    q.scheduleDue();
    q.scheduleSweep();
    return q;
  }

  private async load(): Promise<void> {
    const [rows, dedup] = await Promise.all([
      this.store.loadMessages(this.name),
      this.attrs.fifo ? this.store.loadDedup(this.name) : Promise.resolve([]),
    ]);
    const now = this.clock.now();
    for (const row of rows) {
      if (row.seq > this.seq) this.seq = row.seq;
      this.core.add(createEntry({
        seq: row.seq, id: row.id, message: row.message, enqueuedAt: row.enqueuedAt, availableAt: row.availableAt,
        receiveCount: row.receiveCount, priority: priorityOf(row.message), persisted: true,
        groupId: this.attrs.fifo ? row.message.groupId ?? '' : '',
      }), now);
    }
    this.dedup.load(dedup, now);
    if (rows.length > 0) this.logger.info({ messages: rows.length, dedup: this.dedup.size }, 'queue loaded');
  }

  get attributes(): QueueAttributes {
    return this.attrs;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Apply validated attributes (see parseQueueAttributes). fifo and durable cannot change. */
  setAttributes(attrs: QueueAttributes): void {
    if (attrs.fifo !== this.attrs.fifo) throw new BrokerError('INVALID_ATTRIBUTE', 'fifo: cannot change on an existing queue');
    if (attrs.durable !== this.attrs.durable) throw new BrokerError('INVALID_ATTRIBUTE', 'durable: cannot change on an existing queue');
    this.attrs = Object.freeze({ ...attrs });
    this.dispatcher.schedulePump();
  }

  // ------------------------------------------------------------------ producing

  /** Resolves after the store commit for a persistent message on a durable queue, else after the in-memory enqueue. */
  async send(message: Message, opts: SendOptions = {}): Promise<SendResult> {
    this.checkOpen();
    const a = this.attrs;
    const size = messageSize(message);
    if (size > a.maxMessageBytes) {
      throw new BrokerError('MESSAGE_TOO_LARGE', `${size} bytes exceeds maxMessageBytes ${a.maxMessageBytes} of queue "${this.name}"`);
    }
    if (opts.id !== undefined && (typeof opts.id !== 'string' || opts.id === '')) throw new BrokerError('INVALID_ARGUMENT', 'message id must be a non-empty string');
    let delay = a.delayMs;
    if (opts.delayMs !== undefined) {
      checkInt('delayMs', opts.delayMs, 0, MAX_DELAY_MS);
      if (a.fifo && opts.delayMs !== 0) {
        throw new BrokerError('INVALID_ARGUMENT', `per-message delay is not supported on FIFO queue "${this.name}"; set the queue's delayMs instead`);
      }
      if (!a.fifo) delay = opts.delayMs;
    }
    const now = this.clock.now();
    let dedupId: string | undefined;
    if (a.fifo) {
      if (typeof message.groupId !== 'string' || message.groupId === '') {
        throw new BrokerError('INVALID_ARGUMENT', `FIFO queue "${this.name}" requires a message groupId`);
      }
      dedupId = message.dedupId ?? (a.contentBasedDeduplication ? contentDedupId(message.body) : undefined);
      if (dedupId === undefined || dedupId === '') {
        throw new BrokerError('INVALID_ARGUMENT', `FIFO queue "${this.name}" requires a dedupId (or contentBasedDeduplication)`);
      }
      const hit = this.dedup.get(dedupId, now);
      if (hit) {
        this.counters.duplicates += 1;
        return { id: hit.id, seq: hit.seq, duplicate: true };
      }
    }
    const { entry, commit } = this.enqueue(message, opts.id ?? newMessageId(), now, now + delay, dedupId);
    if (commit) await commit;
    return { id: entry.id, seq: entry.seq, duplicate: false };
  }

  /**
   * @internal A message moved here by another queue's dead-lettering. Skips size, delay and
   * dedup checks; the store write (if any) is issued before this returns, so the caller's delete
   * lands in the same group commit.
   */
  acceptDeadLetter(message: Message, id: string): void {
    this.checkOpen();
    const now = this.clock.now();
    const { commit } = this.enqueue(message, id, now, now, undefined);
    if (commit) commit.then(undefined, (err: unknown) => this.logger.error({ err, id }, 'persisting dead-lettered message failed'));
  }

  private enqueue(message: Message, id: string, now: number, availableAt: number, dedupId: string | undefined): { entry: QueueEntry; commit: Promise<void> | undefined } {
    const seq = ++this.seq;
    const persisted = message.persistent && this.attrs.durable;
    const entry = createEntry({
      seq, id, message, enqueuedAt: now, availableAt, receiveCount: 0, priority: priorityOf(message), persisted,
      groupId: this.attrs.fifo ? message.groupId ?? '' : '',
    });
    let commit: Promise<void> | undefined;
    const expiresAt = message.properties.expiresAt;
    if (expiresAt !== undefined && expiresAt <= now) {
      this.counters.expired += 1; // accepted, but dead on arrival: never stored, never delivered
    } else {
      if (persisted) commit = this.store.putMessage(this.stored(entry));
      this.counters.enqueued += 1;
      this.core.add(entry, now);
      if (entry.availableAt > now) this.scheduleDue();
      else this.dispatcher.schedulePump();
    }
    if (dedupId !== undefined) {
      const dedupExpiresAt = now + DEDUP_WINDOW_MS;
      this.dedup.add(dedupId, { id, seq, expiresAt: dedupExpiresAt });
      if (persisted) {
        const put = this.store.putDedup({ scope: this.name, dedupId, expiresAt: dedupExpiresAt, messageId: id });
        commit = commit ? Promise.all([commit, put]).then(() => undefined) : put;
      }
    }
    return { entry, commit };
  }

  // ------------------------------------------------------------------ pull

  /** SQS ReceiveMessage: up to `max` messages now, or long-poll until at least one is available or the wait ends ([]). */
  async receive(opts: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    this.checkOpen();
    const max = opts.max === undefined ? 1 : checkInt('max', opts.max, 1, MAX_RECEIVE_BATCH);
    const waitMs = opts.waitMs === undefined ? this.attrs.receiveWaitMs : checkInt('waitMs', opts.waitMs, 0, MAX_RECEIVE_WAIT_MS);
    const vt = opts.visibilityTimeoutMs === undefined
      ? this.attrs.visibilityTimeoutMs
      : checkInt('visibilityTimeoutMs', opts.visibilityTimeoutMs, 0, MAX_VISIBILITY_TIMEOUT_MS);
    const batch: ReceivedMessage[] = [];
    // Earlier long polls are served first; while one waits there is nothing visible anyway.
    if (this.dispatcher.waiters.length === 0) this.dispatcher.takeInto(batch, max, vt, this.clock.now());
    if (batch.length > 0 || waitMs === 0 || opts.signal?.aborted === true) return batch;
    return this.dispatcher.waiters.wait(max, vt, waitMs, opts.signal);
  }

  /** SQS DeleteMessage. The latest receipt stays valid after the visibility timeout until the message is received again. */
  async deleteMessage(receipt: string): Promise<void> {
    this.checkOpen();
    const e = this.entryForReceipt(receipt);
    if (!e) throw new BrokerError('RECEIPT_INVALID', `queue "${this.name}"`);
    this.core.remove(e);
    this.counters.dequeued += 1;
    this.dispatcher.schedulePump();
    if (e.persisted) await this.store.deleteMessage(this.name, e.seq);
  }

  /** SQS ChangeMessageVisibility: new timeout counted from now; 0 makes it visible at once. Only for messages in flight. */
  changeVisibility(receipt: string, timeoutMs: number): void {
    this.checkOpen();
    checkInt('visibilityTimeoutMs', timeoutMs, 0, MAX_VISIBILITY_TIMEOUT_MS);
    const e = this.entryForReceipt(receipt);
    if (!e) throw new BrokerError('RECEIPT_INVALID', `queue "${this.name}"`);
    if (e.state !== INFLIGHT) throw new BrokerError('RECEIPT_INVALID', 'message is not in flight (its visibility timeout has passed)');
    if (timeoutMs === 0) {
      this.core.makeReady(e);
      this.dispatcher.schedulePump();
    } else {
      this.core.setDeadline(e, this.clock.now() + timeoutMs);
      this.scheduleDue();
    }
  }

  private entryForReceipt(receipt: unknown): QueueEntry | undefined {
    const seq = this.receipts.seqOf(receipt);
    const e = seq === undefined ? undefined : this.core.entries.get(seq);
    return e !== undefined && e.receipt === receipt && e.holder === null && (e.state === INFLIGHT || e.state === READY) ? e : undefined;
  }

  // ------------------------------------------------------------------ push

  addConsumer(opts: ConsumerOptions): QueueConsumer {
    this.checkOpen();
    return this.dispatcher.addConsumer(opts);
  }

  listConsumers(): ConsumerInfo[] {
    return this.dispatcher.listConsumers();
  }

  // ------------------------------------------------------------------ admin

  /** Remove every message except unacked push deliveries (their consumers still hold them). Returns how many. */
  async purge(): Promise<number> {
    this.checkOpen();
    let n = 0;
    const kept: QueueEntry[] = [];
    for (const e of this.core.entries.values()) {
      if (e.holder !== null) {
        if (e.persisted) kept.push(e);
        continue;
      }
      this.core.remove(e);
      n += 1;
    }
    this.counters.purged += n;
    this.logger.info({ purged: n }, 'queue purged');
    if (!this.attrs.durable) return n;
    // Issued back to back: the held messages' rows are written again in the same commit.
    const writes = [this.store.purgeQueue(this.name)];
    for (const e of kept) writes.push(this.store.putMessage(this.stored(e)));
    await Promise.all(writes);
    return n;
  }

  stats(): QueueStats {
    return {
      visible: this.core.readyCount,
      inFlight: this.core.inFlightCount,
      delayed: this.core.delayedCount,
      consumers: this.dispatcher.consumerCount,
      waiting: this.dispatcher.waiters.length,
      ...this.counters,
    };
  }

  /** Cancel timers, end long polls with [], detach consumers (no requeue, no store writes). */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.dueTimer?.cancel();
    this.dueTimer = undefined;
    this.sweepTimer?.cancel();
    this.sweepTimer = undefined;
    this.dispatcher.stop();
    this.core.clear();
    this.dedup.clear();
  }

  private checkOpen(): void {
    if (this.closedFlag) throw new BrokerError('NOT_FOUND', `queue "${this.name}" is closed`);
  }

  // ------------------------------------------------------------------ timers

  /** One clock timer per queue, for the earliest due time (delays and pull visibility deadlines). */
  private scheduleDue(): void {
    if (this.closedFlag) return;
    const top = this.core.due.peek();
    if (!top) {
      this.dueTimer?.cancel();
      this.dueTimer = undefined;
      this.dueTimerAt = Infinity;
      return;
    }
    if (this.dueTimer && this.dueTimerAt <= top.dueAt) return;
    this.dueTimer?.cancel();
    this.dueTimerAt = top.dueAt;
    this.dueTimer = this.clock.setTimer(Math.max(0, top.dueAt - this.clock.now()), this.onDue);
  }

  private readonly onDue = (): void => {
    this.dueTimer = undefined;
    this.dueTimerAt = Infinity;
    if (this.closedFlag) return;
    const now = this.clock.now();
    for (let top = this.core.due.peek(); top && top.dueAt <= now; top = this.core.due.peek()) {
      this.core.makeReady(top); // delay over, or visibility timeout over (receipt kept for a late delete)
    }
    this.scheduleDue();
    this.dispatcher.pump();
  };

  private scheduleSweep(): void {
    if (this.closedFlag) return;
    this.sweepTimer = this.clock.setTimer(this.sweepIntervalMs, this.onSweep);
  }

  private readonly onSweep = (): void => {
    this.sweepTimer = undefined;
    if (this.closedFlag) return;
    const now = this.clock.now();
    const dropped = this.removals.sweep(now);
    this.dedup.prune(now);
    if (dropped > 0) {
      this.logger.debug({ dropped }, 'expired messages swept');
      this.dispatcher.schedulePump();
    }
    this.scheduleSweep();
  };

  private stored(e: QueueEntry): StoredMessage {
    return { queue: this.name, seq: e.seq, id: e.id, message: e.message, enqueuedAt: e.enqueuedAt, availableAt: e.availableAt, receiveCount: e.receiveCount };
  }
}

function priorityOf(m: Message): number {
  const p = m.properties.priority;
  return typeof p === 'number' && Number.isFinite(p) ? p : DEFAULT_PRIORITY;
}
