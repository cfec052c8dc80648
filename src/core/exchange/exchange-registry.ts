/**
 * ExchangeRegistry (`broker.exchanges`): AMQP 0-9-1 exchanges and bindings as protocol-neutral
 * core state. Declare, delete, bind, unbind, list and publish; durable exchanges and their
 * bindings to durable destinations survive a restart and a failover (exchange-records.ts).
 *
 * amq.topic is the core topic space: its queue bindings are core topic subscriptions (so MQTT,
 * STOMP and AMQP 1.0 publishes reach them) and a publish to it is a core topic publish (so live
 * topic subscribers of every protocol get it). See README.md for every decision.
 *
 * Parts: binding indexes in binding-index.ts, amq.topic queue bindings in topic-space-bindings.ts,
 * routing in exchange-routing.ts.
 */
import { BrokerError } from '../errors.js';
import { messageSize, type Message } from '../message.js';
import { withPublishedWith } from '../queue/dead-letter-target.js';
import type { StateMap } from '../state-map.js';
import type { ExtraTarget } from '../topic/topic-router.js';
import type { Value } from '../values.js';
import type { Logger } from '../../log.js';
import { bindingId, copyBinding, normalizeBinding } from './binding-identity.js';
import { BindingIndex } from './binding-index.js';
import { createBindingTable, type BindingEntry, type BindingTable } from './binding-table.js';
import type { ExchangeHost } from './exchange-host.js';
import { BUILT_IN_EXCHANGES, RESERVED_PREFIX, validateExchangeName } from './exchange-names.js';
import { alternateOf, assertEquivalent, copyInfo, parseSpec } from './exchange-spec.js';
import {
  BINDING_KEY_PREFIX, decodeBinding, decodeExchange, encodeBinding, encodeExchange, EXCHANGE_KEY_PREFIX, EXCHANGE_STATE_NAMESPACE,
} from './exchange-records.js';
import { deliverCopies, planRoute, type RoutableExchange } from './exchange-routing.js';
import { isCoreTopicName } from './topic-key.js';
import { bindTopicSpaceQueue, topicSpaceBinding, topicSpaceSubscriptionId } from './topic-space-bindings.js';
import {
  DEFAULT_EXCHANGE, TOPIC_SPACE_EXCHANGE,
  type Binding, type BindingFilter, type ExchangeInfo, type ExchangePublishResult, type ExchangeSpec,
} from './types.js';

interface ExchangeEntry extends RoutableExchange {
  readonly info: ExchangeInfo;
  readonly createdAt: number;
}

export class ExchangeRegistry {
  private readonly exchanges = new Map<string, ExchangeEntry>();
  private readonly index = new BindingIndex((name) => this.exchanges.get(name)?.table);
  /** Binds whose store write is still in flight: a repeat waits for the same commit. */
  private readonly pending = new Map<string, Promise<void>>();
  private readonly logger: Logger;
  private state: StateMap | undefined;
  private closed = false;

  constructor(private readonly host: ExchangeHost) {
    this.logger = host.logger.child({ component: 'exchanges' });
    for (const [name, spec] of BUILT_IN_EXCHANGES) this.attachExchange(name, spec, true, 0);
  }

  /** Load durable exchanges and bindings; drop stored bindings whose source or destination is gone. */
  async load(): Promise<void> {
    const state = await this.host.state(EXCHANGE_STATE_NAMESPACE);
    this.state = state;
    const bindingKeys: string[] = [];
    for (const key of [...state.keys()]) {
      if (key.startsWith(BINDING_KEY_PREFIX)) {
        bindingKeys.push(key);
        continue;
      }
      if (!key.startsWith(EXCHANGE_KEY_PREFIX)) {
        this.logger.warn({ key }, 'unknown key in the exchange state; ignored');
        continue;
      }
      try {
        const rec = decodeExchange(key, state.get(key)!);
        if (this.exchanges.has(rec.name)) continue;
        this.attachExchange(rec.name, rec.spec, false, rec.createdAt);
      } catch (err) {
        this.logger.error({ err, key }, 'stored exchange is invalid; not loaded (record kept)');
      }
    }
    for (const key of bindingKeys) {
      let binding: Binding;
      try {
        binding = decodeBinding(key, state.get(key)!);
      } catch (err) {
        this.logger.error({ err, key }, 'stored binding is invalid; not loaded (record kept)');
        continue;
      }
      const source = this.exchanges.get(binding.source);
      if (!source || !this.destinationExists(binding)) {
        this.logger.warn({ binding }, 'dropping stored binding whose source or destination no longer exists');
        await state.delete(key);
        continue;
      }
      this.index.attach(source, { id: key.slice(BINDING_KEY_PREFIX.length), binding, persisted: true });
    }
    this.logger.info({ exchanges: this.exchanges.size, bindings: this.index.size }, 'exchanges loaded');
  }

  close(): void {
    this.closed = true;
  }

  private check(): void {
    if (this.closed) throw new BrokerError('STORE_CLOSED', 'broker is closed');
  }

  private store(): StateMap {
    if (!this.state) throw new BrokerError('NOT_ACTIVE', 'exchanges are not loaded yet');
    return this.state;
  }

  // ---------------------------------------------------------------- exchanges

  /**
   * Declare an exchange, or confirm an existing one. An existing exchange must have the same
   * type, durable, autoDelete, internal and alternate-exchange (PRECONDITION_FAILED otherwise;
   * other arguments are not compared, as in RabbitMQ). New names starting `amq.` and the default
   * exchange are FORBIDDEN.
   */
  async declare(name: string, spec: ExchangeSpec): Promise<ExchangeInfo> {
    this.check();
    validateExchangeName(name);
    if (name === DEFAULT_EXCHANGE) throw new BrokerError('FORBIDDEN', 'operation not permitted on the default exchange');
    const parsed = parseSpec(name, spec);
    const existing = this.exchanges.get(name);
    if (existing) {
      assertEquivalent(existing.info, parsed);
      return copyInfo(existing.info);
    }
    if (name.startsWith(RESERVED_PREFIX)) throw new BrokerError('FORBIDDEN', `exchange name "${name}" contains reserved prefix "${RESERVED_PREFIX}"`);
    const createdAt = this.host.clock.now();
    const entry = this.attachExchange(name, parsed, false, createdAt);
    if (parsed.durable) {
      try {
        await this.store().set(EXCHANGE_KEY_PREFIX + name, encodeExchange(parsed, createdAt));
      } catch (err) {
        if (this.exchanges.get(name) === entry) this.exchanges.delete(name);
        throw err;
      }
    }
    this.logger.info({ exchange: name, type: parsed.type, durable: parsed.durable, autoDelete: parsed.autoDelete }, 'exchange declared');
    return copyInfo(entry.info);
  }

  /** The exchange, or undefined (a passive declare). `''` is the default exchange. */
  get(name: string): ExchangeInfo | undefined {
    const e = this.exchanges.get(name);
    return e ? copyInfo(e.info) : undefined;
  }

  list(): ExchangeInfo[] {
    return [...this.exchanges.values()].map((e) => copyInfo(e.info));
  }

  /**
   * Delete an exchange with its bindings (as source and as destination). Resolves false when
   * there was none. Built-in exchanges: FORBIDDEN; `ifUnused` and bindings with it as source:
   * PRECONDITION_FAILED.
   */
  async delete(name: string, opts: { ifUnused?: boolean } = {}): Promise<boolean> {
    this.check();
    const entry = this.exchanges.get(name);
    if (!entry) return false;
    if (entry.info.builtIn) throw new BrokerError('FORBIDDEN', `exchange "${name}" is built in and cannot be deleted`);
    if (opts.ifUnused === true && entry.table.size > 0) throw new BrokerError('PRECONDITION_FAILED', `exchange "${name}" in use`);
    await this.removeExchange(entry);
    return true;
  }

  private attachExchange(name: string, spec: ExchangeSpec, builtIn: boolean, createdAt: number): ExchangeEntry {
    const table: BindingTable = createBindingTable(spec.type, { topicSpace: name === TOPIC_SPACE_EXCHANGE });
    const info: ExchangeInfo = { name, ...spec, arguments: { ...spec.arguments }, builtIn };
    const entry: ExchangeEntry = { name, info, table, createdAt, alternate: alternateOf(spec) };
    this.exchanges.set(name, entry);
    return entry;
  }

  private async removeExchange(entry: ExchangeEntry): Promise<void> {
    const name = entry.name;
    if (this.exchanges.get(name) !== entry) return;
    this.exchanges.delete(name);
    const writes: Array<Promise<void>> = [];
    for (const e of [...entry.table.entries()]) writes.push(this.detachBinding(e));
    const sources = new Set<ExchangeEntry>();
    for (const e of [...this.index.into('exchange', name)]) {
      const source = this.exchanges.get(e.binding.source);
      if (source) sources.add(source);
      writes.push(this.detachBinding(e));
    }
    if (entry.info.durable) writes.push(this.store().delete(EXCHANGE_KEY_PREFIX + name));
    await Promise.all(writes);
    this.logger.info({ exchange: name }, 'exchange deleted');
    for (const s of sources) await this.autoDelete(s);
  }

  /** An auto-delete exchange goes when its last binding (as source) is removed. */
  private async autoDelete(entry: ExchangeEntry): Promise<void> {
    if (!entry.info.autoDelete || entry.info.builtIn || entry.table.size > 0) return;
    this.logger.info({ exchange: entry.name }, 'auto-delete exchange has no bindings left');
    await this.removeExchange(entry);
  }

  // ---------------------------------------------------------------- bindings

  /**
   * Bind a queue (or stream) or an exchange to a source exchange; idempotent. Missing source or
   * destination: NOT_FOUND; the default exchange: FORBIDDEN; a headers binding with a bad x-match:
   * PRECONDITION_FAILED; an amq.topic key the core topic space cannot carry: INVALID_NAME.
   * Resolves once durable (source and destination durable) or at once.
   */
  bind(input: Binding): Promise<void> {
    try {
      this.check();
      const b = normalizeBinding(input);
      const source = this.requireSource(b.source);
      const durable = source.info.durable && this.destinationDurable(b);
      if (source.name === TOPIC_SPACE_EXCHANGE && b.destination.kind === 'queue') return bindTopicSpaceQueue(this.host, b);
      source.table.check(b);
      const id = bindingId(b);
      const pending = this.pending.get(id);
      if (pending) return pending;
      if (this.index.has(id)) return Promise.resolve();
      const entry: BindingEntry = { id, binding: b, persisted: durable };
      this.index.attach(source, entry);
      if (!durable) return Promise.resolve();
      const write = this.store().set(BINDING_KEY_PREFIX + id, encodeBinding(b)).then(
        () => { this.pending.delete(id); },
        (err: unknown) => {
          this.pending.delete(id);
          this.index.remove(entry);
          throw err;
        },
      );
      this.pending.set(id, write);
      return write;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Remove a binding; resolves false if there was none. The source may then be auto-deleted. */
  async unbind(input: Binding): Promise<boolean> {
    this.check();
    const b = normalizeBinding(input);
    if (b.source === TOPIC_SPACE_EXCHANGE && b.destination.kind === 'queue') {
      return this.host.topicSpace.unsubscribe(topicSpaceSubscriptionId(b));
    }
    const id = bindingId(b);
    // A bind still committing: unbind after it. Its failure is the bind caller's to see; here it
    // just means there is nothing to remove.
    await this.pending.get(id)?.catch(() => undefined);
    const entry = this.index.get(id);
    if (!entry) return false;
    await this.detachBinding(entry);
    const source = this.exchanges.get(b.source);
    if (source) await this.autoDelete(source);
    return true;
  }

  /** Bindings, optionally narrowed to a source, a destination queue or a destination exchange. Copies. */
  bindings(filter: BindingFilter = {}): Binding[] {
    const out: Binding[] = [];
    const keep = (b: Binding): boolean =>
      (filter.source === undefined || b.source === filter.source)
      && (filter.queue === undefined || (b.destination.kind === 'queue' && b.destination.name === filter.queue))
      && (filter.exchange === undefined || (b.destination.kind === 'exchange' && b.destination.name === filter.exchange));
    const candidates = filter.queue !== undefined ? this.index.into('queue', filter.queue)
      : filter.exchange !== undefined ? this.index.into('exchange', filter.exchange)
        : filter.source !== undefined ? this.exchanges.get(filter.source)?.table.entries() ?? []
          : this.index.values();
    for (const e of candidates) if (keep(e.binding)) out.push(copyBinding(e.binding));
    if ((filter.source === undefined || filter.source === TOPIC_SPACE_EXCHANGE) && filter.exchange === undefined) {
      const records = this.host.topicSpace.subscriptions(filter.queue !== undefined ? { queue: filter.queue } : {});
      for (const rec of records) {
        try {
          const b = topicSpaceBinding(rec);
          if (b) out.push(b);
        } catch (err) {
          this.logger.error({ err, subscription: rec.id }, 'amq.topic binding record has invalid arguments; not listed');
        }
      }
    }
    return out;
  }

  /** A queue or stream is gone: its bindings go (amq.topic's went with its topic subscriptions). */
  async destinationDeleted(name: string): Promise<void> {
    const entries = [...this.index.into('queue', name)];
    if (entries.length === 0) return;
    const sources = new Set<ExchangeEntry>();
    for (const e of entries) {
      const source = this.exchanges.get(e.binding.source);
      if (source) sources.add(source);
    }
    await Promise.all(entries.map((e) => this.detachBinding(e)));
    for (const s of sources) await this.autoDelete(s);
  }

  private requireSource(name: string): ExchangeEntry {
    if (name === DEFAULT_EXCHANGE) throw new BrokerError('FORBIDDEN', 'operation not permitted on the default exchange');
    const x = this.exchanges.get(name);
    if (!x) throw new BrokerError('NOT_FOUND', `exchange "${name}"`);
    return x;
  }

  /** Is the destination durable? Throws NOT_FOUND when it does not exist. */
  private destinationDurable(b: Binding): boolean {
    const d = b.destination;
    if (d.kind === 'exchange') {
      if (d.name === DEFAULT_EXCHANGE) throw new BrokerError('FORBIDDEN', 'operation not permitted on the default exchange');
      const x = this.exchanges.get(d.name);
      if (!x) throw new BrokerError('NOT_FOUND', `exchange "${d.name}"`);
      return x.info.durable;
    }
    const q = this.host.destination(d.name);
    if (!q) throw new BrokerError('NOT_FOUND', `queue "${d.name}"`);
    return q.durable;
  }

  private destinationExists(b: Binding): boolean {
    const d = b.destination;
    return d.kind === 'exchange' ? this.exchanges.has(d.name) : this.host.destination(d.name) !== undefined;
  }

  private detachBinding(entry: BindingEntry): Promise<void> {
    this.index.remove(entry);
    return entry.persisted ? this.store().delete(BINDING_KEY_PREFIX + entry.id) : Promise.resolve();
  }

  // ---------------------------------------------------------------- publish

  /**
   * Route a message through `exchange` (see exchange-routing.ts). Resolves once every copy was
   * accepted (committed when persistent and durable) with how many destinations took one.
   * Unknown exchange: NOT_FOUND; internal exchange: FORBIDDEN; over the broker's message limit:
   * MESSAGE_TOO_LARGE (nothing delivered).
   */
  async publish(exchange: string, routingKey: string, message: Message): Promise<ExchangePublishResult> {
    this.check();
    const x = this.exchanges.get(exchange);
    if (!x) throw new BrokerError('NOT_FOUND', `exchange "${exchange}"`);
    if (x.info.internal) throw new BrokerError('FORBIDDEN', `cannot publish to internal exchange "${exchange}"`);
    return this.route(x, routingKey, message);
  }

  /**
   * A queue's dead-lettered copy through its dead-letter exchange (RabbitMQ DLX): an internal
   * exchange is fine, an unknown one drops the copy (routed 0, logged), as RabbitMQ does.
   */
  async publishDeadLetter(exchange: string, routingKey: string, message: Message): Promise<ExchangePublishResult> {
    this.check();
    const x = this.exchanges.get(exchange);
    if (!x) {
      this.logger.warn({ exchange, routingKey }, 'dead-letter exchange does not exist; dead-lettered message dropped');
      return { routed: 0 };
    }
    return this.route(x, routingKey, message);
  }

  private async route(x: ExchangeEntry, routingKey: string, input: Message): Promise<ExchangePublishResult> {
    const exchange = x.name;
    if (typeof routingKey !== 'string') throw new BrokerError('INVALID_ARGUMENT', 'routing key must be a string');
    const size = messageSize(input);
    if (size > this.host.maxMessageBytes) throw new BrokerError('MESSAGE_TOO_LARGE', `${size} bytes exceeds maxMessageBytes ${this.host.maxMessageBytes} of the broker`);
    // Every copy remembers how it was published (basic.deliver's exchange and routing key, x-death).
    const message = withPublishedWith(input, exchange, routingKey);
    const plan = planRoute(x, routingKey, message.headers, (n) => this.exchanges.get(n), (n) => this.host.destination(n) !== undefined);
    if (plan.topicSpace && isCoreTopicName(routingKey)) {
      const r = await this.host.topicSpace.publish(routingKey, message, this.targets(plan.queues, routingKey));
      return { routed: r.delivered };
    }
    const routed = await deliverCopies(plan.queues, message, (q, m) => this.host.deliver(q, m, routingKey), this.logger, { exchange, routingKey });
    return { routed };
  }

  /**
   * For a core topic publish (any protocol): the queues amq.topic's exchange-to-exchange
   * bindings lead to, as extra targets of that publish. Undefined when there are none.
   */
  topicSpaceTargets(topic: string, message: Message): ExtraTarget[] | undefined {
    const x = this.exchanges.get(TOPIC_SPACE_EXCHANGE)!;
    if (x.table.size === 0) return undefined;
    const plan = planRoute(x, topic, message.headers, (n) => this.exchanges.get(n), (n) => this.host.destination(n) !== undefined);
    return plan.queues.length === 0 ? undefined : this.targets(plan.queues, topic);
  }

  private targets(queues: readonly string[], routingKey: string): ExtraTarget[] {
    return queues.map((queue) => ({ queue, enqueue: (tm) => this.host.deliver(queue, tm.message, routingKey) }));
  }
}
