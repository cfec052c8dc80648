/**
 * Leadership by a PostgreSQL session-level advisory lock, for brokers sharing a PostgreSQL store
 * (two hosts: nothing on the file system is shared).
 *
 * A DEDICATED connection (never one of the store's pooled connections: a pool may close or swap
 * its connections, and the lock belongs to the session) polls `SELECT pg_try_advisory_lock(key)`
 * every pollMs until it returns true, then keeps the session open. PostgreSQL releases a
 * session-level advisory lock when the session ends, however it ends: the holding process exits
 * or is killed (the kernel closes its socket and the backend exits at once), the backend is
 * terminated (pg_terminate_backend), or the server restarts.
 *
 * Fencing: the holder must stop serving BEFORE another broker can take over. While held:
 *  - the connection's 'error' and 'end' events mean the session (so the lock) is gone: onLost
 *    handlers run at once;
 *  - every pollMs a heartbeat `SELECT 1` runs with a client-side timeout (and a server-side
 *    statement_timeout); a failure or timeout counts as lost, and the connection is dropped.
 * A network partition is the slow case for TAKEOVER, never for fencing: the server only frees
 * the lock when it notices the dead session, i.e. when TCP keepalive (server side:
 * `tcp_keepalives_idle`, `tcp_keepalives_interval`, `tcp_keepalives_count`; see
 * docs/configuration.md) or a pending write's TCP retransmission timeout gives up. The cut-off
 * holder notices within pollMs + heartbeatTimeoutMs and stops serving well before that. The
 * client side enables TCP keepalive too (keepAlive, keepAliveInitialDelayMillis) so a dead
 * server is noticed even between heartbeats.
 *
 * While standing by, a broken connection is simply dropped and re-established on the next poll.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { BrokerError } from '../core/errors.js';
import type { Logger } from '../log.js';
import type { Leadership } from './leadership.js';
import { LostHandlers } from './lost-handlers.js';

/**
 * The default lock key: the first 8 bytes of SHA-256("interchange") as a signed 64-bit integer.
 * All brokers of one store must use the same key (and a key no other application uses).
 */
export const DEFAULT_LOCK_KEY: bigint = BigInt.asIntN(64, createHash('sha256').update('interchange').digest().readBigUInt64BE(0));

export interface PgAdvisoryLeadershipOptions {
  /** The store's PostgreSQL URL (the lock is per database). */
  url: string;
  /** Advisory lock key (64-bit signed); default DEFAULT_LOCK_KEY. */
  lockKey?: bigint | number;
  /** How often a standby tries for the lock, and how often the holder checks its connection (ms). */
  pollMs: number;
  logger: Logger;
  /** How long a heartbeat may take before the lock counts as lost (default max(1000, pollMs)). */
  heartbeatTimeoutMs?: number;
}

export class PgAdvisoryLeadership implements Leadership {
  readonly kind = 'postgres-advisory-lock';
  readonly lockKey: bigint;
  private readonly url: string;
  private readonly pollMs: number;
  private readonly heartbeatTimeoutMs: number;
  private readonly logger: Logger;
  /** The dedicated connection (standing by or holding), if any. */
  private client: pg.Client | null = null;
  private isHeld = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private acquiring: Promise<void> | null = null;
  private cancelAcquire: ((err: Error) => void) | null = null;
  private readonly lostHandlers = new LostHandlers();
  /** Failed attempts since acquire() was called (for diagnostics). */
  attempts = 0;
  private failuresInARow = 0;

  constructor(opts: PgAdvisoryLeadershipOptions) {
    if (typeof opts.url !== 'string' || opts.url.length === 0) throw new BrokerError('CONFIG_INVALID', 'postgres advisory lock needs a url');
    if (!(opts.pollMs > 0)) throw new BrokerError('CONFIG_INVALID', `lock poll interval must be > 0 ms, got ${opts.pollMs}`);
    const key = typeof opts.lockKey === 'number' ? BigInt(opts.lockKey) : opts.lockKey ?? DEFAULT_LOCK_KEY;
    if (BigInt.asIntN(64, key) !== key) throw new BrokerError('CONFIG_INVALID', `advisory lock key must be a signed 64-bit integer, got ${key}`);
    this.lockKey = key;
    this.url = opts.url;
    this.pollMs = opts.pollMs;
    this.heartbeatTimeoutMs = opts.heartbeatTimeoutMs ?? Math.max(1000, opts.pollMs);
    this.logger = opts.logger.child({ component: 'ha', lock: 'postgres-advisory', lockKey: key.toString() });
  }

  get held(): boolean {
    return this.isHeld;
  }

  /** The server process id of the session holding (or trying for) the lock, for diagnostics. */
  get backendPid(): number | null {
    return (this.client as (pg.Client & { processID?: number }) | null)?.processID ?? null;
  }

  onLost(handler: (reason: Error) => void): void {
    this.lostHandlers.add(handler);
  }

  acquire(): Promise<void> {
    if (this.closed) return Promise.reject(new BrokerError('NOT_ACTIVE', 'leadership closed'));
    if (this.isHeld) return Promise.resolve();
    this.acquiring ??= new Promise<void>((resolve, reject) => {
      this.cancelAcquire = reject;
      const attempt = async (): Promise<void> => {
        this.timer = null;
        if (this.closed) return;
        let won = false;
        try {
          won = await this.tryLock();
        } catch (err) {
          // Not contention: the server is unreachable or refused us. Keep trying, loudly (the
          // first failure in a row and then every 100th, so a long outage does not flood the log).
          this.failuresInARow += 1;
          if (this.failuresInARow % 100 === 1) {
            this.logger.error({ err, failuresInARow: this.failuresInARow }, 'advisory lock attempt failed; retrying every pollMs');
          }
          this.dropClient();
        }
        if (this.closed) return;
        if (this.client) this.failuresInARow = 0; // connected: contention is not a failure
        if (won) {
          this.acquiring = null;
          this.cancelAcquire = null;
          this.startHeartbeat();
          resolve();
          return;
        }
        this.attempts += 1;
        if (this.attempts === 1) this.logger.info({ pollMs: this.pollMs }, 'advisory lock is held by another broker; standing by');
        this.timer = setTimeout(() => void attempt(), this.pollMs);
      };
      void attempt();
    });
    return this.acquiring;
  }

  /** One non-blocking attempt on the dedicated connection (connecting it first if needed). */
  private async tryLock(): Promise<boolean> {
    const client = this.client ?? (await this.connect());
    const res = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [this.lockKey.toString()]);
    if (res.rows[0]?.locked !== true) return false;
    if (this.closed || this.client !== client) {
      // close() ran meanwhile; ending the session releases the lock we just took.
      await client.end();
      return false;
    }
    this.isHeld = true;
    this.logger.info({ backendPid: this.backendPid }, 'advisory lock acquired');
    return true;
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'interchange-leadership',
      keepAlive: true,
      keepAliveInitialDelayMillis: 5_000,
      connectionTimeoutMillis: Math.max(5_000, this.heartbeatTimeoutMs),
      statement_timeout: this.heartbeatTimeoutMs,
      query_timeout: this.heartbeatTimeoutMs,
    });
    client.on('error', (err) => this.connectionGone(client, err));
    client.on('end', () => this.connectionGone(client, new Error('connection to PostgreSQL ended')));
    await client.connect();
    if (this.closed) {
      await client.end();
      throw new BrokerError('NOT_ACTIVE', 'leadership closed');
    }
    this.client = client;
    return client;
  }

  /** The dedicated connection failed or ended. */
  private connectionGone(client: pg.Client, err: Error): void {
    if (this.client !== client) return; // an old connection, already dropped
    if (this.isHeld) {
      this.lose(new Error(`advisory lock session lost: ${err.message}`, { cause: err }));
      return;
    }
    this.logger.warn({ err }, 'standby connection to PostgreSQL lost; reconnecting on the next poll');
    this.dropClient();
  }

  private startHeartbeat(): void {
    const tick = async (): Promise<void> => {
      this.timer = null;
      const client = this.client;
      if (!this.isHeld || this.closed || !client) return;
      try {
        await client.query('SELECT 1');
      } catch (err) {
        if (this.isHeld && this.client === client) this.lose(new Error(`advisory lock heartbeat failed: ${(err as Error).message}`, { cause: err }));
        return;
      }
      if (this.isHeld && !this.closed && this.client === client) this.timer = setTimeout(() => void tick(), this.pollMs);
    };
    this.timer = setTimeout(() => void tick(), this.pollMs);
  }

  private lose(reason: Error): void {
    if (!this.isHeld) return;
    this.isHeld = false;
    this.logger.fatal({ err: reason }, 'advisory lock lost');
    this.clearTimer();
    this.dropClient();
    this.lostHandlers.notify(reason, this.logger);
  }

  /** Forget the current connection and end it in the background (it may be dead already). */
  private dropClient(): void {
    const client = this.client;
    this.client = null;
    if (!client) return;
    client.end().catch((err: unknown) => this.logger.warn({ err }, 'closing the lock connection failed'));
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearTimer();
    if (this.cancelAcquire) {
      this.cancelAcquire(new BrokerError('NOT_ACTIVE', 'leadership closed while standing by'));
      this.cancelAcquire = null;
      this.acquiring = null;
    }
    const client = this.client;
    const wasHeld = this.isHeld;
    this.isHeld = false;
    this.client = null;
    if (!client) return;
    try {
      if (wasHeld) await client.query('SELECT pg_advisory_unlock($1::bigint)', [this.lockKey.toString()]);
    } catch (err) {
      // Ending the session below releases the lock anyway.
      this.logger.warn({ err }, 'explicit advisory unlock failed');
    } finally {
      await client.end().catch((err: unknown) => this.logger.warn({ err }, 'closing the lock connection failed'));
    }
    if (wasHeld) this.logger.info('advisory lock released');
  }
}
