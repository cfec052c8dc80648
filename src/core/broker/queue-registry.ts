/**
 * The Broker's queues: create (with the redrive target), open (dead-letter wiring, deletion when
 * unused), auto-create on first use, change attributes, temporary queues, delete.
 */
import { BrokerError } from '../errors.js';
import { newMessageId } from '../message.js';
import { validateName } from '../names.js';
import { Queue } from '../queue/queue.js';
import type { DeadLetterPublisher } from '../queue/dead-letter-target.js';
import { DEFAULT_QUEUE_ATTRIBUTES, parseQueueAttributes, type QueueAttributes } from '../queue/queue-attributes.js';
import { sameAttributes } from '../same-attributes.js';
import type { TopicRouter } from '../topic/topic-router.js';
import type { ExchangeRegistry } from '../exchange/exchange-registry.js';
import type { BrokerContext } from './broker-context.js';
import type { Destinations } from './destinations.js';

export interface QueueRegistryDeps {
  ctx: BrokerContext;
  destinations: Destinations;
  /** Attributes applied to queues created without explicit ones. */
  queueDefaults: Record<string, unknown>;
  /** Where queues publish dead-lettered copies (attribute deadLetterExchange). */
  deadLetterTo: DeadLetterPublisher;
  router: TopicRouter;
  exchanges: ExchangeRegistry;
}

export class QueueRegistry {
  private readonly ctx: BrokerContext;
  private readonly queues: Map<string, Queue>;

  constructor(private readonly deps: QueueRegistryDeps) {
    this.ctx = deps.ctx;
    this.queues = deps.destinations.queues;
  }

  open(name: string, attributes: QueueAttributes): Promise<Queue> {
    return Queue.open({
      name,
      attributes,
      store: this.ctx.store,
      clock: this.ctx.clock,
      logger: this.ctx.logger,
      deadLetter: (dlq) => this.queues.get(dlq),
      deadLetterTo: this.deps.deadLetterTo,
      onUnused: (queue, reason) => {
        if (this.ctx.isClosed() || this.queues.get(name) !== queue) return;
        this.ctx.logger.info({ queue: name, reason }, 'deleting unused queue');
        this.delete(name).catch((err: unknown) => this.ctx.logger.error({ err, queue: name }, 'deleting unused queue failed'));
      },
    });
  }

  /** Create a queue, or return the existing one. Attributes given for an existing queue must match. */
  async create(name: string, attributes: Record<string, unknown>, opts: { durable?: boolean }): Promise<Queue> {
    this.ctx.check();
    validateName(name, 'queue name');
    if (this.deps.destinations.streams.has(name)) throw new BrokerError('KIND_MISMATCH', `"${name}" is a stream`);
    const existing = this.queues.get(name);
    // The broker-wide limit is both the default and the ceiling of a queue's maxMessageBytes.
    const parsed = parseQueueAttributes(
      name,
      { ...this.deps.queueDefaults, ...attributes, ...(opts.durable === false ? { durable: false } : {}) },
      { ...DEFAULT_QUEUE_ATTRIBUTES, maxMessageBytes: this.ctx.maxMessageBytes },
      { maxMessageBytes: this.ctx.maxMessageBytes },
    );
    if (existing) {
      if (Object.keys(attributes).length > 0 && !sameAttributes(existing.attributes, parsed)) {
        throw new BrokerError('ALREADY_EXISTS', `queue "${name}" exists with different attributes`);
      }
      existing.touch(); // a redeclare counts as use (expiresMs)
      return existing;
    }
    return this.deps.destinations.openOnce(name, async () => {
      await this.ensureDeadLetterQueue(parsed);
      const queue = await this.open(name, parsed);
      if (parsed.durable) await this.ctx.store.putDestination({ kind: 'queue', name, attributes: { ...parsed }, createdAt: this.ctx.clock.now() });
      this.queues.set(name, queue);
      this.ctx.logger.info({ queue: name, durable: parsed.durable, fifo: parsed.fifo }, 'queue created');
      return queue;
    });
  }

  /** Create the redrive target if it does not exist yet (parseQueueAttributes already checked its name). */
  private async ensureDeadLetterQueue(attrs: QueueAttributes): Promise<void> {
    const dlq = attrs.deadLetterQueue;
    if (dlq && !this.queues.has(dlq)) await this.create(dlq, { durable: attrs.durable }, {});
  }

  /** Change attributes of an existing queue (partial input merged over current values). */
  async setAttributes(name: string, attributes: Record<string, unknown>): Promise<Queue> {
    const queue = this.require(name);
    const parsed = parseQueueAttributes(name, attributes, queue.attributes, { maxMessageBytes: this.ctx.maxMessageBytes });
    await this.ensureDeadLetterQueue(parsed);
    queue.setAttributes(parsed);
    if (parsed.durable) await this.ctx.store.putDestination({ kind: 'queue', name, attributes: { ...parsed }, createdAt: this.ctx.clock.now() });
    return queue;
  }

  require(name: string): Queue {
    const q = this.queues.get(name);
    if (!q) throw new BrokerError('NOT_FOUND', `queue "${name}"`);
    return q;
  }

  /** The queue, created on first use unless auto-create is off. */
  queue(name: string): Promise<Queue> {
    return this.deps.destinations.autoCreated(this.queues.get(name), 'queue', name, () => this.create(name, {}, {}));
  }

  /** A non-durable queue with a unique name, for request/reply and temp destinations. The caller deletes it. */
  async createTemporary(prefix: string): Promise<Queue> {
    const name = `${prefix}.${newMessageId().replace(/[^A-Za-z0-9-]/g, '')}`;
    return this.create(name, {}, { durable: false });
  }

  async delete(name: string): Promise<boolean> {
    const queue = this.queues.get(name);
    if (!queue) return false;
    queue.close();
    this.queues.delete(name);
    await this.deps.router.removeQueueSubscriptions(name);
    await this.deps.exchanges.destinationDeleted(name);
    await this.ctx.store.deleteDestination('queue', name);
    this.ctx.logger.info({ queue: name }, 'queue deleted');
    return true;
  }
}
