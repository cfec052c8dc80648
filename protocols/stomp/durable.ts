/**
 * Durable topic subscriptions, ActiveMQ style: `client-id` on CONNECT plus
 * `activemq.subscriptionName` (or `durable-subscription-name`) on SUBSCRIBE to `/topic/...`.
 *
 * Each is a core queue `stomp.durable.<clientId>.<subscriptionName>` (both parts escaped into
 * one name level, see `escapeLevel`) fed by a queue subscription (Broker.subscribeQueue) whose id
 * is the queue name. It keeps collecting while the subscriber is away and survives restarts (the
 * subscription record and the queue are durable; like ActiveMQ, only persistent messages survive a
 * broker restart). Re-subscribing with another topic replaces the subscription and purges what it
 * collected; a changed `x-filter-policy` just replaces the filter.
 *
 * UNSUBSCRIBE carrying the durable name header removes the subscription and its queue; a plain
 * UNSUBSCRIBE (or a disconnect) only detaches the consumer. One connection at a time may consume a
 * durable subscription (ActiveMQ: one active subscriber per client id and name).
 */
import type { Broker, Queue } from '../../src/core/broker.js';
import { BrokerError } from '../../src/core/errors.js';

export const DURABLE_NAME_HEADERS = ['activemq.subscriptionName', 'durable-subscription-name'] as const;

export const DURABLE_QUEUE_PREFIX = 'stomp.durable';

/**
 * Make any string one core name level: keep `A-Z a-z 0-9 _ -`, write every other UTF-8 byte as
 * `%XX`. Reversible and collision-free (a `%` in the input is itself escaped).
 */
export function escapeLevel(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function durableQueueName(clientId: string, subscriptionName: string): string {
  return `${DURABLE_QUEUE_PREFIX}.${escapeLevel(clientId)}.${escapeLevel(subscriptionName)}`;
}

export interface DurableInput {
  queue: string;
  pattern: string;
  filterPolicy: string | undefined;
  clientId: string;
  subscriptionName: string;
}

/** Create or update the durable subscription; resolves to its queue. */
export async function ensureDurableSubscription(broker: Broker, input: DurableInput): Promise<Queue> {
  let moved = false;
  for (const sub of broker.listSubscriptions({ queue: input.queue })) {
    if ('live' in sub || sub.pattern === input.pattern) continue;
    await broker.unsubscribe(sub.id);
    moved = true;
  }
  await broker.subscribeQueue({
    id: input.queue,
    pattern: input.pattern,
    queue: input.queue,
    filterPolicy: input.filterPolicy ?? null,
    attributes: { createdBy: 'stomp', clientId: input.clientId, subscriptionName: input.subscriptionName },
  });
  const queue = broker.getQueue(input.queue);
  if (!queue) throw new BrokerError('NOT_FOUND', `durable subscription queue "${input.queue}"`);
  if (moved) await queue.purge();
  return queue;
}

/** Remove the durable subscription and its queue; false if there was none. */
export function removeDurableSubscription(broker: Broker, queue: string): Promise<boolean> {
  return broker.deleteQueue(queue);
}

/** Which connection consumes which durable subscription (module-wide). */
export class DurableRegistry {
  private readonly owners = new Map<string, string>();

  /** False when another connection holds it. */
  claim(queue: string, owner: string): boolean {
    const current = this.owners.get(queue);
    if (current !== undefined && current !== owner) return false;
    this.owners.set(queue, owner);
    return true;
  }

  release(queue: string, owner: string): void {
    if (this.owners.get(queue) === owner) this.owners.delete(queue);
  }
}
