/**
 * The exchange registry's indexes of every binding: by id, and by destination (`queue:<name>` /
 * `exchange:<name>`); a binding is also in its source exchange's BindingTable, kept in step here.
 */
import type { BindingEntry, BindingTable } from './binding-table.js';

export class BindingIndex {
  private readonly byId = new Map<string, BindingEntry>();
  /** Bindings by destination (`queue:<name>` / `exchange:<name>`). */
  private readonly byDestination = new Map<string, Set<BindingEntry>>();

  /** `sourceTable`: the binding table of the named source exchange, if it exists. */
  constructor(private readonly sourceTable: (exchange: string) => BindingTable | undefined) {}

  get size(): number {
    return this.byId.size;
  }

  get(id: string): BindingEntry | undefined {
    return this.byId.get(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  values(): IterableIterator<BindingEntry> {
    return this.byId.values();
  }

  /** The bindings into a destination: the live set (copy it before detaching while iterating). */
  into(kind: 'queue' | 'exchange', name: string): Iterable<BindingEntry> {
    return this.byDestination.get(destKey(kind, name)) ?? [];
  }

  attach(source: { readonly table: BindingTable }, entry: BindingEntry): void {
    source.table.add(entry);
    this.byId.set(entry.id, entry);
    const key = destKey(entry.binding.destination.kind, entry.binding.destination.name);
    let set = this.byDestination.get(key);
    if (!set) this.byDestination.set(key, (set = new Set()));
    set.add(entry);
  }

  remove(entry: BindingEntry): void {
    if (this.byId.get(entry.id) !== entry) return;
    this.byId.delete(entry.id);
    this.sourceTable(entry.binding.source)?.remove(entry);
    const key = destKey(entry.binding.destination.kind, entry.binding.destination.name);
    const set = this.byDestination.get(key);
    if (set?.delete(entry) && set.size === 0) this.byDestination.delete(key);
  }
}

function destKey(kind: 'queue' | 'exchange', name: string): string {
  return `${kind}:${name}`;
}
