/** Wills for aedes' persistence, kept in broker.state('mqtt.wills'). */
import { Readable } from 'node:stream';
import type { StateMap } from '../../src/core/state-map.js';
import type { Logger } from '../../src/log.js';
import type { AedesPacket, ClientLike } from './aedes-types.js';
import { decodePacket, encodePacket } from './stored-packet.js';

export class WillStore {
  private state!: StateMap;
  private readonly wills = new Map<string, AedesPacket>();
  /** Wills are kept (not deleted) while the front-end shuts down, so they fire after a restart if the client never returns. */
  keep = false;

  constructor(
    private readonly logger: Logger,
    /** The aedes broker id, read at call time. */
    private readonly brokerId: () => string,
  ) {}

  get size(): number {
    return this.wills.size;
  }

  load(state: StateMap): void {
    this.state = state;
    for (const clientId of state.keys()) {
      try {
        this.wills.set(clientId, decodePacket(state.get(clientId)!));
      } catch (err) {
        this.logger.error({ err, clientId }, 'stored MQTT will is unreadable; ignoring it');
      }
    }
  }

  async put(client: ClientLike, packet: AedesPacket): Promise<void> {
    packet.brokerId = this.brokerId();
    packet.clientId = client.id;
    this.wills.set(client.id, packet);
    await this.state.set(client.id, encodePacket(packet));
  }

  async get(client: ClientLike): Promise<AedesPacket | undefined> {
    return this.wills.get(client.id);
  }

  async del(client: ClientLike): Promise<AedesPacket | undefined> {
    const will = this.wills.get(client.id);
    if (this.keep) return will;
    if (!will) return undefined;
    this.wills.delete(client.id);
    await this.state.delete(client.id);
    return will;
  }

  stream(brokers: Record<string, unknown> = {}): Readable {
    const out: AedesPacket[] = [];
    for (const w of this.wills.values()) if (!brokers[w.brokerId as string]) out.push(w);
    return Readable.from(out);
  }
}
