/**
 * Topic name ↔ subscription pattern matching (ActiveMQ wildcard semantics).
 *
 * Names are `.`-separated levels. In a pattern:
 *   `*`  matches exactly one level          (`a.*`  matches `a.b`, not `a` nor `a.b.c`)
 *   `>`  matches one or more trailing levels (`a.>`  matches `a.b` and `a.b.c`, not `a`)
 *   `**` matches zero or more levels, anywhere (`a.**.b` matches `a.b` and `a.x.y.b`): RabbitMQ's
 *        `#`, core-internal (amq.topic bindings, see ../names.ts ZERO_OR_MORE); users cannot write it
 *
 * MQTT rule for system topics: a name whose first level starts with `$` is never matched by a
 * pattern whose first level is a wildcard (`$SYS.x` is matched by `$SYS.>` and `$SYS.*`, but not
 * by `>`, `*.x` or `*.>`).
 *
 * Patterns are assumed valid (see validatePattern in ../names.ts); the matcher does not re-check.
 */

const SINGLE = '*';
const MULTI = '>';
const ANY = '**';

function isSystemName(firstLevel: string): boolean {
  return firstLevel.charCodeAt(0) === 36; /* '$' */
}

/** Does `pattern` match the concrete topic `name`? Standalone; for one-off checks. */
export function matchesPattern(pattern: string, name: string): boolean {
  if (pattern === name) return true;
  const p = pattern.split('.');
  const n = name.split('.');
  if (isSystemName(n[0]!) && (p[0] === SINGLE || p[0] === MULTI || p[0] === ANY)) return false;
  if (p.includes(ANY)) return matchLevels(p, 0, n, 0);
  for (let i = 0; i < p.length; i++) {
    const level = p[i]!;
    if (level === MULTI) return n.length > i; // at least one level left for `>`
    if (i >= n.length) return false;
    if (level !== SINGLE && level !== n[i]) return false;
  }
  return p.length === n.length;
}

/** Backtracking match for patterns with `**` (rare: amq.topic bindings with `#`). */
function matchLevels(p: string[], i: number, n: string[], j: number): boolean {
  if (i === p.length) return j === n.length;
  const level = p[i]!;
  if (level === ANY) {
    for (let k = j; k <= n.length; k++) if (matchLevels(p, i + 1, n, k)) return true;
    return false;
  }
  if (level === MULTI) return n.length > j;
  if (j >= n.length) return false;
  return (level === SINGLE || level === n[j]) && matchLevels(p, i + 1, n, j + 1);
}

interface Node<T> {
  /** Values whose pattern ends exactly at this node. */
  values: Set<T> | null;
  /** Values whose pattern is `<path to this node>.>`. */
  rest: Set<T> | null;
  /** Child for a literal level. */
  children: Map<string, Node<T>> | null;
  /** Child for `*`. */
  star: Node<T> | null;
  /** Child for `**` (zero or more levels). */
  any: Node<T> | null;
}

function newNode<T>(): Node<T> {
  return { values: null, rest: null, children: null, star: null, any: null };
}

function isEmptyNode<T>(n: Node<T>): boolean {
  return n.values === null && n.rest === null && n.children === null && n.star === null && n.any === null;
}

/**
 * A trie of subscription patterns → values. `match(name)` walks one path per literal level plus
 * the `*` branches, so its cost depends on the depth of the name and the number of wildcard
 * branches, not on the total number of patterns.
 *
 * The index is a set of (pattern, value) pairs: adding the same pair twice is a no-op. A value may
 * be registered under several patterns; `match` still returns it once.
 */
export class SubscriptionIndex<T> {
  private readonly root: Node<T> = newNode<T>();
  /** Number of patterns each value is registered under; only tracked to know when to de-duplicate. */
  private readonly refs = new Map<T, number>();
  /** How many values are registered under more than one pattern. */
  private multi = 0;
  private pairs = 0;
  /** Pairs whose pattern has a `**` level: a value can then be reached along several paths. */
  private anyPairs = 0;

  /** Number of (pattern, value) pairs in the index. */
  get size(): number {
    return this.pairs;
  }

  /** Register `value` under `pattern`. Returns false if that exact pair was already present. */
  add(pattern: string, value: T): boolean {
    const levels = pattern.split('.');
    let node = this.root;
    let last = levels.length;
    const endsWithRest = levels[last - 1] === MULTI;
    if (endsWithRest) last -= 1;
    for (let i = 0; i < last; i++) {
      const level = levels[i]!;
      if (level === SINGLE) {
        node = node.star ??= newNode<T>();
      } else if (level === ANY) {
        node = node.any ??= newNode<T>();
      } else {
        const children = (node.children ??= new Map());
        let child = children.get(level);
        if (!child) children.set(level, (child = newNode<T>()));
        node = child;
      }
    }
    const set = endsWithRest ? (node.rest ??= new Set<T>()) : (node.values ??= new Set<T>());
    if (set.has(value)) return false;
    set.add(value);
    this.pairs += 1;
    if (levels.includes(ANY)) this.anyPairs += 1;
    const count = (this.refs.get(value) ?? 0) + 1;
    this.refs.set(value, count);
    if (count === 2) this.multi += 1;
    return true;
  }

  /** Remove the (pattern, value) pair. Returns false if it was not present. Prunes empty branches. */
  remove(pattern: string, value: T): boolean {
    const levels = pattern.split('.');
    const removed = this.removeAt(this.root, levels, 0, value);
    if (!removed) return false;
    this.pairs -= 1;
    if (levels.includes(ANY)) this.anyPairs -= 1;
    const count = (this.refs.get(value) ?? 1) - 1;
    if (count === 0) this.refs.delete(value);
    else this.refs.set(value, count);
    if (count === 1) this.multi -= 1;
    return true;
  }

  private removeAt(node: Node<T>, levels: string[], i: number, value: T): boolean {
    const level = levels[i];
    if (i === levels.length - 1 && level === MULTI) {
      if (!node.rest?.delete(value)) return false;
      if (node.rest.size === 0) node.rest = null;
      return true;
    }
    if (i === levels.length) {
      if (!node.values?.delete(value)) return false;
      if (node.values.size === 0) node.values = null;
      return true;
    }
    if (level === SINGLE) {
      if (!node.star || !this.removeAt(node.star, levels, i + 1, value)) return false;
      if (isEmptyNode(node.star)) node.star = null;
      return true;
    }
    if (level === ANY) {
      if (!node.any || !this.removeAt(node.any, levels, i + 1, value)) return false;
      if (isEmptyNode(node.any)) node.any = null;
      return true;
    }
    const child = node.children?.get(level!);
    if (!child || !this.removeAt(child, levels, i + 1, value)) return false;
    if (isEmptyNode(child)) {
      node.children!.delete(level!);
      if (node.children!.size === 0) node.children = null;
    }
    return true;
  }

  /**
   * Every value whose pattern matches the concrete topic `name`, each once, appended to `out`
   * (a fresh array by default). Order: unspecified but deterministic.
   */
  match(name: string, out: T[] = []): T[] {
    const levels = name.split('.');
    const start = out.length;
    const root = this.root;
    if (isSystemName(levels[0]!)) {
      // `$`-names: only literal first levels may match.
      const child = root.children?.get(levels[0]!);
      if (child) this.collect(child, levels, 1, out);
    } else {
      this.collect(root, levels, 0, out);
    }
    if ((this.multi > 0 || this.anyPairs > 0) && out.length - start > 1) dedupeTail(out, start);
    return out;
  }

  private collect(node: Node<T>, levels: string[], i: number, out: T[]): void {
    // `**` here consumes zero or more of the remaining levels.
    if (node.any) for (let k = i; k <= levels.length; k++) this.collect(node.any, levels, k, out);
    if (i === levels.length) {
      if (node.values) for (const v of node.values) out.push(v);
      return;
    }
    // At least one level remains, so a `>` ending here matches.
    if (node.rest) for (const v of node.rest) out.push(v);
    const child = node.children?.get(levels[i]!);
    if (child) this.collect(child, levels, i + 1, out);
    if (node.star) this.collect(node.star, levels, i + 1, out);
  }

  /** Every (pattern, value) pair, for listing and debugging. Not for the hot path. */
  entries(): Array<[string, T]> {
    const out: Array<[string, T]> = [];
    const walk = (node: Node<T>, prefix: string[]): void => {
      if (node.values) for (const v of node.values) out.push([prefix.join('.'), v]);
      if (node.rest) for (const v of node.rest) out.push([[...prefix, MULTI].join('.'), v]);
      if (node.children) for (const [level, child] of node.children) walk(child, [...prefix, level]);
      if (node.star) walk(node.star, [...prefix, SINGLE]);
      if (node.any) walk(node.any, [...prefix, ANY]);
    };
    walk(this.root, []);
    return out;
  }

  clear(): void {
    this.root.values = null;
    this.root.rest = null;
    this.root.children = null;
    this.root.star = null;
    this.root.any = null;
    this.refs.clear();
    this.multi = 0;
    this.pairs = 0;
    this.anyPairs = 0;
  }
}

/** Remove repeated values from out[start..], keeping first occurrences, in place. */
function dedupeTail<T>(out: T[], start: number): void {
  const seen = new Set<T>();
  let w = start;
  for (let r = start; r < out.length; r++) {
    const v = out[r]!;
    if (seen.has(v)) continue;
    seen.add(v);
    out[w++] = v;
  }
  out.length = w;
}
