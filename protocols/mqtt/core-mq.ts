/**
 * The aedes `mq` (its message bus: on / removeListener / emit / close), backed by the core.
 *
 * aedes registers one deliver function per client subscription (mq.on(filter, func)) and emits
 * every publish (mq.emit). Here:
 *  - a client PUBLISH was already published to the core (authorizePublish), so emit() does
 *    nothing for it; anything else (programmatic aedes.publish) is published to the core here;
 *    aedes' own `$SYS/...` traffic stays inside this module (local listeners only);
 *  - a subscription becomes, by kind:
 *      live      — clean sessions, and QoS 0 filters of persistent sessions: one core live
 *                  subscription per mapped pattern; its sink hands messages to aedes' deliver
 *                  function, and refuses them (offer() = false → counted as dropped by the core)
 *                  while the client is too far behind (maxQueuedPerClient / maxBufferedBytes);
 *      session   — QoS 1/2 filters of persistent sessions: nothing live; the session's core
 *                  queue (fed by durable queue subscriptions, see persistence.ts) has one push
 *                  consumer per connected session, prefetch = maxInflight; a queue message is
 *                  acked on PUBACK (QoS 1) or PUBREC (QoS 2);
 *      shared    — `$share/GROUP/FILTER`: one durable core queue per group and filter, fed by
 *                  durable queue subscriptions; each member is a push consumer on it, so members
 *                  compete for messages; acked on PUBACK / PUBCOMP (QoS 0: once written);
 *      local     — `$SYS/...` filters: aedes' internal heartbeat / client events.
 * Which client a deliver function belongs to is learnt from authorizeSubscribe (expect()), which
 * aedes always calls right before it registers that client's subscription.
 */
import type { Broker } from '../../src/core/broker.js';
import { isBrokerError } from '../../src/core/errors.js';
import type { Message } from '../../src/core/message.js';
import type { QueueConsumer, QueueDelivery } from '../../src/core/queue/types.js';
import type { LiveSubscription, TopicMessage } from '../../src/core/topic/topic-types.js';
import type { Logger } from '../../src/log.js';
import type { Principal } from '../../src/security/security-manager.js';
import type { ConnectionInfo } from '../../src/server/protocol-module.js';
import type { AedesBroker, AedesClient, AedesPacket, DeliverFn } from './aedes-types.js';
import { deliveryQos, publishedQos, recordedTopic, toCoreMessage, type QoS } from './message-mapping.js';
import { type CorePersistence, isRouted, sessionQueueName, unmarkRouted } from './persistence.js';
import {
  coreToTopic, encodeSingleLevel, filterToCorePatterns, isSysTopic, literalPrefix, mqttMatches, parseShared, topicToCore,
} from './topic-names.js';

export interface DeliveryLimits {
  /** QoS 1/2 deliveries from a queue (persistent session, shared group) awaiting acknowledgement, per consumer. */
  maxInflight: number;
  /** Live deliveries handed to aedes and not yet written to the socket, per client. */
  maxQueuedPerClient: number;
  /** Bytes waiting in the client's socket buffer beyond which live messages are refused. */
  maxBufferedBytes: number;
}

/** What the front-end knows about one connection. */
export interface ClientState {
  client: AedesClient;
  info: ConnectionInfo;
  principal: Principal | undefined;
  /** CONNECT details seen in preConnect. */
  connect: { emptyId: boolean; will: AedesPacket | null } | undefined;
  /**
   * Filters authorizeSubscribe accepted → the core patterns the client may read (aedes persists a
   * SUBSCRIBE's whole list, refused ones included; `a/#`'s parent pattern `a` only if the ACL allows it).
   */
  allowed: Map<string, string[]>;
  /** Live deliveries not yet written. */
  pending: number;
  release: () => void;
  regs: Set<Registration>;
  session: QueueConsumer | undefined;
  gone: boolean;
}

type Kind = 'live' | 'session' | 'shared' | 'local';

interface Registration {
  kind: Kind;
  filter: string;
  func: DeliverFn;
  state: ClientState | undefined;
  qos: QoS;
  lives: LiveSubscription[];
  group: SharedGroup | undefined;
  consumer: QueueConsumer | undefined;
  removed: boolean;
}

interface SharedGroup {
  queue: string;
  shareFilter: string; // `$share/g/f` as subscribed
  filter: string; // f
  members: Set<Registration>;
  /** Serialises creation and teardown of the group's queue and subscriptions. */
  chain: Promise<unknown>;
  durable: boolean;
}

const noop = (): void => undefined;

export class CoreMq {
  private aedes!: AedesBroker;
  private readonly states = new Map<AedesClient, ClientState>();
  private readonly expected = new Map<string, Set<ClientState>>();
  private readonly regs = new Map<DeliverFn, Registration>();
  private readonly local = new Set<Registration>();
  private readonly groups = new Map<string, SharedGroup>();
  /** Shared-group queue changes under way (awaited at shutdown). */
  private readonly groupOps = new Set<Promise<unknown>>();
  /** Persistent sessions: core message id → packet id, so a redelivery after reconnect reuses it (DUP=1). */
  private readonly sessionIds = new Map<string, Map<string, number>>();
  private lastTm: TopicMessage | undefined;
  private lastPacket: AedesPacket | undefined;
  private closed = false;

  constructor(
    private readonly broker: Broker,
    private readonly persistence: CorePersistence,
    private readonly logger: Logger,
    private readonly limits: DeliveryLimits,
  ) {}

  attach(aedes: AedesBroker): void {
    this.aedes = aedes;
  }

  // ------------------------------------------------------------------ connections

  register(client: AedesClient, info: ConnectionInfo): ClientState {
    const st: ClientState = {
      client, info, principal: undefined, connect: undefined, allowed: new Map(), pending: 0,
      release: () => { st.pending -= 1; },
      regs: new Set(), session: undefined, gone: false,
    };
    this.states.set(client, st);
    return st;
  }

  stateOf(client: AedesClient): ClientState | undefined {
    return this.states.get(client);
  }

  /** authorizeSubscribe accepted `filter` for this client: its deliver function follows. */
  expect(st: ClientState, filter: string, patterns: string[]): void {
    st.allowed.set(filter, patterns);
    let set = this.expected.get(filter);
    if (!set) this.expected.set(filter, (set = new Set()));
    set.add(st);
  }

  private claim(filter: string, func: DeliverFn): ClientState | undefined {
    const set = this.expected.get(filter);
    if (!set) return undefined;
    for (const st of set) {
      if (st.client.subscriptions[filter]?.func === func) {
        set.delete(st);
        if (set.size === 0) this.expected.delete(filter);
        return st;
      }
    }
    return undefined;
  }

  /** CONNACK sent and the connect sequence done: a persistent session starts receiving its queue. */
  clientReady(client: AedesClient): void {
    const st = this.states.get(client);
    if (st && !client.clean) this.startSession(st);
  }

  /** The connection is gone (or being closed): stop every delivery to it; unacked queue messages are requeued. */
  clientGone(client: AedesClient): void {
    const st = this.states.get(client);
    if (!st || st.gone) return;
    st.gone = true;
    this.states.delete(client);
    for (const filter of st.allowed.keys()) {
      const set = this.expected.get(filter);
      if (set?.delete(st) && set.size === 0) this.expected.delete(filter);
    }
    if (st.session) {
      const c = st.session;
      st.session = undefined;
      c.close();
      this.persistence.untrack(client, c);
    }
    for (const reg of [...st.regs]) this.drop(reg);
  }

  // ------------------------------------------------------------------ aedes mq contract

  on(filter: string, func: DeliverFn, done?: (err?: Error) => void): void {
    const cb = done ?? noop;
    if (this.closed) {
      cb();
      return;
    }
    const st = this.claim(filter, func);
    const qos = toQos(st?.client.subscriptions[filter]?.qos ?? 2);
    const reg: Registration = { kind: 'live', filter, func, state: st, qos, lives: [], group: undefined, consumer: undefined, removed: false };
    const previous = this.regs.get(func);
    if (previous) this.drop(previous);
    this.regs.set(func, reg);
    st?.regs.add(reg);
    try {
      if (isSysTopic(filter) || filter.startsWith('$SYS/')) {
        reg.kind = 'local';
        this.local.add(reg);
        cb();
        return;
      }
      const shared = parseShared(filter);
      if (shared) {
        reg.kind = 'shared';
        if (!st) {
          this.logger.warn({ filter }, 'shared subscription without a known client; ignored');
          cb();
          return;
        }
        this.joinGroup(reg, filter, shared.group, shared.filter).then(() => cb(), (err: unknown) => {
          this.logger.error({ err, clientId: st.client.id, filter }, 'could not join MQTT shared subscription group');
          this.drop(reg);
          cb(err instanceof Error ? err : new Error(String(err)));
        });
        return;
      }
      if (st && !st.client.clean && qos > 0) {
        reg.kind = 'session';
        if (st.client.connected) this.startSession(st);
        cb();
        return;
      }
      const sink = { offer: (tm: TopicMessage) => this.offer(reg, tm) };
      for (const pattern of st?.allowed.get(filter) ?? filterToCorePatterns(filter)) reg.lives.push(this.broker.subscribeLive(pattern, sink));
      cb();
    } catch (err) {
      this.logger.warn({ err, clientId: st?.client.id, filter }, 'MQTT subscription could not be registered with the core');
      this.drop(reg);
      cb(err instanceof Error ? err : new Error(String(err)));
    }
  }

  removeListener(_filter: string, func: DeliverFn, done?: (err?: Error) => void): void {
    const reg = this.regs.get(func);
    if (reg) {
      const client = reg.state?.client;
      this.drop(reg);
      // The connection is closing (aedes unsubscribes everything first): stop its session too,
      // before aedes reports the close (a takeover's new connection must not race the old consumer).
      if (client?.closed) this.clientGone(client);
    }
    (done ?? noop)();
  }

  emit(packet: AedesPacket, done?: (err?: Error) => void): void {
    const cb = done ?? noop;
    if (isSysTopic(packet.topic) || packet.topic.startsWith('$SYS/')) {
      this.emitLocal(packet, cb);
      return;
    }
    if (isRouted(packet.payload)) {
      // Published to the core in authorizePublish; core subscriptions delivered it.
      unmarkRouted(packet.payload);
      cb();
      return;
    }
    let name: string;
    let message: Message;
    try {
      name = topicToCore(packet.topic);
      message = toCoreMessage(packet, undefined, Date.now());
    } catch (err) {
      this.logger.warn({ err, topic: packet.topic }, 'MQTT publish not routable to the core; dropped');
      cb();
      return;
    }
    this.broker.publish(name, message).then(() => cb(), (err: unknown) => {
      this.logger.error({ err, topic: packet.topic }, 'publishing an MQTT message to the core failed');
      cb(err instanceof Error ? err : new Error(String(err)));
    });
  }

  /** Wait for shared-group queue changes still under way (shutdown). */
  async settled(): Promise<void> {
    while (this.groupOps.size > 0) await Promise.all([...this.groupOps]);
  }

  private trackGroupOp(p: Promise<unknown>): void {
    const op = p.then(noop, noop);
    this.groupOps.add(op);
    void op.then(() => this.groupOps.delete(op));
  }

  /**
   * After a crash, shared-group queues whose members were all clean sessions are left without
   * members: delete those no persistent session lists (called once at start).
   */
  async removeOrphanGroups(): Promise<void> {
    const listed = new Set<string>();
    for (const [, topic] of this.persistence.sessionFilters()) listed.add(topic);
    const orphans = new Set<string>();
    const referenced = new Set<string>();
    for (const sub of this.broker.listSubscriptions()) {
      if ('live' in sub) continue;
      const a = sub.attributes;
      if (a.createdBy !== 'mqtt' || typeof a.share !== 'string' || typeof a.filter !== 'string') continue;
      if (listed.has(`$share/${a.share}/${a.filter}`)) referenced.add(sub.queue);
      else orphans.add(sub.queue);
    }
    // a group queue whose subscriptions are gone (interrupted removal) is an orphan too
    for (const q of this.broker.listQueues()) if (q.name.startsWith('mqtt.shared.') && !referenced.has(q.name)) orphans.add(q.name);
    for (const queue of orphans) {
      if (this.groups.has(queue)) continue;
      await this.broker.deleteQueue(queue);
      this.logger.info({ queue }, 'removed an MQTT shared subscription queue left without members');
    }
  }

  close(cb?: () => void): void {
    this.closed = true;
    for (const client of [...this.states.keys()]) this.clientGone(client);
    for (const reg of [...this.regs.values()]) this.drop(reg);
    cb?.();
  }

  // ------------------------------------------------------------------ live

  private emitLocal(packet: AedesPacket, cb: () => void): void {
    let n = 0;
    const targets: Registration[] = [];
    for (const reg of this.local) if (mqttMatches(reg.filter, packet.topic)) targets.push(reg);
    if (targets.length === 0) {
      cb();
      return;
    }
    n = targets.length;
    const one = (): void => {
      n -= 1;
      if (n === 0) cb();
    };
    for (const reg of targets) reg.func(packet, one);
  }

  /** One aedes packet per core publish, shared by every subscriber (aedes dedupes overlapping subscriptions by broker counter). */
  private packetFor(tm: TopicMessage): AedesPacket {
    if (tm === this.lastTm && this.lastPacket) return this.lastPacket;
    const packet: AedesPacket = {
      cmd: 'publish',
      topic: coreToTopic(tm.topic),
      payload: tm.message.body,
      qos: publishedQos(tm.message) ?? 2,
      retain: false,
      dup: false,
      brokerId: this.aedes.id,
      brokerCounter: ++this.aedes.counter,
    };
    this.lastTm = tm;
    this.lastPacket = packet;
    return packet;
  }

  private offer(reg: Registration, tm: TopicMessage): boolean {
    if (reg.removed) return false;
    const st = reg.state;
    let packet = this.packetFor(tm);
    if (packet.qos > reg.qos) packet = { ...packet, qos: reg.qos };
    if (!st) {
      reg.func(packet, noop);
      return true;
    }
    if (st.gone || this.backlogged(st)) return false;
    st.pending += 1;
    reg.func(packet, st.release);
    return true;
  }

  private backlogged(st: ClientState): boolean {
    return st.pending >= this.limits.maxQueuedPerClient || st.client.conn.writableLength >= this.limits.maxBufferedBytes;
  }

  // ------------------------------------------------------------------ queue-backed deliveries

  private startSession(st: ClientState): void {
    if (st.session || st.gone || this.closed) return;
    const clientId = st.client.id;
    const queue = this.broker.getQueue(sessionQueueName(clientId));
    if (!queue) return; // no QoS 1/2 filter yet
    let consumer: QueueConsumer | undefined;
    consumer = queue.addConsumer({
      prefetch: this.limits.maxInflight,
      tag: `mqtt:${clientId}`,
      onMessage: (d) => this.deliverSession(st, consumer!, d),
      onClosed: (reason) => {
        if (st.session === consumer) st.session = undefined;
        this.persistence.untrack(st.client, consumer!);
        this.logger.debug({ clientId, reason }, 'MQTT session queue consumer ended by the queue');
      },
    });
    st.session = consumer;
  }

  private deliverSession(st: ClientState, consumer: QueueConsumer, d: QueueDelivery): void {
    const client = st.client;
    const clientId = client.id;
    const topic = recordedTopic(d.message) ?? this.fallbackTopic(this.persistence.sessionFiltersOf(clientId), d);
    const subQos = this.persistence.sessionQos(clientId, topic) ?? 1;
    const qos = deliveryQos(d.message, subQos);
    this.deliverFromQueue(st, consumer, d, topic, qos, this.idsOf(clientId));
  }

  private idsOf(clientId: string): Map<string, number> {
    let ids = this.sessionIds.get(clientId);
    if (!ids) this.sessionIds.set(clientId, (ids = new Map()));
    return ids;
  }

  private deliverFromQueue(st: ClientState, consumer: QueueConsumer, d: QueueDelivery, topic: string, qos: QoS, ids: Map<string, number> | undefined): void {
    const client = st.client;
    const packet: AedesPacket = { cmd: 'publish', topic, payload: d.message.body, qos, retain: false, dup: false };
    if (st.gone || client.closed) {
      safeNack(consumer, d.tag, this.logger);
      return;
    }
    if (qos === 0) {
      client.deliver0(packet, () => {
        if (client.closed) safeNack(consumer, d.tag, this.logger);
        else consumer.ack(d.tag).catch((err: unknown) => this.logger.debug({ err, clientId: client.id }, 'ack of a QoS 0 queue delivery failed'));
      });
      return;
    }
    let messageId = d.redelivered ? ids?.get(d.id) : undefined;
    if (messageId === undefined || this.persistence.isTracked(client, messageId)) messageId = this.allocateId(client);
    // Every redelivery carries DUP, also after a restart or failover when its old packet id is unknown.
    packet.dup = d.redelivered;
    packet.messageId = messageId;
    ids?.set(d.id, messageId);
    const logger = this.logger;
    this.persistence.track(client, messageId, {
      packet,
      qos,
      released: false,
      owner: consumer,
      ack: () => consumer.ack(d.tag).catch((err: unknown) => {
        if (isBrokerError(err, 'RECEIPT_INVALID')) logger.debug({ err, clientId: client.id, messageId }, 'PUBACK/PUBREC for a delivery already returned to its queue');
        else logger.error({ err, clientId: client.id, messageId }, 'removing an acknowledged MQTT delivery from its queue failed; it may be redelivered');
      }),
      ...(ids ? { onSettled: () => { ids.delete(d.id); } } : {}),
    });
    client.deliverQoS(packet, noop);
  }

  /** A packet id not in flight on this connection, from aedes' own counter so the two never collide. */
  private allocateId(client: AedesClient): number {
    for (let i = 0; i < 65535; i++) {
      const id = client._nextId;
      client._nextId = id >= 65535 ? 1 : id + 1;
      if (!this.persistence.isTracked(client, id)) return id;
    }
    return client._nextId;
  }

  /**
   * Topic for a queued message without a recorded MQTT topic (published by another protocol):
   * queue copies do not carry the topic they were published to. Best effort: the subscribed
   * filter when it has no wildcard, else its literal prefix.
   */
  private fallbackTopic(filters: string[], d: QueueDelivery): string {
    const f = filters[0];
    const topic = f === undefined ? 'unknown' : literalPrefix(f) || 'unknown';
    this.logger.debug({ messageId: d.id, topic }, 'queued message has no recorded MQTT topic; delivering on the filter prefix');
    return topic;
  }

  private groupQueueName(group: string, filter: string): string {
    return `mqtt.shared.${encodeSingleLevel(group, false, false)}.${encodeSingleLevel(filter, false, true)}`;
  }

  private joinGroup(reg: Registration, shareFilter: string, group: string, filter: string): Promise<void> {
    const queue = this.groupQueueName(group, filter);
    let g = this.groups.get(queue);
    if (!g) {
      g = { queue, shareFilter, filter, members: new Set(), chain: Promise.resolve(), durable: false };
      this.groups.set(queue, g);
    }
    reg.group = g;
    g.members.add(reg);
    const grp = g;
    const run = grp.chain.then(async () => {
      if (reg.removed) return;
      if (!grp.durable) {
        for (const pattern of filterToCorePatterns(filter)) {
          await this.broker.subscribeQueue({
            id: `mqtt-shared:${queue}:${pattern}`, pattern, queue, attributes: { createdBy: 'mqtt', share: group, filter },
          });
        }
        grp.durable = true;
      }
      if (reg.removed) return;
      const st = reg.state!;
      const q = await this.broker.queue(queue);
      let consumer: QueueConsumer | undefined;
      consumer = q.addConsumer({
        prefetch: this.limits.maxInflight,
        tag: `mqtt:${st.client.id}:${shareFilter}`,
        onMessage: (d) => {
          const topic = recordedTopic(d.message) ?? this.fallbackTopic([filter], d);
          this.deliverFromQueue(st, consumer!, d, topic, deliveryQos(d.message, reg.qos), undefined);
        },
        onClosed: () => {
          if (reg.consumer === consumer) reg.consumer = undefined;
          this.persistence.untrack(st.client, consumer!);
        },
      });
      reg.consumer = consumer;
    });
    grp.chain = run.catch(noop);
    this.trackGroupOp(run);
    return run;
  }

  private leaveGroup(reg: Registration): void {
    const g = reg.group;
    if (!g) return;
    reg.group = undefined;
    g.members.delete(reg);
    if (g.members.size > 0) return;
    g.chain = g.chain.then(async () => {
      if (g.members.size > 0 || !g.durable) return;
      // Persistent sessions that subscribed keep the group (and its queued messages) alive.
      for (const [, topic] of this.persistence.sessionFilters()) if (topic === g.shareFilter) return;
      g.durable = false;
      if (this.groups.get(g.queue) === g) this.groups.delete(g.queue);
      if (this.closed) return;
      await this.broker.deleteQueue(g.queue);
      this.logger.debug({ queue: g.queue }, 'MQTT shared subscription group removed (no members left)');
    }).catch((err: unknown) => this.logger.error({ err, queue: g.queue }, 'could not remove an MQTT shared subscription group'));
    this.trackGroupOp(g.chain);
  }

  private drop(reg: Registration): void {
    if (reg.removed) return;
    reg.removed = true;
    if (this.regs.get(reg.func) === reg) this.regs.delete(reg.func);
    reg.state?.regs.delete(reg);
    for (const live of reg.lives) live.close();
    reg.lives = [];
    if (reg.kind === 'local') this.local.delete(reg);
    if (reg.consumer) {
      const c = reg.consumer;
      reg.consumer = undefined;
      c.close();
      if (reg.state) this.persistence.untrack(reg.state.client, c);
    }
    if (reg.kind === 'shared') this.leaveGroup(reg);
  }
}

function toQos(n: number): QoS {
  return n >= 2 ? 2 : n === 1 ? 1 : 0;
}

function safeNack(consumer: QueueConsumer, tag: number, logger: Logger): void {
  if (consumer.closed) return;
  try {
    consumer.nack(tag, { requeue: true, countDelivery: false });
  } catch (err) {
    logger.debug({ err, tag }, 'nack of a queue delivery failed (already settled)');
  }
}
