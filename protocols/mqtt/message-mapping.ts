/**
 * MQTT PUBLISH ↔ core Message (MQTT 3.1 / 3.1.1: no properties to carry).
 *
 *   payload            ↔ body (bytes, unchanged)
 *   QoS > 0            → persistent: true;  QoS 0 → persistent: false (never written to disk)
 *   QoS                → protocol slot `mqtt.publishQos` (0 | 1 | 2); on delivery the QoS is
 *                        min(subscription QoS, this); messages from other protocols (none) are
 *                        delivered at the subscription's QoS
 *   topic name         → protocol slot `mqtt.topic` (queue copies of a topic message do not carry
 *                        the topic they were published to; shared and persistent-session
 *                        deliveries read it back from here)
 *   The slot (src/core/protocol-slot.ts) is not seen by other protocols. Versions before it kept
 *   these as the headers `x-mqtt-publish-qos` / `x-mqtt-topic` (as RabbitMQ's MQTT plugin does);
 *   the store's codec moves them into the slot when it reads such a message.
 *   retain flag        → Broker.publish(..., { retain }) (the core's retained store); delivered
 *                        with retain=1 only when sent because of a new subscription
 *   user (non-anonymous CONNECT username) → properties.userId
 *   time of arrival    → properties.timestamp
 */
import type { Message } from '../../src/core/message.js';
import { coreToTopic } from './topic-names.js';

export type QoS = 0 | 1 | 2;

export interface PublishLike {
  topic: string;
  payload: Buffer | string;
  qos: number;
  retain?: boolean;
}

export function toCoreMessage(packet: PublishLike, userId: string | undefined, now: number): Message {
  const qos = packet.qos === 1 || packet.qos === 2 ? packet.qos : 0;
  const body = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  return {
    body,
    properties: userId !== undefined ? { timestamp: now, userId } : { timestamp: now },
    headers: {},
    persistent: qos > 0,
    protocol: { mqtt: { publishQos: qos, topic: packet.topic } },
  };
}

/** The QoS a message was published with, if it came from MQTT. */
export function publishedQos(m: Message): QoS | undefined {
  const v = m.protocol?.mqtt?.publishQos;
  return v === 0 || v === 1 || v === 2 ? v : undefined;
}

/** QoS to deliver `m` at to a subscription of QoS `subQos`. */
export function deliveryQos(m: Message, subQos: QoS): QoS {
  const pub = publishedQos(m);
  return pub === undefined ? subQos : pub < subQos ? pub : subQos;
}

/**
 * The MQTT topic of a message taken from a queue: the exact topic recorded on a message published
 * through MQTT, else the core topic the broker stamps on topic → queue copies, mapped back.
 */
export function recordedTopic(m: Message): string | undefined {
  const v = m.protocol?.mqtt?.topic;
  if (typeof v === 'string' && v.length > 0) return v;
  return m.properties.topic !== undefined ? coreToTopic(m.properties.topic) : undefined;
}
