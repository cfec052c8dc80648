/**
 * FIFO message groups: each group is the seq-ordered list of its messages that are still in
 * the queue (ready, delayed or in flight). Only the head of a group is ever delivered, and it
 * stays the head until it is deleted. So "one message of a group in flight at a time" is simply
 * "the head is deliverable only while READY": an in-flight or delayed head blocks its group, and
 * a head that returns to visible is delivered again before anything behind it.
 */
import type { QueueEntry } from './entry.js';

export class FifoGroup {
  /** Entries in seq order; live ones start at `start`. */
  private list: Array<QueueEntry | undefined> = [];
  private start = 0;

  constructor(readonly id: string) {}

  get size(): number {
    return this.list.length - this.start;
  }

  get head(): QueueEntry | undefined {
    return this.list[this.start];
  }

  /** Add a message; entries arrive in increasing seq, but out-of-order input is kept sorted. */
  add(e: QueueEntry): void {
    const list = this.list;
    const last = list[list.length - 1];
    if (this.size === 0 || (last !== undefined && last.seq < e.seq)) {
      list.push(e);
      return;
    }
    list.splice(this.find(e.seq, true), 0, e);
  }

  remove(e: QueueEntry): boolean {
    if (this.list[this.start] === e) {
      this.list[this.start] = undefined;
      this.start += 1;
      if (this.start === this.list.length) {
        this.list = [];
        this.start = 0;
      } else if (this.start >= 1024 && this.start * 2 >= this.list.length) {
        this.list = this.list.slice(this.start);
        this.start = 0;
      }
      return true;
    }
    const i = this.find(e.seq, false);
    if (i < 0) return false;
    this.list.splice(i, 1);
    return true;
  }

  /** Binary search over the live part: index of `seq` (or -1), or the insertion point if `insert`. */
  private find(seq: number, insert: boolean): number {
    let lo = this.start;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.list[mid]!.seq < seq) lo = mid + 1;
      else hi = mid;
    }
    if (insert) return lo;
    return lo < this.list.length && this.list[lo]!.seq === seq ? lo : -1;
  }
}

export class FifoGroups {
  private readonly groups = new Map<string, FifoGroup>();

  get size(): number {
    return this.groups.size;
  }

  get(id: string): FifoGroup | undefined {
    return this.groups.get(id);
  }

  add(e: QueueEntry): FifoGroup {
    let g = this.groups.get(e.groupId);
    if (!g) this.groups.set(e.groupId, (g = new FifoGroup(e.groupId)));
    g.add(e);
    return g;
  }

  /** Remove the entry from its group; returns the group if it still has messages. */
  remove(e: QueueEntry): FifoGroup | undefined {
    const g = this.groups.get(e.groupId);
    if (!g) return undefined;
    g.remove(e);
    if (g.size === 0) {
      this.groups.delete(e.groupId);
      return undefined;
    }
    return g;
  }

  clear(): void {
    this.groups.clear();
  }
}
