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

/** Subscriptions being created (queue name → pattern), so a quick re-attach finds them too. */
const creating = new WeakMap<Broker, Map<string, { pattern: string; ready: Promise<Queue> }>>();

function creatingFor(broker: Broker): Map<string, { pattern: string; ready: Promise<Queue> }> {
  let m = creating.get(broker);
  if (!m) {
    m = new Map();
    creating.set(broker, m);
  }
  return m;
}

function queueSubscriptions(broker: Broker, queue: string) {
  return broker.listSubscriptions({ queue }).filter((s) => !('live' in s));
}

/** The existing subscription for this container and link name, if any. */
export function findDurableSubscription(broker: Broker, containerId: string, linkName: string): { queue: string; pattern: string } | undefined {
  const queue = subscriptionQueueName(containerId, linkName);
  const sub = queueSubscriptions(broker, queue)[0];
  if (sub) return { queue, pattern: sub.pattern };
  const pending = creatingFor(broker).get(queue);
  return pending ? { queue, pattern: pending.pattern } : undefined;
}

/** Create or resume; resolves to the backing queue. */
export function ensureDurableSubscription(broker: Broker, spec: DurableSubscriptionSpec): Promise<Queue> {
  const queue = subscriptionQueueName(spec.containerId, spec.linkName);
  const pending = creatingFor(broker);
  const previous = pending.get(queue);
  const ready = (previous ? previous.ready.catch(() => undefined) : Promise.resolve(undefined)).then(() => create(broker, spec, queue));
  const entry = { pattern: spec.pattern, ready };
  pending.set(queue, entry);
  const forget = (): void => {
    if (pending.get(queue) === entry) pending.delete(queue);
  };
  ready.then(forget, forget);
  return ready;
}

async function create(broker: Broker, spec: DurableSubscriptionSpec, queue: string): Promise<Queue> {
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
