/**
 * amq.topic binding keys as core patterns: the core-internal `**` level (zero or more levels) in
 * SubscriptionIndex and matchesPattern, the translation of RabbitMQ keys, and what is refused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCoreTopicName, topicBindingKey, topicBindingPattern } from '../../../src/core/exchange/topic-key.js';
import { isBrokerError } from '../../../src/core/errors.js';
import { validatePattern } from '../../../src/core/names.js';
import { matchesPattern, SubscriptionIndex } from '../../../src/core/topic/topic-matcher.js';

/** Reference: RabbitMQ `#`/`*` over levels, plus the core's `$` rule and `>`. */
function naive(pattern: string, name: string): boolean {
  const p = pattern.split('.');
  const n = name.split('.');
  if (n[0]!.startsWith('$') && ['*', '>', '**'].includes(p[0]!)) return false;
  const subject = n.map((w) => `${w}\u0000`).join('');
  const esc = (w: string) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const tok = '[^\\u0000]*\\u0000';
  const re = p.map((l) => (l === '**' ? `(?:${tok})*` : l === '>' ? `(?:${tok})+` : l === '*' ? tok : `${esc(l)}\\u0000`)).join('');
  return new RegExp(`^${re}$`, 'u').test(subject);
}

describe('core `**` (zero or more levels)', () => {
  it.each<[string, string, boolean]>([
    ['a.**', 'a', true],
    ['a.**', 'a.b.c', true],
    ['a.**', 'b', false],
    ['**.b', 'b', true],
    ['**.b', 'x.y.b', true],
    ['**.b', 'x.b.y', false],
    ['a.**.b', 'a.b', true],
    ['a.**.b', 'a.x.y.b', true],
    ['**', 'a', true],
    ['**', '$SYS.x', false],
    ['$SYS.**', '$SYS', true],
    ['*.**', 'a.b', true],
  ])('%s vs %s → %s', (pattern, name, expected) => {
    expect(matchesPattern(pattern, name)).toBe(expected);
    const idx = new SubscriptionIndex<string>();
    idx.add(pattern, 'v');
    expect(idx.match(name)).toEqual(expected ? ['v'] : []);
  });

  it('the index agrees with a naive matcher, each value once (fast-check)', () => {
    const level = fc.constantFrom('a', 'b', '$s');
    const patLevel = fc.constantFrom('a', 'b', '*', '**');
    const name = fc.array(level, { minLength: 1, maxLength: 5 }).map((l) => l.join('.'));
    const pattern = fc.tuple(fc.array(patLevel, { minLength: 1, maxLength: 4 }), fc.boolean())
      .map(([ls, rest]) => (rest ? [...ls, '>'] : ls).join('.'));
    fc.assert(fc.property(fc.array(pattern, { minLength: 1, maxLength: 6 }), fc.array(name, { minLength: 1, maxLength: 6 }), (patterns, names) => {
      const idx = new SubscriptionIndex<number>();
      patterns.forEach((p, i) => idx.add(p, i % 3)); // values shared between patterns: dedup matters
      for (const n of names) {
        const got = idx.match(n).sort();
        const want = [...new Set(patterns.map((p, i) => [p, i % 3] as const).filter(([p]) => naive(p, n)).map(([, v]) => v))].sort();
        expect(got, `${n} over ${JSON.stringify(patterns)}`).toEqual(want);
        for (const p of patterns) expect(matchesPattern(p, n), `${p} vs ${n}`).toBe(naive(p, n));
      }
    }), { numRuns: 500 });
  });

  it('is removed and listed like the other levels', () => {
    const idx = new SubscriptionIndex<string>();
    idx.add('a.**.b', 'q');
    expect(idx.entries()).toEqual([['a.**.b', 'q']]);
    expect(idx.remove('a.**.b', 'q')).toBe(true);
    expect(idx.match('a.b')).toEqual([]);
    expect(idx.size).toBe(0);
  });

  it('is refused from users: validatePattern only accepts it when asked', () => {
    expect(() => validatePattern('a.**')).toThrow(/whole level/);
    expect(validatePattern('a.**', 'p', { zeroOrMore: true })).toBe('a.**');
  });
});

describe('amq.topic keys and the core topic space', () => {
  it('translates binding keys: # → **, runs of # collapse', () => {
    expect(topicBindingPattern('sensors.*')).toBe('sensors.*');
    expect(topicBindingPattern('a.#')).toBe('a.**');
    expect(topicBindingPattern('#.#.b')).toBe('**.b');
    expect(topicBindingPattern('#')).toBe('**');
    expect(topicBindingKey('a.**.b')).toBe('a.#.b');
  });

  it.each(['', 'a..b', 'a.', '.a', 'a.b*', 'a.>', '>', ' a', 'a\u0001'])('refuses binding key %j with INVALID_NAME', (key) => {
    let err: unknown;
    try {
      topicBindingPattern(key);
    } catch (e) {
      err = e;
    }
    expect(isBrokerError(err, 'INVALID_NAME')).toBe(true);
    expect(String((err as Error).message)).toContain('cannot be carried by the core topic space');
  });

  it('knows which routing keys are core topic names', () => {
    expect(isCoreTopicName('a.b')).toBe(true);
    expect(isCoreTopicName('a#b')).toBe(true);
    for (const k of ['', 'a..b', 'a.', 'a*', 'a>b']) expect(isCoreTopicName(k)).toBe(false);
  });
});
