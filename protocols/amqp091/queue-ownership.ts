/**
 * Broker-wide (per module) bookkeeping of the 0-9-1 queue flags the core does not have:
 * exclusive queues (owned by one connection, RESOURCE_LOCKED 405 for every other, deleted when
 * the owner goes), auto-delete queues (deleted when their last 0-9-1 consumer is cancelled),
 * exclusive consumers (ACCESS_REFUSED 403 for a second consumer). Not persisted: exclusive queues
 * are created non-durable, and an auto-delete flag is forgotten at restart.
 */
import { AmqpError, type ErrorSite } from './errors.js';

export interface QueueFlags {
  exclusive: boolean;
  autoDelete: boolean;
}

export class QueueOwnership {
  private readonly owner = new Map<string, string>();
  private readonly flags = new Map<string, QueueFlags>();
  private readonly consumers = new Map<string, number>();
  private readonly exclusiveConsumer = new Map<string, string>();

  flagsOf(queue: string): QueueFlags {
    return this.flags.get(queue) ?? { exclusive: false, autoDelete: false };
  }

  /** Record the flags of a queue just created by `connectionId`. */
  created(queue: string, flags: QueueFlags, connectionId: string): void {
    this.flags.set(queue, flags);
    if (flags.exclusive) this.owner.set(queue, connectionId);
  }

  /** RESOURCE_LOCKED when another connection owns `queue`. */
  checkAccess(queue: string, connectionId: string, site: ErrorSite): void {
    const owner = this.owner.get(queue);
    if (owner !== undefined && owner !== connectionId) {
      throw new AmqpError('RESOURCE_LOCKED', `cannot obtain exclusive access to locked queue '${queue}' in vhost '/'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`, site);
    }
  }

  ownedBy(connectionId: string): string[] {
    return [...this.owner].filter(([, c]) => c === connectionId).map(([q]) => q);
  }

  forget(queue: string): void {
    this.owner.delete(queue);
    this.flags.delete(queue);
    this.consumers.delete(queue);
    this.exclusiveConsumer.delete(queue);
  }

  /** A 0-9-1 consumer starts on `queue` (exclusive: no other consumer may exist or come). */
  consumerAdded(queue: string, key: string, exclusive: boolean, coreConsumers: number, site: ErrorSite): void {
    if (this.exclusiveConsumer.has(queue) || (exclusive && coreConsumers > 0)) {
      throw new AmqpError('ACCESS_REFUSED', `queue '${queue}' in vhost '/' in exclusive use`, site);
    }
    if (exclusive) this.exclusiveConsumer.set(queue, key);
    this.consumers.set(queue, (this.consumers.get(queue) ?? 0) + 1);
  }

  /** A 0-9-1 consumer ended; true when the queue is auto-delete and that was its last consumer. */
  consumerRemoved(queue: string, key: string): boolean {
    if (this.exclusiveConsumer.get(queue) === key) this.exclusiveConsumer.delete(queue);
    const n = (this.consumers.get(queue) ?? 1) - 1;
    if (n > 0) {
      this.consumers.set(queue, n);
      return false;
    }
    this.consumers.delete(queue);
    return this.flagsOf(queue).autoDelete;
  }
}
