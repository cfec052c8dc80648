/**
 * Persistent sessions' (clean=false) QoS 1/2 deliveries: the session's core queue (fed by
 * durable queue subscriptions, see session-queue-feeds.ts) has one consumer of the connection's
 * ServerSession per connected session (ack 'individual', prefetch = maxInflight); a queue message is acked on PUBACK (QoS 1) or PUBREC (QoS 2).
 */
import type { Broker } from '../../src/core/broker.js';
import type { Delivery, SessionConsumer } from '../../src/core/session/index.js';
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

  /** Start consuming the session queue for a connected persistent session (once), through its ServerSession. */
  start(st: ClientState): void {
    if (st.session || st.sessionStarting || st.gone || this.isClosed()) return;
    const server = st.server;
    if (!server || server.closed) return;
    const clientId = st.client.id;
    const name = sessionQueueName(clientId);
    if (!this.broker.getQueue(name)) return; // no QoS 1/2 filter yet
    // Fed by the session's own filters, each authorized for read at SUBSCRIBE.
    server.ownQueue(name);
    st.sessionStarting = true;
    let consumer: SessionConsumer | undefined;
    server.createConsumer({
      source: { kind: 'queue', name },
      ack: 'individual',
      prefetch: this.limits.maxInflight,
      tag: `mqtt:${clientId}`,
    }, {
      deliver: (d) => this.deliverSession(st, d),
      ended: (reason) => {
        if (consumer && st.session === consumer) st.session = undefined;
        if (consumer) this.persistence.untrack(st.client, consumer);
        this.logger.debug({ clientId, reason }, 'MQTT session queue consumer ended by the queue');
      },
    }).then((c) => {
      st.sessionStarting = false;
      consumer = c;
      if (st.gone || c.closed) {
        c.close();
        this.persistence.untrack(st.client, c);
        return;
      }
      st.session = c;
    }, (err: unknown) => {
      st.sessionStarting = false;
      if (!st.gone) this.logger.error({ err, clientId }, 'could not consume the MQTT persistent session queue');
    });
  }

  private deliverSession(st: ClientState, d: Delivery): void {
    const client = st.client;
    const clientId = client.id;
    const topic = recordedTopic(d.message) ?? this.deliverer.fallbackTopic(this.persistence.sessionFiltersOf(clientId), d);
    const subQos = this.persistence.sessionQos(clientId, topic) ?? 1;
    const qos = deliveryQos(d.message, subQos);
    this.deliverer.deliver(st, d, topic, qos, this.idsOf(clientId));
  }

  private idsOf(clientId: string): Map<string, number> {
    let ids = this.sessionIds.get(clientId);
    if (!ids) this.sessionIds.set(clientId, (ids = new Map()));
    return ids;
  }
}
