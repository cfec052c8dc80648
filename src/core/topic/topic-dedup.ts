/**
 * FIFO topic deduplication windows (SNS: 5 minutes per topic).
 *
 * Each FIFO topic has an in-memory window (dedup id → first message id) mirrored in the store
 * via putDedup, so duplicates are still caught after a restart or failover. A topic's window is
 * loaded lazily from the store the first time it is needed (`load`), because topics can be
 * declared before or after the router loads, or never (auto-created on publish).
 *
 * Store scope is `topic:<name>`: topics and queues have separate namespaces, and a FIFO topic
 * `orders.fifo` commonly fans out to a FIFO queue of the same name that keeps its own window
 * keyed by the same dedup ids.
 *
 * Entries are kept in insertion order; with a fixed window length that is expiry order, so
 * expired entries are swept from the front in amortised O(1) per lookup.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import { BrokerError } from '../errors.js';
import type { Message } from '../message.js';
import type { Logger } from '../../log.js';
import type { Store } from '../store.js';
import type { TopicAttributes } from './topic-attributes.js';

export const TOPIC_DEDUP_WINDOW_MS = 5 * 60_000;
/** SNS limits MessageGroupId and MessageDeduplicationId to 128 characters. */
export const MAX_FIFO_ID_LENGTH = 128;

export function topicDedupScope(topic: string): string {
  return `topic:${topic}`;
}

/**
 * The dedup id of a publish to a FIFO topic: the message's own, or the SHA-256 of its body with
 * contentBasedDeduplication. Also checks the group id. Throws INVALID_ARGUMENT.
 */
export function fifoDedupId(topic: string, attrs: TopicAttributes, message: Message): string {
  const group = message.groupId;
  if (typeof group !== 'string' || group.length === 0) {
    throw new BrokerError('INVALID_ARGUMENT', `FIFO topic "${topic}" requires a message group id`);
  }
  if (group.length > MAX_FIFO_ID_LENGTH) throw new BrokerError('INVALID_ARGUMENT', `message group id longer than ${MAX_FIFO_ID_LENGTH} characters`);
  const id = message.dedupId;
  if (id !== undefined) {
    if (typeof id !== 'string' || id.length === 0) throw new BrokerError('INVALID_ARGUMENT', 'deduplication id must be a non-empty string');
    if (id.length > MAX_FIFO_ID_LENGTH) throw new BrokerError('INVALID_ARGUMENT', `deduplication id longer than ${MAX_FIFO_ID_LENGTH} characters`);
    return id;
  }
  if (attrs.contentBasedDeduplication) return createHash('sha256').update(message.body).digest('hex');
  throw new BrokerError('INVALID_ARGUMENT', `FIFO topic "${topic}" requires a deduplication id (or contentBasedDeduplication)`);
}

export interface DedupEntry {
  expiresAt: number;
  /** Broker id of the first message with this dedup id. */
  messageId: string;
  /** While the first publish is still committing: resolves true if it succeeded, false if it failed. Never rejects. */
  pending: Promise<boolean> | null;
}

interface Window {
  entries: Map<string, DedupEntry>;
  loaded: boolean;
  loading: Promise<void> | null;
}

export class TopicDedup {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  private window(topic: string): Window {
    let w = this.windows.get(topic);
    if (!w) this.windows.set(topic, (w = { entries: new Map(), loaded: false, loading: null }));
    return w;
  }

  isLoaded(topic: string): boolean {
    return this.windows.get(topic)?.loaded === true;
  }

  /** Load the topic's window from the store (once; concurrent callers share the load; a failed load is retried next time). */
  load(topic: string): Promise<void> {
    const w = this.window(topic);
    if (w.loaded) return Promise.resolve();
    if (w.loading) return w.loading;
    const loading = this.store.loadDedup(topicDedupScope(topic)).then(
      (records) => {
        const now = this.clock.now();
        const stored = records.filter((r) => r.expiresAt > now).sort((a, b) => a.expiresAt - b.expiresAt);
        // Entries recorded in memory while loading are newer than anything stored: keep them last.
        const fresh = w.entries;
        w.entries = new Map();
        for (const r of stored) if (!fresh.has(r.dedupId)) w.entries.set(r.dedupId, { expiresAt: r.expiresAt, messageId: r.messageId, pending: null });
        for (const [k, e] of fresh) w.entries.set(k, e);
        w.loaded = true;
        w.loading = null;
      },
      (err: unknown) => {
        w.loading = null;
        this.logger.error({ err, topic }, 'loading topic dedup window failed');
        throw err;
      },
    );
    w.loading = loading;
    return loading;
  }

  /** The live entry for `dedupId`, or undefined if unseen or expired. Sweeps expired entries. */
  lookup(topic: string, dedupId: string): DedupEntry | undefined {
    const w = this.windows.get(topic);
    if (!w) return undefined;
    const now = this.clock.now();
    for (const [k, e] of w.entries) {
      if (e.expiresAt > now) break;
      w.entries.delete(k);
    }
    const e = w.entries.get(dedupId);
    return e && e.expiresAt > now ? e : undefined;
  }

  /** Record a first sighting in memory (synchronously, so a same-tick duplicate is caught). */
  record(topic: string, dedupId: string, messageId: string): DedupEntry {
    const w = this.window(topic);
    const entry: DedupEntry = { expiresAt: this.clock.now() + TOPIC_DEDUP_WINDOW_MS, messageId, pending: null };
    w.entries.delete(dedupId); // re-insert at the end: keeps expiry order
    w.entries.set(dedupId, entry);
    return entry;
  }

  /** Make the entry durable. Called only after every copy of the message is committed. */
  persist(topic: string, dedupId: string, entry: DedupEntry): Promise<void> {
    return this.store.putDedup({ scope: topicDedupScope(topic), dedupId, expiresAt: entry.expiresAt, messageId: entry.messageId });
  }

  /**
   * Forget an entry whose publish failed, so the producer's retry is not swallowed. A durable copy
   * may already exist from an earlier run; overwrite it with an already-expired record.
   */
  forget(topic: string, dedupId: string, entry: DedupEntry): void {
    const w = this.windows.get(topic);
    if (w?.entries.get(dedupId) !== entry) return;
    w.entries.delete(dedupId);
    const now = this.clock.now();
    this.store.putDedup({ scope: topicDedupScope(topic), dedupId, expiresAt: now, messageId: entry.messageId }).catch((err: unknown) => {
      this.logger.error({ err, topic, dedupId }, 'could not expire the dedup record of a failed publish; a retry within the window may be treated as a duplicate after restart');
    });
  }

  /**
   * Forget a topic's window (topic removed), in memory and in the store (records are overwritten
   * as already expired), so a topic re-created under the same name starts with an empty window.
   */
  async purge(topic: string): Promise<void> {
    this.windows.delete(topic);
    const scope = topicDedupScope(topic);
    const now = this.clock.now();
    const records = await this.store.loadDedup(scope);
    await Promise.all(records.filter((r) => r.expiresAt > now).map((r) => this.store.putDedup({ ...r, expiresAt: now })));
  }

  /** Entries currently held for a topic (for tests and metrics). */
  size(topic: string): number {
    return this.windows.get(topic)?.entries.size ?? 0;
  }

  clear(): void {
    this.windows.clear();
  }
}
