/**
 * Temporary queues owned by one session (JMS TemporaryQueue, STOMP `/temp-queue/NAME`, AMQP 1.0
 * dynamic sources, RabbitMQ reply queues). Each is a non-durable core queue with a unique name
 * (Broker.createTemporaryQueue, `temp.<id>`), deleted when the session closes.
 *
 * A front-end may name them locally (STOMP's NAME is local to the connection; the first use
 * creates the queue) or ask for an anonymous one (AMQP dynamic). The core name is what goes into
 * a `reply-to`: it is front-end neutral, so a client of any protocol can answer to it (as
 * `/queue/<name>`, `queue://<name>`, ...). The owning session needs no ACL grant to use them.
 */
import { randomUUID } from 'node:crypto';
import type { Broker } from '../broker.js';
import type { Queue } from '../queue/queue.js';
import type { Logger } from '../../log.js';

export const TEMP_QUEUE_PREFIX = 'temp';

export class TempQueues {
  private readonly byLocal = new Map<string, Promise<Queue>>();
  private readonly anonymous = new Set<Promise<Queue>>();
  private readonly owned = new Set<string>();
  private closed = false;

  constructor(private readonly broker: Broker, private readonly logger: Logger) {}

  /** The temporary queue with session-local name `name`, created on first use. */
  get(name: string): Promise<Queue> {
    let q = this.byLocal.get(name);
    if (!q) {
      q = this.create(name);
      this.byLocal.set(name, q);
      q.then(undefined, () => this.byLocal.delete(name)); // the caller sees and reports the rejection
    }
    return q;
  }

  /** The core name of local temporary queue `name` (created on first use). */
  async coreName(name: string): Promise<string> {
    return (await this.get(name)).name;
  }

  /** A new temporary queue without a local name (AMQP 1.0 dynamic source). */
  createAnonymous(): Promise<Queue> {
    const q = this.create(undefined);
    this.anonymous.add(q);
    q.then(undefined, () => this.anonymous.delete(q));
    return q;
  }

  /**
   * A new anonymous temporary queue whose core name is known at once (an AMQP 1.0 dynamic source
   * must name its node in the attach answered synchronously); owned from this call on.
   */
  reserveAnonymous(): { name: string; queue: Promise<Queue> } {
    const name = `${TEMP_QUEUE_PREFIX}.${randomUUID().replace(/-/g, '')}`;
    this.owned.add(name);
    const q = this.broker.createQueue(name, {}, { durable: false }).then((queue) => {
      if (this.closed || !this.owned.has(name)) void this.remove(queue.name);
      else this.logger.debug({ queue: name }, 'temporary queue created');
      return queue;
    });
    this.anonymous.add(q);
    q.then(undefined, () => this.anonymous.delete(q));
    return { name, queue: q };
  }

  /** Is core queue `name` one of this session's temporary queues? */
  owns(name: string): boolean {
    return this.owned.has(name);
  }

  /** Delete one temporary queue now (e.g. its AMQP link closed). */
  async delete(coreName: string): Promise<void> {
    if (!this.owned.delete(coreName)) return;
    for (const [local, p] of this.byLocal) if ((await p.catch(() => undefined))?.name === coreName) this.byLocal.delete(local);
    await this.remove(coreName);
  }

  private create(local: string | undefined): Promise<Queue> {
    const q = this.broker.createTemporaryQueue(TEMP_QUEUE_PREFIX);
    return q.then((queue) => {
      if (this.closed) {
        void this.remove(queue.name);
      } else {
        this.owned.add(queue.name);
        this.logger.debug({ temp: local, queue: queue.name }, 'temporary queue created');
      }
      return queue;
    });
  }

  /** Delete every temporary queue of the session. */
  async deleteAll(): Promise<void> {
    this.closed = true;
    const pending = [...this.byLocal.values(), ...this.anonymous];
    this.byLocal.clear();
    this.anonymous.clear();
    const settled = await Promise.allSettled(pending);
    this.owned.clear();
    await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? this.remove(s.value.name) : undefined)));
  }

  private remove(queue: string): Promise<void> {
    return this.broker.deleteQueue(queue).then(
      () => undefined,
      (err: unknown) => this.logger.error({ err, queue }, 'deleting a temporary queue failed'),
    );
  }
}
