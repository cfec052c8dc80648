/**
 * Inbound QoS 2 packet ids awaiting PUBREL, for aedes' persistence: kept in
 * broker.state('mqtt.incoming') (the packet itself, or a marker when the message went to the
 * core already).
 */
import type { StateMap } from '../../src/core/state-map.js';
import type { Logger } from '../../src/log.js';
import type { AedesPacket, ClientLike } from './aedes-types.js';
import { copyPacket, decodePacket, encodePacket, idKey, ONE, parseIdKey } from './stored-packet.js';

export class IncomingQos2 {
  private state!: StateMap;
  /** clientId → messageId → stored packet (or a marker). */
  private readonly incoming = new Map<string, Map<number, AedesPacket | null>>();

  constructor(private readonly logger: Logger) {}

  /** Stored records (at load time: what was read). */
  get stateSize(): number {
    return this.state.size;
  }

  load(state: StateMap): void {
    this.state = state;
    for (const key of state.keys()) {
      const k = parseIdKey(key);
      if (!k) {
        this.logger.error({ key }, 'unreadable MQTT QoS 2 inbound state key; ignoring it');
        continue;
      }
      const v = state.get(key)!;
      this.incomingFor(k[0], true).set(k[1], v.length > 1 ? decodePacket(v) : null);
    }
  }

  private incomingFor(clientId: string, create: boolean): Map<number, AedesPacket | null> {
    let m = this.incoming.get(clientId);
    if (!m) {
      m = new Map();
      if (create) this.incoming.set(clientId, m);
    }
    return m;
  }

  /** Inbound QoS 2 packet ids of a client awaiting PUBREL. */
  count(clientId: string): number {
    return this.incoming.get(clientId)?.size ?? 0;
  }

  has(clientId: string, messageId: number): boolean {
    return this.incoming.get(clientId)?.has(messageId) === true;
  }

  /** Record an inbound QoS 2 id without its packet (the message went to the core already). */
  mark(clientId: string, messageId: number): Promise<void> {
    this.incomingFor(clientId, true).set(messageId, null);
    return this.state.set(idKey(clientId, messageId), ONE);
  }

  async storePacket(client: ClientLike, packet: AedesPacket): Promise<void> {
    const id = packet.messageId!;
    const copy = copyPacket(packet);
    copy.messageId = id;
    this.incomingFor(client.id, true).set(id, copy);
    await this.state.set(idKey(client.id, id), encodePacket(copy));
  }

  async getPacket(client: ClientLike, packet: { messageId?: number }): Promise<AedesPacket> {
    const id = packet.messageId!;
    const m = this.incoming.get(client.id);
    if (!m?.has(id)) throw new Error('no such packet');
    const p = m.get(id);
    return p ? copyPacket(p) : ({ cmd: 'publish', qos: 2, messageId: id } as AedesPacket);
  }

  async delPacket(client: ClientLike, packet: { messageId?: number }): Promise<void> {
    const id = packet.messageId!;
    const m = this.incoming.get(client.id);
    if (!m?.delete(id)) throw new Error('no such packet');
    if (m.size === 0) this.incoming.delete(client.id);
    await this.state.delete(idKey(client.id, id));
  }

  async clean(client: ClientLike): Promise<void> {
    const m = this.incoming.get(client.id);
    if (!m) return;
    this.incoming.delete(client.id);
    await Promise.all([...m.keys()].map((id) => this.state.delete(idKey(client.id, id))));
  }
}
