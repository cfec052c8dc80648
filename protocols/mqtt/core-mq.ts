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
 *                  queue (fed by durable queue subscriptions, see session-queue-feeds.ts) has one
 *                  push consumer per connected session, prefetch = maxInflight; a queue message
 *                  is acked on PUBACK (QoS 1) or PUBREC (QoS 2) — session-consumers.ts;
 *      shared    — `$share/GROUP/FILTER`: one durable core queue per group and filter, fed by
 *                  durable queue subscriptions; each member is a push consumer on it, so members
 *                  compete for messages; acked on PUBACK / PUBCOMP (QoS 0: once written)
 *                  — shared-groups.ts;
 *      local     — `$SYS/...` filters: aedes' internal heartbeat / client events.
 * This module does the topic-message fan-out (live and local) and the bookkeeping of
 * registrations; queue-backed deliveries (session, shared) go through queue-delivery.ts.
 * Which client a deliver function belongs to is learnt from authorizeSubscribe (expect()), which
 * aedes always calls right before it registers that client's subscription.
 */
import type { Broker } from '../../src/core/broker.js';
import type { Message } from '../../src/core/message.js';
import type { TopicMessage } from '../../src/core/topic/topic-types.js';
import type { Logger } from '../../src/log.js';
import type { ConnectionInfo } from '../../src/server/protocol-module.js';
import type { AedesBroker, AedesClient, AedesPacket, DeliverFn } from './aedes-types.js';
import { publishedQos, toCoreMessage } from './message-mapping.js';
import { type ClientState, type DeliveryLimits, noop, type Registration, toQos } from './mq-state.js';
import { type CorePersistence, isRouted, unmarkRouted } from './persistence.js';
import { QueueDeliverer } from './queue-delivery.js';
import { SessionConsumers } from './session-consumers.js';
import { SharedGroups } from './shared-groups.js';
import { coreToTopic, filterToCorePatterns, isSysTopic, mqttMatches, parseShared, topicToCore } from './topic-names.js';

export type { ClientState, DeliveryLimits } from './mq-state.js';

export class CoreMq {
  private aedes!: AedesBroker;
  private readonly states = new Map<AedesClient, ClientState>();
  private readonly expected = new Map<string, Set<ClientState>>();
  private readonly regs = new Map<DeliverFn, Registration>();
  private readonly local = new Set<Registration>();
  private readonly sessions: SessionConsumers;
  private readonly groups: SharedGroups;
  private lastTm: TopicMessage | undefined;
  private lastPacket: AedesPacket | undefined;
  private closed = false;

  constructor(
    private readonly broker: Broker,
    private readonly persistence: CorePersistence,
    private readonly logger: Logger,
    private readonly limits: DeliveryLimits,
  ) {
    const deliverer = new QueueDeliverer(persistence, logger);
    const isClosed = (): boolean => this.closed;
    this.sessions = new SessionConsumers(broker, persistence, logger, limits, deliverer, isClosed);
    this.groups = new SharedGroups(broker, persistence, logger, limits, deliverer, isClosed);
  }

  attach(aedes: AedesBroker): void {
    this.aedes = aedes;
  }

  // ------------------------------------------------------------------ connections

  register(client: AedesClient, info: ConnectionInfo): ClientState {
    const st: ClientState = {
      client, info, principal: undefined, server: undefined, connect: undefined, allowed: new Map(), pending: 0,
      release: () => { st.pending -= 1; },
      regs: new Set(), session: undefined, sessionStarting: false, gone: false,
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
    if (st && !client.clean) this.sessions.start(st);
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
    const server = st.server;
    if (server) {
      server.close().catch((err: unknown) => this.logger.warn({ err, clientId: client.id }, 'closing the MQTT server session failed'));
    }
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
        this.groups.join(reg, filter, shared.group, shared.filter).then(() => cb(), (err: unknown) => {
          this.logger.error({ err, clientId: st.client.id, filter }, 'could not join MQTT shared subscription group');
          this.drop(reg);
          cb(err instanceof Error ? err : new Error(String(err)));
        });
        return;
      }
      if (st && !st.client.clean && qos > 0) {
        reg.kind = 'session';
        if (st.client.connected) this.sessions.start(st);
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
  settled(): Promise<void> {
    return this.groups.settled();
  }

  /**
   * After a crash, shared-group queues whose members were all clean sessions are left without
   * members: delete those no persistent session lists (called once at start).
   */
  removeOrphanGroups(): Promise<void> {
    return this.groups.removeOrphanGroups();
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
    if (reg.kind === 'shared') this.groups.leave(reg);
  }
}
