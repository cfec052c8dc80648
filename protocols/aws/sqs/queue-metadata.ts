/**
 * What SQS knows about a queue beyond the core's attributes: when it was created and last
 * changed, its tags, and the attributes the core has no use for but SQS clients read back
 * (RedriveAllowPolicy, Policy, KMS and FIFO throughput settings), kept as their SQS strings.
 * Durable: one record per queue in the broker's keyed state (namespace `aws.sqs.queues`).
 */
import type { Broker } from '../../../src/core/broker.js';
import type { StateMap } from '../../../src/core/state-map.js';
import type { Logger } from '../../../src/log.js';

export interface QueueMeta {
  createdAt: number;
  lastModifiedAt: number;
  tags: Record<string, string>;
  /** SQS attribute name → its SQS string value. */
  extra: Record<string, string>;
}

export const QUEUE_META_NAMESPACE = 'aws.sqs.queues';

export class QueueMetadata {
  private constructor(private readonly state: StateMap, private readonly now: () => number, private readonly logger: Logger) {}

  static async open(broker: Broker, logger: Logger): Promise<QueueMetadata> {
    return new QueueMetadata(await broker.state(QUEUE_META_NAMESPACE), () => broker.clock.now(), logger);
  }

  /** The queue's record; a queue another front-end created has none yet: its defaults (created "at broker start"). */
  get(name: string, fallbackCreatedAt: number): QueueMeta {
    const raw = this.state.get(name);
    if (raw) {
      try {
        const m = JSON.parse(raw.toString('utf8')) as Partial<QueueMeta>;
        return {
          createdAt: typeof m.createdAt === 'number' ? m.createdAt : fallbackCreatedAt,
          lastModifiedAt: typeof m.lastModifiedAt === 'number' ? m.lastModifiedAt : fallbackCreatedAt,
          tags: { ...m.tags },
          extra: { ...m.extra },
        };
      } catch (err) {
        // An unreadable record is treated as none; the next write replaces it.
        this.logger.warn({ err, queue: name }, 'unreadable SQS queue metadata record ignored');
      }
    }
    return { createdAt: fallbackCreatedAt, lastModifiedAt: fallbackCreatedAt, tags: {}, extra: {} };
  }

  has(name: string): boolean {
    return this.state.has(name);
  }

  put(name: string, meta: QueueMeta): Promise<void> {
    return this.state.set(name, Buffer.from(JSON.stringify(meta), 'utf8'));
  }

  /** A fresh record for a queue created now. */
  created(tags: Record<string, string>, extra: Record<string, string>): QueueMeta {
    const now = this.now();
    return { createdAt: now, lastModifiedAt: now, tags, extra };
  }

  delete(name: string): Promise<void> {
    return this.state.delete(name);
  }
}
