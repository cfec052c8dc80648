/**
 * Durable topic subscriptions for every protocol: identity, queue naming, the attribute schema of
 * their subscription records, create/resume/remove, and "one active consumer per subscription".
 *
 * Identity: (protocol, client id, subscription name) — STOMP `client-id` + `activemq.subscriptionName`,
 * AMQP 1.0 container id + link name, JMS client id + subscription name.
 * Queue: `<prefix>.<escapeLevel(clientId)>.<escapeLevel(name)>` with the protocol's prefix
 * (`stomp.durable`, `amqp.sub`, ...); a name too long for the core becomes `<prefix>.h.<sha256>`.
 * Record: a queue subscription (Broker.subscribeQueue) from the topic pattern into that queue,
 * with attributes `{ protocol, clientId, subscriptionName }`.
 *
 * Upgrades: subscriptions created by the previous version are found by their record's
 * attributes, whatever their queue is called, and resumed in place:
 * - STOMP wrote `{ createdBy: 'stomp', clientId, subscriptionName }` on `stomp.durable.…` (the
 *   same escape, so the queue name is unchanged);
 * - AMQP 1.0 wrote `{ protocol: 'amqp10', containerId, linkName }` on `amqp.sub.…` with an
 *   escape that also kept `:` and `@` and wrote the empty string as `%`.
 * Resuming rewrites the record's attributes in the current schema (the queue keeps its name).
 *
 * Re-subscribing with another topic pattern replaces the subscription and purges what it
 * collected; a changed filter policy only replaces the filter.
 */
import { createHash } from 'node:crypto';
import type { Broker } from '../broker.js';
import { BrokerError } from '../errors.js';
import { MAX_NAME_LENGTH } from '../names.js';
import type { Queue } from '../queue/queue.js';
import type { SubscriptionRecord } from '../store.js';

/** Queue-name prefix of each protocol's durable subscriptions (kept from earlier versions). */
export const DURABLE_QUEUE_PREFIXES: Readonly<Record<string, string>> = Object.freeze({
  stomp: 'stomp.durable',
  amqp10: 'amqp.sub',
});

export interface DurableIdentity {
  protocol: string;
  clientId: string;
  subscriptionName: string;
}

/**
 * Make any string one core name level: keep `A-Z a-z 0-9 _ -`, write every other UTF-8 byte as
 * `%XX` (upper-case hex). Reversible (unescapeLevel) and collision-free: `%` is itself escaped.
 * The empty string stays empty (the level is then empty between its dots).
 */
export function escapeLevel(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const keep = (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x5f || byte === 0x2d;
    out += keep ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function unescapeLevel(level: string): string {
  if (!/^(?:[A-Za-z0-9_-]|%[0-9A-F]{2})*$/.test(level)) throw new BrokerError('INVALID_ARGUMENT', `not an escaped name level: ${JSON.stringify(level.slice(0, 80))}`);
  const bytes: number[] = [];
  for (let i = 0; i < level.length; i++) {
    if (level[i] === '%') {
      bytes.push(parseInt(level.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(level.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export function durablePrefix(protocol: string): string {
  return DURABLE_QUEUE_PREFIXES[protocol] ?? `${escapeLevel(protocol)}.durable`;
}

/** The queue a new durable subscription of this identity gets. */
export function durableQueueName(id: DurableIdentity): string {
  const prefix = durablePrefix(id.protocol);
  const name = `${prefix}.${escapeLevel(id.clientId)}.${escapeLevel(id.subscriptionName)}`;
  if (name.length <= MAX_NAME_LENGTH) return name;
  const digest = createHash('sha256').update(id.clientId).update('\0').update(id.subscriptionName).digest('hex');
  return `${prefix}.h.${digest}`;
}

/** The attributes written on a durable subscription record. */
export function durableAttributes(id: DurableIdentity): Record<string, unknown> {
  return { protocol: id.protocol, clientId: id.clientId, subscriptionName: id.subscriptionName };
}

/** The identity a subscription record carries, in the current schema or a previous version's; undefined if it is no durable subscription. */
export function identityOf(attributes: Record<string, unknown>): DurableIdentity | undefined {
  const a = attributes;
  if (typeof a.protocol === 'string' && typeof a.clientId === 'string' && typeof a.subscriptionName === 'string') {
    return { protocol: a.protocol, clientId: a.clientId, subscriptionName: a.subscriptionName };
  }
  if (a.createdBy === 'stomp' && typeof a.clientId === 'string' && typeof a.subscriptionName === 'string') {
    return { protocol: 'stomp', clientId: a.clientId, subscriptionName: a.subscriptionName };
  }
  if (a.protocol === 'amqp10' && typeof a.containerId === 'string' && typeof a.linkName === 'string') {
    return { protocol: 'amqp10', clientId: a.containerId, subscriptionName: a.linkName };
  }
  return undefined;
}

function sameIdentity(a: DurableIdentity, b: DurableIdentity): boolean {
  return a.protocol === b.protocol && a.clientId === b.clientId && a.subscriptionName === b.subscriptionName;
}

function queueSubscriptions(broker: Broker, queue: string): SubscriptionRecord[] {
  return broker.listSubscriptions({ queue }).filter((s): s is SubscriptionRecord => !('live' in s));
}

export interface FoundDurable {
  queue: string;
  /** The subscription record(s) feeding it (normally one). */
  records: SubscriptionRecord[];
}

/**
 * The queue of an existing durable subscription of this identity: the current name if a record
 * feeds it, else any record (of this or a previous version) whose attributes name this identity.
 */
export function findDurableSubscription(broker: Broker, id: DurableIdentity): FoundDurable | undefined {
  const queue = durableQueueName(id);
  const current = queueSubscriptions(broker, queue);
  if (current.length > 0) return { queue, records: current };
  for (const sub of broker.listSubscriptions()) {
    if ('live' in sub) continue;
    const found = identityOf(sub.attributes);
    if (found && sameIdentity(found, id)) return { queue: sub.queue, records: queueSubscriptions(broker, sub.queue) };
  }
  return undefined;
}

export interface DurableSubscribeInput extends DurableIdentity {
  pattern: string;
  filterPolicy?: string;
}

/** Creations and removals in flight per broker and queue, so a quick re-attach waits for them. */
const inFlight = new WeakMap<Broker, Map<string, Promise<unknown>>>();

function serialized<T>(broker: Broker, key: string, run: () => Promise<T>): Promise<T> {
  let m = inFlight.get(broker);
  if (!m) inFlight.set(broker, (m = new Map()));
  const previous = m.get(key) ?? Promise.resolve();
  const next = previous.then(run, run);
  const tail = next.then(() => undefined, () => undefined);
  m.set(key, tail);
  void tail.then(() => {
    if (m.get(key) === tail) m.delete(key);
  });
  return next;
}

/** Create or resume the durable subscription; resolves to its queue. */
export function ensureDurableSubscription(broker: Broker, input: DurableSubscribeInput): Promise<Queue> {
  const identity: DurableIdentity = { protocol: input.protocol, clientId: input.clientId, subscriptionName: input.subscriptionName };
  return serialized(broker, durableQueueName(identity), async () => {
    const found = findDurableSubscription(broker, identity);
    const queue = found?.queue ?? durableQueueName(identity);
    let moved = false;
    let keep: SubscriptionRecord | undefined;
    for (const sub of found?.records ?? []) {
      if (sub.pattern === input.pattern && keep === undefined) {
        keep = sub;
        continue;
      }
      await broker.unsubscribe(sub.id);
      if (sub.pattern !== input.pattern) moved = true;
    }
    await broker.subscribeQueue({
      id: keep?.id ?? queue,
      pattern: input.pattern,
      queue,
      filterPolicy: input.filterPolicy ?? null,
      attributes: durableAttributes(identity),
    });
    const q = broker.getQueue(queue);
    if (!q) throw new BrokerError('NOT_FOUND', `durable subscription queue "${queue}"`);
    if (moved) await q.purge();
    return q;
  });
}

/** Unsubscribe: the queue, what it collected and its subscription record go. False if there was none. */
export function removeDurableSubscription(broker: Broker, id: DurableIdentity): Promise<boolean> {
  return serialized(broker, durableQueueName(id), async () => {
    const queue = findDurableSubscription(broker, id)?.queue ?? durableQueueName(id);
    return broker.deleteQueue(queue);
  });
}

/** Which session consumes which durable subscription: one at a time (ActiveMQ, JMS). */
export class DurableRegistry {
  private readonly owners = new Map<string, string>();

  /** False when another owner holds it. */
  claim(key: string, owner: string): boolean {
    const current = this.owners.get(key);
    if (current !== undefined && current !== owner) return false;
    this.owners.set(key, owner);
    return true;
  }

  release(key: string, owner: string): void {
    if (this.owners.get(key) === owner) this.owners.delete(key);
  }

  owner(key: string): string | undefined {
    return this.owners.get(key);
  }
}

const registries = new WeakMap<Broker, DurableRegistry>();

/** The broker-wide registry (shared by every protocol's sessions). */
export function durableRegistry(broker: Broker): DurableRegistry {
  let r = registries.get(broker);
  if (!r) registries.set(broker, (r = new DurableRegistry()));
  return r;
}

/** Registry key of an identity. */
export function durableKey(id: DurableIdentity): string {
  return durableQueueName(id);
}
