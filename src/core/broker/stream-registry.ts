/** The Broker's streams: create, auto-create on first use, delete. */
import { BrokerError } from '../errors.js';
import { validateName } from '../names.js';
import { sameAttributes } from '../same-attributes.js';
import { Stream } from '../stream/stream.js';
import { parseStreamAttributes } from '../stream/stream-attributes.js';
import type { ExchangeRegistry } from '../exchange/exchange-registry.js';
import type { BrokerContext } from './broker-context.js';
import type { Destinations } from './destinations.js';

export interface StreamRegistryDeps {
  ctx: BrokerContext;
  destinations: Destinations;
  /** Attributes applied to streams created without explicit ones. */
  streamDefaults: Record<string, unknown>;
  exchanges: ExchangeRegistry;
}

export class StreamRegistry {
  private readonly ctx: BrokerContext;
  private readonly streams: Map<string, Stream>;

  constructor(private readonly deps: StreamRegistryDeps) {
    this.ctx = deps.ctx;
    this.streams = deps.destinations.streams;
  }

  async create(name: string, attributes: Record<string, unknown>): Promise<Stream> {
    this.ctx.check();
    validateName(name, 'stream name');
    if (this.deps.destinations.queues.has(name)) throw new BrokerError('KIND_MISMATCH', `"${name}" is a queue`);
    const parsed = parseStreamAttributes(name, { ...this.deps.streamDefaults, ...attributes });
    const existing = this.streams.get(name);
    if (existing) {
      if (Object.keys(attributes).length > 0 && !sameAttributes(existing.attributes, parsed)) {
        throw new BrokerError('ALREADY_EXISTS', `stream "${name}" exists with different attributes`);
      }
      return existing;
    }
    return this.deps.destinations.openOnce(name, async () => {
      const stream = await Stream.open({ name, attributes: parsed, store: this.ctx.store, clock: this.ctx.clock, logger: this.ctx.logger });
      await this.ctx.store.putDestination({ kind: 'stream', name, attributes: { ...parsed }, createdAt: this.ctx.clock.now() });
      this.streams.set(name, stream);
      this.ctx.logger.info({ stream: name, shards: parsed.shardCount }, 'stream created');
      return stream;
    });
  }

  require(name: string): Stream {
    const s = this.streams.get(name);
    if (!s) throw new BrokerError('NOT_FOUND', `stream "${name}"`);
    return s;
  }

  /** The stream, created on first use unless auto-create is off. */
  stream(name: string): Promise<Stream> {
    return this.deps.destinations.autoCreated(this.streams.get(name), 'stream', name, () => this.create(name, {}));
  }

  async delete(name: string): Promise<boolean> {
    const stream = this.streams.get(name);
    if (!stream) return false;
    stream.close();
    this.streams.delete(name);
    await this.deps.exchanges.destinationDeleted(name);
    await this.ctx.store.deleteDestination('stream', name);
    this.ctx.logger.info({ stream: name }, 'stream deleted');
    return true;
  }
}
