/**
 * Visibility order of appended records. Sequence numbers are assigned when `put` is called,
 * but store commits resolve later (and a store may in principle resolve them out of order).
 * Readers may only see a record once it and every record before it has settled, so that a
 * reader never skips a lower seq that commits after a higher one. The watermark is the highest
 * seq such that every put with seq <= watermark has settled (committed or failed).
 */
export interface PendingCommit<T> {
  readonly seq: number;
  readonly payload: T;
  state: 'pending' | 'ok' | 'failed';
}

export class CommitOrder<T> {
  private queue: Array<PendingCommit<T>> = [];
  private head = 0;
  private lastBegun: number;
  private mark: number;

  constructor(watermark: number) {
    this.mark = watermark;
    this.lastBegun = watermark;
  }

  /** Every put with seq <= watermark has settled. */
  get watermark(): number {
    return this.mark;
  }

  /** Number of puts not yet settled. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Register a put; seqs must be begun in increasing order. */
  begin(seq: number, payload: T): PendingCommit<T> {
    if (seq <= this.lastBegun) throw new Error(`commit order: seq ${seq} begun after ${this.lastBegun}`);
    this.lastBegun = seq;
    const entry: PendingCommit<T> = { seq, payload, state: 'pending' };
    this.queue.push(entry);
    return entry;
  }

  /** Settle a put; returns the payloads of committed puts that just became visible, in seq order. */
  settle(entry: PendingCommit<T>, ok: boolean): T[] {
    if (entry.state !== 'pending') return [];
    entry.state = ok ? 'ok' : 'failed';
    const visible: T[] = [];
    while (this.head < this.queue.length) {
      const e = this.queue[this.head];
      if (e === undefined || e.state === 'pending') break;
      if (e.state === 'ok') visible.push(e.payload);
      this.mark = e.seq;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return visible;
  }
}
