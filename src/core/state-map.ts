/**
 * Durable keyed state for one namespace, handed to front-ends through Broker.state().
 * Reads are served from memory; writes go to the store (group-committed) and resolve on commit.
 */
import type { Store } from './store.js';

export class StateMap {
  private constructor(private readonly store: Store, readonly namespace: string, private readonly entries: Map<string, Buffer>) {}

  static async load(store: Store, namespace: string): Promise<StateMap> {
    const rows = await store.loadState(namespace);
    return new StateMap(store, namespace, new Map(rows.map((r) => [r.key, r.value])));
  }

  get(key: string): Buffer | undefined {
    return this.entries.get(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  get size(): number {
    return this.entries.size;
  }

  set(key: string, value: Buffer): Promise<void> {
    this.entries.set(key, value);
    return this.store.putState(this.namespace, key, value);
  }

  delete(key: string): Promise<void> {
    if (!this.entries.delete(key)) return Promise.resolve();
    return this.store.deleteState(this.namespace, key);
  }
}
