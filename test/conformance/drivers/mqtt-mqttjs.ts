/**
 * MQTT 3.1.1 over TCP with mqtt.js. Core topic `a.b` is MQTT topic `a/b`. Subscriptions are QoS 1;
 * with ack 'client' the PUBACK is held back until ack() by holding mqtt.js' handleMessage
 * callback (mqtt.js' own hook for application-controlled acknowledgement). mqtt.js handles one
 * incoming PUBLISH at a time, so the application sees at most one unacknowledged message; the
 * broker's window (maxInflight) is what the flow-control scenario checks, through the admin API.
 */
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { TestServer } from '../../support/test-server.js';
import {
  CapabilityMissing, CollectingSubscription, RefusedError, toBuffer,
  type Connection, type ConnectOptions, type Destination, type Driver, type ReceivedMessage, type SendOptions, type SubscribeOptions, type Subscription, type Transaction,
} from '../driver.js';

const NAME = 'mqtt (mqtt.js, tcp)';

function address(dest: Destination): string {
  switch (dest.kind) {
    case 'queue': throw new CapabilityMissing(NAME, `queues (asked for queue ${dest.name})`);
    case 'topic': return dest.name.split('.').join('/');
    case 'address': return dest.address;
  }
}

/** MQTT filter matching (`+` one level, `#` the rest, including the parent). */
export function filterMatches(filter: string, name: string): boolean {
  const f = filter.split('/');
  const t = name.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

interface Entry {
  filter: string;
  manual: boolean;
  sub: CollectingSubscription;
}

class MqttConnection implements Connection {
  closed = false;
  private readonly entries: Entry[] = [];
  /** Packets delivered to a client-ack subscription, with the callback that sends their PUBACK. */
  private readonly held = new Map<IPublishPacket, (() => void) | undefined>();
  /**
   * Messages no subscription of this connection matches yet: a persistent session's queued
   * messages arrive right after CONNACK, before the scenario re-subscribes. Held (not PUBACKed)
   * until a subscription claims them.
   */
  private readonly unrouted: ReceivedMessage[] = [];

  constructor(readonly driver: Driver, private readonly client: MqttClient) {
    client.on('close', () => (this.closed = true));
    client.on('error', () => undefined);
    client.on('message', (topicName, payload, packet) => {
      const matching = this.entries.filter((e) => filterMatches(e.filter, topicName));
      const m: ReceivedMessage = { body: Buffer.from(payload), headers: {}, redelivered: packet.dup, raw: packet };
      if ((matching.length === 0 || matching.some((e) => e.manual)) && packet.qos > 0) this.held.set(packet, undefined);
      if (matching.length === 0) this.unrouted.push(m);
      for (const e of matching) e.sub.push(m);
    });
    client.handleMessage = (packet, callback) => {
      if (this.held.has(packet as IPublishPacket)) this.held.set(packet as IPublishPacket, () => callback());
      else callback();
    };
  }

  async send(dest: Destination, body: Buffer | string, opts: SendOptions = {}): Promise<void> {
    await this.client.publishAsync(address(dest), toBuffer(body), { qos: (opts.persistent ?? true) ? 1 : 0 });
  }

  async subscribe(dest: Destination, opts: SubscribeOptions = {}): Promise<Subscription> {
    const filter = address(dest);
    const entry: Entry = { filter, manual: opts.ack === 'client', sub: new CollectingSubscription(`${NAME} ${filter}`) };
    this.entries.push(entry);
    for (let i = 0; i < this.unrouted.length; ) {
      const m = this.unrouted[i]!;
      if (!filterMatches(filter, (m.raw as IPublishPacket).topic)) {
        i++;
        continue;
      }
      this.unrouted.splice(i, 1);
      entry.sub.push(m);
      if (!entry.manual) await this.ack(m);
    }
    let qos: number | undefined;
    try {
      qos = (await this.client.subscribeAsync(filter, { qos: 1 }))[0]?.qos;
    } catch (err) {
      // mqtt.js rejects a SUBACK failure code with the SUBACK packet attached.
      const granted = (err as { packet?: { granted?: Array<number | { qos: number }> } }).packet?.granted?.[0];
      if (granted === undefined) throw err;
      qos = typeof granted === 'number' ? granted : granted.qos;
    }
    if (qos === 128) {
      this.entries.splice(this.entries.indexOf(entry), 1);
      throw new RefusedError(NAME, 'SUBACK 0x80', `subscribe ${filter}`);
    }
    return entry.sub;
  }

  async ack(msg: ReceivedMessage): Promise<void> {
    const packet = msg.raw as IPublishPacket;
    if (!this.held.has(packet)) return;
    // The callback is set once mqtt.js called handleMessage (right after the 'message' event).
    const deadline = Date.now() + 5000;
    while (this.held.get(packet) === undefined) {
      if (Date.now() > deadline) throw new Error(`${NAME}: mqtt.js never handed over the PUBACK of ${packet.topic}`);
      await new Promise((r) => setTimeout(r, 1));
    }
    const puback = this.held.get(packet)!;
    this.held.delete(packet);
    puback();
  }

  tempReplyQueue(): Promise<{ replyTo: string; subscription: Subscription }> {
    return Promise.reject(new CapabilityMissing(NAME, 'temporary reply queues'));
  }

  begin(): Promise<Transaction> {
    return Promise.reject(new CapabilityMissing(NAME, 'transactions'));
  }

  async disconnect(): Promise<void> {
    if (this.closed) return;
    const graceful = this.client.endAsync(false);
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 3000).unref());
    if ((await Promise.race([graceful, timeout])) === 'timeout') await this.client.endAsync(true);
    this.closed = true;
  }
}

export const mqttDriver: Driver = {
  name: NAME,
  id: 'mqttjs',
  protocol: 'mqtt',
  capabilities: {
    queues: false,
    topics: true,
    applicationHeaders: false,
    headersAsText: false,
    standardProperties: false,
    clientWindow: false,
    brokerWindow: true,
    transactions: false,
    typedProperties: false,
    tempReplyQueue: false,
    durableSubscriptions: true,
    redeliveredFlag: true,
    publishRefusalVisible: false,
  },
  notes: {
    queues: 'MQTT has topics only',
    applicationHeaders: 'MQTT 3.1.1 has no user properties',
    standardProperties: 'MQTT 3.1.1 has no content-type, correlation data or response topic',
    clientWindow: 'MQTT 3.1.1 has no client-chosen window: the broker bounds unacknowledged QoS 1 deliveries (maxInflight)',
    transactions: 'MQTT has no transactions',
    typedProperties: 'MQTT 3.1.1 has no properties',
    tempReplyQueue: 'MQTT has no temporary queues',
    publishRefusalVisible: 'MQTT 3.1.1 has no negative PUBACK: a refused publish is acknowledged and dropped',
  },
  address,
  async connect(server: TestServer, opts: ConnectOptions = {}): Promise<Connection> {
    const options: IClientOptions = {
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      clean: opts.clean ?? true,
      ...(opts.clientId !== undefined ? { clientId: opts.clientId } : {}),
      ...(opts.username !== undefined ? { username: opts.username, password: opts.password ?? '' } : {}),
    };
    try {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${server.ports.mqtt!}`, options);
      return new MqttConnection(mqttDriver, client);
    } catch (err) {
      const code = (err as { code?: number }).code;
      throw new RefusedError(NAME, code !== undefined ? `CONNACK ${code}` : 'connect', (err as Error).message);
    }
  },
};
