/**
 * An indexed binary min-heap of queue entries: push, pop, peek and remove-by-reference in
 * O(log n), no allocation per operation. Each entry remembers its position in one field
 * (`vIdx` for the visible set, `dIdx` for the due-time set, `xIdx` for the expiry set), so an
 * entry can sit in one heap of each kind at most.
 *
 * The visible set of a standard queue orders by priority (higher first) then seq; that of a
 * FIFO queue (which only ever holds group heads) by seq. The due set orders by dueAt, the expiry
 * set by expiresAt.
 * Appending messages in seq order at equal priority costs one comparison per push.
 */
import type { QueueEntry } from './entry.js';

export type EntryLess = (a: QueueEntry, b: QueueEntry) => boolean;
type IndexField = 'vIdx' | 'dIdx' | 'xIdx';

export const byPriorityThenSeq: EntryLess = (a, b) => (a.priority !== b.priority ? a.priority > b.priority : a.seq < b.seq);
export const bySeq: EntryLess = (a, b) => a.seq < b.seq;
export const byDueAt: EntryLess = (a, b) => (a.dueAt !== b.dueAt ? a.dueAt < b.dueAt : a.seq < b.seq);
export const byExpiresAt: EntryLess = (a, b) => (a.expiresAt !== b.expiresAt ? a.expiresAt < b.expiresAt : a.seq < b.seq);

export class EntryHeap {
  private readonly items: QueueEntry[] = [];

  constructor(private readonly less: EntryLess, private readonly field: IndexField) {}

  get size(): number {
    return this.items.length;
  }

  peek(): QueueEntry | undefined {
    return this.items[0];
  }

  has(e: QueueEntry): boolean {
    const i = e[this.field];
    return i >= 0 && this.items[i] === e;
  }

  push(e: QueueEntry): void {
    if (e[this.field] >= 0) throw new Error(`entry ${e.seq} is already in a heap (${this.field}=${e[this.field]})`);
    this.items.push(e);
    this.up(this.items.length - 1);
  }

  pop(): QueueEntry | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      last[this.field] = 0;
      this.down(0);
    }
    top[this.field] = -1;
    return top;
  }

  remove(e: QueueEntry): boolean {
    const i = e[this.field];
    const items = this.items;
    if (i < 0 || items[i] !== e) return false;
    const last = items.pop()!;
    if (i < items.length) {
      items[i] = last;
      last[this.field] = i;
      this.down(i);
      this.up(last[this.field]);
    }
    e[this.field] = -1;
    return true;
  }

  /** Re-establish order after the entry's key changed (e.g. a new dueAt). */
  update(e: QueueEntry): void {
    const i = e[this.field];
    if (i < 0 || this.items[i] !== e) return;
    this.up(i);
    this.down(e[this.field]);
  }

  /** Remove everything, resetting each entry's index. */
  clear(): void {
    for (const e of this.items) e[this.field] = -1;
    this.items.length = 0;
  }

  /** Snapshot of the members in heap (not sorted) order. */
  toArray(): QueueEntry[] {
    return this.items.slice();
  }

  private up(i: number): void {
    const items = this.items;
    const e = items[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (!this.less(e, p)) break;
      items[i] = p;
      p[this.field] = i;
      i = parent;
    }
    items[i] = e;
    e[this.field] = i;
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const e = items[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && this.less(items[r]!, items[l]!)) c = r;
      const child = items[c]!;
      if (!this.less(child, e)) break;
      items[i] = child;
      child[this.field] = i;
      i = c;
    }
    items[i] = e;
    e[this.field] = i;
  }
}
