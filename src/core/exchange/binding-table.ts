/**
 * The bindings of one exchange, indexed for routing by the exchange's type:
 *   direct   routing key equals the binding key (a map)
 *   fanout   every binding
 *   topic    RabbitMQ `*` / `#` over words (topic-trie.ts)
 *   headers  the binding arguments against the message headers (headers-match.ts)
 * and, for amq.topic, its exchange-to-exchange bindings by core pattern (its queue bindings are
 * core topic subscriptions, held by the topic router, not here).
 */
import type { Headers } from '../message.js';
import { SubscriptionIndex } from '../topic/topic-matcher.js';
import { compileHeadersPattern, headersMatch, type HeadersPattern } from './headers-match.js';
import { isCoreTopicName, topicBindingPattern } from './topic-key.js';
import { TopicTrie } from './topic-trie.js';
import type { Binding, ExchangeType } from './types.js';

export interface BindingEntry {
  readonly id: string;
  readonly binding: Binding;
  /** Kept in the store (source and destination both durable). */
  readonly persisted: boolean;
}

export interface BindingTable {
  readonly size: number;
  /** Validate the binding for this table (throws) before it is added. */
  check(binding: Binding): void;
  add(entry: BindingEntry): void;
  remove(entry: BindingEntry): void;
  /** Bindings a message with this routing key and these headers matches, each once, added to `out`. */
  route(routingKey: string, headers: Headers, out: BindingEntry[]): void;
  entries(): IterableIterator<BindingEntry>;
}

abstract class TableBase implements BindingTable {
  protected readonly all = new Map<string, BindingEntry>();
  get size(): number {
    return this.all.size;
  }
  check(_binding: Binding): void {
    // Any key and arguments are acceptable by default.
  }
  add(entry: BindingEntry): void {
    this.all.set(entry.id, entry);
    this.index(entry);
  }
  remove(entry: BindingEntry): void {
    if (this.all.delete(entry.id)) this.unindex(entry);
  }
  entries(): IterableIterator<BindingEntry> {
    return this.all.values();
  }
  protected abstract index(entry: BindingEntry): void;
  protected abstract unindex(entry: BindingEntry): void;
  abstract route(routingKey: string, headers: Headers, out: BindingEntry[]): void;
}

class FanoutTable extends TableBase {
  protected index(): void {}
  protected unindex(): void {}
  route(_key: string, _headers: Headers, out: BindingEntry[]): void {
    for (const e of this.all.values()) out.push(e);
  }
}

class DirectTable extends TableBase {
  private readonly byKey = new Map<string, Set<BindingEntry>>();
  protected index(e: BindingEntry): void {
    let set = this.byKey.get(e.binding.routingKey);
    if (!set) this.byKey.set(e.binding.routingKey, (set = new Set()));
    set.add(e);
  }
  protected unindex(e: BindingEntry): void {
    const set = this.byKey.get(e.binding.routingKey);
    if (set?.delete(e) && set.size === 0) this.byKey.delete(e.binding.routingKey);
  }
  route(key: string, _headers: Headers, out: BindingEntry[]): void {
    const set = this.byKey.get(key);
    if (set) for (const e of set) out.push(e);
  }
}

class TopicTable extends TableBase {
  private readonly trie = new TopicTrie<BindingEntry>();
  protected index(e: BindingEntry): void {
    this.trie.add(e.binding.routingKey, e);
  }
  protected unindex(e: BindingEntry): void {
    this.trie.remove(e.binding.routingKey, e);
  }
  route(key: string, _headers: Headers, out: BindingEntry[]): void {
    for (const e of this.trie.match(key)) out.push(e);
  }
}

class HeadersTable extends TableBase {
  private readonly patterns = new Map<string, HeadersPattern>();
  override check(binding: Binding): void {
    compileHeadersPattern(binding.arguments);
  }
  protected index(e: BindingEntry): void {
    this.patterns.set(e.id, compileHeadersPattern(e.binding.arguments));
  }
  protected unindex(e: BindingEntry): void {
    this.patterns.delete(e.id);
  }
  route(_key: string, headers: Headers, out: BindingEntry[]): void {
    for (const e of this.all.values()) if (headersMatch(this.patterns.get(e.id)!, headers)) out.push(e);
  }
}

/** amq.topic's exchange-to-exchange bindings: core topic semantics (as its queue bindings). */
class TopicSpaceTable extends TableBase {
  private readonly subs = new SubscriptionIndex<BindingEntry>();
  override check(binding: Binding): void {
    topicBindingPattern(binding.routingKey);
  }
  protected index(e: BindingEntry): void {
    this.subs.add(topicBindingPattern(e.binding.routingKey), e);
  }
  protected unindex(e: BindingEntry): void {
    this.subs.remove(topicBindingPattern(e.binding.routingKey), e);
  }
  route(key: string, _headers: Headers, out: BindingEntry[]): void {
    if (this.all.size === 0 || !isCoreTopicName(key)) return;
    this.subs.match(key, out);
  }
}

export function createBindingTable(type: ExchangeType, opts: { topicSpace?: boolean } = {}): BindingTable {
  if (opts.topicSpace === true) return new TopicSpaceTable();
  switch (type) {
    case 'direct': return new DirectTable();
    case 'fanout': return new FanoutTable();
    case 'topic': return new TopicTable();
    case 'headers': return new HeadersTable();
  }
}
