/**
 * Per-topic state of the TopicRouter: attributes and counters of declared topics (kept until
 * removed) and of undeclared ones (auto-created by publishing: a bounded, insertion-ordered map,
 * so per-name counters cannot grow without limit), and the overall counters.
 */
import { defaultTopicAttributes, type TopicAttributes } from './topic-attributes.js';
import type { TopicStats } from './topic-types.js';

export interface TopicState {
  attrs: TopicAttributes;
  published: number;
  delivered: number;
  dropped: number;
  failed: number;
  duplicates: number;
  /** FIFO topics whose dedup window is still loading: the tail of the publishes waiting for it. */
  gate: Promise<void> | null;
}

export type Counters = Omit<TopicStats, 'subscriptions'>;

export class TopicStates {
  /** Declared topics: kept until removeTopic. */
  private readonly topics = new Map<string, TopicState>();
  /**
   * Topics published to without being declared (MQTT publishes to unbounded sets of names):
   * insertion-ordered and bounded, so per-name counters cannot grow without limit.
   */
  private readonly undeclared = new Map<string, TopicState>();
  /** Overall counters (monotonic, including removed and evicted topics). */
  readonly totals: Counters = { published: 0, delivered: 0, dropped: 0, failed: 0, duplicates: 0 };

  constructor(private readonly maxUndeclared: number) {}

  /** Register (or update) a topic's attributes. Undeclared topics get attributes derived from their name. */
  declare(name: string, attrs: TopicAttributes): void {
    const state = this.topics.get(name) ?? this.undeclared.get(name);
    this.undeclared.delete(name);
    if (state) state.attrs = { ...attrs };
    this.topics.set(name, state ?? newTopicState({ ...attrs }));
  }

  /** Forget a topic's state, declared or not. */
  forget(name: string): void {
    this.topics.delete(name);
    this.undeclared.delete(name);
  }

  /** Names of the declared FIFO topics. */
  declaredFifo(): string[] {
    return [...this.topics].filter(([, s]) => s.attrs.fifo).map(([name]) => name);
  }

  /** The topic's state, created (undeclared) on first use. */
  state(name: string): TopicState {
    const state = this.topics.get(name) ?? this.undeclared.get(name);
    if (state) return state;
    const created = newTopicState(defaultTopicAttributes(name));
    this.undeclared.set(name, created);
    if (this.undeclared.size > this.maxUndeclared) this.evictUndeclared();
    return created;
  }

  known(name: string): TopicState | undefined {
    return this.topics.get(name) ?? this.undeclared.get(name);
  }

  /** Forget the oldest undeclared topics' counters, skipping any with publishes waiting on a dedup load. */
  private evictUndeclared(): void {
    for (const [name, state] of this.undeclared) {
      if (this.undeclared.size <= this.maxUndeclared) return;
      if (state.gate !== null) continue;
      // Counters only: a FIFO topic's dedup window stays (it may vouch for copies still committing).
      this.undeclared.delete(name);
    }
  }

  /** One topic's counters (zero for a topic not known). */
  counters(topic: string): Counters {
    const s = this.known(topic);
    return s
      ? { published: s.published, delivered: s.delivered, dropped: s.dropped, failed: s.failed, duplicates: s.duplicates }
      : { published: 0, delivered: 0, dropped: 0, failed: 0, duplicates: 0 };
  }
}

function newTopicState(attrs: TopicAttributes): TopicState {
  return { attrs, published: 0, delivered: 0, dropped: 0, failed: 0, duplicates: 0, gate: null };
}
