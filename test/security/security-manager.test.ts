import { beforeAll, describe, expect, it } from 'vitest';
import type { UserConfig } from '../../src/config/schema.js';
import { BrokerError, isBrokerError } from '../../src/core/errors.js';
import { verifyPassword } from '../../src/security/password-hash.js';
import { isLoopbackAddress, type Principal, SecurityManager } from '../../src/security/security-manager.js';
import { acl, captureLogger, security, user, WARN } from './helpers.js';

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return isBrokerError(err) ? err.code : `OTHER: ${String(err)}`;
  }
  return undefined;
}

let alice: UserConfig;
let bob: UserConfig;
let carol: UserConfig;
beforeAll(async () => {
  [alice, bob, carol] = await Promise.all([user('alice', 'alice-pw', ['ops']), user('bob', 'bob-pw', ['dev', 'ops']), user('carol', 'carol-pw')]);
});

describe('isLoopbackAddress', () => {
  it.each([
    ['127.0.0.1', true], ['127.255.3.4', true], ['::1', true], ['::ffff:127.0.0.1', true], ['::ffff:127.1.2.3', true],
    ['0:0:0:0:0:0:0:1', true], ['::ffff:7f00:1', true], ['::1%lo0', true],
    ['128.0.0.1', false], ['10.0.0.1', false], ['::ffff:10.0.0.1', false], ['::2', false], ['fe80::1', false],
    ['localhost', false], ['', false], [null, false], [undefined, false], ['1127.0.0.1', false],
  ])('%j → %s', (addr, expected) => {
    expect(isLoopbackAddress(addr)).toBe(expected);
  });
});

describe('authentication', () => {
  it('anonymous by mode and remote address (no users)', async () => {
    const loopback = new SecurityManager(security([], [], 'loopback'));
    await expect(loopback.authenticate({ remoteAddress: '127.0.0.1' })).resolves.toEqual({ name: 'anonymous', anonymous: true, groups: [] });
    await expect(loopback.authenticate({ remoteAddress: '::ffff:127.0.0.1' })).resolves.toMatchObject({ anonymous: true });
    await expect(loopback.authenticate({ username: '', remoteAddress: '::1' })).resolves.toMatchObject({ anonymous: true });
    expect(await code(loopback.authenticate({ remoteAddress: '10.1.2.3' }))).toBe('UNAUTHENTICATED');
    expect(await code(loopback.authenticate({ remoteAddress: null }))).toBe('UNAUTHENTICATED');
    expect(await code(loopback.authenticate({}))).toBe('UNAUTHENTICATED');

    const always = new SecurityManager(security([], [], 'always'));
    await expect(always.authenticate({ remoteAddress: '203.0.113.9' })).resolves.toMatchObject({ anonymous: true });
    await expect(always.authenticate({})).resolves.toMatchObject({ anonymous: true });

    const never = new SecurityManager(security([], [], 'never'));
    expect(await code(never.authenticate({ remoteAddress: '127.0.0.1' }))).toBe('UNAUTHENTICATED');
  });

  it('with no users, credentials are ignored and the anonymous rules apply', async () => {
    const sm = new SecurityManager(security([], [], 'loopback'));
    await expect(sm.authenticate({ username: 'guest', password: 'guest', remoteAddress: '127.0.0.1' })).resolves.toMatchObject({ name: 'anonymous', anonymous: true });
    expect(await code(sm.authenticate({ username: 'guest', password: 'guest', remoteAddress: '10.0.0.1' }))).toBe('UNAUTHENTICATED');
  });

  it('users: right password → principal with groups; wrong password and unknown user fail alike', async () => {
    const sm = new SecurityManager(security([alice, bob]));
    await expect(sm.authenticate({ username: 'bob', password: 'bob-pw', remoteAddress: '10.0.0.1' })).resolves.toEqual({ name: 'bob', anonymous: false, groups: ['dev', 'ops'] });
    const wrong = await sm.authenticate({ username: 'bob', password: 'alice-pw' }).catch((e: unknown) => e);
    const unknown = await sm.authenticate({ username: 'mallory', password: 'bob-pw' }).catch((e: unknown) => e);
    const noPassword = await sm.authenticate({ username: 'bob', password: null }).catch((e: unknown) => e);
    for (const err of [wrong, unknown, noPassword]) {
      expect(err).toBeInstanceOf(BrokerError);
      expect((err as BrokerError).code).toBe('UNAUTHENTICATED');
      expect((err as BrokerError).message).toBe('authentication failed: bad username or password');
    }
  });

  it('users configured and anonymous "never": no username is rejected even from loopback', async () => {
    const sm = new SecurityManager(security([alice]));
    const err = (await sm.authenticate({ remoteAddress: '127.0.0.1' }).catch((e: unknown) => e)) as BrokerError;
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(err.message).toBe('authentication failed: credentials required');
  });

  it('users configured and anonymous "always" / "loopback"', async () => {
    const always = new SecurityManager(security([alice], [], 'always'));
    await expect(always.authenticate({ remoteAddress: '198.51.100.1' })).resolves.toMatchObject({ anonymous: true });
    const loop = new SecurityManager(security([alice], [], 'loopback'));
    await expect(loop.authenticate({ remoteAddress: '127.0.0.1' })).resolves.toMatchObject({ anonymous: true });
    expect(await code(loop.authenticate({ remoteAddress: '198.51.100.1' }))).toBe('UNAUTHENTICATED');
    // A username still means password authentication.
    expect(await code(loop.authenticate({ username: 'alice', password: 'nope', remoteAddress: '127.0.0.1' }))).toBe('UNAUTHENTICATED');
  });

  it('unknown users cost a scrypt verification too (no timing oracle)', async () => {
    const calls: string[] = [];
    const sm = new SecurityManager(security([alice]), undefined, {
      verify: async (pw, encoded) => {
        calls.push(encoded);
        return verifyPassword(pw, encoded);
      },
    });
    expect(await code(sm.authenticate({ username: 'nobody', password: 'x' }))).toBe('UNAUTHENTICATED');
    expect(calls).toHaveLength(1);
    expect(calls[0]).not.toBe(alice.passwordHash);
    // Same cost parameters as the real users' hashes.
    expect(calls[0]!.split('$').slice(0, 4)).toEqual(alice.passwordHash.split('$').slice(0, 4));
  });

  it('caches successful verifications for the TTL only, never failures, never for another password', async () => {
    let now = 1_000_000;
    let verifications = 0;
    const sm = new SecurityManager(security([alice]), undefined, {
      now: () => now,
      verify: async (pw, encoded) => {
        verifications++;
        return verifyPassword(pw, encoded);
      },
    });
    const login = (password: string) => sm.authenticate({ username: 'alice', password });
    await login('alice-pw');
    await login('alice-pw');
    now += 59_000;
    await expect(login('alice-pw')).resolves.toMatchObject({ name: 'alice', groups: ['ops'] });
    expect(verifications).toBe(1);
    expect(await code(login('wrong'))).toBe('UNAUTHENTICATED');
    expect(await code(login('wrong'))).toBe('UNAUTHENTICATED');
    expect(verifications).toBe(3);
    now += 1_001; // 60 s after the first success
    await login('alice-pw');
    expect(verifications).toBe(4);
  });

  it('cache can be disabled and is bounded', async () => {
    let verifications = 0;
    const counting = { verify: async (pw: string, e: string) => (verifications++, verifyPassword(pw, e)) };
    const off = new SecurityManager(security([alice]), undefined, { ...counting, cacheTtlMs: 0 });
    await off.authenticate({ username: 'alice', password: 'alice-pw' });
    await off.authenticate({ username: 'alice', password: 'alice-pw' });
    expect(verifications).toBe(2);

    verifications = 0;
    const small = new SecurityManager(security([alice, bob]), undefined, { ...counting, maxCacheEntries: 1 });
    await small.authenticate({ username: 'alice', password: 'alice-pw' });
    await small.authenticate({ username: 'bob', password: 'bob-pw' }); // evicts alice
    await small.authenticate({ username: 'bob', password: 'bob-pw' });
    await small.authenticate({ username: 'alice', password: 'alice-pw' });
    expect(verifications).toBe(3);
  });

  it('rejects malformed hashes and duplicate users at construction', () => {
    expect(() => new SecurityManager(security([{ name: 'x', passwordHash: 'plain', groups: [] }]))).toThrow(/CONFIG|invalid configuration: security.users\[0\].passwordHash/);
    expect(() => new SecurityManager(security([alice, alice]))).toThrow(/duplicate user alice/);
  });
});

describe('authorization', () => {
  const anon: Principal = { name: 'anonymous', anonymous: true, groups: [] };
  const p = (u: UserConfig): Principal => ({ name: u.name, anonymous: false, groups: [...u.groups] });
  const q = (name: string) => ({ kind: 'queue' as const, name });
  const t = (name: string) => ({ kind: 'topic' as const, name });
  const s = (name: string) => ({ kind: 'stream' as const, name });

  it('no users, no ACL: anonymous may do everything', () => {
    const sm = new SecurityManager(security([]));
    for (const perm of ['read', 'write', 'admin'] as const) {
      for (const addr of [q('a'), t('a.b.>'), s('x')]) expect(sm.authorize(anon, perm, addr)).toBe(true);
    }
    expect(sm.isAdmin(anon)).toBe(true);
  });

  it('no users but ACL entries: the * entries bind anonymous clients', () => {
    const sm = new SecurityManager(security([], [acl('*', 'public.>', ['read'])]));
    expect(sm.authorize(anon, 'read', t('public.news'))).toBe(true);
    expect(sm.authorize(anon, 'write', t('public.news'))).toBe(false);
    expect(sm.authorize(anon, 'read', t('private'))).toBe(false);
    expect(sm.isAdmin(anon)).toBe(false);
  });

  it('users but no ACL: configured users may do everything, anonymous nothing', () => {
    const sm = new SecurityManager(security([alice], [], 'always'));
    expect(sm.authorize(p(alice), 'admin', q('anything'))).toBe(true);
    expect(sm.authorize(p(alice), 'write', s('x.y'))).toBe(true);
    expect(sm.isAdmin(p(alice))).toBe(true);
    expect(sm.authorize(anon, 'read', q('anything'))).toBe(false);
    expect(sm.isAdmin(anon)).toBe(false);
  });

  describe('ACL matrix', () => {
    let sm: SecurityManager;
    beforeAll(() => {
      sm = new SecurityManager(
        security(
          [alice, bob, carol],
          [
            acl('alice', 'orders.>', ['write'], ['queue']),
            acl('group:ops', 'metrics.*', ['read'], ['topic']),
            acl('group:dev', 'dev.>', ['admin']),
            acl('*', 'public.>', ['read'], ['topic', 'stream']),
            acl('carol', '>', ['admin']),
          ],
          'always',
        ),
      );
    });

    it.each([
      // user entries
      ['alice', 'write', 'queue', 'orders.eu', true],
      ['alice', 'write', 'queue', 'orders', false], // > needs at least one more level
      ['alice', 'read', 'queue', 'orders.eu', false], // write does not imply read
      ['alice', 'write', 'topic', 'orders.eu', false], // kind not listed
      ['bob', 'write', 'queue', 'orders.eu', false], // entry is alice's
      // group entries
      ['alice', 'read', 'topic', 'metrics.cpu', true],
      ['bob', 'read', 'topic', 'metrics.cpu', true],
      ['carol', 'read', 'topic', 'metrics.cpu', true], // via carol's own admin entry
      ['alice', 'read', 'topic', 'metrics.cpu.core0', false], // * = one level
      ['alice', 'read', 'topic', 'metrics.*', true], // subscription covered
      ['alice', 'read', 'topic', 'metrics.>', false], // subscription wider than the grant
      ['alice', 'read', 'queue', 'dev.x', false], // alice is not in dev
      // admin implies read and write, all kinds by default
      ['bob', 'read', 'queue', 'dev.x', true],
      ['bob', 'write', 'stream', 'dev.x.y', true],
      ['bob', 'admin', 'topic', 'dev.x', true],
      ['bob', 'admin', 'topic', 'prod.x', false],
      // * entries apply to everyone, anonymous included
      ['alice', 'read', 'topic', 'public.news', true],
      ['anonymous', 'read', 'stream', 'public.feed', true],
      ['anonymous', 'read', 'queue', 'public.feed', false],
      ['anonymous', 'write', 'topic', 'public.news', false],
      ['anonymous', 'read', 'topic', 'metrics.cpu', false],
    ] as const)('%s %s %s %s → %s', (who, perm, kind, name, expected) => {
      const principal = who === 'anonymous' ? anon : p({ alice, bob, carol }[who]);
      expect(sm.authorize(principal, perm, { kind, name })).toBe(expected);
    });

    it('isAdmin needs admin on > for every kind', () => {
      expect(sm.isAdmin(p(carol))).toBe(true);
      expect(sm.isAdmin(p(bob))).toBe(false); // admin on dev.> only
      expect(sm.isAdmin(p(alice))).toBe(false);
      expect(sm.isAdmin(anon)).toBe(false);
      const partial = new SecurityManager(security([alice], [acl('alice', '>', ['admin'], ['queue', 'topic'])]));
      expect(partial.isAdmin(p(alice))).toBe(false);
      const split = new SecurityManager(security([alice], [acl('alice', '>', ['admin'], ['queue', 'topic']), acl('group:ops', '>', ['admin'], ['stream'])]));
      expect(split.isAdmin(p(alice))).toBe(true);
    });

    it('assertAuthorized throws FORBIDDEN naming who, what and where', () => {
      expect(() => sm.assertAuthorized(p(alice), 'write', q('orders.eu'))).not.toThrow();
      const err = (() => {
        try {
          sm.assertAuthorized(p(alice), 'write', t('x'));
        } catch (e) {
          return e as BrokerError;
        }
        throw new Error('expected FORBIDDEN');
      })();
      expect(err.code).toBe('FORBIDDEN');
      expect(err.status).toBe(403);
      expect(err.message).toBe('not authorized: user alice may not write topic x');
      expect(() => sm.assertAuthorized(anon, 'read', s('secret'))).toThrow('not authorized: anonymous client may not read stream secret');
    });
  });
});

describe('construction logs', () => {
  it('warns once when anonymous access is enabled', () => {
    const { logger, lines } = captureLogger();
    const sm = new SecurityManager(security([], [], 'loopback'), logger);
    expect(lines.filter((l) => l.level === WARN && /anonymous access is enabled for clients on loopback/.test(l.msg))).toHaveLength(1);
    void sm.authenticate({ remoteAddress: '127.0.0.1' });
    void sm.authenticate({ remoteAddress: '127.0.0.1' });
    expect(lines.filter((l) => /anonymous access/.test(l.msg))).toHaveLength(1);

    const always = captureLogger();
    new SecurityManager(security([], [], 'always'), always.logger);
    expect(always.lines.filter((l) => l.level === WARN && /from any address/.test(l.msg))).toHaveLength(1);

    const never = captureLogger();
    new SecurityManager(security([alice], [acl('alice', '>', ['admin'])], 'never'), never.logger);
    expect(never.lines).toEqual([]);
  });

  it('warns when users have no ACL (full access), when nobody can connect, and about ACL names that match nobody', () => {
    const noAcl = captureLogger();
    new SecurityManager(security([alice]), noAcl.logger);
    expect(noAcl.lines.map((l) => l.msg)).toEqual(['no ACL entries configured: every configured user may read, write and administer every destination']);

    const nobody = captureLogger();
    new SecurityManager(security([], [], 'never'), nobody.logger);
    expect(nobody.lines.map((l) => l.msg)).toEqual(['no users are configured and security.anonymous is "never": no client can connect']);

    const typos = captureLogger();
    new SecurityManager(security([alice], [acl('alcie', '>', ['read']), acl('group:opz', '>', ['read']), acl('group:ops', '>', ['read'])]), typos.logger);
    expect(typos.lines.map((l) => [l.msg, l['principal']])).toEqual([
      ['ACL entry names a user that is not configured', 'alcie'],
      ['ACL entry names a group no configured user is in', 'group:opz'],
    ]);
  });
});
