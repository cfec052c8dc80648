/**
 * The PostgreSQL side of the store: a connection pool, the schema check on open, and the group
 * commit whose asynchronous executor runs each batch as ONE transaction (BEGIN, a few multi-row
 * statements, COMMIT) on a pooled connection; a batch that folds into a single statement (e.g.
 * only puts) runs it alone in autocommit, which is just as atomic and durable and saves two round
 * trips. While a batch is in flight the next one fills.
 *
 * Durability: a batch's promises resolve only after COMMIT returned. With synchronous_commit
 * `on` (the server default; also `remote_write` / `remote_apply` with a synchronous standby) the
 * server has flushed the commit record to its WAL by then. If the server or role is configured
 * with `synchronous_commit = off`, every batch sets it back to `on` for its own transaction.
 * If the connection breaks during COMMIT the outcome is unknown: the batch is rejected
 * (STORE_FAILED) although it may have committed; the core's at-least-once delivery absorbs that.
 */
import pg from 'pg';
import { BrokerError } from '../../core/errors.js';
import type { Logger } from '../../log.js';
import { GroupCommit } from '../group-commit.js';
import type { StoreObserver } from '../../core/store.js';
import { BatchState, type Op } from './batch.js';
import { migrate } from './schema.js';
import { planBatch, runPlan } from './statements.js';

export interface ConnectionOptions {
  url: string;
  logger: Logger;
  observer?: StoreObserver | undefined;
  maxBatch?: number | undefined;
  maxDelayMs?: number | undefined;
  /** Connections in the pool: one carries the write batches, the others serve loaders (default 4). */
  poolSize?: number | undefined;
  /** Called after each committed batch with the rows it changed. */
  onRowChanges: (n: number) => void;
}

export interface Connection {
  pool: pg.Pool;
  gc: GroupCommit<Op, BatchState>;
  /** synchronous_commit as the server reported it for a new session. */
  synchronousCommit: string;
  /** Schema version found before migrating (0 = a fresh database). */
  foundSchemaVersion: number;
}

/** Connection URL without its password, for log lines and errors. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export async function openConnection(opts: ConnectionOptions): Promise<Connection> {
  const { logger } = opts;
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize ?? 4,
    application_name: 'interchange-store',
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    connectionTimeoutMillis: 10_000,
  });
  // An idle pooled connection that breaks (server restart, network) is dropped by the pool; say so.
  pool.on('error', (err) => logger.error({ err }, 'idle PostgreSQL store connection failed'));
  let synchronousCommit: string;
  let foundSchemaVersion: number;
  try {
    const client = await pool.connect();
    try {
      foundSchemaVersion = await migrate(client, logger);
      const res = await client.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
      synchronousCommit = res.rows[0]?.synchronous_commit ?? 'unknown';
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch((endErr: unknown) => logger.error({ err: endErr }, 'closing the PostgreSQL pool failed'));
    if (err instanceof BrokerError) throw err;
    throw new BrokerError('STORE_FAILED', `cannot open PostgreSQL store at ${redactUrl(opts.url)}: ${(err as Error).message}`, { cause: err });
  }
  const forceSync = synchronousCommit === 'off';
  if (forceSync) logger.warn('synchronous_commit is off for this database/role: the store turns it on for its own transactions');
  const begin = forceSync ? 'BEGIN; SET LOCAL synchronous_commit TO on' : 'BEGIN';

  const execute = async (ops: readonly Op[], state: BatchState): Promise<unknown[]> => {
    const client = await pool.connect();
    // A checked-out client has no error listener; a socket error between two queries must not crash the process.
    let broken: Error | undefined;
    const onError = (err: Error): void => {
      broken = err;
      logger.error({ err }, 'PostgreSQL store connection failed during a batch');
    };
    client.on('error', onError);
    try {
      const plan = planBatch(state);
      if (plan.length === 1 && !forceSync) {
        // One statement is atomic on its own: autocommit saves the BEGIN and COMMIT round trips.
        await runPlan(client, state, plan);
      } else if (plan.length > 0) {
        await client.query(begin);
        await runPlan(client, state, plan);
        await client.query('COMMIT');
      }
    } catch (err) {
      // Discard the connection rather than reuse one in an unknown transaction state (no ROLLBACK round trip needed).
      broken ??= err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
    opts.onRowChanges(state.changes);
    return ops.map((op) => op());
  };

  const gc = new GroupCommit<Op, BatchState>({
    execute,
    newState: () => new BatchState(),
    logger,
    observer: opts.observer,
    maxBatch: opts.maxBatch,
    maxDelayMs: opts.maxDelayMs,
  });
  return { pool, gc, synchronousCommit, foundSchemaVersion };
}
