/**
 * A session's exchange operations (AMQP 0-9-1 model, src/core/exchange), each authorized for the
 * session's principal before anything happens (a refusal is BrokerError FORBIDDEN):
 *
 * | operation                              | needs                                                         |
 * |----------------------------------------|---------------------------------------------------------------|
 * | publish to `''` (default exchange)     | `write` on queue <routing key> (own temp queues: none)        |
 * | publish to amq.topic                   | `write` on topic <routing key> (it is the core topic space)   |
 * | publish to another exchange            | `write` on exchange <name>                                    |
 * | declare (not passive), delete          | `admin` on exchange <name>                                    |
 * | declare passive                        | nothing (answers whether it exists: NOT_FOUND if not)         |
 * | bind / unbind a queue                  | `write` on the queue, `read` on the source exchange           |
 * | bind / unbind an exchange              | `write` on the destination exchange, `read` on the source     |
 *
 * amq.topic uses topic ACLs instead of exchange ones: as a source, `read` on topic <pattern of the
 * binding key> (`#` as the zero-or-more level, which only an ACL `>` covers); as a destination,
 * `write` on topic `>` (an exchange bound into the topic space lets any routing key through).
 * These are RabbitMQ's permissions, with its `configure` as `admin` (ActiveMQ's meaning of admin:
 * create and delete).
 */
import { BrokerError } from '../errors.js';
import { topicBindingPattern } from '../exchange/topic-key.js';
import {
  DEFAULT_EXCHANGE, TOPIC_SPACE_EXCHANGE, type Binding, type ExchangeInfo, type ExchangePublishResult, type ExchangeSpec,
} from '../exchange/types.js';
import type { Broker } from '../broker.js';
import type { Message } from '../message.js';
import type { AclAddress } from '../../security/acl.js';
import type { Permission } from '../../security/security-manager.js';

export interface ExchangePublishRequest {
  exchange: string;
  routingKey: string;
  message: Message;
}

/** What the operations need of their session. */
export interface ExchangeSessionHost {
  readonly broker: Broker;
  /** Throws FORBIDDEN naming the user, the permission and the destination. */
  authorize(permission: Permission, address: AclAddress): void;
}

export class ExchangeOperations {
  constructor(private readonly session: ExchangeSessionHost) {}

  /** Authorized synchronously (throws before anything happens), then broker.exchanges.publish. */
  publish(req: ExchangePublishRequest): Promise<ExchangePublishResult> {
    const { exchange, routingKey } = req;
    if (exchange === DEFAULT_EXCHANGE) this.session.authorize('write', { kind: 'queue', name: routingKey });
    else if (exchange === TOPIC_SPACE_EXCHANGE) this.session.authorize('write', { kind: 'topic', name: routingKey });
    else this.session.authorize('write', { kind: 'exchange', name: exchange });
    return this.session.broker.exchanges.publish(exchange, routingKey, req.message);
  }

  /** Passive: the existing exchange or NOT_FOUND, no permission needed. Else `admin` on it, then declare. */
  async declare(name: string, spec: ExchangeSpec, opts: { passive?: boolean } = {}): Promise<ExchangeInfo> {
    if (opts.passive === true) {
      const info = this.session.broker.exchanges.get(name);
      if (!info) throw new BrokerError('NOT_FOUND', `exchange "${name}"`);
      return info;
    }
    this.session.authorize('admin', { kind: 'exchange', name });
    return this.session.broker.exchanges.declare(name, spec);
  }

  async delete(name: string, opts: { ifUnused?: boolean } = {}): Promise<boolean> {
    this.session.authorize('admin', { kind: 'exchange', name });
    return this.session.broker.exchanges.delete(name, opts);
  }

  async bind(b: Binding): Promise<void> {
    this.authorizeBinding(b);
    return this.session.broker.exchanges.bind(b);
  }

  async unbind(b: Binding): Promise<boolean> {
    this.authorizeBinding(b);
    return this.session.broker.exchanges.unbind(b);
  }

  private authorizeBinding(b: Binding): void {
    const d = b.destination;
    if (d.kind === 'queue') this.session.authorize('write', { kind: 'queue', name: d.name });
    else if (d.name === TOPIC_SPACE_EXCHANGE) this.session.authorize('write', { kind: 'topic', name: '>' });
    else this.session.authorize('write', { kind: 'exchange', name: d.name });
    if (b.source === TOPIC_SPACE_EXCHANGE) {
      // Only queue bindings become core patterns; an e2e key is checked the same way.
      this.session.authorize('read', { kind: 'topic', name: topicBindingPattern(b.routingKey) });
    } else {
      this.session.authorize('read', { kind: 'exchange', name: b.source });
    }
  }
}
