/**
 * MQTT PUBLISH ↔ core Message (MQTT 3.1 / 3.1.1: no properties to carry).
 *
 *   payload            ↔ body (bytes, unchanged)
 *   QoS > 0            → persistent: true;  QoS 0 → persistent: false (never written to disk)
 *   QoS                → header `x-mqtt-publish-qos` (0 | 1 | 2), as RabbitMQ's MQTT plugin does;
 *                        on delivery the QoS is min(subscription QoS, this header); messages from
 *                        other protocols (no header) are delivered at the subscription's QoS
 *   topic name         → header `x-mqtt-topic` (queue copies of a topic message do not carry the
 *                        topic they were published to; shared and persistent-session deliveries
 *                        read it back from here)
 *   retain flag        → Broker.publish(..., { retain }) (the core's retained store); delivered
 *                        with retain=1 only when sent because of a new subscription
 *   user (non-anonymous CONNECT username) → properties.userId
 *   time of arrival    → properties.timestamp
 */
import type { Message } from '../../src/core/message.js';

export const QOS_HEADER = 'x-mqtt-publish-qos';
import { coreToTopic } from './topic-names.js';

export const TOPIC_HEADER = 'x-mqtt-topic';

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
    headers: { [QOS_HEADER]: qos, [TOPIC_HEADER]: packet.topic },
    persistent: qos > 0,
  };
}

/** The QoS a message was published with, if it came from MQTT. */
export function publishedQos(m: Message): QoS | undefined {
  const v = m.headers[QOS_HEADER];
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
  const v = m.headers[TOPIC_HEADER];
  if (typeof v === 'string' && v.length > 0) return v;
  return m.properties.topic !== undefined ? coreToTopic(m.properties.topic) : undefined;
}
