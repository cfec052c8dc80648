/**
 * Retained messages (MQTT): at most one per concrete topic, always persisted (MQTT clients expect
 * a retained message to survive a broker restart). A retained message whose
 * `properties.expiresAt` has passed is dropped when next looked at.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../../log.js';
import type { RetainedRecord, Store } from '../store.js';
import { isPattern } from '../names.js';
import { matchesPattern } from './topic-matcher.js';
import type { TopicMessage } from './topic-types.js';

export class RetainedMessages {
  private readonly byTopic = new Map<string, TopicMessage>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.byTopic.size;
  }

  /** Replace the in-memory set with what the store holds (expired ones are skipped). */
  replace(records: RetainedRecord[]): void {
    this.byTopic.clear();
    const now = this.clock.now();
    for (const r of records) {
      const tm: TopicMessage = { id: r.id, topic: r.topic, message: r.message, publishedAt: r.publishedAt };
      if (!this.expired(tm, now)) this.byTopic.set(r.topic, tm);
    }
  }

  /** Make `tm` the retained message of its topic; resolves when durable. */
  set(tm: TopicMessage): Promise<void> {
    this.byTopic.set(tm.topic, tm);
    return this.store.putRetained({ topic: tm.topic, id: tm.id, message: tm.message, publishedAt: tm.publishedAt });
  }

  /** Remove the retained message of `topic` (also from the store, whether or not one is in memory). */
  clear(topic: string): Promise<void> {
    this.byTopic.delete(topic);
    return this.store.deleteRetained(topic);
  }

  get(topic: string): TopicMessage | undefined {
    const tm = this.byTopic.get(topic);
    if (tm && this.expired(tm, this.clock.now())) {
      this.evict(tm);
      return undefined;
    }
    return tm;
  }

  /**
   * Every retained message whose topic matches `pattern`. A concrete name is a map lookup; a
   * wildcard pattern scans the retained set (done on subscribe, not on publish).
   */
  match(pattern: string): TopicMessage[] {
    if (!isPattern(pattern)) {
      const tm = this.get(pattern);
      return tm ? [tm] : [];
    }
    const now = this.clock.now();
    const out: TopicMessage[] = [];
    for (const tm of this.byTopic.values()) {
      if (!matchesPattern(pattern, tm.topic)) continue;
      if (this.expired(tm, now)) this.evict(tm);
      else out.push(tm);
    }
    return out;
  }

  private expired(tm: TopicMessage, now: number): boolean {
    const at = tm.message.properties.expiresAt;
    return at !== undefined && at <= now;
  }

  private evict(tm: TopicMessage): void {
    if (this.byTopic.get(tm.topic) !== tm) return;
    this.byTopic.delete(tm.topic);
    this.store.deleteRetained(tm.topic).catch((err: unknown) => {
      this.logger.error({ err, topic: tm.topic }, 'could not delete an expired retained message from the store');
    });
  }

  clearMemory(): void {
    this.byTopic.clear();
  }
}
