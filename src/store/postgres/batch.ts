/**
 * The open batch of the PostgreSQL store, folded as writes are queued.
 *
 * SQLite runs a batch's operations one statement each; over a network every statement is a
 * round trip, so this store folds the batch into its NET EFFECT per table and primary key, and
 * then writes each table with a few multi-row statements (./statements.ts):
 *
 *  - put (upsert) and delete of one key: the last call wins (put → delete leaves a delete of the
 *    key, which removes a committed row and writes nothing for a row that never reached the
 *    database; delete → put leaves the put). Stream records are immutable: the first append wins.
 *  - setReceiveCount folds into a pending put of the same message; after a pending delete it is
 *    a no-op; otherwise it becomes an UPDATE of the committed row.
 *  - purge (purgeQueue, deleteDestination's cascades) drops the pending effects on that queue or
 *    stream and deletes its committed rows before the keyed effects are applied.
 *  - expireDedup(now) turns pending dedup puts with expiresAt <= now into deletes and deletes
 *    committed rows with expires_at <= the largest `now` of the segment first.
 * Distinct keys commute, so applying [purges, deletes, upserts, updates] gives the same result
 * as running every call one by one, in call order. trimRecords returns an exact count, so it is
 * a barrier: it ends the current segment, runs on its own, and later writes start a new one.
 *
 * Callers validate every argument BEFORE mutating the fold, so a rejected call leaves no trace.
 */
import type { DestinationKind } from '../../core/names.js';

export type Row = unknown[];

interface Effect {
  del: boolean;
  /** The full row for a put; the key columns for a delete. */
  row: Row;
}

/** Key of a row: its first `keyCols` values. Strings never hold NUL (checked on input), so NUL separates. */
function keyOf(row: Row, keyCols: number): string {
  let k = String(row[0]);
  for (let i = 1; i < keyCols; i++) k += '\u0000' + String(row[i]);
  return k;
}

/** Net effect of one segment's writes to one table. */
export class TableFold {
  readonly effects = new Map<string, Effect>();
  /** Values of column 0 (queue / scope / stream) whose committed rows are deleted first. */
  readonly purged = new Set<string>();

  constructor(readonly keyCols: number) {}

  put(row: Row, firstWins = false): void {
    const key = keyOf(row, this.keyCols);
    if (firstWins) {
      const prev = this.effects.get(key);
      if (prev && !prev.del) return;
    }
    this.effects.set(key, { del: false, row });
  }

  /** The pending put of a key, if its last effect is a put. */
  pendingPut(key: Row): Row | undefined {
    const e = this.effects.get(keyOf(key, this.keyCols));
    return e && !e.del ? e.row : undefined;
  }

  hasEffect(key: Row): boolean {
    return this.effects.has(keyOf(key, this.keyCols));
  }

  del(key: Row): void {
    this.effects.set(keyOf(key, this.keyCols), { del: true, row: key.slice(0, this.keyCols) });
  }

  /** Delete every row whose first column is `value` (committed or pending). */
  purge(value: string): void {
    this.purged.add(value);
    for (const [k, e] of this.effects) if (e.row[0] === value) this.effects.delete(k);
  }

  /** Turn pending puts matching `pred` into deletes of their keys. */
  deletePendingWhere(pred: (row: Row) => boolean): void {
    for (const e of this.effects.values()) {
      if (!e.del && pred(e.row)) {
        e.del = true;
        e.row = e.row.slice(0, this.keyCols);
      }
    }
  }

  get empty(): boolean {
    return this.effects.size === 0 && this.purged.size === 0;
  }
}

/** Row layouts (column order = the INSERT's column order in ./statements.ts). */
export const MSG_RECEIVE_COUNT = 7;
export const DEDUP_EXPIRES_AT = 2;

export class Segment {
  readonly kind = 'segment';
  /** (kind, name) attributes, created_at */
  readonly destinations = new TableFold(2);
  /** (queue, seq) id, body, meta, enqueued_at, available_at, receive_count */
  readonly messages = new TableFold(2);
  /** UPDATEs of committed messages' receive counts: key → [queue, seq, receiveCount]. */
  readonly receiveCounts = new Map<string, [string, number, number]>();
  /** (scope, dedup_id) expires_at, message_id */
  readonly dedup = new TableFold(2);
  /** Largest expireDedup(now) of the segment, applied to committed rows first. */
  dedupExpire: number | null = null;
  /** (id) pattern, queue, filter_policy, created_at, attributes */
  readonly subscriptions = new TableFold(1);
  /** (topic) id, body, meta, published_at */
  readonly retained = new TableFold(1);
  /** (stream, shard_id) parent, adjacent parent, hash start, hash end, starting_seq, ending_seq, created_at */
  readonly shards = new TableFold(2);
  /** (stream, shard_id, seq) partition_key, arrived_at, body, meta — first append wins */
  readonly records = new TableFold(3);
  /** Highest seq appended per stream in this segment (stream_seq keeps the max). */
  readonly streamMax = new Map<string, number>();
  /** Streams whose stream_seq row is deleted before streamMax is applied. */
  readonly streamSeqPurged = new Set<string>();
  /** (stream, grp, shard_id) seq, updated_at */
  readonly checkpoints = new TableFold(3);
  /** (namespace, key) value */
  readonly state = new TableFold(2);

  putMessage(row: Row): void {
    this.messages.put(row);
    this.receiveCounts.delete(keyOf(row, 2));
  }

  deleteMessage(queue: string, seq: number): void {
    this.messages.del([queue, seq]);
    this.receiveCounts.delete(keyOf([queue, seq], 2));
  }

  setReceiveCount(queue: string, seq: number, receiveCount: number): void {
    const key: Row = [queue, seq];
    const pending = this.messages.pendingPut(key);
    if (pending) pending[MSG_RECEIVE_COUNT] = receiveCount;
    else if (!this.messages.hasEffect(key)) this.receiveCounts.set(keyOf(key, 2), [queue, seq, receiveCount]);
    // else: a pending delete of the message; updating a row that will not exist is a no-op.
  }

  purgeQueue(queue: string): void {
    this.messages.purge(queue);
    for (const [k, u] of this.receiveCounts) if (u[0] === queue) this.receiveCounts.delete(k);
  }

  expireDedup(now: number): void {
    this.dedupExpire = this.dedupExpire === null ? now : Math.max(this.dedupExpire, now);
    this.dedup.deletePendingWhere((row) => (row[DEDUP_EXPIRES_AT] as number) <= now);
  }

  appendRecord(row: Row, stream: string, seq: number): void {
    this.records.put(row, true);
    const max = this.streamMax.get(stream);
    if (max === undefined || seq > max) this.streamMax.set(stream, seq);
  }

  deleteDestination(kind: DestinationKind, name: string): void {
    this.destinations.del([kind, name]);
    // A queue's dedup window is scoped by its bare name; other kinds scope theirs themselves
    // (e.g. `topic:<name>`), so deleting a topic never touches a same-named queue's window.
    if (kind === 'queue') {
      this.purgeQueue(name);
      this.dedup.purge(name);
    } else if (kind === 'topic') {
      this.retained.del([name]);
    } else {
      this.shards.purge(name);
      this.records.purge(name);
      this.checkpoints.purge(name);
      this.streamMax.delete(name);
      this.streamSeqPurged.add(name);
    }
  }
}

/** A trimRecords call: runs alone, between segments, and reports how many rows it removed. */
export class TrimStep {
  readonly kind = 'trim';
  removed = 0;
  constructor(readonly stream: string, readonly olderThan: number) {}
}

export type Step = Segment | TrimStep;

/** The group-commit state of one batch. */
export class BatchState {
  readonly steps: Step[] = [];
  /** Rows inserted, updated or deleted while executing the batch. */
  changes = 0;

  /** The segment new writes fold into. */
  segment(): Segment {
    const last = this.steps[this.steps.length - 1];
    if (last instanceof Segment) return last;
    const seg = new Segment();
    this.steps.push(seg);
    return seg;
  }

  trim(stream: string, olderThan: number): TrimStep {
    const step = new TrimStep(stream, olderThan);
    this.steps.push(step);
    return step;
  }
}

/**
 * A queued write as GroupCommit sees it: called after the batch committed, it returns what the
 * caller's promise resolves to (the removed count for trimRecords, else undefined).
 */
export type Op = () => unknown;

export const noResult: Op = () => undefined;
