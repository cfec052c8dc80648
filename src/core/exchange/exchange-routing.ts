/**
 * Where one publish goes: a walk over the exchange graph (RabbitMQ's routing):
 *  - each exchange reached matches the routing key and headers against its bindings;
 *  - an exchange whose own bindings matched nothing hands the message to its alternate
 *    exchange (if that exists);
 *  - exchange-to-exchange bindings are followed; an exchange is visited at most once per
 *    publish, so cycles end;
 *  - the default exchange routes to the queue (or stream) named by the routing key;
 *  - reaching amq.topic means the core topic router routes too (its queue bindings are core
 *    topic subscriptions); the walk only follows amq.topic's exchange-to-exchange bindings.
 * Every queue appears at most once in the result.
 */
import { BrokerError } from '../errors.js';
import type { Headers, Message } from '../message.js';
import type { Logger } from '../../log.js';
import type { BindingEntry, BindingTable } from './binding-table.js';
import { DEFAULT_EXCHANGE, TOPIC_SPACE_EXCHANGE } from './types.js';

export interface RoutableExchange {
  readonly name: string;
  readonly table: BindingTable;
  readonly alternate: string | undefined;
}

export interface RoutePlan {
  /** Queues and streams to get a copy, each once, in the order reached. */
  queues: string[];
  /** amq.topic was reached: the core topic space must route the message too. */
  topicSpace: boolean;
}

export function planRoute(
  start: RoutableExchange, routingKey: string, headers: Headers,
  lookup: (name: string) => RoutableExchange | undefined, hasDestination: (name: string) => boolean,
): RoutePlan {
  const queues = new Set<string>();
  const seen = new Set<string>([start.name]);
  const work: RoutableExchange[] = [start];
  let topicSpace = false;
  const matched: BindingEntry[] = [];
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    const x = lookup(name);
    if (!x) return;
    seen.add(name);
    work.push(x);
  };
  for (let i = 0; i < work.length; i++) {
    const x = work[i]!;
    if (x.name === DEFAULT_EXCHANGE) {
      if (hasDestination(routingKey)) queues.add(routingKey);
      continue;
    }
    if (x.name === TOPIC_SPACE_EXCHANGE) topicSpace = true;
    matched.length = 0;
    x.table.route(routingKey, headers, matched);
    if (matched.length === 0 && x.alternate !== undefined) visit(x.alternate);
    for (const e of matched) {
      const d = e.binding.destination;
      if (d.kind === 'exchange') visit(d.name);
      else if (hasDestination(d.name)) queues.add(d.name);
    }
  }
  return { queues: [...queues], topicSpace };
}

/**
 * Put one copy into each queue; resolves to how many accepted. The topic router's failure
 * policy: every copy is attempted; a client-class refusal (status < 500: too large for that
 * queue, missing group id, queue gone) is logged and not counted; any other failure rejects the
 * publish once all settled (a copy may not be durable: the producer must not be acknowledged).
 */
export async function deliverCopies(
  queues: readonly string[], message: Message, deliver: (queue: string, m: Message) => Promise<unknown>,
  logger: Logger, context: { exchange: string; routingKey: string },
): Promise<number> {
  if (queues.length === 0) return 0;
  const results = await Promise.allSettled(queues.map((q) => {
    try {
      return deliver(q, message);
    } catch (err) {
      return Promise.reject(err);
    }
  }));
  let routed = 0;
  let fatal: unknown;
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') {
      routed += 1;
      return;
    }
    const fields = { err: r.reason, ...context, queue: queues[i] };
    if (r.reason instanceof BrokerError && r.reason.status < 500) {
      logger.warn(fields, 'queue refused a message routed by an exchange; other destinations unaffected');
    } else {
      logger.error(fields, 'exchange copy may not be durable; failing the publish');
      fatal ??= r.reason;
    }
  });
  if (fatal !== undefined) throw fatal;
  return routed;
}
