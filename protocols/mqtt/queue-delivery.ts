/**
 * Delivery of a core queue message (persistent session or shared group), handed over by a
 * ServerSession queue consumer (ack 'individual'), to an MQTT client:
 * QoS 0 is acked once written; QoS 1/2 get a packet id not in flight on the connection and are
 * tracked by the persistence until PUBACK (QoS 1) or PUBREC / PUBCOMP (QoS 2).
 */
import { isBrokerError } from '../../src/core/errors.js';
import type { Delivery, SessionConsumer } from '../../src/core/session/index.js';
import type { Logger } from '../../src/log.js';
import type { AedesClient, AedesPacket } from './aedes-types.js';
import type { QoS } from './message-mapping.js';
import { type ClientState, noop } from './mq-state.js';
import type { CorePersistence } from './persistence.js';
import { literalPrefix } from './topic-names.js';

export class QueueDeliverer {
  constructor(
    private readonly persistence: CorePersistence,
    private readonly logger: Logger,
  ) {}

  /**
   * Hand one queue message to the client. `ids` (persistent sessions): core message id → packet
   * id, so a redelivery after reconnect reuses it.
   */
  deliver(st: ClientState, d: Delivery, topic: string, qos: QoS, ids: Map<string, number> | undefined): void {
    const consumer = d.consumer;
    const client = st.client;
    const packet: AedesPacket = { cmd: 'publish', topic, payload: d.message.body, qos, retain: false, dup: false };
    if (st.gone || client.closed) {
      safeNack(consumer, d.id, this.logger);
      return;
    }
    if (qos === 0) {
      client.deliver0(packet, () => {
        if (client.closed) safeNack(consumer, d.id, this.logger);
        else consumer.ack(d.id).catch((err: unknown) => this.logger.debug({ err, clientId: client.id }, 'ack of a QoS 0 queue delivery failed'));
      });
      return;
    }
    let messageId = d.redelivered ? ids?.get(d.messageId) : undefined;
    if (messageId === undefined || this.persistence.isTracked(client, messageId)) messageId = this.allocateId(client);
    // Every redelivery carries DUP, also after a restart or failover when its old packet id is unknown.
    packet.dup = d.redelivered;
    packet.messageId = messageId;
    ids?.set(d.messageId, messageId);
    const logger = this.logger;
    this.persistence.track(client, messageId, {
      packet,
      qos,
      released: false,
      owner: consumer,
      ack: () => consumer.ack(d.id).catch((err: unknown) => {
        if (isBrokerError(err, 'RECEIPT_INVALID')) logger.debug({ err, clientId: client.id, messageId }, 'PUBACK/PUBREC for a delivery already returned to its queue');
        else logger.error({ err, clientId: client.id, messageId }, 'removing an acknowledged MQTT delivery from its queue failed; it may be redelivered');
      }),
      ...(ids ? { onSettled: () => { ids.delete(d.messageId); } } : {}),
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
  fallbackTopic(filters: string[], d: Delivery): string {
    const f = filters[0];
    const topic = f === undefined ? 'unknown' : literalPrefix(f) || 'unknown';
    this.logger.debug({ messageId: d.messageId, topic }, 'queued message has no recorded MQTT topic; delivering on the filter prefix');
    return topic;
  }
}

function safeNack(consumer: SessionConsumer, id: number, logger: Logger): void {
  if (consumer.closed) return;
  try {
    consumer.release(id);
  } catch (err) {
    logger.debug({ err, deliveryId: id }, 'release of a queue delivery failed (already settled)');
  }
}
