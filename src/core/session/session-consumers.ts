/**
 * A session's consumers: creation per source kind (queue, temporary queue, stream, live topic,
 * durable topic subscription), the durable-subscription claims they hold, flow notifications
 * and closing them all. Authorization is the session's (ServerSession.authorize).
 */
import type { Broker } from '../broker.js';
import { BrokerError } from '../errors.js';
import type { Queue } from '../queue/queue.js';
import type { AclAddress } from '../../security/acl.js';
import type { Permission } from '../../security/security-manager.js';
import type { ConsumerHost } from './consumer-base.js';
import {
  durableKey, durableRegistry, ensureDurableSubscription, removeDurableSubscription, type DurableIdentity,
} from './durable-subscriptions.js';
import { QueueSessionConsumer } from './queue-consumer.js';
import type { SessionLimits } from './session-options.js';
import { StreamSessionConsumer } from './stream-consumer.js';
import { DEFAULT_STREAM_OFFSET } from './stream-offset.js';
import type { TempQueues } from './temp-queues.js';
import { TopicSessionConsumer } from './topic-consumer.js';
import type { ConsumerCallback, ConsumerSpec, SessionConsumer } from './types.js';

/** What the consumers need of their session (the ServerSession). */
export interface SessionConsumersHost extends ConsumerHost {
  readonly broker: Broker;
  readonly protocol: string;
  readonly connectionId: string;
  readonly clientId: string | undefined;
  readonly limits: SessionLimits;
  readonly tempQueues: TempQueues;
  /** Throws BrokerError FORBIDDEN naming the user, the permission and the destination. */
  authorize(permission: Permission, address: AclAddress): void;
}

/** What the session needs of its own consumers beyond the public contract. */
interface ManagedConsumer extends SessionConsumer {
  sessionFlowChanged(): void;
}

export class SessionConsumers {
  private readonly consumers = new Map<string, ManagedConsumer>();
  private readonly durableOf = new Map<string, string>();
  private consumerCounter = 0;

  /** `check` throws NOT_ACTIVE once the session is closed. */
  constructor(private readonly session: SessionConsumersHost, private readonly check: () => void) {}

  /** The consumer is gone: forget it, and release its durable claim unless a newer consumer of this session holds it. */
  closed(consumer: SessionConsumer): void {
    if (this.consumers.get(consumer.id) !== consumer) return;
    this.consumers.delete(consumer.id);
    const key = this.durableOf.get(consumer.id);
    if (key !== undefined) {
      this.durableOf.delete(consumer.id);
      // A re-attach on the same connection may already hold the claim through a newer consumer.
      const stillHeld = [...this.durableOf.values()].includes(key);
      if (!stillHeld) durableRegistry(this.session.broker).release(key, this.session.connectionId);
    }
  }

  /** See ServerSession.createConsumer. */
  async create(spec: ConsumerSpec, callback: ConsumerCallback): Promise<SessionConsumer> {
    this.check();
    const src = spec.source;
    if (spec.prefetch !== undefined && !(spec.prefetch >= 1)) throw new BrokerError('INVALID_ARGUMENT', `prefetch must be >= 1, got ${String(spec.prefetch)}`);
    this.consumerCounter += 1;
    const id = `${this.session.connectionId}/${this.consumerCounter}`;
    switch (src.kind) {
      case 'queue': {
        this.session.authorize('read', { kind: 'queue', name: src.name });
        const c = this.register(new QueueSessionConsumer(id, spec, this.session, callback));
        return this.attachQueue(c, () => this.session.broker.queue(src.name));
      }
      case 'temp-queue': {
        const c = this.register(new QueueSessionConsumer(id, spec, this.session, callback));
        return this.attachQueue(c, () => this.session.tempQueues.get(src.name));
      }
      case 'stream': {
        this.session.authorize('read', { kind: 'stream', name: src.name });
        const start = src.offset ?? DEFAULT_STREAM_OFFSET;
        const c = this.register(new StreamSessionConsumer(id, spec, this.session, callback));
        try {
          const stream = await this.session.broker.stream(src.name);
          c.attach(stream, start);
        } catch (err) {
          c.close();
          throw err;
        }
        return c;
      }
      case 'topic': {
        this.session.authorize('read', { kind: 'topic', name: src.pattern });
        if (src.durable === undefined) {
          const c = this.register(new TopicSessionConsumer(id, spec, this.session, callback, this.session.limits.liveBufferMessages));
          try {
            c.attach(this.session.broker, src.pattern, src.filterPolicy);
          } catch (err) {
            c.close();
            throw err;
          }
          return c;
        }
        const identity = this.durableIdentity(src.durable.name);
        const key = durableKey(identity);
        if (!durableRegistry(this.session.broker).claim(key, this.session.connectionId)) {
          throw new BrokerError('ALREADY_EXISTS', `durable subscription ${JSON.stringify(identity.subscriptionName)} of client-id ${JSON.stringify(identity.clientId)} is active on another connection`);
        }
        const c = this.register(new QueueSessionConsumer(id, spec, this.session, callback));
        this.durableOf.set(id, key);
        return this.attachQueue(c, () => ensureDurableSubscription(this.session.broker, {
          ...identity, pattern: src.pattern, ...(src.filterPolicy !== undefined ? { filterPolicy: src.filterPolicy } : {}),
        }));
      }
    }
  }

  private register<C extends ManagedConsumer>(c: C): C {
    this.consumers.set(c.id, c);
    return c;
  }

  private async attachQueue(c: QueueSessionConsumer, open: () => Promise<Queue>): Promise<SessionConsumer> {
    try {
      const queue = await open();
      c.attach(queue);
    } catch (err) {
      c.close();
      throw err;
    }
    return c;
  }

  private durableIdentity(subscriptionName: string): DurableIdentity {
    const { clientId, protocol } = this.session;
    if (clientId === undefined || clientId === '') throw new BrokerError('INVALID_ARGUMENT', 'durable subscriptions need a client id');
    if (subscriptionName === '') throw new BrokerError('INVALID_ARGUMENT', 'a durable subscription needs a name');
    return { protocol, clientId, subscriptionName };
  }

  /** See ServerSession.unsubscribeDurable. */
  async unsubscribeDurable(name: string): Promise<boolean> {
    this.check();
    const identity = this.durableIdentity(name);
    const key = durableKey(identity);
    const registry = durableRegistry(this.session.broker);
    if (!registry.claim(key, this.session.connectionId)) {
      throw new BrokerError('ALREADY_EXISTS', `durable subscription ${JSON.stringify(name)} is active on another connection`);
    }
    const heldByUs = [...this.durableOf.values()].includes(key);
    try {
      const existed = await removeDurableSubscription(this.session.broker, identity);
      this.session.logger.info({ clientId: identity.clientId, subscription: name, existed }, 'durable subscription removed');
      return existed;
    } finally {
      if (!heldByUs) registry.release(key, this.session.connectionId);
    }
  }

  /** The session was paused: every consumer stops handing over deliveries. */
  paused(): void {
    for (const c of this.consumers.values()) c.sessionFlowChanged();
  }

  /** The session resumed (over a copy: a consumer delivering may close itself). */
  resumed(): void {
    for (const c of [...this.consumers.values()]) c.sessionFlowChanged();
  }

  closeAll(): void {
    for (const c of [...this.consumers.values()]) c.close();
  }
}
