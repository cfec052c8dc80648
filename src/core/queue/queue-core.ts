/**
 * The in-memory state machine of one queue: every entry, the visible set (what can be delivered
 * next), the due set (delays and pull visibility deadlines, one clock timer for the earliest),
 * the expiry set (undelivered entries with a TTL, one clock timer for the earliest), FIFO
 * groups, and depth counters (messages by state, undelivered body bytes). No I/O, no timers, no delivery: Queue drives it.
 *
 *   add ──► READY ◄──────────► DELAYED
 *             │ ▲                 ▲
 *      take   ▼ │ makeReady       │ makeDelayed (nack with delay)
 *           INFLIGHT ─────────────┘
 *             │
 *   remove ──► GONE (from any state)
 *
 * Standard queue: every READY entry is in the visible heap (priority, then seq).
 * FIFO queue: only READY group heads are in the visible heap (by seq); see fifo-groups.ts.
 */
import { DELAYED, GONE, INFLIGHT, READY, type EntryState, type QueueEntry } from './entry.js';
import { byDueAt, byExpiresAt, byPriorityThenSeq, bySeq, EntryHeap } from './entry-heap.js';
import { FifoGroups, type FifoGroup } from './fifo-groups.js';

export class QueueCore {
  /** Every live entry, in insertion order (which is enqueue-time order). */
  readonly entries = new Map<number, QueueEntry>();
  readonly visible: EntryHeap;
  readonly due = new EntryHeap(byDueAt, 'dIdx');
  /** READY and DELAYED entries with a finite expiresAt (in-flight ones are checked when they return). */
  readonly expiring = new EntryHeap(byExpiresAt, 'xIdx');
  readonly groups: FifoGroups | null;
  readyCount = 0;
  delayedCount = 0;
  inFlightCount = 0;
  /** Body bytes of READY and DELAYED entries (maxLengthBytes). */
  undeliveredBytes = 0;

  constructor(readonly fifo: boolean) {
    this.visible = new EntryHeap(fifo ? bySeq : byPriorityThenSeq, 'vIdx');
    this.groups = fifo ? new FifoGroups() : null;
  }

  get size(): number {
    return this.entries.size;
  }

  /** A new entry: DELAYED if availableAt is in the future, else READY. */
  add(e: QueueEntry, now: number): void {
    this.entries.set(e.seq, e);
    const group = this.groups?.add(e);
    if (e.availableAt > now) {
      this.setState(e, DELAYED);
      e.dueAt = e.availableAt;
      this.due.push(e);
    } else {
      this.setState(e, READY);
      if (group) this.refreshGroup(group);
      else this.visible.push(e);
    }
    this.trackExpiry(e);
  }

  /** Next deliverable entry, taken out of the visible set (still READY until marked in flight or removed). */
  popVisible(): QueueEntry | undefined {
    return this.visible.pop();
  }

  /** READY and DELAYED entries, undelivered (maxLength counts these). */
  get undeliveredCount(): number {
    return this.readyCount + this.delayedCount;
  }

  /** The undelivered entry with the lowest seq (drop-head overflow), skipping in-flight ones. */
  oldestUndelivered(): QueueEntry | undefined {
    for (const e of this.entries.values()) if (e.state === READY || e.state === DELAYED) return e;
    return undefined;
  }

  /** A new expiry time (the queue's messageTtlMs changed). */
  setExpiry(e: QueueEntry, expiresAt: number): void {
    e.expiresAt = expiresAt;
    this.expiring.remove(e);
    this.trackExpiry(e);
  }

  /** Delivered: pull (with a visibility deadline) or push (deadline undefined). */
  markInFlight(e: QueueEntry, deadline: number | undefined): void {
    this.visible.remove(e);
    this.due.remove(e);
    this.expiring.remove(e);
    this.setState(e, INFLIGHT);
    if (deadline !== undefined) {
      e.dueAt = deadline;
      this.due.push(e);
    }
  }

  /** New visibility deadline of a pull delivery. */
  setDeadline(e: QueueEntry, deadline: number): void {
    e.dueAt = deadline;
    if (this.due.has(e)) this.due.update(e);
    else this.due.push(e);
  }

  /** Deliverable again (delay over, visibility timeout over, nack/release, consumer closed). */
  makeReady(e: QueueEntry): void {
    this.due.remove(e);
    e.holder = null;
    this.setState(e, READY);
    this.trackExpiry(e);
    if (this.groups) {
      const g = this.groups.get(e.groupId);
      if (g) this.refreshGroup(g);
    } else if (e.vIdx < 0) {
      this.visible.push(e);
    }
  }

  /** Invisible until `at` (nack with a delay). */
  makeDelayed(e: QueueEntry, at: number): void {
    this.visible.remove(e);
    this.due.remove(e);
    e.holder = null;
    this.setState(e, DELAYED);
    this.trackExpiry(e);
    e.dueAt = at;
    this.due.push(e);
  }

  /** Take the entry out of the queue for good (deleted, acked, expired, dead-lettered, purged). */
  remove(e: QueueEntry): void {
    if (e.state === GONE) return;
    this.visible.remove(e);
    this.due.remove(e);
    this.expiring.remove(e);
    this.setState(e, GONE);
    this.entries.delete(e.seq);
    e.holder = null;
    if (this.groups) {
      const g = this.groups.remove(e);
      if (g) this.refreshGroup(g);
    }
  }

  /** Drop everything (queue closed). */
  clear(): void {
    this.visible.clear();
    this.due.clear();
    this.expiring.clear();
    this.groups?.clear();
    this.entries.clear();
    this.readyCount = 0;
    this.delayedCount = 0;
    this.inFlightCount = 0;
    this.undeliveredBytes = 0;
  }

  private trackExpiry(e: QueueEntry): void {
    if (e.expiresAt !== Infinity && e.xIdx < 0 && (e.state === READY || e.state === DELAYED)) this.expiring.push(e);
  }

  /** FIFO: put the group's head in the visible set if it is ready (an in-flight or delayed head blocks the group). */
  private refreshGroup(g: FifoGroup): void {
    const head = g.head;
    if (head !== undefined && head.state === READY && head.vIdx < 0) this.visible.push(head);
  }

  private setState(e: QueueEntry, next: EntryState): void {
    if (e.counted) this.adjust(e, e.state, -1);
    e.counted = next !== GONE;
    if (e.counted) this.adjust(e, next, 1);
    e.state = next;
  }

  private adjust(e: QueueEntry, state: EntryState, d: number): void {
    if (state === READY) this.readyCount += d;
    else if (state === DELAYED) this.delayedCount += d;
    else if (state === INFLIGHT) this.inFlightCount += d;
    if (state === READY || state === DELAYED) this.undeliveredBytes += d * e.message.body.length;
  }
}
