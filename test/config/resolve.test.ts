import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../src/config/cli-args.js';
import { loadConfig } from '../../src/config/load-config.js';
import { hashPassword } from '../../src/security/password-hash.js';
import { configError, tempDir, writeFile } from './helpers.js';

const cli = (...argv: string[]) => parseCliArgs(['start', ...argv]).overrides;

describe('derived defaults and paths', () => {
  it('store.path follows dataDir unless set explicitly', () => {
    expect(loadConfig({ env: {}, overrides: cli('--data-dir', '/var/ic') }).store).toMatchObject({ type: 'sqlite', path: '/var/ic/interchange.db' });
    const file = writeFile(tempDir(), 'c.json', { dataDir: '/from/file' });
    expect(loadConfig({ file, env: {}, overrides: cli('--data-dir', '/from/cli') }).store).toMatchObject({ path: '/from/cli/interchange.db' });
    expect(loadConfig({ env: {}, overrides: cli('--data-dir', '/var/ic', '--store-path', '/elsewhere/db.sqlite') }).store).toMatchObject({ path: '/elsewhere/db.sqlite' });
    const file2 = writeFile(tempDir(), 'c.json', { store: { path: '/pinned.db' } });
    expect(loadConfig({ file: file2, env: { INTERCHANGE_DATA_DIR: '/x' } }).store).toMatchObject({ path: '/pinned.db' });
  });

  it('relative dataDir, store.path and TLS files resolve against cwd, not the config file directory', () => {
    const dir = tempDir();
    const sub = path.join(dir, 'etc');
    writeFile(dir, 'cert.pem', 'x');
    writeFile(dir, 'key.pem', 'x');
    writeFile(dir, 'ca.pem', 'x');
    mkdirSync(sub);
    const file = writeFile(sub, 'c.json', { dataDir: 'var', tls: { cert: 'cert.pem', key: 'key.pem', ca: 'ca.pem' } });
    const c = loadConfig({ file, env: {}, cwd: dir });
    expect(c.dataDir).toBe(path.join(dir, 'var'));
    expect(c.store).toMatchObject({ path: path.join(dir, 'var', 'interchange.db') });
    expect(c.tls).toEqual({ cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem'), ca: path.join(dir, 'ca.pem') });
    expect(loadConfig({ env: {}, cwd: dir, overrides: cli('--store-path', 'x.db') }).store).toMatchObject({ path: path.join(dir, 'x.db') });
  });

  it('sqlite ":memory:" is passed through unresolved', () => {
    expect(loadConfig({ env: {}, overrides: cli('--store-path', ':memory:') }).store).toMatchObject({ path: ':memory:' });
  });

  it('admin host follows listeners.host unless set', () => {
    expect(loadConfig({ env: {}, overrides: cli('--host', '127.0.0.1') }).listeners.admin).toEqual({ port: 8162, host: '127.0.0.1' });
    expect(loadConfig({ env: {}, overrides: cli('--host', '127.0.0.1', '--admin-host', '10.0.0.1') }).listeners.admin.host).toBe('10.0.0.1');
  });

  it('maxFrameBytes follows maxMessageBytes unless set, and may not be smaller', () => {
    expect(loadConfig({ env: { INTERCHANGE_LIMITS_MAX_MESSAGE_BYTES: '1000' } }).limits.maxFrameBytes).toBe(1000 + 65536);
    expect(loadConfig({ env: { INTERCHANGE_LIMITS_MAX_FRAME_BYTES: '20000000' } }).limits.maxFrameBytes).toBe(20_000_000);
    const err = configError(() => loadConfig({ env: { INTERCHANGE_LIMITS_MAX_FRAME_BYTES: '5000', INTERCHANGE_LIMITS_MAX_MESSAGE_BYTES: '6000' } }));
    expect(err.message).toBe('invalid configuration: limits.maxFrameBytes: must be at least limits.maxMessageBytes (6000), got 5000 (from env INTERCHANGE_LIMITS_MAX_FRAME_BYTES)');
  });

  it('security.anonymous defaults to loopback without users and never with users', async () => {
    const hash = await hashPassword('pw', { N: 1024 });
    expect(loadConfig({ env: {} }).security.anonymous).toBe('loopback');
    const file = writeFile(tempDir(), 'c.json', { security: { users: [{ name: 'alice', passwordHash: hash }] } });
    const c = loadConfig({ file, env: {} });
    expect(c.security.anonymous).toBe('never');
    expect(c.security.users).toEqual([{ name: 'alice', passwordHash: hash, groups: [] }]);
    expect(loadConfig({ file, env: { INTERCHANGE_SECURITY_ANONYMOUS: 'always' } }).security.anonymous).toBe('always');
  });
});

describe('store', () => {
  it('memory store has only a type; postgres needs a url', () => {
    expect(loadConfig({ env: {}, overrides: cli('--store', 'memory') }).store).toEqual({ type: 'memory' });
    expect(loadConfig({ env: {}, overrides: cli('--store', 'postgres', '--store-url', 'postgresql://h/db') }).store).toEqual({
      type: 'postgres', url: 'postgresql://h/db', maxBatch: 1000, maxDelayMs: 0,
    });
    const err = configError(() => loadConfig({ env: {}, overrides: cli('--store', 'postgres') }));
    expect(err.message).toBe('invalid configuration: store.url: required because store.type is "postgres" (set by --store)');
  });

  it('rejects a url that is not a postgres URL, hiding its password', () => {
    const err = configError(() => loadConfig({ env: {}, overrides: cli('--store', 'postgres', '--store-url', 'mysql://u:pw@h/db') }));
    expect(err.message).toBe('invalid configuration: store.url: expected a URL postgres://user:password@host:port/database, got "mysql://u:***@h/db" (from --store-url)');
  });

  it('keys of another store type in the same source are errors naming both keys', () => {
    const file = writeFile(tempDir(), 'c.json', { store: { type: 'memory', path: '/x.db' } });
    const err = configError(() => loadConfig({ file, env: {} }));
    expect(err.message).toBe(`invalid configuration: store.path: only valid when store.type is "sqlite", but store.type is "memory" (set by file ${file}) (from file ${file})`);
    const err2 = configError(() => loadConfig({ env: { INTERCHANGE_STORE_URL: 'postgres://h/db' } }));
    expect(err2.message).toBe('invalid configuration: store.url: only valid when store.type is "postgres", but store.type is "sqlite" (default) (from env INTERCHANGE_STORE_URL)');
  });

  it('a higher layer choosing another store type drops the lower layer\'s store keys', () => {
    const file = writeFile(tempDir(), 'c.json', { store: { type: 'sqlite', path: '/x.db', maxBatch: 10 } });
    expect(loadConfig({ file, env: {}, overrides: cli('--store', 'memory') }).store).toEqual({ type: 'memory' });
    expect(loadConfig({ file, env: { INTERCHANGE_STORE_TYPE: 'postgres', INTERCHANGE_STORE_URL: 'postgres://h/db' } }).store).toEqual({
      type: 'postgres', url: 'postgres://h/db', maxBatch: 1000, maxDelayMs: 0,
    });
    // Same type: keys merge.
    expect(loadConfig({ file, env: { INTERCHANGE_STORE_TYPE: 'sqlite' } }).store).toEqual({ type: 'sqlite', path: '/x.db', maxBatch: 10, maxDelayMs: 0 });
    // A lower layer without an explicit type keeps its keys for a higher layer's type.
    const urlOnly = writeFile(tempDir(), 'c.json', { store: { url: 'postgres://h/db' } });
    expect(loadConfig({ file: urlOnly, env: {}, overrides: cli('--store', 'postgres') }).store).toMatchObject({ type: 'postgres', url: 'postgres://h/db' });
  });
});

describe('TLS', () => {
  it('is null unless configured', () => {
    expect(loadConfig({ env: {} }).tls).toBeNull();
  });

  it('a missing file is an error naming the key, the resolved path and the source', () => {
    const dir = tempDir();
    writeFile(dir, 'cert.pem', 'x');
    const file = writeFile(dir, 'c.json', { tls: { cert: 'cert.pem', key: 'missing-key.pem' } });
    const err = configError(() => loadConfig({ file, env: {}, cwd: dir }));
    expect(err.message).toBe(`invalid configuration: tls.key: cannot read file "${path.join(dir, 'missing-key.pem')}": no such file (ENOENT) (from file ${file})`);
  });

  it('a directory or unreadable file is an error', () => {
    const dir = tempDir();
    writeFile(dir, 'cert.pem', 'x');
    const key = writeFile(dir, 'key.pem', 'x');
    expect(configError(() => loadConfig({ env: {}, overrides: cli('--tls-cert', dir, '--tls-key', key) })).message).toContain(`tls.cert: cannot read file "${dir}": not a regular file (from --tls-cert)`);
    if (process.getuid?.() !== 0) {
      chmodSync(key, 0o000);
      expect(configError(() => loadConfig({ env: {}, cwd: dir, overrides: cli('--tls-cert', 'cert.pem', '--tls-key', 'key.pem') })).message).toContain('tls.key: cannot read file');
    }
  });

  it('cert and key are both required', () => {
    const dir = tempDir();
    writeFile(dir, 'cert.pem', 'x');
    const err = configError(() => loadConfig({ env: {}, cwd: dir, overrides: cli('--tls-cert', 'cert.pem') }));
    expect(err.message).toBe('invalid configuration: tls.key: required when tls is set (TLS listeners need both tls.cert and tls.key; tls.cert is set by --tls-cert)');
  });
});

describe('cross-key checks', () => {
  it('two listeners on one port are an error naming both keys', () => {
    const err = configError(() => loadConfig({ env: {}, overrides: cli('--amqp-port', '1883') }));
    expect(err.message).toBe('invalid configuration: listeners.amqp.port: port 1883 is also used by listeners.mqtt.port (from --amqp-port)');
  });

  it('port 0 never clashes; TLS ports count only with TLS; admin on another host does not clash', () => {
    expect(() => loadConfig({ env: {}, overrides: cli('--mqtt-port', '0', '--amqp-port', '0') })).not.toThrow();
    expect(() => loadConfig({ env: {}, overrides: cli('--mqtt-port', '8883') })).not.toThrow();
    expect(() => loadConfig({ env: {}, overrides: cli('--host', '10.0.0.1', '--admin-host', '127.0.0.1', '--admin-port', '1883') })).not.toThrow();
    expect(configError(() => loadConfig({ env: {}, overrides: cli('--admin-port', '1883') })).message).toContain('listeners.admin.port: port 1883 is also used by listeners.mqtt.port');
    const dir = tempDir();
    writeFile(dir, 'c.pem', 'x');
    writeFile(dir, 'k.pem', 'x');
    expect(configError(() => loadConfig({ env: {}, cwd: dir, overrides: cli('--mqtt-port', '8883', '--tls-cert', 'c.pem', '--tls-key', 'k.pem') })).message).toContain(
      'listeners.mqtt.tlsPort: port 8883 is also used by listeners.mqtt.port',
    );
  });

  it('password hashes are checked at load time', async () => {
    const good = await hashPassword('pw', { N: 1024 });
    const file = writeFile(tempDir(), 'c.json', {
      security: { users: [{ name: 'alice', passwordHash: good }, { name: 'bob', passwordHash: 'scrypt$16384$8$1$AAAA$BBBB' }, { name: 'alice', passwordHash: good }] },
    });
    const err = configError(() => loadConfig({ file, env: {} }));
    expect(err.issues.map((i) => i.path)).toEqual(['security.users[1].passwordHash', 'security.users[2].name']);
    expect(err.message).toContain('security.users[1].passwordHash: expected a hash made by "interchange hash-password" (salt must be at least 8 bytes), got a 26-character string (value hidden)');
    expect(err.message).toContain('security.users[2].name: duplicate user "alice" (also security.users[0])');
  });

  it('user names may not look like ACL principals', async () => {
    const good = await hashPassword('pw', { N: 1024 });
    const file = writeFile(tempDir(), 'c.json', { security: { users: [{ name: '*', passwordHash: good }, { name: 'group:x', passwordHash: good }] } });
    const err = configError(() => loadConfig({ file, env: {} }));
    expect(err.issues.map((i) => i.path)).toEqual(['security.users[0].name', 'security.users[1].name']);
  });

  it('ACL patterns and principals are validated', () => {
    const file = writeFile(tempDir(), 'c.json', {
      security: {
        acl: [
          { principal: '*', pattern: 'a.>.b', allow: ['read'] },
          { principal: 'group:', pattern: 'a', allow: ['read'] },
          { principal: 'bob', pattern: 'a..b', allow: ['read'] },
          { principal: 'bob', pattern: 'ok.*', allow: ['read'], kinds: ['topic'] },
        ],
      },
    });
    const err = configError(() => loadConfig({ file, env: {} }));
    expect(err.issues.map((i) => i.path)).toEqual(['security.acl[0].pattern', 'security.acl[1].principal', 'security.acl[2].pattern']);
    expect(err.message).toContain('security.acl[0].pattern: expected a name pattern');
    expect(err.message).toContain('got "a.>.b"');
    expect(err.message).toContain('security.acl[1].principal: expected a user name, "group:NAME" or "*", got "group:"');
  });
});
