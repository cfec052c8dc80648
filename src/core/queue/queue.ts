/**
 * A Queue with SQS semantics (visibility timeouts, long polling, delays, retention, TTL,
 * dead-letter redrive, FIFO groups and deduplication) plus push consumers with prefetch,
 * credit and auto-ack, and the RabbitMQ queue arguments as attributes (queue TTL, max length
 * and overflow, dead-letter exchange, max priority, single active consumer, delivery limit,
 * queue expiry, auto-delete). At-least-once: a message leaves the queue only when
 * deleted/acked, expired, dead-lettered, dropped by overflow or a delivery limit, rejected or
 * purged.
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
import type { Clock } from '../clock.js';
import { BrokerError } from '../errors.js';
import { messageSize, newMessageId, type Message } from '../message.js';
import { isFifoName } from '../names.js';
import type { Store, StoredMessage } from '../store.js';
import { silentLogger, type Logger } from '../../log.js';
import { createEntry, INFLIGHT, READY, type QueueEntry } from './entry.js';
import { QueueCore } from './queue-core.js';
import { DedupWindow, contentDedupId } from './dedup-window.js';
import { Dispatcher } from './dispatcher.js';
import { QueueRemovals } from './removals.js';
import { ReceiptIssuer } from './receipts.js';
import { newCounters, type QueueContext } from './queue-context.js';
import { QueueTimers } from './queue-timers.js';
import { QueueExpiry, type UnusedReason } from './queue-expiry.js';
import { dropHead, hasLengthLimit, wouldOverflow } from './overflow.js';
import type { DeadLetterPublisher } from './dead-letter-target.js';
import { checkInt, entryExpiresAt, entryPriority } from './queue-checks.js';
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
  /** Publish a dead-lettered copy through the dead-letter exchange (attribute deadLetterExchange). */
  deadLetterTo?: DeadLetterPublisher;
  /** The queue wants to be deleted: unused for expiresMs, or its last consumer went (autoDelete). */
  onUnused?: (queue: Queue, reason: UnusedReason) => void;
  /** How often retention and TTL are swept (default 60_000 ms); expired messages are also dropped lazily at dispatch. */
  sweepIntervalMs?: number;
}

export const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

export class Queue {
  readonly name: string;
  private attrs: Readonly<QueueAttributes>;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly core: QueueCore;
  private readonly counters = newCounters();
  private readonly dedup = new DedupWindow();
  private readonly receipts = new ReceiptIssuer();
  private readonly removals: QueueRemovals;
  private readonly dispatcher: Dispatcher;
  private readonly expiry: QueueExpiry;
  private readonly timers: QueueTimers;
  private seq = 0;
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
    this.core = new QueueCore(deps.attributes.fifo);
    const ctx: QueueContext = {
      name: this.name,
      core: this.core,
      store: this.store,
      clock: this.clock,
      logger: this.logger,
      counters: this.counters,
      attrs: () => this.attrs,
      scheduleDue: () => this.timers.scheduleDue(),
      schedulePump: () => this.dispatcher.schedulePump(),
      scheduleExpiry: () => this.timers.scheduleExpiry(),
      consumersChanged: () => this.expiry.changed(),
      bg: (p, what) => {
        p.then(undefined, (err: unknown) => this.logger.error({ err }, what));
      },
    };
    this.timers = new QueueTimers({
      clock: this.clock, core: this.core, logger: this.logger, sweepIntervalMs: deps.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS,
      removals: () => this.removals, pump: () => this.dispatcher.pump(), schedulePump: () => this.dispatcher.schedulePump(),
      pruneDedup: (now) => this.dedup.prune(now),
    });
    const onUnused = deps.onUnused;
    this.expiry = new QueueExpiry(this.clock, () => this.attrs, () => this.dispatcher.consumerCount, onUnused && ((reason) => onUnused(this, reason)));
    this.removals = new QueueRemovals(ctx, this, deps.deadLetter, deps.deadLetterTo);
    this.dispatcher = new Dispatcher(ctx, this.removals, this.receipts);
  }

  /** Open the queue; a durable one loads its persisted messages (all visible again, receive counts kept, delayed ones stay delayed). */
  static async open(deps: QueueDeps): Promise<Queue> {
    const q = new Queue(deps);
    if (q.attrs.durable) await q.load();
    q.timers.start();
    q.expiry.changed();
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
        receiveCount: row.receiveCount, priority: entryPriority(row.message, this.attrs), persisted: true,
        groupId: this.attrs.fifo ? row.message.groupId ?? '' : '', expiresAt: entryExpiresAt(row.message, row.enqueuedAt, this.attrs),
      }), now);
    }
    this.dedup.load(dedup, now);
    if (this.attrs.overflow === 'drop-head') dropHead(this.core, this.attrs, this.removals);
    if (rows.length > 0) this.logger.info({ messages: rows.length, dedup: this.dedup.size }, 'queue loaded');
  }

  get attributes(): QueueAttributes {
    return this.attrs;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /**
   * Apply validated attributes (see parseQueueAttributes). fifo and durable cannot change. A new
   * messageTtlMs applies to the messages already queued; a lower limit drops heads at once
   * (drop-head); a new maxPriority applies to messages enqueued from now on.
   */
  setAttributes(attrs: QueueAttributes): void {
    if (attrs.fifo !== this.attrs.fifo) throw new BrokerError('INVALID_ATTRIBUTE', 'fifo: cannot change on an existing queue');
    if (attrs.durable !== this.attrs.durable) throw new BrokerError('INVALID_ATTRIBUTE', 'durable: cannot change on an existing queue');
    const ttlChanged = attrs.messageTtlMs !== this.attrs.messageTtlMs;
    this.attrs = Object.freeze({ ...attrs });
    if (ttlChanged) for (const e of this.core.entries.values()) this.core.setExpiry(e, entryExpiresAt(e.message, e.enqueuedAt, this.attrs));
    if (this.attrs.overflow === 'drop-head') dropHead(this.core, this.attrs, this.removals);
    this.timers.scheduleExpiry();
    this.expiry.changed();
    this.dispatcher.schedulePump();
  }

  /** A redeclare (AMQP 0-9-1 queue.declare of an existing queue): counts as use for expiresMs. */
  touch(): void {
    this.expiry.touch();
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
    const id = opts.id ?? newMessageId();
    if (a.overflow !== 'drop-head' && hasLengthLimit(a) && wouldOverflow(this.core, a, message.body.length)) this.refuse(message, id, now);
    const { entry, commit } = this.enqueue(message, id, now, now + delay, dedupId);
    if (commit) await commit;
    return { id: entry.id, seq: entry.seq, duplicate: false };
  }

  /** reject-publish(-dlx): the send fails; -dlx dead-letters the refused message (reason maxlen). */
  private refuse(message: Message, id: string, now: number): never {
    this.counters.refused += 1;
    if (this.attrs.overflow === 'reject-publish-dlx') this.removals.deadLetterUnqueued(message, id, 'maxlen', now);
    const a = this.attrs;
    throw new BrokerError('QUEUE_FULL', `queue "${this.name}" is at its limit (maxLength ${a.maxLength ?? '-'}, maxLengthBytes ${a.maxLengthBytes ?? '-'}, overflow ${a.overflow})`);
  }

  /**
   * @internal A message moved here by another queue's dead-lettering. Skips size, delay and
   * dedup checks; the store write (if any) is issued before this returns, so the caller's delete
   * lands in the same group commit.
   */
  acceptDeadLetter(message: Message, id: string): void {
    this.checkOpen();
    const now = this.clock.now();
    const a = this.attrs;
    if (a.overflow !== 'drop-head' && hasLengthLimit(a) && wouldOverflow(this.core, a, message.body.length)) {
      this.counters.refused += 1; // RabbitMQ drops a dead-lettered message its target refuses
      this.logger.warn({ id }, 'dead-lettered message refused: the queue is at its limit');
      return;
    }
    const { commit } = this.enqueue(message, id, now, now, undefined);
    if (commit) commit.then(undefined, (err: unknown) => this.logger.error({ err, id }, 'persisting dead-lettered message failed'));
  }

  private enqueue(message: Message, id: string, now: number, availableAt: number, dedupId: string | undefined): { entry: QueueEntry; commit: Promise<void> | undefined } {
    const seq = ++this.seq;
    const a = this.attrs;
    const persisted = message.persistent && a.durable;
    const entry = createEntry({
      seq, id, message, enqueuedAt: now, availableAt, receiveCount: 0, priority: entryPriority(message, a), persisted,
      groupId: a.fifo ? message.groupId ?? '' : '', expiresAt: entryExpiresAt(message, now, a),
    });
    let commit: Promise<void> | undefined;
    if (entry.expiresAt <= now) {
      // Accepted, but dead on arrival: never stored, never delivered; dead-lettered if there is a target.
      if (!this.removals.deadLetterUnqueued(message, id, 'expired', now)) this.counters.expired += 1;
    } else {
      if (persisted) commit = this.store.putMessage(this.stored(entry));
      this.counters.enqueued += 1;
      this.core.add(entry, now);
      if (a.overflow === 'drop-head' && hasLengthLimit(a)) dropHead(this.core, a, this.removals);
      if (entry.expiresAt !== Infinity) this.timers.scheduleExpiry();
      if (entry.availableAt > now) this.timers.scheduleDue();
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
    this.expiry.touch();
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
      this.timers.scheduleDue();
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

  /** The push consumer that receives now on a singleActiveConsumer queue (the oldest attached), if any. */
  activeConsumer(): ConsumerInfo | undefined {
    return this.dispatcher.listConsumers().find((c) => c.active);
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
    this.timers.stop();
    this.expiry.stop();
    this.dispatcher.stop();
    this.core.clear();
    this.dedup.clear();
  }

  private checkOpen(): void {
    if (this.closedFlag) throw new BrokerError('NOT_FOUND', `queue "${this.name}" is closed`);
  }

  private stored(e: QueueEntry): StoredMessage {
    return { queue: this.name, seq: e.seq, id: e.id, message: e.message, enqueuedAt: e.enqueuedAt, availableAt: e.availableAt, receiveCount: e.receiveCount };
  }
}
