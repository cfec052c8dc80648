/**
 * Durable topic subscriptions (JMS durable subscribers over AMQP 1.0, as Qpid JMS and Artemis do
 * them): identified by the client's container id and the link name, recognised by a source with
 * `durable` > 0 or `expiry-policy: never`. Each is backed by a core queue
 * `amqp.sub.<containerId>.<linkName>` (escaped) fed by a queue subscription, so messages
 * published while the subscriber is away are kept (persistently) and the subscription survives
 * broker restarts. Re-attaching resumes it; closing the link (detach closed=true) deletes it;
 * a plain detach or a dropped connection keeps it. Re-attaching with another topic replaces it.
 */
import type { Broker, Queue } from '../../src/core/broker.js';
import { durableSubscriptionQueue } from './address.js';

export interface DurableSubscriptionSpec {
  containerId: string;
  linkName: string;
  pattern: string;
  filterPolicy?: string;
}

export function subscriptionQueueName(containerId: string, linkName: string): string {
  return durableSubscriptionQueue(containerId, linkName);
}

function queueSubscriptions(broker: Broker, queue: string) {
  return broker.listSubscriptions({ queue }).filter((s) => !('live' in s));
}

/** The existing subscription for this container and link name, if any. */
export function findDurableSubscription(broker: Broker, containerId: string, linkName: string): { queue: string; pattern: string } | undefined {
  const queue = subscriptionQueueName(containerId, linkName);
  const sub = queueSubscriptions(broker, queue)[0];
  return sub ? { queue, pattern: sub.pattern } : undefined;
}

/** Create or resume; resolves to the backing queue. */
export async function ensureDurableSubscription(broker: Broker, spec: DurableSubscriptionSpec): Promise<Queue> {
  const queue = subscriptionQueueName(spec.containerId, spec.linkName);
  const existing = queueSubscriptions(broker, queue);
  if (existing.length === 1 && existing[0]!.pattern === spec.pattern) {
    return broker.getQueue(queue) ?? broker.createQueue(queue);
  }
  if (existing.length > 0) await broker.deleteQueue(queue);
  await broker.subscribeQueue({
    pattern: spec.pattern,
    queue,
    ...(spec.filterPolicy !== undefined ? { filterPolicy: spec.filterPolicy } : {}),
    attributes: { protocol: 'amqp10', containerId: spec.containerId, linkName: spec.linkName },
  });
  return broker.requireQueue(queue);
}

/** Unsubscribe: the queue, its messages and its subscription go. */
export async function deleteDurableSubscription(broker: Broker, queue: string): Promise<void> {
  await broker.deleteQueue(queue);
}
