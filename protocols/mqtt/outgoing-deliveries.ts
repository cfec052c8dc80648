/**
 * Outgoing (in-flight) deliveries for aedes' persistence:
 *  - deliveries made from a core queue (persistent session or shared group) awaiting PUBACK /
 *    PUBREC / PUBCOMP, per connection (track / isTracked / untrack);
 *  - outbound QoS 2 deliveries awaiting PUBCOMP (PUBREL sent): broker.state('mqtt.pubrel');
 *  - packets that did not go through the core, kept in memory per client as aedes' in-memory
 *    persistence does.
 */
import { Readable } from 'node:stream';
import type { StateMap } from '../../src/core/state-map.js';
import type { Logger } from '../../src/log.js';
import type { AedesPacket, ClientLike } from './aedes-types.js';
import { isRouted } from './routed-marks.js';
import { copyPacket, idKey, ONE, parseIdKey } from './stored-packet.js';

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

export class OutgoingDeliveries {
  private pubrelState!: StateMap;
  private readonly pubrels = new Map<string, Set<number>>();
  /** Packets that did not go through the core, per client (aedes' in-memory semantics). */
  private readonly outgoing = new Map<string, AedesPacket[]>();
  /** Queue deliveries in flight, per connection (aedes Client object) → packet id. */
  private readonly tracked = new WeakMap<ClientLike, Map<number, TrackedDelivery>>();

  constructor(private readonly logger: Logger) {}

  /** Stored PUBREL records (at load time: what was read). */
  get pubrelStateSize(): number {
    return this.pubrelState.size;
  }

  loadPubrels(state: StateMap): void {
    this.pubrelState = state;
    for (const key of state.keys()) {
      const k = parseIdKey(key);
      if (!k) {
        this.logger.error({ key }, 'unreadable MQTT QoS 2 outbound state key; ignoring it');
        continue;
      }
      let set = this.pubrels.get(k[0]);
      if (!set) this.pubrels.set(k[0], (set = new Set()));
      set.add(k[1]);
    }
  }

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

  async enqueueCombi(subs: Array<{ clientId: string }>, packet: AedesPacket): Promise<void> {
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

  async update(client: ClientLike, packet: AedesPacket): Promise<void> {
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

  async clearMessageId(client: ClientLike, packet: { messageId?: number } | number): Promise<AedesPacket | undefined> {
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

  stream(client: ClientLike): Readable {
    const out: AedesPacket[] = [];
    for (const id of this.pubrels.get(client.id) ?? []) out.push({ cmd: 'pubrel', messageId: id } as AedesPacket);
    for (const p of this.outgoing.get(client.id) ?? []) out.push(p);
    return Readable.from(out);
  }

  /** Forget a discarded session's PUBREL records; returns the state deletes under way. */
  cleanPubrels(clientId: string): Array<Promise<unknown>> {
    const work: Array<Promise<unknown>> = [];
    const pubrels = this.pubrels.get(clientId);
    if (pubrels) {
      this.pubrels.delete(clientId);
      for (const id of pubrels) work.push(this.pubrelState.delete(idKey(clientId, id)));
    }
    return work;
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
}
