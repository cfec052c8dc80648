import { describe, expect, it } from 'vitest';
import { aclAllows, entryAppliesTo, grants, patternCovers } from '../../src/security/acl.js';
import { acl } from './helpers.js';

describe('patternCovers', () => {
  it.each([
    ['orders', 'orders', true],
    ['orders', 'orders.eu', false],
    ['orders', 'order', false],
    ['orders.*', 'orders.eu', true],
    ['orders.*', 'orders', false],
    ['orders.*', 'orders.eu.x', false],
    ['*.eu', 'orders.eu', true],
    ['*.eu', 'orders.us', false],
    ['orders.>', 'orders.eu', true],
    ['orders.>', 'orders.eu.x.y', true],
    ['orders.>', 'orders', false],
    ['>', 'anything', true],
    ['>', 'a.b.c', true],
    ['a.*.c', 'a.b.c', true],
    ['a.*.c', 'a.b.d', false],
    // Subscription patterns: allowed only when every matching name is allowed.
    ['orders.*', 'orders.*', true],
    ['orders.>', 'orders.*', true],
    ['orders.>', 'orders.>', true],
    ['orders.*', 'orders.>', false],
    ['orders.eu', 'orders.*', false],
    ['*', '>', false],
    ['>', '>', true],
    ['>', '*.x.>', true],
    ['*.*', '*.>', false],
  ])('%s covers %s → %s', (pattern, name, expected) => {
    expect(patternCovers(pattern, name)).toBe(expected);
  });
});

describe('entries', () => {
  const alice = { name: 'alice', anonymous: false, groups: ['ops'] };
  const anon = { name: 'anonymous', anonymous: true, groups: [] };

  it('admin implies read and write; read does not imply write', () => {
    expect(['read', 'write', 'admin'].map((p) => grants(acl('*', '>', ['admin']), p as 'read'))).toEqual([true, true, true]);
    expect(['read', 'write', 'admin'].map((p) => grants(acl('*', '>', ['read']), p as 'read'))).toEqual([true, false, false]);
    expect(['read', 'write', 'admin'].map((p) => grants(acl('*', '>', ['write']), p as 'read'))).toEqual([false, true, false]);
  });

  it('principals: user name, group:NAME, *; anonymous only via *', () => {
    expect(entryAppliesTo(acl('alice', '>', ['read']), alice)).toBe(true);
    expect(entryAppliesTo(acl('bob', '>', ['read']), alice)).toBe(false);
    expect(entryAppliesTo(acl('group:ops', '>', ['read']), alice)).toBe(true);
    expect(entryAppliesTo(acl('group:dev', '>', ['read']), alice)).toBe(false);
    expect(entryAppliesTo(acl('group:alice', '>', ['read']), alice)).toBe(false);
    expect(entryAppliesTo(acl('*', '>', ['read']), alice)).toBe(true);
    expect(entryAppliesTo(acl('*', '>', ['read']), anon)).toBe(true);
    expect(entryAppliesTo(acl('anonymous', '>', ['read']), anon)).toBe(false);
  });

  it('aclAllows needs principal, kind, pattern and permission to match in one entry', () => {
    const entries = [acl('alice', 'orders.>', ['read'], ['queue']), acl('group:ops', 'metrics', ['write'], ['topic'])];
    expect(aclAllows(entries, alice, 'read', { kind: 'queue', name: 'orders.eu' })).toBe(true);
    expect(aclAllows(entries, alice, 'read', { kind: 'topic', name: 'orders.eu' })).toBe(false);
    expect(aclAllows(entries, alice, 'write', { kind: 'queue', name: 'orders.eu' })).toBe(false);
    expect(aclAllows(entries, alice, 'write', { kind: 'topic', name: 'metrics' })).toBe(true);
    // Permission from one entry and pattern from another do not combine.
    expect(aclAllows(entries, alice, 'write', { kind: 'queue', name: 'metrics' })).toBe(false);
  });
});
