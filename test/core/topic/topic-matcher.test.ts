import { describe, expect, it } from 'vitest';
import { matchesPattern, SubscriptionIndex } from '../../../src/core/topic/topic-matcher.js';

// [pattern, name, expected]
const MATRIX: Array<[string, string, boolean]> = [
  // literal
  ['a', 'a', true],
  ['a', 'b', false],
  ['a.b', 'a.b', true],
  ['a.b', 'a', false],
  ['a', 'a.b', false],
  ['a.b.c', 'a.b.d', false],
  // `*` is exactly one level
  ['*', 'a', true],
  ['*', 'a.b', false],
  ['a.*', 'a.b', true],
  ['a.*', 'a', false],
  ['a.*', 'a.b.c', false],
  ['*.b', 'a.b', true],
  ['*.b', 'a.c', false],
  ['a.*.c', 'a.b.c', true],
  ['a.*.c', 'a.c', false],
  ['a.*.c', 'a.b.x.c', false],
  ['*.*', 'a.b', true],
  ['*.*', 'a', false],
  // `>` is one or more remaining levels
  ['>', 'a', true],
  ['>', 'a.b.c', true],
  ['a.>', 'a.b', true],
  ['a.>', 'a.b.c', true],
  ['a.>', 'a', false],
  ['a.>', 'b.c', false],
  ['a.b.>', 'a.b', false],
  ['a.b.>', 'a.b.c', true],
  ['*.>', 'a', false],
  ['*.>', 'a.b', true],
  ['a.*.>', 'a.b', false],
  ['a.*.>', 'a.b.c.d', true],
  // `$` names are not matched by a wildcard first level
  ['>', '$SYS', false],
  ['>', '$SYS.broker.uptime', false],
  ['*', '$SYS', false],
  ['*.x', '$SYS.x', false],
  ['*.>', '$SYS.x', false],
  ['$SYS.>', '$SYS.x', true],
  ['$SYS.>', '$SYS.x.y', true],
  ['$SYS.*', '$SYS.x', true],
  ['$SYS', '$SYS', true],
  ['$SYS.>', '$SYS', false],
  // `$` only matters on the first level
  ['a.>', 'a.$b', true],
  ['a.*', 'a.$b', true],
  ['>', 'a.$b', true],
  // prefixes of levels are not levels
  ['ab.>', 'abc.d', false],
  ['a.b', 'a.bc', false],
];

describe('matchesPattern', () => {
  it.each(MATRIX)('%s vs %s → %s', (pattern, name, expected) => {
    expect(matchesPattern(pattern, name)).toBe(expected);
  });
});

describe('SubscriptionIndex', () => {
  it.each(MATRIX)('trie agrees with matchesPattern: %s vs %s → %s', (pattern, name, expected) => {
    const index = new SubscriptionIndex<string>();
    index.add(pattern, 'v');
    expect(index.match(name)).toEqual(expected ? ['v'] : []);
  });

  it('matches many patterns at once, each value once', () => {
    const index = new SubscriptionIndex<string>();
    const patterns = [...new Set(MATRIX.map(([p]) => p))];
    for (const p of patterns) index.add(p, p);
    const names = [...new Set(MATRIX.map(([, n]) => n))];
    for (const name of names) {
      const expected = patterns.filter((p) => matchesPattern(p, name)).sort();
      expect(index.match(name).sort(), name).toEqual(expected);
    }
  });

  it('returns a value registered under several matching patterns only once', () => {
    const index = new SubscriptionIndex<{ id: number }>();
    const v = { id: 1 };
    const w = { id: 2 };
    index.add('a.*', v);
    index.add('*.b', v);
    index.add('>', v);
    index.add('a.b', w);
    expect(index.size).toBe(4);
    const got = index.match('a.b');
    expect(got).toHaveLength(2);
    expect(new Set(got)).toEqual(new Set([v, w]));
    // after removing two of the three patterns there is nothing left to de-duplicate
    index.remove('a.*', v);
    index.remove('>', v);
    expect(index.match('a.b')).toHaveLength(2);
  });

  it('treats (pattern, value) as a set and removes exactly that pair', () => {
    const index = new SubscriptionIndex<string>();
    expect(index.add('a.>', 'x')).toBe(true);
    expect(index.add('a.>', 'x')).toBe(false);
    expect(index.add('a.>', 'y')).toBe(true);
    expect(index.size).toBe(2);
    expect(index.remove('a.>', 'z')).toBe(false);
    expect(index.remove('a.*', 'x')).toBe(false);
    expect(index.remove('a.b.>', 'x')).toBe(false);
    expect(index.remove('a.>', 'x')).toBe(true);
    expect(index.remove('a.>', 'x')).toBe(false);
    expect(index.match('a.b')).toEqual(['y']);
    expect(index.size).toBe(1);
  });

  it('prunes empty branches so removed patterns leave no trace', () => {
    const index = new SubscriptionIndex<string>();
    index.add('a.*.c.>', 'x');
    index.add('a.b', 'y');
    index.remove('a.*.c.>', 'x');
    expect(index.entries()).toEqual([['a.b', 'y']]);
    index.remove('a.b', 'y');
    expect(index.entries()).toEqual([]);
    expect(index.size).toBe(0);
    // the root is reusable after pruning
    index.add('a.b', 'z');
    expect(index.match('a.b')).toEqual(['z']);
  });

  it('appends to a caller-supplied array without disturbing its head', () => {
    const index = new SubscriptionIndex<string>();
    index.add('a', 'x');
    index.add('*', 'x');
    const out = ['keep', 'x'];
    index.match('a', out);
    expect(out).toEqual(['keep', 'x', 'x']);
  });

  it('lists entries with their patterns and clears', () => {
    const index = new SubscriptionIndex<number>();
    index.add('>', 1);
    index.add('a.*', 2);
    index.add('a.b', 3);
    expect(index.entries().sort()).toEqual([['>', 1], ['a.*', 2], ['a.b', 3]].sort());
    index.clear();
    expect(index.size).toBe(0);
    expect(index.match('a.b')).toEqual([]);
  });
});
