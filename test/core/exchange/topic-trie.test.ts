/** RabbitMQ topic matching for user-declared topic exchanges: matrix, property vs a regex, and speed. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TopicTrie } from '../../../src/core/exchange/topic-trie.js';

/**
 * The reference: RabbitMQ's definition as a regex. The routing key's words are written each
 * followed by a NUL (zero words: the empty string); a literal binding word is that word and a
 * NUL, `*` any one word and its NUL, `#` any number of those.
 */
function naiveMatches(bindingKey: string, routingKey: string): boolean {
  const words = (k: string) => (k === '' ? [] : k.split('.'));
  const subject = words(routingKey).map((w) => `${w}\u0000`).join('');
  const esc = (w: string) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = words(bindingKey).map((w) => (w === '#' ? '(?:[^\\u0000]*\\u0000)*' : w === '*' ? '[^\\u0000]*\\u0000' : `${esc(w)}\\u0000`)).join('');
  return new RegExp(`^${re}$`, 'u').test(subject);
}

function matches(bindingKey: string, routingKey: string): boolean {
  const t = new TopicTrie<string>();
  t.add(bindingKey, 'v');
  return t.match(routingKey).has('v');
}

// [binding key, routing key, expected]
const MATRIX: Array<[string, string, boolean]> = [
  ['a.b', 'a.b', true],
  ['a.b', 'a.c', false],
  ['a.*', 'a.b', true],
  ['a.*', 'a', false],
  ['a.*', 'a.b.c', false],
  ['*', 'a', true],
  ['*', '', false],
  ['*', 'a.b', false],
  ['#', '', true],
  ['#', 'a', true],
  ['#', 'a.b.c', true],
  ['a.#', 'a', true],
  ['a.#', 'a.b', true],
  ['a.#', 'a.b.c', true],
  ['a.#', 'b.a', false],
  ['#.b', 'b', true],
  ['#.b', 'x.y.b', true],
  ['#.b', 'x.b.y', false],
  ['a.#.b', 'a.b', true],
  ['a.#.b', 'a.x.b', true],
  ['a.#.b', 'a.x.y.b', true],
  ['a.#.b', 'a.x.y', false],
  ['#.#', 'a', true],
  ['#.*', '', false],
  ['#.*', 'a.b', true],
  ['*.#', 'a', true],
  ['*.#.*', 'a', false],
  ['*.#.*', 'a.b', true],
  // empty words are words
  ['a..b', 'a..b', true],
  ['a.*.b', 'a..b', true],
  ['a.*', 'a.', true],
  ['*.a', '.a', true],
  ['', '', true],
  ['', 'a', false],
  ['a', '', false],
  // no `$` rule, and wildcards are whole words only
  ['#', '$SYS.x', true],
  ['a*', 'ab', false],
  ['a*', 'a*', true],
  ['a#', 'a#', true],
  ['a#', 'a.b', false],
];

describe('TopicTrie (RabbitMQ topic semantics)', () => {
  it.each(MATRIX)('%j vs %j → %s', (bindingKey, routingKey, expected) => {
    expect(matches(bindingKey, routingKey)).toBe(expected);
    expect(naiveMatches(bindingKey, routingKey)).toBe(expected);
  });

  it('agrees with the naive regex matcher on random keys (fast-check)', () => {
    const word = fc.constantFrom('a', 'b', 'c', '', 'ab');
    const bindWord = fc.oneof(word, fc.constant('*'), fc.constant('#'));
    const key = (w: fc.Arbitrary<string>) => fc.array(w, { maxLength: 5 }).map((ws) => ws.join('.'));
    fc.assert(fc.property(fc.array(key(bindWord), { minLength: 1, maxLength: 8 }), fc.array(key(word), { minLength: 1, maxLength: 8 }), (bindings, routes) => {
      const t = new TopicTrie<number>();
      bindings.forEach((b, i) => t.add(b, i));
      for (const r of routes) {
        const got = [...t.match(r)].sort((x, y) => x - y);
        const want = bindings.map((b, i) => [b, i] as const).filter(([b]) => naiveMatches(b, r)).map(([, i]) => i);
        expect(got, `routing key ${JSON.stringify(r)} over ${JSON.stringify(bindings)}`).toEqual(want);
      }
    }), { numRuns: 500 });
  });

  it('add is idempotent, remove prunes, size counts pairs', () => {
    const t = new TopicTrie<string>();
    expect(t.add('a.#', 'q')).toBe(true);
    expect(t.add('a.#.#', 'q')).toBe(false); // runs of # are one #
    expect(t.add('a.*', 'q')).toBe(true);
    expect(t.size).toBe(2);
    expect([...t.match('a.b')]).toEqual(['q']); // once, though two keys match
    expect(t.remove('a.#', 'q')).toBe(true);
    expect(t.remove('a.#', 'q')).toBe(false);
    expect([...t.match('a')]).toEqual([]);
    expect(t.remove('a.*', 'q')).toBe(true);
    expect(t.size).toBe(0);
  });

  it('routes fast over 10 000 bindings', () => {
    const t = new TopicTrie<number>();
    let n = 0;
    for (let r = 0; r < 100; r++) {
      for (let d = 0; d < 25; d++) {
        t.add(`region${r}.device${d}.temp`, n++);
        t.add(`region${r}.device${d}.*`, n++);
        t.add(`region${r}.#.alarm`, n++);
        t.add(`*.device${d}.#`, n++);
      }
    }
    expect(t.size).toBe(10_000);
    const keys = Array.from({ length: 1000 }, (_, i) => `region${i % 100}.device${i % 25}.${i % 2 ? 'temp' : 'alarm'}`);
    const rounds = 20;
    const start = performance.now();
    let hits = 0;
    for (let k = 0; k < rounds; k++) for (const key of keys) hits += t.match(key).size;
    const perMatchUs = ((performance.now() - start) * 1000) / (rounds * keys.length);
    expect(hits).toBeGreaterThan(0);
    // A linear scan of 10k bindings costs milliseconds per key; the trie ~10 µs here (bound
    // generous for a loaded machine).
    expect(perMatchUs).toBeLessThan(250);
    console.log(`topic trie: ${t.size} bindings, ${perMatchUs.toFixed(2)} µs per routing key`);
  });
});
