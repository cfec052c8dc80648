/**
 * `/temp-queue/NAME`: a queue private to one connection (JMS TemporaryQueue, RabbitMQ
 * temp-queue). NAME is local to the connection; the first SUBSCRIBE or SEND (or a `reply-to`
 * naming it) creates a non-durable core queue with a unique name (Broker.createTemporaryQueue),
 * which is deleted when the connection ends. A SEND whose `reply-to` is `/temp-queue/NAME` goes out
 * with `reply-to:/queue/<core name>`, so any client (of any protocol) can answer to it.
 */
import type { Broker, Queue } from '../../src/core/broker.js';
import type { Logger } from '../../src/log.js';

export const TEMP_QUEUE_PREFIX = 'temp';

export class TempQueues {
  private readonly byLocal = new Map<string, Promise<Queue>>();
  private closed = false;

  constructor(private readonly broker: Broker, private readonly logger: Logger) {}

  /** The core queue for local name `name`, created on first use. */
  get(name: string): Promise<Queue> {
    let q = this.byLocal.get(name);
    if (!q) {
      q = this.broker.createTemporaryQueue(TEMP_QUEUE_PREFIX);
      this.byLocal.set(name, q);
      q.then((queue) => {
        if (this.closed) this.remove(queue.name);
        else this.logger.debug({ temp: name, queue: queue.name }, 'temporary queue created');
      }, () => this.byLocal.delete(name)); // the caller sees and reports the rejection
    }
    return q;
  }

  /** The core name of local temporary queue `name` (created on first use). */
  async coreName(name: string): Promise<string> {
    return (await this.get(name)).name;
  }

  /** Delete every temporary queue of the connection. */
  async deleteAll(): Promise<void> {
    this.closed = true;
    const pending = [...this.byLocal.values()];
    this.byLocal.clear();
    const settled = await Promise.allSettled(pending);
    await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? this.remove(s.value.name) : undefined)));
  }

  private remove(queue: string): Promise<void> {
    return this.broker.deleteQueue(queue).then(
      () => undefined,
      (err: unknown) => this.logger.error({ err, queue }, 'deleting a temporary queue failed'),
    );
  }
}
