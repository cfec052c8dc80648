/**
 * The Broker's destinations by name. Queues and streams share one namespace (as in RabbitMQ,
 * where a stream is a queue type); topics have their own (as in ActiveMQ, `/queue/a` and
 * `/topic/a` differ).
 */
import { BrokerError } from '../errors.js';
import type { DestinationKind } from '../names.js';
import type { Queue } from '../queue/queue.js';
import type { Stream } from '../stream/stream.js';
import type { TopicInfo } from './broker-topics.js';

export class Destinations {
  readonly queues = new Map<string, Queue>();
  readonly streams = new Map<string, Stream>();
  readonly topics = new Map<string, TopicInfo>();
  private readonly opening = new Map<string, Promise<Queue | Stream>>();

  constructor(private readonly autoCreate: boolean) {}

  /** Concurrent creations of one name share a single open (queue and stream share the namespace). */
  async openOnce<T extends Queue | Stream>(name: string, open: () => Promise<T>): Promise<T> {
    const pending = this.opening.get(name);
    if (pending) return pending as Promise<T>;
    const promise = open();
    this.opening.set(name, promise);
    try {
      return await promise;
    } finally {
      this.opening.delete(name);
    }
  }

  /** An existing destination, or a new one when auto-create allows it. */
  autoCreated<T>(existing: T | undefined, kind: DestinationKind, name: string, create: () => Promise<T>): Promise<T> {
    if (existing) return Promise.resolve(existing);
    if (!this.autoCreate) return Promise.reject(new BrokerError('AUTO_CREATE_DISABLED', `${kind} "${name}"`));
    return create();
  }

  /** Which kind of destination `name` is in the queue/stream namespace, if any. */
  lookup(name: string): DestinationKind | undefined {
    if (this.queues.has(name)) return 'queue';
    if (this.streams.has(name)) return 'stream';
    return undefined;
  }
}
