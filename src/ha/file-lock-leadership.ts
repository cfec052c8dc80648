/**
 * Leadership by an OS-level exclusive lock on a small lock file next to the embedded store.
 *
 * Node has no flock(), and we add no native dependency: the lock file is itself a tiny SQLite
 * database opened with better-sqlite3 in rollback-journal mode with `locking_mode = EXCLUSIVE`
 * and `busy_timeout = 0`. The first write transaction (`BEGIN EXCLUSIVE` … `COMMIT`) takes
 * SQLite's EXCLUSIVE lock, i.e. POSIX fcntl() write locks on the file, and in EXCLUSIVE locking
 * mode the connection never gives it back until it is closed. Any other process trying the same
 * gets SQLITE_BUSY at once. The kernel (or the NFSv4 server, for a network filesystem with POSIX
 * locks) drops fcntl locks when the holding process dies, however it dies.
 *
 * Rules learnt by experiment (see docs/ha.md):
 * - A failed attempt must close its connection: in EXCLUSIVE locking mode a connection that got
 *   as far as a SHARED lock keeps it, which would block the holder-to-be forever.
 * - Two simultaneous attempts can both fail (each holds SHARED while the other wants EXCLUSIVE);
 *   retries are therefore jittered (between pollMs/2 and pollMs), so one of them wins next time.
 * - The connection must stay strongly referenced: a garbage-collected better-sqlite3 handle is
 *   closed, which silently releases the lock.
 * - Nothing else in this process may open() and close() the lock file (a POSIX close() drops all
 *   of the process's locks on that file); only stat() is used here.
 *
 * While held, every pollMs the holder checks that the lock file (and the watched store files)
 * still exist with the same device and inode (someone deleting or replacing the data directory
 * would otherwise let a second process lock a new file), and writes a heartbeat row, which does
 * real I/O on the locked file (on NFS a lost lock makes that I/O fail). Any failure → onLost.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { BrokerError } from '../core/errors.js';
import type { Logger } from '../log.js';
import type { Leadership } from './leadership.js';
import { LostHandlers } from './lost-handlers.js';

export interface FileLockLeadershipOptions {
  /** The lock file (created if missing; its directory must exist). */
  path: string;
  /** How often a standby tries for the lock, and how often the holder verifies it (ms). */
  pollMs: number;
  logger: Logger;
  /**
   * Files that must keep their identity while the lock is held (the store's database file):
   * the inode is recorded the first time the file is seen after acquiring; a later change or
   * disappearance counts as losing the store.
   */
  watch?: string[];
}

interface FileId {
  dev: bigint;
  ino: bigint;
}

const BUSY_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_RECOVERY']);

function fileId(path: string): FileId | undefined {
  const s = statSync(path, { bigint: true, throwIfNoEntry: false });
  return s ? { dev: s.dev, ino: s.ino } : undefined;
}

export class FileLockLeadership implements Leadership {
  readonly kind = 'file-lock';
  readonly path: string;
  private readonly pollMs: number;
  private readonly logger: Logger;
  private db: Database.Database | null = null;
  private lockId: FileId | undefined;
  private readonly watched = new Map<string, FileId | undefined>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private acquiring: Promise<void> | null = null;
  private cancelAcquire: ((err: Error) => void) | null = null;
  private readonly lostHandlers = new LostHandlers();
  /** Failed attempts since acquire() was called (for diagnostics). */
  attempts = 0;

  constructor(opts: FileLockLeadershipOptions) {
    if (!(opts.pollMs > 0)) throw new BrokerError('CONFIG_INVALID', `lock poll interval must be > 0 ms, got ${opts.pollMs}`);
    this.path = opts.path;
    this.pollMs = opts.pollMs;
    this.logger = opts.logger.child({ component: 'ha', lock: opts.path });
    for (const p of opts.watch ?? []) this.watched.set(p, undefined);
  }

  get held(): boolean {
    return this.db !== null;
  }

  onLost(handler: (reason: Error) => void): void {
    this.lostHandlers.add(handler);
  }

  acquire(): Promise<void> {
    if (this.closed) return Promise.reject(new BrokerError('NOT_ACTIVE', 'leadership closed'));
    if (this.db) return Promise.resolve();
    try {
      mkdirSync(dirname(this.path), { recursive: true });
    } catch (err) {
      return Promise.reject(new BrokerError('STORE_FAILED', `cannot create the directory of ${this.path}: ${(err as Error).message}`, { cause: err }));
    }
    if (this.acquiring) return this.acquiring;
    // The first attempt runs after `acquiring` is assigned: a win on the first try must clear it,
    // or a later acquire() (after the lock was lost) would get this settled promise back.
    let attempt!: () => void;
    this.acquiring = new Promise<void>((resolve, reject) => {
      this.cancelAcquire = reject;
      attempt = (): void => {
        this.timer = null;
        if (this.closed) return;
        let won: boolean;
        try {
          won = this.tryLock();
        } catch (err) {
          // Not contention: the file cannot be opened or is not a lock database. Keep trying
          // (a network filesystem may come back), loudly.
          this.logger.error({ err }, 'lock attempt failed');
          won = false;
        }
        if (won) {
          this.acquiring = null;
          this.cancelAcquire = null;
          this.startVerifying();
          resolve();
          return;
        }
        this.attempts += 1;
        if (this.attempts === 1) this.logger.info({ pollMs: this.pollMs }, 'store lock is held by another process; standing by');
        // Jitter: two processes that collided must not collide again.
        this.timer = setTimeout(attempt, Math.round(this.pollMs * (0.5 + Math.random() * 0.5)));
      };
    });
    const pending = this.acquiring;
    attempt();
    return pending;
  }

  /** One non-blocking attempt. True when this process now holds the lock. */
  private tryLock(): boolean {
    const db = new Database(this.path, { timeout: 0 });
    try {
      db.pragma('journal_mode = TRUNCATE');
      db.pragma('synchronous = NORMAL');
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      db.exec('CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER, host TEXT, since INTEGER, beat INTEGER)');
      const now = Date.now();
      db.prepare('INSERT OR REPLACE INTO holder (id, pid, host, since, beat) VALUES (1, ?, ?, ?, ?)').run(process.pid, hostname(), now, now);
      db.exec('COMMIT');
    } catch (err) {
      db.close(); // releases any SHARED lock this attempt took (see the header)
      const code = (err as { code?: string }).code;
      if (code && BUSY_CODES.has(code)) return false;
      throw err;
    }
    this.db = db;
    this.lockId = fileId(this.path);
    for (const p of this.watched.keys()) this.watched.set(p, fileId(p));
    this.logger.info({ pid: process.pid }, 'store lock acquired');
    return true;
  }

  private startVerifying(): void {
    const tick = (): void => {
      this.timer = null;
      if (!this.db || this.closed) return;
      const problem = this.verify();
      if (problem) {
        this.lose(problem);
        return;
      }
      this.timer = setTimeout(tick, this.pollMs);
    };
    this.timer = setTimeout(tick, this.pollMs);
  }

  /** Check that the lock (and the watched files) are still ours; returns the problem, if any. */
  verify(): Error | undefined {
    const db = this.db;
    if (!db) return new BrokerError('NOT_ACTIVE', 'lock not held');
    try {
      const now = fileId(this.path);
      if (!now) return new Error(`lock file ${this.path} disappeared`);
      if (!this.lockId || now.dev !== this.lockId.dev || now.ino !== this.lockId.ino) {
        return new Error(`lock file ${this.path} was replaced (inode ${this.lockId?.ino} → ${now.ino})`);
      }
      for (const [p, id] of this.watched) {
        const cur = fileId(p);
        if (!id) {
          if (cur) this.watched.set(p, cur); // created after we acquired (the store's first open)
          continue;
        }
        if (!cur) return new Error(`store file ${p} disappeared`);
        if (cur.dev !== id.dev || cur.ino !== id.ino) return new Error(`store file ${p} was replaced`);
      }
      db.prepare('UPDATE holder SET beat = ? WHERE id = 1').run(Date.now());
      return undefined;
    } catch (err) {
      return new Error(`lock verification failed: ${(err as Error).message}`, { cause: err });
    }
  }

  private lose(reason: Error): void {
    this.logger.fatal({ err: reason }, 'store lock lost');
    this.release();
    this.lostHandlers.notify(reason, this.logger);
  }

  private release(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const db = this.db;
    this.db = null;
    if (!db) return;
    try {
      db.close();
    } catch (err) {
      this.logger.error({ err }, 'closing the lock file failed');
    }
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    const wasHeld = this.held;
    this.release();
    if (this.cancelAcquire) {
      this.cancelAcquire(new BrokerError('NOT_ACTIVE', 'leadership closed while standing by'));
      this.cancelAcquire = null;
      this.acquiring = null;
    }
    if (wasHeld) this.logger.info('store lock released');
    return Promise.resolve();
  }
}
