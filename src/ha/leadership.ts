/**
 * Who is active: exactly one broker process per store holds leadership. Implementations:
 * an OS-level exclusive lock next to the embedded store (file-lock-leadership.ts) and a
 * PostgreSQL session-level advisory lock on a dedicated connection (pg-advisory-leadership.ts).
 *
 * Contract:
 * - `acquire()` resolves once this process holds the lock; until then it keeps trying every
 *   `pollMs` (the process is standby meanwhile). It rejects only if `close()` is called first.
 * - Once held, if the lock (or the connection/file that carries it) is lost, `onLost` handlers
 *   run at once; the server must stop serving immediately (fencing), never keep acting as active.
 * - `close()` releases the lock (if held) and stops trying.
 * - The OS (or the database server) frees the lock when the holding process dies, however it dies.
 */
export interface Leadership {
  readonly kind: string;
  acquire(): Promise<void>;
  readonly held: boolean;
  onLost(handler: (reason: Error) => void): void;
  close(): Promise<void>;
}
