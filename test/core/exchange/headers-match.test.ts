/** Headers exchange matching: x-match all / any / all-with-x / any-with-x, typed value equality. */
import { describe, expect, it } from 'vitest';
import { compileHeadersPattern, headersMatch, headerValueEquals } from '../../../src/core/exchange/headers-match.js';
import { isBrokerError } from '../../../src/core/errors.js';
import type { Headers } from '../../../src/core/message.js';
import { typed, type Value } from '../../../src/core/values.js';

const match = (args: Record<string, Value>, headers: Headers) => headersMatch(compileHeadersPattern(args), headers);

describe('headers matching', () => {
  const h: Headers = { format: 'pdf', type: 'report', 'x-tenant': 'acme', n: typed.int(3) };

  it.each<[string, Record<string, Value>, boolean]>([
    ['all (default): every entry', { format: 'pdf', type: 'report' }, true],
    ['all: one entry differs', { format: 'pdf', type: 'log' }, false],
    ['all: one entry missing', { format: 'pdf', missing: 'x' }, false],
    ['all: explicit', { 'x-match': 'all', format: 'pdf' }, true],
    ['all: x- keys ignored', { 'x-match': 'all', format: 'pdf', 'x-tenant': 'other' }, true],
    ['all: no entries matches everything', { 'x-match': 'all' }, true],
    ['any: one entry', { 'x-match': 'any', format: 'zip', type: 'report' }, true],
    ['any: none', { 'x-match': 'any', format: 'zip', type: 'log' }, false],
    ['any: no entries matches nothing', { 'x-match': 'any' }, false],
    ['any: x- keys ignored', { 'x-match': 'any', 'x-tenant': 'acme' }, false],
    ['all-with-x: x- keys count', { 'x-match': 'all-with-x', format: 'pdf', 'x-tenant': 'acme' }, true],
    ['all-with-x: x- key differs', { 'x-match': 'all-with-x', format: 'pdf', 'x-tenant': 'other' }, false],
    ['any-with-x: x- key alone', { 'x-match': 'any-with-x', 'x-tenant': 'acme' }, true],
    ['null (void) value: presence only', { format: null }, true],
    ['null value: absent header', { missing: null }, false],
    ['numbers compared by value across widths', { n: typed.long(3) }, true],
    ['plain number equals int', { n: 3 }, true],
    ['a string never equals a number', { n: '3' }, false],
    ['symbol x-match', { 'x-match': typed.symbol('any'), format: 'pdf' }, true],
  ])('%s', (_label, args, expected) => {
    expect(match(args, h)).toBe(expected);
  });

  it.each<Value>(['some', 5, null])('refuses x-match %j with PRECONDITION_FAILED', (xMatch) => {
    let err: unknown;
    try {
      compileHeadersPattern({ 'x-match': xMatch });
    } catch (e) {
      err = e;
    }
    expect(isBrokerError(err, 'PRECONDITION_FAILED')).toBe(true);
  });

  it('compares values by type and value', () => {
    expect(headerValueEquals(typed.int(1), typed.double(1))).toBe(true);
    expect(headerValueEquals(typed.ulong(2n ** 64n - 1n), typed.ulong(2n ** 64n - 1n))).toBe(true);
    expect(headerValueEquals(typed.long(2n ** 60n), typed.long(2n ** 60n + 1n))).toBe(false);
    expect(headerValueEquals(typed.double(1.5), 1.5)).toBe(true);
    expect(headerValueEquals('eu', typed.symbol('eu'))).toBe(true);
    expect(headerValueEquals('eu', typed.binary(Buffer.from('eu')))).toBe(true);
    expect(headerValueEquals(typed.binary(Buffer.from('eu')), typed.binary(Buffer.from('us')))).toBe(false);
    expect(headerValueEquals(true, true)).toBe(true);
    expect(headerValueEquals(true, 'true')).toBe(false);
    expect(headerValueEquals(typed.timestamp(5), typed.timestamp(5))).toBe(true);
    expect(headerValueEquals(typed.timestamp(5), typed.int(5))).toBe(false);
    expect(headerValueEquals(typed.uuid('00000000-0000-0000-0000-000000000001'), '00000000-0000-0000-0000-000000000001')).toBe(false);
  });
});
