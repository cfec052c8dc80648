/**
 * One open SQLite connection of the store: file, pragmas, schema, prepared statements and the
 * group commit that executes batches of write operations in IMMEDIATE transactions.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { BrokerError } from '../../core/errors.js';
import type { Logger } from '../../log.js';
import { GroupCommit } from '../group-commit.js';
import type { StoreObserver } from '../../core/store.js';
import { migrate } from './schema.js';
import { prepareStatements, type Statements } from './statements.js';

/** A pending putMessage: the row the batch will write, unless a later delete turned it into one. */
export interface PendingPut {
  action: 'put' | 'delete';
  queue: string;
  seq: number;
  id: string;
  body: Buffer;
  meta: string;
  enqueuedAt: number;
  availableAt: number;
  receiveCount: number;
}

/** Per-batch state: the coalescing index (filled as operations are queued) and execution-time tallies. */
export interface BatchState {
  /** The open batch's pending puts, by queue then seq. */
  puts: Map<string, Map<number, PendingPut>>;
  /** Highest seq appended per stream while executing this batch (written once, at the end). */
  streamMax: Map<string, number>;
  /** Rows changed while executing this batch. */
  changes: number;
}

/** A write operation: runs inside the batch transaction, returns what its caller's promise resolves to. */
export type Op = (s: BatchState) => unknown;

export interface Connection {
  db: Database.Database;
  stmts: Statements;
  gc: GroupCommit<Op, BatchState>;
}

export interface ConnectionOptions {
  path: string;
  logger: Logger;
  observer?: StoreObserver | undefined;
  maxBatch?: number | undefined;
  maxDelayMs?: number | undefined;
  busyTimeoutMs?: number | undefined;
  /** Called after each committed batch with the rows it changed. */
  onRowChanges: (n: number) => void;
}

export function openConnection(opts: ConnectionOptions): Connection {
  const { path, logger } = opts;
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (err) {
    throw new BrokerError('STORE_FAILED', `cannot create the directory of ${path}: ${(err as Error).message}`, { cause: err });
  }
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (err) {
    throw new BrokerError('STORE_FAILED', `cannot open ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new BrokerError('STORE_FAILED', `cannot enable WAL journal mode on ${path} (got ${String(mode)})`);
    // FULL: the WAL is fsynced at every commit, so a resolved write survives power loss.
    db.pragma('synchronous = FULL');
    db.pragma('journal_size_limit = 67108864');
    db.pragma('cache_size = -32768');
    db.pragma('temp_store = MEMORY');
    migrate(db, logger);
    const stmts = prepareStatements(db);
    const txn = db.transaction((ops: readonly Op[], state: BatchState): unknown[] => {
      const out = new Array<unknown>(ops.length);
      for (let i = 0; i < ops.length; i++) out[i] = ops[i]!(state);
      for (const [stream, seq] of state.streamMax) state.changes += stmts.upsertStreamSeq.run(stream, seq).changes;
      return out;
    });
    const gc = new GroupCommit<Op, BatchState>({
      execute: (ops, state) => {
        const out = txn.immediate(ops, state);
        opts.onRowChanges(state.changes);
        return out;
      },
      newState: () => ({ puts: new Map(), streamMax: new Map(), changes: 0 }),
      logger,
      observer: opts.observer,
      maxBatch: opts.maxBatch,
      maxDelayMs: opts.maxDelayMs,
    });
    return { db, stmts, gc };
  } catch (err) {
    db.close();
    if (err instanceof BrokerError) throw err;
    throw new BrokerError('STORE_FAILED', `cannot initialise ${path}: ${(err as Error).message}`, { cause: err });
  }
}

export interface ConnectionSettings {
  journalMode: string;
  synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
  busyTimeoutMs: number;
  schemaVersion: number;
}

export function connectionSettings(db: Database.Database): ConnectionSettings {
  const sync = db.pragma('synchronous', { simple: true }) as number;
  return {
    journalMode: db.pragma('journal_mode', { simple: true }) as string,
    synchronous: (['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const)[sync] ?? 'OFF',
    busyTimeoutMs: db.pragma('busy_timeout', { simple: true }) as number,
    schemaVersion: db.pragma('user_version', { simple: true }) as number,
  };
}
