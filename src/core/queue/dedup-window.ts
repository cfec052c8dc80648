/**
 * FIFO deduplication window: a dedup id seen within the last 5 minutes (from the first send)
 * maps to the first message's id. Entries are kept in insertion order, which is expiry order
 * (one fixed interval), so pruning stops at the first live entry.
 */
import { createHash } from 'node:crypto';
import type { DedupRecord } from '../store.js';

export interface DedupHit {
  id: string;
  /** Seq of the first message, or 0 when it was loaded from the store (the record has no seq). */
  seq: number;
  expiresAt: number;
}

export class DedupWindow {
  private readonly entries = new Map<string, DedupHit>();

  get size(): number {
    return this.entries.size;
  }

  /** The live entry for `dedupId`, dropping it if it has expired. */
  get(dedupId: string, now: number): DedupHit | undefined {
    const hit = this.entries.get(dedupId);
    if (hit === undefined) return undefined;
    if (hit.expiresAt <= now) {
      this.entries.delete(dedupId);
      return undefined;
    }
    return hit;
  }

  add(dedupId: string, hit: DedupHit): void {
    this.entries.delete(dedupId); // keep insertion order == expiry order
    this.entries.set(dedupId, hit);
  }

  /** Load persisted records (skipping expired ones), oldest expiry first. */
  load(records: DedupRecord[], now: number): void {
    const live = records.filter((r) => r.expiresAt > now).sort((a, b) => a.expiresAt - b.expiresAt);
    for (const r of live) this.add(r.dedupId, { id: r.messageId, seq: 0, expiresAt: r.expiresAt });
  }

  /** Drop expired entries; returns how many. */
  prune(now: number): number {
    let n = 0;
    for (const [k, hit] of this.entries) {
      if (hit.expiresAt > now) break;
      this.entries.delete(k);
      n += 1;
    }
    return n;
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Content-based deduplication id: SHA-256 of the body, hex. */
export function contentDedupId(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}
