/**
 * MQTT shared subscriptions (`$share/GROUP/FILTER`): one durable core queue per group and
 * filter, fed by durable queue subscriptions; each member consumes it through its connection's
 * ServerSession (ack 'individual', prefetch = maxInflight), so members
 * compete for messages; acked on PUBACK / PUBCOMP (QoS 0: once written).
 */
import type { Broker } from '../../src/core/broker.js';
import type { SessionConsumer } from '../../src/core/session/index.js';
import type { Logger } from '../../src/log.js';
import { deliveryQos, recordedTopic } from './message-mapping.js';
import { type DeliveryLimits, noop, type Registration, type SharedGroup } from './mq-state.js';
import type { CorePersistence } from './persistence.js';
import type { QueueDeliverer } from './queue-delivery.js';
import { encodeSingleLevel, filterToCorePatterns } from './topic-names.js';

export class SharedGroups {
  private readonly groups = new Map<string, SharedGroup>();
  /** Shared-group queue changes under way (awaited at shutdown). */
  private readonly groupOps = new Set<Promise<unknown>>();

  constructor(
    private readonly broker: Broker,
    private readonly persistence: CorePersistence,
    private readonly logger: Logger,
    private readonly limits: DeliveryLimits,
    private readonly deliverer: QueueDeliverer,
    private readonly isClosed: () => boolean,
  ) {}

  /** Wait for shared-group queue changes still under way (shutdown). */
  async settled(): Promise<void> {
    while (this.groupOps.size > 0) await Promise.all([...this.groupOps]);
  }

  private trackGroupOp(p: Promise<unknown>): void {
    const op = p.then(noop, noop);
    this.groupOps.add(op);
    void op.then(() => this.groupOps.delete(op));
  }

  /**
   * After a crash, shared-group queues whose members were all clean sessions are left without
   * members: delete those no persistent session lists (called once at start).
   */
  async removeOrphanGroups(): Promise<void> {
    const listed = new Set<string>();
    for (const [, topic] of this.persistence.sessionFilters()) listed.add(topic);
    const orphans = new Set<string>();
    const referenced = new Set<string>();
    for (const sub of this.broker.listSubscriptions()) {
      if ('live' in sub) continue;
      const a = sub.attributes;
      if (a.createdBy !== 'mqtt' || typeof a.share !== 'string' || typeof a.filter !== 'string') continue;
      if (listed.has(`$share/${a.share}/${a.filter}`)) referenced.add(sub.queue);
      else orphans.add(sub.queue);
    }
    // a group queue whose subscriptions are gone (interrupted removal) is an orphan too
    for (const q of this.broker.listQueues()) if (q.name.startsWith('mqtt.shared.') && !referenced.has(q.name)) orphans.add(q.name);
    for (const queue of orphans) {
      if (this.groups.has(queue)) continue;
      await this.broker.deleteQueue(queue);
      this.logger.info({ queue }, 'removed an MQTT shared subscription queue left without members');
    }
  }

  private groupQueueName(group: string, filter: string): string {
    return `mqtt.shared.${encodeSingleLevel(group, false, false)}.${encodeSingleLevel(filter, false, true)}`;
  }

  join(reg: Registration, shareFilter: string, group: string, filter: string): Promise<void> {
    const queue = this.groupQueueName(group, filter);
    let g = this.groups.get(queue);
    if (!g) {
      g = { queue, shareFilter, filter, members: new Set(), chain: Promise.resolve(), durable: false };
      this.groups.set(queue, g);
    }
    reg.group = g;
    g.members.add(reg);
    const grp = g;
    const run = grp.chain.then(async () => {
      if (reg.removed) return;
      if (!grp.durable) {
        for (const pattern of filterToCorePatterns(filter)) {
          await this.broker.subscribeQueue({
            id: `mqtt-shared:${queue}:${pattern}`, pattern, queue, attributes: { createdBy: 'mqtt', share: group, filter },
          });
        }
        grp.durable = true;
      }
      if (reg.removed) return;
      const st = reg.state!;
      const server = st.server;
      if (!server || server.closed || st.gone) return;
      // Fed by the group's filter, authorized for read at SUBSCRIBE.
      server.ownQueue(queue);
      let consumer: SessionConsumer | undefined;
      consumer = await server.createConsumer({
        source: { kind: 'queue', name: queue },
        ack: 'individual',
        prefetch: this.limits.maxInflight,
        tag: `mqtt:${st.client.id}:${shareFilter}`,
      }, {
        deliver: (d) => {
          const topic = recordedTopic(d.message) ?? this.deliverer.fallbackTopic([filter], d);
          this.deliverer.deliver(st, d, topic, deliveryQos(d.message, reg.qos), undefined);
        },
        ended: () => {
          if (consumer && reg.consumer === consumer) reg.consumer = undefined;
          if (consumer) this.persistence.untrack(st.client, consumer);
        },
      });
      if (reg.removed || consumer.closed) {
        consumer.close();
        this.persistence.untrack(st.client, consumer);
        return;
      }
      reg.consumer = consumer;
    });
    grp.chain = run.catch(noop);
    this.trackGroupOp(run);
    return run;
  }

  leave(reg: Registration): void {
    const g = reg.group;
    if (!g) return;
    reg.group = undefined;
    g.members.delete(reg);
    if (g.members.size > 0) return;
    g.chain = g.chain.then(async () => {
      if (g.members.size > 0 || !g.durable) return;
      // Persistent sessions that subscribed keep the group (and its queued messages) alive.
      for (const [, topic] of this.persistence.sessionFilters()) if (topic === g.shareFilter) return;
      g.durable = false;
      if (this.groups.get(g.queue) === g) this.groups.delete(g.queue);
      if (this.isClosed()) return;
      await this.broker.deleteQueue(g.queue);
      this.logger.debug({ queue: g.queue }, 'MQTT shared subscription group removed (no members left)');
    }).catch((err: unknown) => this.logger.error({ err, queue: g.queue }, 'could not remove an MQTT shared subscription group'));
    this.trackGroupOp(g.chain);
  }
}
