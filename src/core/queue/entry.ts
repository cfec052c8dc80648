/**
 * One message held by a Queue, with the bookkeeping the queue needs. Internal to src/core/queue.
 */
import type { Message } from '../message.js';

/** Deliverable now (for FIFO: possibly waiting behind its group's head). */
export const READY = 0;
/** Not deliverable before `dueAt` (queue delay, per-message delay, nack with delay). */
export const DELAYED = 1;
/** Delivered and not yet deleted: pull (visibility deadline in `dueAt`) or push (held by `holder`). */
export const INFLIGHT = 2;
/** Removed from the queue. */
export const GONE = 3;
export type EntryState = typeof READY | typeof DELAYED | typeof INFLIGHT | typeof GONE;

/** The part of a push consumer an entry points at (avoids an import cycle with consumers.ts). */
export interface EntryHolder {
  readonly id: string;
}

export interface QueueEntry {
  readonly seq: number;
  readonly id: string;
  readonly message: Message;
  readonly enqueuedAt: number;
  availableAt: number;
  receiveCount: number;
  /** Ordering priority (standard queues): higher first. */
  readonly priority: number;
  /** True when the store has a row for it (persistent message on a durable queue). */
  readonly persisted: boolean;
  /** FIFO message group ('' on standard queues). */
  readonly groupId: string;
  /** When the message expires (its own expiresAt or enqueue + the queue's messageTtlMs, the earlier); Infinity: never. Retention is separate. */
  expiresAt: number;
  state: EntryState;
  /** Whether `state` is currently counted in the queue's depth counters. */
  counted: boolean;
  /** DELAYED: availableAt; INFLIGHT pull: visibility deadline. */
  dueAt: number;
  /** Position in the visible heap, -1 when not in it. */
  vIdx: number;
  /** Position in the due-time heap, -1 when not in it. */
  dIdx: number;
  /** Position in the expiry heap (undelivered entries with a finite expiresAt), -1 when not in it. */
  xIdx: number;
  /** Latest receipt handle of a pull receive (kept after the visibility timeout until the next delivery). */
  receipt: string | undefined;
  /** Push consumer holding it (INFLIGHT push), else null. */
  holder: EntryHolder | null;
  /** Delivery tag of the current push delivery. */
  tag: number;
}

export function createEntry(init: {
  seq: number; id: string; message: Message; enqueuedAt: number; availableAt: number;
  receiveCount: number; priority: number; persisted: boolean; groupId: string; expiresAt: number;
}): QueueEntry {
  return {
    seq: init.seq,
    id: init.id,
    message: init.message,
    enqueuedAt: init.enqueuedAt,
    availableAt: init.availableAt,
    receiveCount: init.receiveCount,
    priority: init.priority,
    persisted: init.persisted,
    groupId: init.groupId,
    expiresAt: init.expiresAt,
    state: READY,
    counted: false,
    dueAt: 0,
    vIdx: -1,
    dIdx: -1,
    xIdx: -1,
    receipt: undefined,
    holder: null,
    tag: 0,
  };
}
