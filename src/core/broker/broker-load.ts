/**
 * Opening the store's state (at start, and when a standby takes over: the same code): every
 * destination, then topic subscriptions and retained messages, then exchanges and bindings.
 */
import { parseQueueAttributes } from '../queue/queue-attributes.js';
import { Stream } from '../stream/stream.js';
import { parseStreamAttributes } from '../stream/stream-attributes.js';
import { parseTopicAttributes } from '../topic/topic-attributes.js';
import type { TopicRouter } from '../topic/topic-router.js';
import type { ExchangeRegistry } from '../exchange/exchange-registry.js';
import type { BrokerContext } from './broker-context.js';
import type { DedupSweep } from './dedup-sweep.js';
import type { Destinations } from './destinations.js';
import type { QueueRegistry } from './queue-registry.js';

export interface BrokerLoadParts {
  ctx: BrokerContext;
  destinations: Destinations;
  queues: QueueRegistry;
  router: TopicRouter;
  exchanges: ExchangeRegistry;
  sweep: DedupSweep;
  /** Called once every destination is open (dead-lettering during load waits for it). */
  markLoaded(): void;
}

export async function loadBroker(p: BrokerLoadParts): Promise<void> {
  const { store, clock, logger } = p.ctx;
  const { queues, streams, topics } = p.destinations;
  const records = await store.loadDestinations();
  for (const rec of records) {
    if (rec.kind === 'topic') {
      // Loaded without the ceiling: a limit stored under a larger broker limit is capped at publish.
      const attributes = parseTopicAttributes(rec.name, rec.attributes);
      topics.set(rec.name, { name: rec.name, attributes, createdAt: rec.createdAt });
      p.router.declareTopic(rec.name, attributes);
    } else if (rec.kind === 'queue') {
      const attributes = parseQueueAttributes(rec.name, rec.attributes);
      queues.set(rec.name, await p.queues.open(rec.name, attributes));
    } else {
      const attributes = parseStreamAttributes(rec.name, rec.attributes);
      streams.set(rec.name, await Stream.open({ name: rec.name, attributes, store, clock, logger }));
    }
  }
  await p.router.load();
  // A subscription into a queue that did not survive (a non-durable queue) would fail every
  // matching publish from now on: drop it.
  for (const sub of p.router.listSubscriptions()) {
    if (!('live' in sub) && !queues.has(sub.queue)) {
      logger.warn({ subscription: sub.id, pattern: sub.pattern, queue: sub.queue }, 'dropping subscription whose queue no longer exists');
      await p.router.removeSubscription(sub.id);
    }
  }
  await p.exchanges.load();
  p.sweep.schedule();
  p.markLoaded();
  logger.info({ queues: queues.size, topics: topics.size, streams: streams.size }, 'broker state loaded');
}
