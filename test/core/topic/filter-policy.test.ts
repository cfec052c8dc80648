import { describe, expect, it } from 'vitest';
import { BrokerError } from '../../../src/core/errors.js';
import type { Headers } from '../../../src/core/message.js';
import { compileFilterPolicy, FILTER_POLICY_LIMITS } from '../../../src/core/topic/filter-policy.js';
import { typed } from '../../../src/core/values.js';

// [description, policy, headers, expected]
const MATCHES: Array<[string, object, Headers, boolean]> = [
  // exact string
  ['exact string hit', { color: ['red'] }, { color: 'red' }, true],
  ['exact string miss', { color: ['red'] }, { color: 'blue' }, false],
  ['exact string is case-sensitive', { color: ['red'] }, { color: 'Red' }, false],
  ['exact string absent header', { color: ['red'] }, { size: 'L' }, false],
  ['exact string list is OR', { color: ['red', 'blue'] }, { color: 'blue' }, true],
  ['string "5" does not match number 5', { n: ['5'] }, { n: 5 }, false],
  // exact number
  ['exact number hit', { n: [5] }, { n: 5 }, true],
  ['exact number same double', { n: [301.5] }, { n: 3.015e2 }, true],
  ['exact number vs string header', { n: [5] }, { n: '5' }, false],
  // typed values: integers of every width, floats and decimals are numbers; symbols are strings
  ['typed long matches exact number', { n: [5] }, { n: typed.long(5n) }, true],
  ['typed ubyte in numeric range', { n: [{ numeric: ['>', 0, '<=', 100] }] }, { n: typed.ubyte(100) }, true],
  ['typed long (bigint) out of numeric range', { n: [{ numeric: ['<', 1e9] }] }, { n: typed.long(2n ** 62n) }, false],
  ['typed ulong in numeric range', { n: [{ numeric: ['>=', 1e8] }] }, { n: typed.ulong(2n ** 63n) }, true],
  ['typed float numeric =', { n: [{ numeric: ['=', 1.5] }] }, { n: typed.float(1.5) }, true],
  ['typed double anything-but number', { n: [{ 'anything-but': 2 }] }, { n: typed.double(2) }, false],
  ['typed decimal numeric', { n: [{ numeric: ['>', 2] }] }, { n: typed.decimal('2.5') }, true],
  ['typed int does not match string', { n: ['5'] }, { n: typed.int(5) }, false],
  ['symbol matches exact string', { s: ['red'] }, { s: typed.symbol('red') }, true],
  ['symbol matches prefix', { s: [{ prefix: 're' }] }, { s: typed.symbol('red') }, true],
  ['symbol is not a number', { s: [{ numeric: ['>', 0] }] }, { s: typed.symbol('5') }, false],
  ['uuid is not a string', { u: [{ prefix: '0' }] }, { u: typed.uuid('00000000-0000-0000-0000-000000000000') }, false],
  ['binary exists', { b: [{ exists: true }] }, { b: typed.binary(Buffer.from('x')) }, true],
  ['numeric = hit', { n: [{ numeric: ['=', 5] }] }, { n: 5 }, true],
  ['numeric = miss', { n: [{ numeric: ['=', 5] }] }, { n: 5.5 }, false],
  ['numeric = vs string header (type matters)', { n: [{ numeric: ['=', 5] }] }, { n: '5' }, false],
  // booleans and null
  ['boolean exact', { flag: [true] }, { flag: true }, true],
  ['boolean exact miss', { flag: [true] }, { flag: 'true' }, false],
  ['null exact', { v: [null] }, { v: null }, true],
  ['null exact miss on absent', { v: [null] }, {}, false],
  // prefix / suffix / equals-ignore-case
  ['prefix hit', { s: [{ prefix: 'abc' }] }, { s: 'abcdef' }, true],
  ['prefix miss', { s: [{ prefix: 'abc' }] }, { s: 'xabc' }, false],
  ['prefix vs number header', { s: [{ prefix: '12' }] }, { s: 123 }, false],
  ['suffix hit', { s: [{ suffix: '.jpg' }] }, { s: 'cat.jpg' }, true],
  ['suffix miss', { s: [{ suffix: '.jpg' }] }, { s: 'cat.png' }, false],
  ['equals-ignore-case hit', { s: [{ 'equals-ignore-case': 'ReD' }] }, { s: 'rEd' }, true],
  ['equals-ignore-case miss', { s: [{ 'equals-ignore-case': 'red' }] }, { s: 'reddish' }, false],
  ['equals-ignore-case unicode', { s: [{ 'equals-ignore-case': 'İ' }] }, { s: 'i̇' }, true],
  // anything-but
  ['anything-but value hit', { s: [{ 'anything-but': 'red' }] }, { s: 'blue' }, true],
  ['anything-but value miss', { s: [{ 'anything-but': 'red' }] }, { s: 'red' }, false],
  ['anything-but list hit', { s: [{ 'anything-but': ['red', 'blue'] }] }, { s: 'green' }, true],
  ['anything-but list miss', { s: [{ 'anything-but': ['red', 'blue'] }] }, { s: 'blue' }, false],
  ['anything-but numbers hit', { n: [{ 'anything-but': [100, 500] }] }, { n: 100.1 }, true],
  ['anything-but numbers miss', { n: [{ 'anything-but': [100, 500] }] }, { n: 500 }, false],
  ['anything-but number vs string "100" (different type)', { n: [{ 'anything-but': [100] }] }, { n: '100' }, true],
  ['anything-but does not match absent', { s: [{ 'anything-but': 'red' }] }, { other: 'x' }, false],
  ['anything-but does not match null', { s: [{ 'anything-but': 'red' }] }, { s: null }, false],
  ['anything-but prefix hit', { s: [{ 'anything-but': { prefix: 'tmp' } }] }, { s: 'data' }, true],
  ['anything-but prefix miss', { s: [{ 'anything-but': { prefix: 'tmp' } }] }, { s: 'tmp-1' }, false],
  ['anything-but prefix vs number', { s: [{ 'anything-but': { prefix: 'tmp' } }] }, { s: 1 }, false],
  ['anything-but suffix hit', { s: [{ 'anything-but': { suffix: '.tmp' } }] }, { s: 'a.txt' }, true],
  ['anything-but suffix miss', { s: [{ 'anything-but': { suffix: '.tmp' } }] }, { s: 'a.tmp' }, false],
  ['anything-but equals-ignore-case hit', { s: [{ 'anything-but': { 'equals-ignore-case': ['RED', 'blue'] } }] }, { s: 'green' }, true],
  ['anything-but equals-ignore-case miss', { s: [{ 'anything-but': { 'equals-ignore-case': ['RED', 'blue'] } }] }, { s: 'Red' }, false],
  ['anything-but combined with exists:false (absent)', { s: [{ 'anything-but': 'red' }, { exists: false }] }, {}, true],
  // numeric ranges
  ['range inside', { p: [{ numeric: ['>', 0, '<=', 100] }] }, { p: 100 }, true],
  ['range lower exclusive', { p: [{ numeric: ['>', 0, '<=', 100] }] }, { p: 0 }, false],
  ['range upper inclusive', { p: [{ numeric: ['>=', 0, '<', 100] }] }, { p: 0 }, true],
  ['range upper exclusive', { p: [{ numeric: ['>=', 0, '<', 100] }] }, { p: 100 }, false],
  ['range above', { p: [{ numeric: ['>', 0, '<=', 100] }] }, { p: 100.5 }, false],
  ['range written upper first', { p: [{ numeric: ['<', 10, '>', 5] }] }, { p: 7 }, true],
  ['single lower bound', { p: [{ numeric: ['>', 0] }] }, { p: 1e9 }, true],
  ['single upper bound', { p: [{ numeric: ['<', 0] }] }, { p: -0.5 }, true],
  ['single upper bound miss', { p: [{ numeric: ['<', 0] }] }, { p: 0 }, false],
  ['range vs numeric string (type matters)', { p: [{ numeric: ['>', 0] }] }, { p: '5' }, false],
  ['range vs boolean', { p: [{ numeric: ['>', 0] }] }, { p: true }, false],
  ['two ranges OR', { p: [{ numeric: ['>=', 100, '<=', 200] }, { numeric: ['>', 300] }] }, { p: 301 }, true],
  ['two ranges OR miss', { p: [{ numeric: ['>=', 100, '<=', 200] }, { numeric: ['>', 300] }] }, { p: 250 }, false],
  // exists
  ['exists true hit', { store: [{ exists: true }] }, { store: 'fans' }, true],
  ['exists true hit on number', { store: [{ exists: true }] }, { store: 0 }, true],
  ['exists true miss', { store: [{ exists: true }] }, { other: 1 }, false],
  ['exists true on null', { store: [{ exists: true }] }, { store: null }, false],
  ['exists false hit', { store: [{ exists: false }] }, { other: 1 }, true],
  ['exists false on empty headers (deliberate SNS deviation)', { store: [{ exists: false }] }, {}, true],
  ['exists false on null', { store: [{ exists: false }] }, { store: null }, true],
  ['exists false miss', { store: [{ exists: false }] }, { store: 'x' }, false],
  ['inherited properties are not headers', { constructor: [{ exists: true }] }, {}, false],
  // mixed OR within a key
  ['mixed OR: exact or prefix', { s: ['x', { prefix: 'ab' }] }, { s: 'abc' }, true],
  ['mixed OR: exact or prefix miss', { s: ['x', { prefix: 'ab' }] }, { s: 'y' }, false],
  // AND across keys
  ['AND both', { a: ['1'], b: [{ numeric: ['>', 100] }] }, { a: '1', b: 101 }, true],
  ['AND one fails', { a: ['1'], b: [{ numeric: ['>', 100] }] }, { a: '1', b: 99 }, false],
  ['AND one absent', { a: ['1'], b: [{ numeric: ['>', 100] }] }, { a: '1' }, false],
  ['unrelated headers ignored', { a: ['1'] }, { a: '1', z: 'anything' }, true],
  // $or
  ['$or top-level first branch', { source: ['cw'], $or: [{ metric: ['cpu'] }, { ns: ['ec2'] }] }, { source: 'cw', metric: 'cpu' }, true],
  ['$or top-level second branch', { source: ['cw'], $or: [{ metric: ['cpu'] }, { ns: ['ec2'] }] }, { source: 'cw', ns: 'ec2' }, true],
  ['$or no branch', { source: ['cw'], $or: [{ metric: ['cpu'] }, { ns: ['ec2'] }] }, { source: 'cw', ns: 'rds' }, false],
  ['$or sibling AND fails', { source: ['cw'], $or: [{ metric: ['cpu'] }, { ns: ['ec2'] }] }, { source: 'x', metric: 'cpu' }, false],
  ['$or nested', { $or: [{ a: ['1'] }, { b: ['2'], $or: [{ c: ['3'] }, { d: ['4'] }] }] }, { b: '2', d: '4' }, true],
  ['$or nested miss', { $or: [{ a: ['1'] }, { b: ['2'], $or: [{ c: ['3'] }, { d: ['4'] }] }] }, { b: '2', e: '5' }, false],
  ['$or only', { $or: [{ a: ['1'] }, { b: ['2'] }] }, { b: '2' }, true],
  // empty policy
  ['empty policy matches everything', {}, { anything: 1 }, true],
  ['empty policy matches no headers', {}, {}, true],
];

describe('FilterPolicy.matches', () => {
  it.each(MATCHES)('%s', (_desc, policy, headers, expected) => {
    expect(compileFilterPolicy(policy).matches(headers)).toBe(expected);
    // the same policy as JSON text behaves the same
    expect(compileFilterPolicy(JSON.stringify(policy)).matches(headers)).toBe(expected);
  });
});

describe('FilterPolicy.source', () => {
  it('is canonical JSON: sorted keys, no whitespace, equal for equal policies', () => {
    const a = compileFilterPolicy('{ "b": [ {"numeric": [">", 1]} ], "a": ["x", "y"] }');
    const b = compileFilterPolicy({ a: ['x', 'y'], b: [{ numeric: ['>', 1] }] });
    expect(a.source).toBe('{"a":["x","y"],"b":[{"numeric":[">",1]}]}');
    expect(b.source).toBe(a.source);
    // array order is significant and kept
    expect(compileFilterPolicy({ a: ['y', 'x'] }).source).toBe('{"a":["y","x"]}');
    // the source recompiles to the same policy
    expect(compileFilterPolicy(a.source).source).toBe(a.source);
  });

  it('marks the empty policy', () => {
    expect(compileFilterPolicy({}).empty).toBe(true);
    expect(compileFilterPolicy({ a: ['x'] }).empty).toBe(false);
  });
});

function keys(n: number): Record<string, string[]> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, ['v']]));
}

// [description, policy, message fragment]
const INVALID: Array<[string, unknown, string]> = [
  ['not JSON', '{"a": [', 'not valid JSON'],
  ['JSON array', '["a"]', 'must be a JSON object'],
  ['JSON string', '"a"', 'must be a JSON object'],
  ['JSON null', 'null', 'must be a JSON object'],
  ['a number passed as object', 5, 'must be a JSON object'],
  ['a Date', new Date(0), 'must be a JSON object'],
  ['scalar key value', { a: 'x' }, 'key "a": value must be an array'],
  ['operator not wrapped in an array', { a: { prefix: 'x' } }, 'key "a": conditions must be in an array'],
  ['nested policy', { a: { b: ['x'] } }, 'nested policies are not supported'],
  ['empty condition array', { a: [] }, 'key "a": condition array must not be empty'],
  ['nested array', { a: [['x']] }, 'nested arrays are not allowed'],
  ['undefined value', { a: [undefined] }, 'unsupported value undefined'],
  ['unknown operator', { a: [{ wildcard: 'x*' }] }, 'unknown operator "wildcard"'],
  ['two operators in one object', { a: [{ prefix: 'x', suffix: 'y' }] }, 'exactly one operator'],
  ['empty condition object', { a: [{}] }, 'exactly one operator, got none'],
  ['prefix not a string', { a: [{ prefix: 5 }] }, 'prefix: expected a non-empty string'],
  ['empty prefix', { a: [{ prefix: '' }] }, 'prefix: expected a non-empty string'],
  ['suffix not a string', { a: [{ suffix: ['x'] }] }, 'suffix: expected a non-empty string'],
  ['equals-ignore-case not a string', { a: [{ 'equals-ignore-case': 1 }] }, 'equals-ignore-case: expected a string'],
  ['exists not boolean', { a: [{ exists: 'true' }] }, 'exists: expected true or false'],
  ['numeric not an array', { a: [{ numeric: 5 }] }, 'numeric: expected an array'],
  ['numeric wrong length', { a: [{ numeric: ['>', 1, '<'] }] }, 'expected 2 or 4 elements'],
  ['numeric empty', { a: [{ numeric: [] }] }, 'expected 2 or 4 elements'],
  ['numeric operand not a number', { a: [{ numeric: ['>', 'x'] }] }, 'operand of ">" must be a number, got "x"'],
  ['numeric unknown operator', { a: [{ numeric: ['!=', 1] }] }, 'expected an operator (=, <, <=, >, >=) at position 0, got "!="'],
  ['numeric second operator bad', { a: [{ numeric: ['>', 1, 2, 3] }] }, 'at position 2, got 2'],
  ['numeric = combined', { a: [{ numeric: ['=', 1, '<', 3] }] }, '"=" cannot be combined'],
  ['numeric two lower bounds', { a: [{ numeric: ['>', 1, '>=', 3] }] }, 'more than one lower bound'],
  ['numeric two upper bounds', { a: [{ numeric: ['<', 1, '<=', 3] }] }, 'more than one upper bound'],
  ['numeric empty range', { a: [{ numeric: ['>', 10, '<', 5] }] }, 'empty range'],
  ['numeric equal bounds', { a: [{ numeric: ['>=', 5, '<=', 5] }] }, 'empty range'],
  ['numeric out of range', { a: [{ numeric: ['>', 1e10] }] }, 'outside the supported range'],
  ['exact number out of range', { a: [-2e9] }, 'outside the supported range'],
  ['non-finite number in an object', { a: [{ numeric: ['>', Number.NaN] }] }, 'numbers must be finite'],
  ['anything-but empty list', { a: [{ 'anything-but': [] }] }, 'anything-but: list must not be empty'],
  ['anything-but boolean', { a: [{ 'anything-but': true }] }, 'anything-but: expected a string, a number'],
  ['anything-but list with object', { a: [{ 'anything-but': ['x', { prefix: 'y' }] }] }, 'anything-but[1]: expected a string or number'],
  ['anything-but unknown inner operator', { a: [{ 'anything-but': { numeric: ['>', 1] } }] }, 'unknown operator "numeric"'],
  ['anything-but empty prefix', { a: [{ 'anything-but': { prefix: '' } }] }, 'prefix: expected a non-empty string'],
  ['anything-but equals-ignore-case empty list', { a: [{ 'anything-but': { 'equals-ignore-case': [] } }] }, 'non-empty array of strings'],
  ['$or not an array', { $or: { a: ['x'] } }, '$or: must be an array of at least 2 policy objects'],
  ['$or with one branch', { $or: [{ a: ['x'] }] }, '$or: must be an array of at least 2 policy objects'],
  ['$or branch not an object', { $or: [{ a: ['x'] }, 'b'] }, '$or[1]: must be a policy object'],
  ['$or empty branch', { $or: [{ a: ['x'] }, {}] }, '$or[1]: must not be empty'],
  ['$or branch with an operator as key', { $or: [{ numeric: 123 }, { prefix: 'abc' }] }, '"numeric" is an operator'],
  ['$or error inside a branch names the path', { $or: [{ a: ['x'] }, { b: [] }] }, '$or[1].key "b": condition array must not be empty'],
  ['too many keys', keys(6), '6 keys in one combination; at most 5'],
  ['too many keys through $or', { ...keys(4), $or: [{ x: ['1'], y: ['2'] }, { z: ['3'] }] }, '6 keys in one combination'],
  ['too many combinations', { a: Array(13).fill('x'), b: Array(12).fill('y') }, '156 value combinations; at most 150'],
  ['too many combinations through $or', { a: Array(51).fill('x'), $or: [{ b: ['1', '2'] }, { c: ['3'] }] }, '153 value combinations'],
  ['$or nested too deep', { $or: [{ a: ['1'] }, { $or: [{ b: ['1'] }, { $or: [{ c: ['1'] }, { $or: [{ d: ['1'] }, { e: ['1'] }] }] }] }] }, 'nested more than 3 deep'],
  ['oversize text', `{"a":["${'x'.repeat(FILTER_POLICY_LIMITS.maxBytes)}"]}`, 'larger than'],
];

describe('compileFilterPolicy rejects invalid policies', () => {
  it.each(INVALID)('%s', (_desc, policy, fragment) => {
    let caught: unknown;
    try {
      compileFilterPolicy(policy as string | object);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(BrokerError);
    expect((caught as BrokerError).code).toBe('INVALID_FILTER_POLICY');
    expect((caught as BrokerError).message).toContain(fragment);
  });

  it('accepts policies right at the limits', () => {
    expect(() => compileFilterPolicy(keys(5))).not.toThrow();
    expect(() => compileFilterPolicy({ a: Array(15).fill('x'), b: Array(10).fill('y') })).not.toThrow();
    expect(() => compileFilterPolicy({ a: [{ numeric: ['>=', -1e9, '<=', 1e9] }] })).not.toThrow();
    // $or contributes the sum of its branches: 50 × (2 + 1) = 150
    expect(() => compileFilterPolicy({ a: Array(50).fill('x'), $or: [{ b: ['1', '2'] }, { c: ['3'] }] })).not.toThrow();
  });

  it('rejects a cyclic object instead of recursing forever', () => {
    const p: Record<string, unknown> = { a: ['x'] };
    p.$or = [p, p];
    expect(() => compileFilterPolicy(p)).toThrow(/nested more than 3 deep/);
  });
});
