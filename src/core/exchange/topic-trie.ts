/**
 * RabbitMQ topic matching for user-declared topic exchanges: a trie over words.
 *
 * A routing key is split on `.` into words (`''` is zero words, `a..b` is `a`, `''`, `b`:
 * empty words are words, as in RabbitMQ). In a binding key `*` matches exactly one word (an
 * empty one too) and `#` zero or more words, anywhere. Unlike the core topic space there is no
 * `$`-name rule. Consecutive `#` words are one `#` (same meaning, fewer paths to walk).
 *
 * match() walks one path per literal word plus the `*` and `#` branches, so its cost grows with
 * the key's depth and the number of wildcard branches, not with the number of bindings.
 */

/** Words of a routing or binding key: `''` → [] (RabbitMQ's split). */
export function splitWords(key: string): string[] {
  return key === '' ? [] : key.split('.');
}

/** Binding key words with runs of `#` collapsed to one. */
export function bindingWords(key: string): string[] {
  const out: string[] = [];
  for (const w of splitWords(key)) if (!(w === '#' && out[out.length - 1] === '#')) out.push(w);
  return out;
}

interface Node<T> {
  values: Set<T> | null;
  children: Map<string, Node<T>> | null;
  star: Node<T> | null;
  hash: Node<T> | null;
}

function newNode<T>(): Node<T> {
  return { values: null, children: null, star: null, hash: null };
}

function isEmpty<T>(n: Node<T>): boolean {
  return n.values === null && n.children === null && n.star === null && n.hash === null;
}

export class TopicTrie<T> {
  private readonly root: Node<T> = newNode<T>();
  private pairs = 0;

  /** Number of (binding key, value) pairs. */
  get size(): number {
    return this.pairs;
  }

  /** Register `value` under binding key `key`. False if that pair was already there. */
  add(key: string, value: T): boolean {
    let node = this.root;
    for (const w of bindingWords(key)) {
      if (w === '*') node = node.star ??= newNode<T>();
      else if (w === '#') node = node.hash ??= newNode<T>();
      else {
        const children = (node.children ??= new Map());
        let child = children.get(w);
        if (!child) children.set(w, (child = newNode<T>()));
        node = child;
      }
    }
    const set = (node.values ??= new Set<T>());
    if (set.has(value)) return false;
    set.add(value);
    this.pairs += 1;
    return true;
  }

  /** Remove the pair; prunes empty branches. False if it was not there. */
  remove(key: string, value: T): boolean {
    if (!this.removeAt(this.root, bindingWords(key), 0, value)) return false;
    this.pairs -= 1;
    return true;
  }

  private removeAt(node: Node<T>, words: string[], i: number, value: T): boolean {
    if (i === words.length) {
      if (!node.values?.delete(value)) return false;
      if (node.values.size === 0) node.values = null;
      return true;
    }
    const w = words[i]!;
    if (w === '*' || w === '#') {
      const slot = w === '*' ? 'star' : 'hash';
      const child = node[slot];
      if (!child || !this.removeAt(child, words, i + 1, value)) return false;
      if (isEmpty(child)) node[slot] = null;
      return true;
    }
    const child = node.children?.get(w);
    if (!child || !this.removeAt(child, words, i + 1, value)) return false;
    if (isEmpty(child)) {
      node.children!.delete(w);
      if (node.children!.size === 0) node.children = null;
    }
    return true;
  }

  /** Every value whose binding key matches routing key `key`, each once, added to `out`. */
  match(key: string, out: Set<T> = new Set()): Set<T> {
    this.collect(this.root, splitWords(key), 0, out);
    return out;
  }

  private collect(node: Node<T>, words: string[], i: number, out: Set<T>): void {
    // `#` here consumes zero or more of the remaining words.
    if (node.hash) for (let k = i; k <= words.length; k++) this.collect(node.hash, words, k, out);
    if (i === words.length) {
      if (node.values) for (const v of node.values) out.add(v);
      return;
    }
    const child = node.children?.get(words[i]!);
    if (child) this.collect(child, words, i + 1, out);
    if (node.star) this.collect(node.star, words, i + 1, out);
  }
}
