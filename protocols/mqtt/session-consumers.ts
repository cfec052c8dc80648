/**
 * Persistent sessions' (clean=false) QoS 1/2 deliveries: the session's core queue (fed by
 * durable queue subscriptions, see session-queue-feeds.ts) has one push consumer per connected
 * session, prefetch = maxInflight; a queue message is acked on PUBACK (QoS 1) or PUBREC (QoS 2).
 */
import type { Broker } from '../../src/core/broker.js';
import type { QueueConsumer, QueueDelivery } from '../../src/core/queue/types.js';
import type { Logger } from '../../src/log.js';
import { deliveryQos, recordedTopic } from './message-mapping.js';
import type { ClientState, DeliveryLimits } from './mq-state.js';
import { type CorePersistence, sessionQueueName } from './persistence.js';
import type { QueueDeliverer } from './queue-delivery.js';

export class SessionConsumers {
  /** Persistent sessions: core message id → packet id, so a redelivery after reconnect reuses it (DUP=1). */
  private readonly sessionIds = new Map<string, Map<string, number>>();

  constructor(
    private readonly broker: Broker,
    private readonly persistence: CorePersistence,
    private readonly logger: Logger,
    private readonly limits: DeliveryLimits,
    private readonly deliverer: QueueDeliverer,
    private readonly isClosed: () => boolean,
  ) {}

  /** Start consuming the session queue for a connected persistent session (once). */
  start(st: ClientState): void {
    if (st.session || st.gone || this.isClosed()) return;
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
    const topic = recordedTopic(d.message) ?? this.deliverer.fallbackTopic(this.persistence.sessionFiltersOf(clientId), d);
    const subQos = this.persistence.sessionQos(clientId, topic) ?? 1;
    const qos = deliveryQos(d.message, subQos);
    this.deliverer.deliver(st, consumer, d, topic, qos, this.idsOf(clientId));
  }

  private idsOf(clientId: string): Map<string, number> {
    let ids = this.sessionIds.get(clientId);
    if (!ids) this.sessionIds.set(clientId, (ids = new Map()));
    return ids;
  }
}
