/**
 * Group commit: writes are queued as operations of an open batch; the batch is executed as ONE
 * transaction with ONE commit (one fsync) and only then are the operations' promises resolved.
 *
 * A batch is sealed and executed when:
 *  - it holds `maxBatch` operations (executed right away, inside the call that filled it), or
 *  - `maxDelayMs` after its first operation (a timer), or on the next `setImmediate` when
 *    `maxDelayMs` is 0 (i.e. as soon as the event loop has run the current I/O callbacks), or
 *  - `flush()` / `close()` is called.
 * At most one batch executes at a time; with an asynchronous executor (PostgreSQL) the next
 * batch keeps filling meanwhile and starts when the previous one has finished.
 *
 * Each batch carries a store-defined state object (`S`) created empty with the batch. Stores use
 * it to coalesce operations inside the open batch (e.g. a put followed by a delete of the same
 * message). The state is only reachable through `openState()` while the batch is open.
 *
 * Failure: if the executor throws, every operation of the batch is rejected with
 * BrokerError('STORE_FAILED') (cause: the original error), the error is logged and reported to
 * `observer.onError`. Nothing is swallowed.
 */
import { BrokerError } from '../core/errors.js';
import type { Logger } from '../log.js';
import type { StoreObserver } from '../core/store.js';

/** Runs the batch in one transaction and commits; returns one result per operation, in order. */
export type BatchExecutor<W, S> = (ops: readonly W[], state: S) => unknown[] | Promise<unknown[]>;

export interface GroupCommitOptions<W, S> {
  execute: BatchExecutor<W, S>;
  newState: () => S;
  logger: Logger;
  observer?: StoreObserver | undefined;
  /** Operations per batch before it is executed without waiting (default 2000). */
  maxBatch?: number | undefined;
  /** Longest wait between a batch's first operation and its execution; 0 = next setImmediate (default 2). */
  maxDelayMs?: number | undefined;
}

interface Waiter {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

class Batch<W, S> {
  readonly ops: W[] = [];
  readonly waiters: Waiter[] = [];
  /** flush()/close() waiters: resolved when the batch commits, rejected (STORE_FAILED) if it fails. */
  readonly done: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  constructor(readonly state: S) {}
}

export interface GroupCommitStats {
  commits: number;
  operations: number;
  failedBatches: number;
}

export class GroupCommit<W, S> {
  private readonly execute: BatchExecutor<W, S>;
  private readonly newState: () => S;
  private readonly logger: Logger;
  private readonly observer: StoreObserver | undefined;
  readonly maxBatch: number;
  readonly maxDelayMs: number;
  /** The batch accepting operations, if any. */
  private open: Batch<W, S> | null = null;
  /** Sealed batches waiting to execute, oldest first. */
  private readonly sealed: Array<Batch<W, S>> = [];
  /** The batch being executed (only ever observed non-null with an asynchronous executor). */
  private executing: Batch<W, S> | null = null;
  private closed = false;
  readonly stats: GroupCommitStats = { commits: 0, operations: 0, failedBatches: 0 };

  constructor(opts: GroupCommitOptions<W, S>) {
    this.execute = opts.execute;
    this.newState = opts.newState;
    this.logger = opts.logger;
    this.observer = opts.observer;
    this.maxBatch = opts.maxBatch ?? 2000;
    this.maxDelayMs = opts.maxDelayMs ?? 2;
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1) throw new BrokerError('CONFIG_INVALID', `maxBatch must be a positive integer, got ${this.maxBatch}`);
    if (!(this.maxDelayMs >= 0)) throw new BrokerError('CONFIG_INVALID', `maxDelayMs must be >= 0, got ${this.maxDelayMs}`);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Number of operations waiting in the open batch. */
  get pending(): number {
    return this.open?.ops.length ?? 0;
  }

  /** The open batch's coalescing state, creating the batch if needed. Throws STORE_CLOSED after close. */
  openState(): S {
    return this.batch().state;
  }

  /** Queue an operation; the promise settles after the batch that contains it has committed. */
  submit<T>(op: W): Promise<T> {
    let batch: Batch<W, S>;
    try {
      batch = this.batch();
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const p = new Promise<T>((resolve, reject) => {
      batch.waiters.push({ resolve: resolve as (v: unknown) => void, reject });
    });
    batch.ops.push(op);
    if (batch.ops.length >= this.maxBatch) this.seal(batch);
    return p;
  }

  /** Commit everything submitted so far. Rejects (STORE_FAILED) if the last batch failed. */
  flush(): Promise<void> {
    if (this.closed) return Promise.reject(new BrokerError('STORE_CLOSED'));
    return this.drain();
  }

  /** Refuse new operations, then commit what is queued. */
  close(): Promise<void> {
    this.closed = true;
    return this.drain();
  }

  /** Settles when every batch submitted so far has finished (batches finish in order). */
  private drain(): Promise<void> {
    const last = this.open ?? this.sealed[this.sealed.length - 1] ?? this.executing;
    if (!last) return Promise.resolve();
    const p = new Promise<void>((resolve, reject) => last.done.push({ resolve, reject }));
    if (last === this.open) this.seal(last);
    return p;
  }

  private batch(): Batch<W, S> {
    if (this.closed) throw new BrokerError('STORE_CLOSED');
    if (this.open) return this.open;
    const batch = new Batch<W, S>(this.newState());
    this.open = batch;
    // While a batch executes (async executor) the next one just fills up; it is sealed when that ends.
    if (!this.executing) {
      batch.timer = this.maxDelayMs === 0
        ? setImmediate(() => this.seal(batch))
        : setTimeout(() => this.seal(batch), this.maxDelayMs);
    }
    return batch;
  }

  /** Close the batch to new operations and execute it now, or as soon as the batches before it end. */
  private seal(batch: Batch<W, S>): void {
    if (this.open !== batch) return; // already sealed
    this.open = null;
    if (batch.timer) {
      clearTimeout(batch.timer as NodeJS.Timeout);
      clearImmediate(batch.timer as NodeJS.Immediate);
      batch.timer = null;
    }
    this.sealed.push(batch);
    this.pump();
  }

  private pump(): void {
    while (!this.executing) {
      const batch = this.sealed.shift();
      if (!batch) {
        // A batch that filled while the previous one executed has waited long enough.
        if (this.open && !this.open.timer) this.seal(this.open);
        return;
      }
      if (batch.ops.length === 0) {
        // Opened for coalescing state but every submission was refused: nothing to commit.
        for (const d of batch.done) d.resolve();
        continue;
      }
      this.executing = batch;
      const started = performance.now();
      let out: unknown[] | Promise<unknown[]>;
      try {
        out = this.execute(batch.ops, batch.state);
      } catch (err) {
        this.executing = null;
        this.fail(batch, err);
        continue;
      }
      if (Array.isArray(out)) {
        this.executing = null;
        this.succeed(batch, out, started);
        continue;
      }
      out.then(
        (results) => { this.executing = null; this.succeed(batch, results, started); },
        (err: unknown) => { this.executing = null; this.fail(batch, err); },
      ).then(() => this.pump(), (err: unknown) => {
        this.logger.error({ err }, 'group commit bookkeeping failed');
      });
      return;
    }
  }

  private succeed(batch: Batch<W, S>, results: unknown[], started: number): void {
    const ms = performance.now() - started;
    this.stats.commits += 1;
    this.stats.operations += batch.ops.length;
    for (let i = 0; i < batch.waiters.length; i++) batch.waiters[i]!.resolve(results[i]);
    for (const d of batch.done) d.resolve();
    if (this.observer?.onCommit) {
      try {
        this.observer.onCommit(ms, batch.ops.length);
      } catch (err) {
        this.logger.error({ err }, 'store observer onCommit threw');
      }
    }
  }

  private fail(batch: Batch<W, S>, cause: unknown): void {
    this.stats.failedBatches += 1;
    const detail = cause instanceof Error ? cause.message : String(cause);
    const err = new BrokerError('STORE_FAILED', `commit of ${batch.ops.length} operations failed: ${detail}`, { cause });
    this.logger.error({ err: cause, operations: batch.ops.length }, 'store batch commit failed');
    if (this.observer?.onError) {
      try {
        this.observer.onError(err);
      } catch (obsErr) {
        this.logger.error({ err: obsErr }, 'store observer onError threw');
      }
    }
    for (const w of batch.waiters) w.reject(err);
    for (const d of batch.done) d.reject(err);
  }
}
