/**
 * amq.topic queue bindings as core topic subscription records (amq.topic is the core topic
 * space): the record a bind creates, its id, and the Binding a record stands for.
 */
import { BrokerError } from '../errors.js';
import type { SubscriptionRecord } from '../store.js';
import { argumentsToJson, bindingId } from './binding-identity.js';
import type { ExchangeHost } from './exchange-host.js';
import { argumentsFromJson } from './exchange-records.js';
import { topicBindingKey, topicBindingPattern } from './topic-key.js';
import { TOPIC_SPACE_EXCHANGE, type Binding } from './types.js';

/** Subscription record attributes marking an amq.topic queue binding. */
const TOPIC_BINDING_ATTRIBUTE = 'exchange';
const TOPIC_BINDING_ID_PREFIX = 'amq.topic/';

/** The id of the topic subscription record standing for an amq.topic queue binding. */
export function topicSpaceSubscriptionId(b: Binding): string {
  return TOPIC_BINDING_ID_PREFIX + bindingId(b);
}

/** Bind a queue to amq.topic: a core topic subscription of the queue (a stream cannot be bound). */
export async function bindTopicSpaceQueue(host: ExchangeHost, b: Binding): Promise<void> {
  if (host.destination(b.destination.name)?.kind === 'stream') {
    throw new BrokerError('INVALID_ARGUMENT', `stream "${b.destination.name}" cannot be bound to ${TOPIC_SPACE_EXCHANGE} (core topic subscriptions deliver into queues)`);
  }
  const pattern = topicBindingPattern(b.routingKey);
  await host.topicSpace.subscribe({
    id: topicSpaceSubscriptionId(b),
    pattern,
    queue: b.destination.name,
    attributes: { [TOPIC_BINDING_ATTRIBUTE]: TOPIC_SPACE_EXCHANGE, routingKey: b.routingKey, arguments: argumentsToJson(b.arguments) },
  });
}

/** The Binding an amq.topic subscription record stands for, or undefined for other subscriptions. */
export function topicSpaceBinding(rec: SubscriptionRecord): Binding | undefined {
  const a = rec.attributes;
  if (a[TOPIC_BINDING_ATTRIBUTE] !== TOPIC_SPACE_EXCHANGE) return undefined;
  const routingKey = typeof a.routingKey === 'string' ? a.routingKey : topicBindingKey(rec.pattern);
  const args = a.arguments === undefined ? {} : argumentsFromJson(`subscription ${rec.id}`, a.arguments);
  return { source: TOPIC_SPACE_EXCHANGE, destination: { kind: 'queue', name: rec.queue }, routingKey, arguments: args };
}
