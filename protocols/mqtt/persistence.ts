/**
 * aedes persistence backed by the Interchange core (no aedes-persistence at runtime).
 *
 * Where each piece of MQTT state lives:
 *  - retained messages: the core's retained store (Broker.publish(..., { retain }) / Broker.retained);
 *  - persistent sessions (clean=false): the subscription list in broker.state('mqtt.sessions');
 *    every QoS 1/2 filter also has a durable core queue subscription into the session queue
 *    `mqtt.session.<client id>` (see sessionQueueName), so messages published on ANY protocol
 *    while the client is away are queued durably, visible in the admin API, and survive restarts;
 *  - inbound QoS 2 packet ids awaiting PUBREL: broker.state('mqtt.incoming');
 *  - outbound QoS 2 deliveries awaiting PUBCOMP (PUBREL sent): broker.state('mqtt.pubrel');
 *  - wills: broker.state('mqtt.wills').
 *
 * Messages that went through the core already (every client PUBLISH and will: the front-end
 * publishes them to the core in authorizePublish, before aedes acknowledges) are marked with
 * markRouted(); storeRetained / outgoingEnqueueCombi then skip them because the core did that
 * work (retained store, durable session queues). Packets that did not go through the core
 * (programmatic aedes.publish, the aedes-persistence conformance suite) get the classic
 * behaviour: storeRetained publishes a retained message to the core; outgoing packets are kept
 * in memory per client, as aedes' in-memory persistence does.
 */
import { Readable } from 'node:stream';
import type { Broker } from '../../src/core/broker.js';
import { isBrokerError } from '../../src/core/errors.js';
import type { StateMap } from '../../src/core/state-map.js';
import { SubscriptionIndex } from '../../src/core/topic/topic-matcher.js';
import type { TopicMessage } from '../../src/core/topic/topic-types.js';
import type { Logger } from '../../src/log.js';
import type { AedesPacket, AedesSubscription, ClientLike } from './aedes-types.js';
import { publishedQos, toCoreMessage } from './message-mapping.js';
import {
  coreToTopic, encodeSingleLevel, filterToCorePatterns, isSysTopic, mqttMatches, SHARE_PREFIX, topicToCore,
} from './topic-names.js';

export const SESSION_QUEUE_PREFIX = 'mqtt.session.';

/** Core queue holding a persistent session's QoS 1/2 messages. */
export function sessionQueueName(clientId: string): string {
  return SESSION_QUEUE_PREFIX + encodeSingleLevel(clientId, false, true);
}

/** A delivery made from a core queue (persistent session or shared group), awaiting PUBACK / PUBREC / PUBCOMP. */
export interface TrackedDelivery {
  packet: AedesPacket;
  qos: 1 | 2;
  /** Remove the message from its queue; resolves after the store commit. */
  ack(): Promise<void>;
  /** PUBREC already received (QoS 2): the queue copy is gone, only PUBCOMP is awaited. */
  released: boolean;
  /** For persistent sessions: forget the packet id remembered for redelivery. */
  onSettled?(): void;
  /** The queue consumer it came from (to forget a connection's deliveries when it closes). */
  owner: object;
}

export interface PersistenceHooks {
  /**
   * The core patterns the front-end authorized for this client's filter, or undefined if it did
   * not authorize it (aedes stores a SUBSCRIBE's whole list, refused filters included).
   */
  allowedPatterns(client: ClientLike, filter: string): string[] | undefined;
}

interface SessionRecord {
  subs: AedesSubscription[];
}

interface IndexedSub {
  clientId: string;
  topic: string;
  qos: number;
  rh?: number | undefined;
  rap?: boolean | undefined;
  nl?: boolean | undefined;
}

interface StoredPacket {
  cmd: string;
  topic?: string;
  payload?: string; // base64
  payloadString?: string;
  qos?: number;
  retain?: boolean;
  dup?: boolean;
  messageId?: number;
  brokerId?: string;
  brokerCounter?: number;
  clientId?: string;
}

const routed = new WeakSet<object>();

/** The packet's payload object went through Broker.publish already (see the file comment). */
export function markRouted(payload: Buffer | string): void {
  if (typeof payload === 'object') routed.add(payload);
}

export function isRouted(payload: Buffer | string | undefined): boolean {
  return typeof payload === 'object' && payload !== null && routed.has(payload);
}

export function unmarkRouted(payload: Buffer | string | undefined): void {
  if (typeof payload === 'object' && payload !== null) routed.delete(payload);
}

function encodePacket(p: AedesPacket | Record<string, unknown>): Buffer {
  const o: StoredPacket = { cmd: String(p.cmd ?? 'publish') };
  if (typeof p.topic === 'string') o.topic = p.topic;
  if (Buffer.isBuffer(p.payload)) o.payload = p.payload.toString('base64');
  else if (typeof p.payload === 'string') o.payloadString = p.payload;
  for (const k of ['qos', 'messageId', 'brokerCounter'] as const) if (typeof p[k] === 'number') o[k] = p[k] as number;
  for (const k of ['retain', 'dup'] as const) if (typeof p[k] === 'boolean') o[k] = p[k] as boolean;
  for (const k of ['brokerId', 'clientId'] as const) if (typeof p[k] === 'string') o[k] = p[k] as string;
  return Buffer.from(JSON.stringify(o));
}

function decodePacket(buf: Buffer): AedesPacket {
  const o = JSON.parse(buf.toString('utf8')) as StoredPacket;
  const p: Record<string, unknown> = { cmd: o.cmd };
  for (const k of ['brokerId', 'brokerCounter', 'clientId', 'topic'] as const) if (o[k] !== undefined) p[k] = o[k];
  if (o.payload !== undefined) p.payload = Buffer.from(o.payload, 'base64');
  else if (o.payloadString !== undefined) p.payload = o.payloadString;
  for (const k of ['qos', 'retain', 'dup', 'messageId'] as const) if (o[k] !== undefined) p[k] = o[k];
  return p as AedesPacket;
}

function idKey(clientId: string, messageId: number): string {
  return JSON.stringify([clientId, messageId]);
}

function parseIdKey(key: string): [string, number] | undefined {
  try {
    const v = JSON.parse(key) as unknown;
    if (Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'number') return [v[0], v[1]];
  } catch {
    return undefined; // not one of ours: reported by the caller
  }
  return undefined;
}

const ONE = Buffer.from('1');

export class CorePersistence {
  /** The aedes instance (only its id is used, read at call time as aedes-persistence does). */
  private aedes: { id: string } = { id: '' };
  private destroyed = false;
  private sessionsState!: StateMap;
  private incomingState!: StateMap;
  private pubrelState!: StateMap;
  private willsState!: StateMap;
  /** clientId → session subscriptions, in insertion order. */
  private readonly sessions = new Map<string, Map<string, AedesSubscription>>();
  /** QoS > 0 session subscriptions by core pattern (subscriptionsByTopic). */
  private readonly index = new SubscriptionIndex<IndexedSub>();
  private readonly indexed = new Map<string, { value: IndexedSub; patterns: string[] }>(); // key: idKey-like [clientId, topic]
  private qosSubs = 0;
  /** clientId → messageId → stored packet (or a marker). */
  private readonly incoming = new Map<string, Map<number, AedesPacket | null>>();
  private readonly pubrels = new Map<string, Set<number>>();
  private readonly wills = new Map<string, AedesPacket>();
  /** Packets that did not go through the core, per client (aedes' in-memory semantics). */
  private readonly outgoing = new Map<string, AedesPacket[]>();
  /** Queue deliveries in flight, per connection (aedes Client object) → packet id. */
  private readonly tracked = new WeakMap<ClientLike, Map<number, TrackedDelivery>>();
  /** clientId → filters that have durable queue subscriptions into the session queue. */
  private readonly durable = new Map<string, Map<string, boolean>>();
  /** Serialises durable-subscription changes per session queue. */
  private readonly sessionOps = new Map<string, Promise<unknown>>();
  /** Wills are kept (not deleted) while the front-end shuts down, so they fire after a restart if the client never returns. */
  keepWills = false;

  constructor(
    private readonly core: Broker,
    private readonly logger: Logger,
    private readonly hooks: PersistenceHooks = { allowedPatterns: (_c, filter) => filterToCorePatterns(filter) },
  ) {}

  /** The aedes broker this persistence serves (the conformance suite reads it). */
  get broker(): { id: string } {
    return this.aedes;
  }

  async setup(aedes: { id: string }): Promise<void> {
    this.aedes = aedes;
    [this.sessionsState, this.incomingState, this.pubrelState, this.willsState] = await Promise.all([
      this.core.state('mqtt.sessions'),
      this.core.state('mqtt.incoming'),
      this.core.state('mqtt.pubrel'),
      this.core.state('mqtt.wills'),
    ]);
    this.sessions.clear();
    for (const clientId of this.sessionsState.keys()) {
      try {
        const rec = JSON.parse(this.sessionsState.get(clientId)!.toString('utf8')) as SessionRecord;
        const map = new Map<string, AedesSubscription>();
        for (const s of rec.subs) map.set(s.topic, s);
        this.sessions.set(clientId, map);
        for (const s of rec.subs) this.indexSub(clientId, s);
      } catch (err) {
        this.logger.error({ err, clientId }, 'stored MQTT session is unreadable; ignoring it');
      }
    }
    for (const sub of this.core.listSubscriptions()) {
      if ('live' in sub) continue;
      const a = sub.attributes;
      if (a.createdBy === 'mqtt' && typeof a.clientId === 'string' && typeof a.filter === 'string' && sub.queue === sessionQueueName(a.clientId)) {
        this.setDurable(a.clientId, a.filter, true);
      }
    }
    for (const key of this.incomingState.keys()) {
      const k = parseIdKey(key);
      if (!k) {
        this.logger.error({ key }, 'unreadable MQTT QoS 2 inbound state key; ignoring it');
        continue;
      }
      const v = this.incomingState.get(key)!;
      this.incomingFor(k[0], true).set(k[1], v.length > 1 ? decodePacket(v) : null);
    }
    for (const key of this.pubrelState.keys()) {
      const k = parseIdKey(key);
      if (!k) {
        this.logger.error({ key }, 'unreadable MQTT QoS 2 outbound state key; ignoring it');
        continue;
      }
      let set = this.pubrels.get(k[0]);
      if (!set) this.pubrels.set(k[0], (set = new Set()));
      set.add(k[1]);
    }
    for (const clientId of this.willsState.keys()) {
      try {
        this.wills.set(clientId, decodePacket(this.willsState.get(clientId)!));
      } catch (err) {
        this.logger.error({ err, clientId }, 'stored MQTT will is unreadable; ignoring it');
      }
    }
    this.logger.info(
      { sessions: this.sessions.size, incoming: this.incomingState.size, pubrel: this.pubrelState.size, wills: this.wills.size },
      'MQTT persistence loaded',
    );
  }

  // ------------------------------------------------------------------ retained

  async storeRetained(packet: AedesPacket): Promise<void> {
    if (isRouted(packet.payload)) return; // the core publish already set (or cleared) it
    const name = topicToCore(packet.topic);
    const message = toCoreMessage(packet, undefined, Date.now());
    await this.core.publish(name, message, { retain: true });
    markRouted(packet.payload);
  }

  createRetainedStreamCombi(patterns: string[]): Readable {
    const seen = new Set<string>();
    const out: AedesPacket[] = [];
    for (const filter of patterns) {
      // Shared subscriptions never get retained messages; $SYS topics are not retained here.
      if (filter.startsWith(SHARE_PREFIX) || isSysTopic(filter)) continue;
      let corePatterns: string[];
      try {
        corePatterns = filterToCorePatterns(filter);
      } catch (err) {
        this.logger.debug({ err, filter }, 'retained lookup for an unmappable filter');
        continue;
      }
      for (const p of corePatterns) {
        for (const tm of this.core.retained(p)) {
          if (seen.has(tm.topic)) continue;
          seen.add(tm.topic);
          out.push(retainedPacket(tm));
        }
      }
    }
    return Readable.from(out);
  }

  createRetainedStream(pattern: string): Readable {
    return this.createRetainedStreamCombi([pattern]);
  }

  // ------------------------------------------------------------------ session subscriptions

  async addSubscriptions(client: ClientLike, subs: AedesSubscription[]): Promise<void> {
    let stored = this.sessions.get(client.id);
    if (!stored) this.sessions.set(client.id, (stored = new Map()));
    let changed = false;
    const durable: Array<{ filter: string; qos: number; patterns: string[] }> = [];
    for (const sub of subs) {
      const record: AedesSubscription = { topic: sub.topic, qos: sub.qos };
      const extra = record as Record<string, unknown>;
      for (const k of ['rh', 'rap', 'nl', 'subscriptionIdentifier'] as const) if (sub[k] !== undefined) extra[k] = sub[k];
      const prev = stored.get(sub.topic);
      if (prev && JSON.stringify(prev) === JSON.stringify(record)) continue;
      if (prev) stored.delete(sub.topic); // re-insert: the latest SUBSCRIBE wins and goes last
      stored.set(sub.topic, record);
      this.unindexSub(client.id, sub.topic);
      this.indexSub(client.id, record);
      changed = true;
    }
    // aedes calls this once per accepted filter of a SUBSCRIBE, each time with the packet's whole
    // list (refused filters included): queue only the filters the front-end authorized so far.
    for (const sub of subs) {
      let patterns: string[] | undefined;
      try {
        patterns = this.hooks.allowedPatterns(client, sub.topic);
      } catch (err) {
        this.logger.warn({ err, clientId: client.id, filter: sub.topic }, 'MQTT session filter cannot be mapped to the core; not queued');
      }
      if (!patterns) continue;
      if (this.setDurable(client.id, sub.topic, sub.qos > 0)) durable.push({ filter: sub.topic, qos: sub.qos, patterns });
    }
    if (!changed && durable.length === 0) return;
    await Promise.all([changed ? this.saveSession(client.id) : undefined, this.syncDurable(client.id, durable)]);
  }

  /** Record whether a session filter should feed the session queue; true if that changed. */
  private setDurable(clientId: string, filter: string, on: boolean): boolean {
    let m = this.durable.get(clientId);
    if ((m?.get(filter) ?? false) === on) return false;
    if (!m) this.durable.set(clientId, (m = new Map()));
    if (on) m.set(filter, true);
    else m.delete(filter);
    if (m.size === 0) this.durable.delete(clientId);
    return true;
  }

  async removeSubscriptions(client: ClientLike, topics: string[]): Promise<void> {
    const stored = this.sessions.get(client.id);
    if (!stored) return;
    const removed: Array<{ filter: string; qos: number; patterns: string[] }> = [];
    for (const topic of topics) {
      if (!stored.delete(topic)) continue;
      this.unindexSub(client.id, topic);
      if (this.setDurable(client.id, topic, false)) removed.push({ filter: topic, qos: 0, patterns: [] });
    }
    if (stored.size === 0) this.sessions.delete(client.id);
    await Promise.all([this.saveSession(client.id), this.syncDurable(client.id, removed)]);
  }

  async subscriptionsByClient(client: ClientLike): Promise<AedesSubscription[]> {
    const stored = this.sessions.get(client.id);
    return stored ? [...stored.values()].map((s) => ({ ...s })) : [];
  }

  async countOffline(): Promise<{ subsCount: number; clientsCount: number }> {
    return { subsCount: this.qosSubs, clientsCount: this.sessions.size };
  }

  async subscriptionsByTopic(topic: string): Promise<IndexedSub[]> {
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

  async cleanSubscriptions(client: ClientLike): Promise<void> {
    this.durable.delete(client.id); // the queue and its subscriptions are deleted below
    const stored = this.sessions.get(client.id);
    if (stored) {
      for (const topic of stored.keys()) this.unindexSub(client.id, topic);
      this.sessions.delete(client.id);
    }
    const work: Array<Promise<unknown>> = [];
    if (this.sessionsState.has(client.id)) work.push(this.sessionsState.delete(client.id));
    const pubrels = this.pubrels.get(client.id);
    if (pubrels) {
      this.pubrels.delete(client.id);
      for (const id of pubrels) work.push(this.pubrelState.delete(idKey(client.id, id)));
    }
    work.push(this.serialise(client.id, async () => {
      const queue = sessionQueueName(client.id);
      if (this.core.getQueue(queue)) {
        await this.core.deleteQueue(queue);
        this.logger.info({ clientId: client.id, queue }, 'MQTT persistent session discarded (clean session)');
      }
    }));
    await Promise.all(work);
  }

  getClientList(topic: string): Readable {
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

  hasSession(clientId: string): boolean {
    return this.sessions.has(clientId);
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
    this.indexed.set(idKey2(clientId, s.topic), { value, patterns });
    this.qosSubs += 1;
  }

  private unindexSub(clientId: string, topic: string): void {
    const key = idKey2(clientId, topic);
    const ix = this.indexed.get(key);
    if (!ix) return;
    for (const p of ix.patterns) this.index.remove(p, ix.value);
    this.indexed.delete(key);
    this.qosSubs -= 1;
  }

  private saveSession(clientId: string): Promise<void> {
    const stored = this.sessions.get(clientId);
    if (!stored || stored.size === 0) return this.sessionsState.delete(clientId);
    const rec: SessionRecord = { subs: [...stored.values()] };
    return this.sessionsState.set(clientId, Buffer.from(JSON.stringify(rec)));
  }

  /** Wait for session-queue changes under way (shutdown). */
  async settled(): Promise<void> {
    while (this.sessionOps.size > 0) await Promise.all([...this.sessionOps.values()]);
  }

  private serialise<T>(clientId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.sessionOps.get(clientId) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(() => undefined, () => undefined);
    this.sessionOps.set(clientId, tail);
    void tail.then(() => {
      if (this.sessionOps.get(clientId) === tail) this.sessionOps.delete(clientId);
    });
    return run;
  }

  /**
   * Make the session queue's durable subscriptions follow the filters' QoS: QoS 1/2 → one queue
   * subscription per allowed core pattern; QoS 0 or unsubscribed → none (removed by filter).
   */
  private syncDurable(clientId: string, changes: Array<{ filter: string; qos: number; patterns: string[] }>): Promise<void> {
    const work = changes.filter((c) => !c.filter.startsWith(SHARE_PREFIX) && !isSysTopic(c.filter));
    if (work.length === 0) return Promise.resolve();
    return this.serialise(clientId, async () => {
      const queue = sessionQueueName(clientId);
      for (const { filter, qos, patterns } of work) {
        if (qos > 0) {
          for (const pattern of patterns) {
            await this.core.subscribeQueue({
              id: `mqtt-session:${queue}:${pattern}`, pattern, queue, attributes: { createdBy: 'mqtt', clientId, filter },
            });
          }
        } else {
          for (const s of this.core.listSubscriptions({ queue })) {
            if (!('live' in s) && s.attributes.filter === filter) await this.core.unsubscribe(s.id);
          }
        }
      }
    });
  }

  // ------------------------------------------------------------------ outgoing

  /** Register a delivery made from a core queue (called just before client.deliverQoS). */
  track(client: ClientLike, messageId: number, delivery: TrackedDelivery): void {
    let m = this.tracked.get(client);
    if (!m) this.tracked.set(client, (m = new Map()));
    m.set(messageId, delivery);
  }

  isTracked(client: ClientLike, messageId: number): boolean {
    return this.tracked.get(client)?.has(messageId) === true;
  }

  /** Forget the deliveries of one consumer (closed: its unacked messages went back to the queue). */
  untrack(client: ClientLike, owner: object): void {
    const m = this.tracked.get(client);
    if (!m) return;
    for (const [id, d] of m) if (d.owner === owner) m.delete(id);
    if (m.size === 0) this.tracked.delete(client);
  }

  async outgoingEnqueue(sub: { clientId: string }, packet: AedesPacket): Promise<void> {
    this.outgoingEnqueueCombi([sub], packet);
  }

  async outgoingEnqueueCombi(subs: Array<{ clientId: string }>, packet: AedesPacket): Promise<void> {
    // Routed through the core: durable queue subscriptions put it into every session queue.
    if (isRouted(packet.payload)) return;
    for (const sub of subs) {
      let q = this.outgoing.get(sub.clientId);
      if (!q) this.outgoing.set(sub.clientId, (q = []));
      const copy = copyPacket(packet);
      if (copy.qos > 0 || copy.cmd !== 'publish') copy.messageId = undefined; // assigned on delivery (outgoingUpdate)
      q.push(copy);
    }
  }

  async outgoingUpdate(client: ClientLike, packet: AedesPacket): Promise<void> {
    const id = packet.messageId;
    const delivery = id !== undefined ? this.tracked.get(client)?.get(id) : undefined;
    if (delivery) {
      if (packet.cmd === 'pubrel' && !delivery.released) {
        // PUBREC: the client has the message. Remember the PUBREL durably, then drop the queue copy.
        delivery.released = true;
        await Promise.all([this.putPubrel(client.id, id!), delivery.ack()]);
      }
      return;
    }
    if (packet.cmd === 'pubrel' && id !== undefined && this.pubrels.get(client.id)?.has(id)) return; // resent after reconnect
    const q = this.outgoing.get(client.id);
    if (q) {
      for (let i = 0; i < q.length; i++) {
        const p = q[i]!;
        if (p.brokerId === packet.brokerId && packet.brokerId !== undefined) {
          if (p.brokerCounter === packet.brokerCounter) {
            p.messageId = packet.messageId;
            return;
          }
        } else if (p.messageId === packet.messageId) {
          q[i] = packet;
          return;
        }
      }
    }
    // Not ours to track (e.g. a retained message or a redelivery we already settled): nothing to update.
    this.logger.trace({ clientId: client.id, messageId: id, cmd: packet.cmd }, 'outgoingUpdate for an untracked packet');
  }

  async outgoingClearMessageId(client: ClientLike, packet: { messageId?: number } | number): Promise<AedesPacket | undefined> {
    const id = typeof packet === 'number' ? packet : packet?.messageId;
    if (id === undefined) return undefined;
    const m = this.tracked.get(client);
    const delivery = m?.get(id);
    if (delivery) {
      m!.delete(id);
      if (m!.size === 0) this.tracked.delete(client);
      delivery.onSettled?.();
      if (delivery.released) {
        await this.delPubrel(client.id, id);
      } else {
        // Not awaited: the queue frees the slot at once, and aedes reads the client's next packets
        // without waiting for the delete to commit (a lost delete means a redelivery, never a loss).
        void delivery.ack();
      }
      return delivery.packet;
    }
    if (this.pubrels.get(client.id)?.has(id)) {
      await this.delPubrel(client.id, id);
      return { cmd: 'pubrel', messageId: id } as AedesPacket;
    }
    const q = this.outgoing.get(client.id);
    if (q) {
      for (let i = 0; i < q.length; i++) {
        if (q[i]!.messageId === id) {
          const [p] = q.splice(i, 1);
          if (q.length === 0) this.outgoing.delete(client.id);
          return p;
        }
      }
    }
    return undefined;
  }

  outgoingStream(client: ClientLike): Readable {
    const out: AedesPacket[] = [];
    for (const id of this.pubrels.get(client.id) ?? []) out.push({ cmd: 'pubrel', messageId: id } as AedesPacket);
    for (const p of this.outgoing.get(client.id) ?? []) out.push(p);
    return Readable.from(out);
  }

  private putPubrel(clientId: string, messageId: number): Promise<void> {
    let set = this.pubrels.get(clientId);
    if (!set) this.pubrels.set(clientId, (set = new Set()));
    set.add(messageId);
    return this.pubrelState.set(idKey(clientId, messageId), ONE);
  }

  private delPubrel(clientId: string, messageId: number): Promise<void> {
    const set = this.pubrels.get(clientId);
    if (!set?.delete(messageId)) return Promise.resolve();
    if (set.size === 0) this.pubrels.delete(clientId);
    return this.pubrelState.delete(idKey(clientId, messageId));
  }

  // ------------------------------------------------------------------ incoming QoS 2

  private incomingFor(clientId: string, create: boolean): Map<number, AedesPacket | null> {
    let m = this.incoming.get(clientId);
    if (!m) {
      m = new Map();
      if (create) this.incoming.set(clientId, m);
    }
    return m;
  }

  /** Inbound QoS 2 packet ids of a client awaiting PUBREL. */
  incomingCount(clientId: string): number {
    return this.incoming.get(clientId)?.size ?? 0;
  }

  hasIncoming(clientId: string, messageId: number): boolean {
    return this.incoming.get(clientId)?.has(messageId) === true;
  }

  /** Record an inbound QoS 2 id without its packet (the message went to the core already). */
  markIncoming(clientId: string, messageId: number): Promise<void> {
    this.incomingFor(clientId, true).set(messageId, null);
    return this.incomingState.set(idKey(clientId, messageId), ONE);
  }

  async incomingStorePacket(client: ClientLike, packet: AedesPacket): Promise<void> {
    const id = packet.messageId!;
    const copy = copyPacket(packet);
    copy.messageId = id;
    this.incomingFor(client.id, true).set(id, copy);
    await this.incomingState.set(idKey(client.id, id), encodePacket(copy));
  }

  async incomingGetPacket(client: ClientLike, packet: { messageId?: number }): Promise<AedesPacket> {
    const id = packet.messageId!;
    const m = this.incoming.get(client.id);
    if (!m?.has(id)) throw new Error('no such packet');
    const p = m.get(id);
    return p ? copyPacket(p) : ({ cmd: 'publish', qos: 2, messageId: id } as AedesPacket);
  }

  async incomingDelPacket(client: ClientLike, packet: { messageId?: number }): Promise<void> {
    const id = packet.messageId!;
    const m = this.incoming.get(client.id);
    if (!m?.delete(id)) throw new Error('no such packet');
    if (m.size === 0) this.incoming.delete(client.id);
    await this.incomingState.delete(idKey(client.id, id));
  }

  async cleanIncoming(client: ClientLike): Promise<void> {
    const m = this.incoming.get(client.id);
    if (!m) return;
    this.incoming.delete(client.id);
    await Promise.all([...m.keys()].map((id) => this.incomingState.delete(idKey(client.id, id))));
  }

  // ------------------------------------------------------------------ wills

  async putWill(client: ClientLike, packet: AedesPacket): Promise<void> {
    packet.brokerId = this.aedes.id;
    packet.clientId = client.id;
    this.wills.set(client.id, packet);
    await this.willsState.set(client.id, encodePacket(packet));
  }

  async getWill(client: ClientLike): Promise<AedesPacket | undefined> {
    return this.wills.get(client.id);
  }

  async delWill(client: ClientLike): Promise<AedesPacket | undefined> {
    const will = this.wills.get(client.id);
    if (this.keepWills) return will;
    if (!will) return undefined;
    this.wills.delete(client.id);
    await this.willsState.delete(client.id);
    return will;
  }

  streamWill(brokers: Record<string, unknown> = {}): Readable {
    const out: AedesPacket[] = [];
    for (const w of this.wills.values()) if (!brokers[w.brokerId as string]) out.push(w);
    return Readable.from(out);
  }

  async destroy(): Promise<void> {
    if (this.destroyed) throw new Error('destroyed called twice!');
    this.destroyed = true;
  }
}

function idKey2(clientId: string, topic: string): string {
  return JSON.stringify([clientId, topic]);
}

function copyPacket(p: AedesPacket): AedesPacket {
  const c: AedesPacket = {
    cmd: p.cmd || 'publish',
    brokerId: p.brokerId,
    brokerCounter: p.brokerCounter,
    topic: p.topic,
    payload: p.payload,
    qos: p.qos || 0,
    retain: p.retain || false,
    dup: p.dup || false,
  };
  if (p.clientId !== undefined) c.clientId = p.clientId;
  if (p.messageId !== undefined) c.messageId = p.messageId;
  else if (c.qos > 0 || c.cmd !== 'publish') c.messageId = undefined;
  return c;
}

function retainedPacket(tm: TopicMessage): AedesPacket {
  const q = publishedQos(tm.message);
  return {
    cmd: 'publish',
    topic: coreToTopic(tm.topic),
    payload: tm.message.body,
    qos: q ?? (tm.message.persistent ? 1 : 0),
    retain: true,
    dup: false,
  };
}

export function isStoreFailure(err: unknown): boolean {
  return !isBrokerError(err) || err.status >= 500;
}
