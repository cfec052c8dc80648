/**
 * Persistent sessions' (clean=false) subscription lists for aedes' persistence: kept in
 * broker.state('mqtt.sessions'), with the QoS 1/2 filters indexed by core pattern
 * (subscriptionsByTopic) and the client list per filter (getClientList).
 */
import { Readable } from 'node:stream';
import type { StateMap } from '../../src/core/state-map.js';
import { SubscriptionIndex } from '../../src/core/topic/topic-matcher.js';
import type { Logger } from '../../src/log.js';
import type { AedesSubscription } from './aedes-types.js';
import { filterToCorePatterns, mqttMatches, SHARE_PREFIX, topicToCore } from './topic-names.js';

interface SessionRecord {
  subs: AedesSubscription[];
}

export interface IndexedSub {
  clientId: string;
  topic: string;
  qos: number;
  rh?: number | undefined;
  rap?: boolean | undefined;
  nl?: boolean | undefined;
}

export class SessionSubscriptions {
  private state!: StateMap;
  /** clientId → session subscriptions, in insertion order. */
  private readonly sessions = new Map<string, Map<string, AedesSubscription>>();
  /** QoS > 0 session subscriptions by core pattern (subscriptionsByTopic). */
  private readonly index = new SubscriptionIndex<IndexedSub>();
  private readonly indexed = new Map<string, { value: IndexedSub; patterns: string[] }>(); // key: subKey [clientId, topic]
  private qosSubs = 0;

  constructor(private readonly logger: Logger) {}

  get size(): number {
    return this.sessions.size;
  }

  load(state: StateMap): void {
    this.state = state;
    this.sessions.clear();
    for (const clientId of state.keys()) {
      try {
        const rec = JSON.parse(state.get(clientId)!.toString('utf8')) as SessionRecord;
        const map = new Map<string, AedesSubscription>();
        for (const s of rec.subs) map.set(s.topic, s);
        this.sessions.set(clientId, map);
        for (const s of rec.subs) this.indexSub(clientId, s);
      } catch (err) {
        this.logger.error({ err, clientId }, 'stored MQTT session is unreadable; ignoring it');
      }
    }
  }

  /** Store a SUBSCRIBE's filters (the latest wins and goes last); true if anything changed. */
  add(clientId: string, subs: AedesSubscription[]): boolean {
    let stored = this.sessions.get(clientId);
    if (!stored) this.sessions.set(clientId, (stored = new Map()));
    let changed = false;
    for (const sub of subs) {
      const record: AedesSubscription = { topic: sub.topic, qos: sub.qos };
      const extra = record as Record<string, unknown>;
      for (const k of ['rh', 'rap', 'nl', 'subscriptionIdentifier'] as const) if (sub[k] !== undefined) extra[k] = sub[k];
      const prev = stored.get(sub.topic);
      if (prev && JSON.stringify(prev) === JSON.stringify(record)) continue;
      if (prev) stored.delete(sub.topic); // re-insert: the latest SUBSCRIBE wins and goes last
      stored.set(sub.topic, record);
      this.unindexSub(clientId, sub.topic);
      this.indexSub(clientId, record);
      changed = true;
    }
    return changed;
  }

  /** Remove filters; the ones that were stored, or undefined if the client has no session. */
  remove(clientId: string, topics: string[]): string[] | undefined {
    const stored = this.sessions.get(clientId);
    if (!stored) return undefined;
    const removed: string[] = [];
    for (const topic of topics) {
      if (!stored.delete(topic)) continue;
      this.unindexSub(clientId, topic);
      removed.push(topic);
    }
    if (stored.size === 0) this.sessions.delete(clientId);
    return removed;
  }

  byClient(clientId: string): AedesSubscription[] {
    const stored = this.sessions.get(clientId);
    return stored ? [...stored.values()].map((s) => ({ ...s })) : [];
  }

  countOffline(): { subsCount: number; clientsCount: number } {
    return { subsCount: this.qosSubs, clientsCount: this.sessions.size };
  }

  byTopic(topic: string): IndexedSub[] {
    if (this.qosSubs === 0) return [];
    let name: string;
    try {
      name = topicToCore(topic);
    } catch {
      return []; // not a routable topic name: no session can match it
    }
    // Wildcard filters first (the order aedes' qlobber-based persistence returns).
    const found = this.index.match(name);
    found.sort((a, b) => Number(!/[+#]/.test(a.topic)) - Number(!/[+#]/.test(b.topic)));
    return found.map((v) => ({ ...v }));
  }

  /** Forget a session's subscriptions; returns the state delete under way, if any. */
  clean(clientId: string): Array<Promise<unknown>> {
    const stored = this.sessions.get(clientId);
    if (stored) {
      for (const topic of stored.keys()) this.unindexSub(clientId, topic);
      this.sessions.delete(clientId);
    }
    const work: Array<Promise<unknown>> = [];
    if (this.state.has(clientId)) work.push(this.state.delete(clientId));
    return work;
  }

  clientList(topic: string): Readable {
    const ids: string[] = [];
    for (const [clientId, subs] of this.sessions) if (subs.has(topic)) ids.push(clientId);
    return Readable.from(ids);
  }

  /** The session's highest QoS for an MQTT topic over its non-shared QoS 1/2 filters; undefined if none matches. */
  sessionQos(clientId: string, topic: string): 1 | 2 | undefined {
    let best: 1 | 2 | undefined;
    const stored = this.sessions.get(clientId);
    if (!stored) return undefined;
    for (const s of stored.values()) {
      if (s.qos === 0 || s.topic.startsWith(SHARE_PREFIX) || !mqttMatches(s.topic, topic)) continue;
      const q = s.qos === 2 ? 2 : 1;
      if (best === undefined || q > best) best = q;
    }
    return best;
  }

  /** The session's QoS 1/2 non-shared filters (fallback topic for foreign messages without a recorded topic). */
  sessionFiltersOf(clientId: string): string[] {
    const stored = this.sessions.get(clientId);
    if (!stored) return [];
    return [...stored.values()].filter((s) => s.qos > 0 && !s.topic.startsWith(SHARE_PREFIX)).map((s) => s.topic);
  }

  /** Filters of every stored session (shared-group reference counting). */
  *sessionFilters(): Iterable<[string, string]> {
    for (const [clientId, subs] of this.sessions) for (const topic of subs.keys()) yield [clientId, topic];
  }

  has(clientId: string): boolean {
    return this.sessions.has(clientId);
  }

  save(clientId: string): Promise<void> {
    const stored = this.sessions.get(clientId);
    if (!stored || stored.size === 0) return this.state.delete(clientId);
    const rec: SessionRecord = { subs: [...stored.values()] };
    return this.state.set(clientId, Buffer.from(JSON.stringify(rec)));
  }

  private indexSub(clientId: string, s: AedesSubscription): void {
    if (s.qos === 0) return;
    let patterns: string[];
    try {
      patterns = filterToCorePatterns(s.topic); // `$share/g/f` indexes literally, as aedes' own persistence does
    } catch {
      return; // refused at SUBSCRIBE time anyway; nothing to match
    }
    const value: IndexedSub = { clientId, topic: s.topic, qos: s.qos, rh: s.rh, rap: s.rap, nl: s.nl };
    for (const p of patterns) this.index.add(p, value);
    this.indexed.set(subKey(clientId, s.topic), { value, patterns });
    this.qosSubs += 1;
  }

  private unindexSub(clientId: string, topic: string): void {
    const key = subKey(clientId, topic);
    const ix = this.indexed.get(key);
    if (!ix) return;
    for (const p of ix.patterns) this.index.remove(p, ix.value);
    this.indexed.delete(key);
    this.qosSubs -= 1;
  }
}

function subKey(clientId: string, topic: string): string {
  return JSON.stringify([clientId, topic]);
}
