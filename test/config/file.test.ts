import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { configError, tempDir, writeFile } from './helpers.js';

describe('config file', () => {
  it('loads a JSON file; unset keys keep their defaults', () => {
    const dir = tempDir();
    const file = writeFile(dir, 'c.json', {
      logLevel: 'debug',
      listeners: { mqtt: { port: 1884 }, admin: { port: null } },
      destinations: { autoCreate: false, queueDefaults: { visibilityTimeout: 60 } },
      limits: { maxConnections: 50 },
      ha: { lockPollMs: 250 },
    });
    const c = loadConfig({ file, env: {} });
    expect(c.logLevel).toBe('debug');
    expect(c.listeners.mqtt).toEqual({ port: 1884, tlsPort: 8883 });
    expect(c.listeners.amqp).toEqual({ port: 5672, tlsPort: 5671 });
    expect(c.listeners.admin.port).toBeNull();
    expect(c.destinations).toEqual({ autoCreate: false, queueDefaults: { visibilityTimeout: 60 }, topicDefaults: {}, streamDefaults: {} });
    expect(c.limits.maxConnections).toBe(50);
    expect(c.ha.lockPollMs).toBe(250);
  });

  it('is found through INTERCHANGE_CONFIG, relative to cwd; an explicit file wins over it', () => {
    const dir = tempDir();
    writeFile(dir, 'a.json', { logLevel: 'warn' });
    writeFile(dir, 'b.json', { logLevel: 'error' });
    expect(loadConfig({ env: { INTERCHANGE_CONFIG: 'a.json' }, cwd: dir }).logLevel).toBe('warn');
    expect(loadConfig({ file: 'b.json', env: { INTERCHANGE_CONFIG: 'a.json' }, cwd: dir }).logLevel).toBe('error');
  });

  it('port 0 (pick a free port) and null (disabled) are accepted', () => {
    const file = writeFile(tempDir(), 'c.json', { listeners: { mqtt: { port: 0, tlsPort: null }, stomp: { port: 0 }, ws: { port: null, tlsPort: null } } });
    const c = loadConfig({ file, env: {} });
    expect(c.listeners.mqtt).toEqual({ port: 0, tlsPort: null });
    expect(c.listeners.stomp).toEqual({ port: 0, tlsPort: 61614 });
    expect(c.listeners.ws).toEqual({ port: null, tlsPort: null });
  });

  it('reports a missing file with its absolute path', () => {
    const dir = tempDir();
    const err = configError(() => loadConfig({ file: 'nope.json', env: {}, cwd: dir }));
    expect(err.message).toContain(`cannot read config file ${path.join(dir, 'nope.json')}`);
    expect(err.message).toContain('ENOENT');
  });

  it('names INTERCHANGE_CONFIG when the file came from it', () => {
    const err = configError(() => loadConfig({ env: { INTERCHANGE_CONFIG: '/nonexistent/x.json' } }));
    expect(err.message).toContain('/nonexistent/x.json');
    expect(err.message).toContain('(from env INTERCHANGE_CONFIG)');
  });

  it('reports invalid JSON and a non-object top level', () => {
    const dir = tempDir();
    const bad = writeFile(dir, 'bad.json', '{ "logLevel": ');
    expect(configError(() => loadConfig({ file: bad, env: {} })).message).toMatch(/bad\.json is not valid JSON/);
    const arr = writeFile(dir, 'arr.json', '[1]');
    expect(configError(() => loadConfig({ file: arr, env: {} })).message).toContain('must contain a JSON object, got [1]');
  });

  it('rejects unknown keys at any depth, with a suggestion', () => {
    const file = writeFile(tempDir(), 'c.json', { listeners: { mqt: { port: 1 } }, logLevl: 'info', security: { users: [{ name: 'a', passwordHash: 'x', group: [] }] } });
    const err = configError(() => loadConfig({ file, env: {} }));
    expect(err.issues.map((i) => i.path).sort()).toEqual(['listeners.mqt', 'logLevl', 'security.users[0].group']);
    expect(err.message).toContain(`unknown key listeners.mqt (did you mean listeners.mqtt?) (from file ${file})`);
    expect(err.message).toContain('unknown key logLevl (did you mean logLevel?)');
    expect(err.message).toContain('unknown key security.users[0].group (did you mean security.users[0].groups?)');
  });

  it.each([
    [{ listeners: { mqtt: { port: 'abc' } } }, 'listeners.mqtt.port: expected an integer 0..65535 or null, got "abc"'],
    [{ listeners: { mqtt: { port: 65536 } } }, 'listeners.mqtt.port: expected an integer 0..65535 or null, got 65536'],
    [{ listeners: { amqp: { tlsPort: 1.5 } } }, 'listeners.amqp.tlsPort: expected an integer 0..65535 or null, got 1.5'],
    [{ listeners: { admin: { port: -1 } } }, 'listeners.admin.port: expected an integer 0..65535 or null, got -1'],
    [{ listeners: { host: '' } }, 'listeners.host: expected a non-empty string, got ""'],
    [{ listeners: { mqtt: 1883 } }, 'listeners.mqtt: expected an object, got 1883'],
    [{ dataDir: 5 }, 'dataDir: expected a non-empty string, got 5'],
    [{ logLevel: 'verbose' }, 'logLevel: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "verbose"'],
    [{ store: { type: 'mysql' } }, 'store.type: expected one of "sqlite", "memory", "postgres", got "mysql"'],
    [{ store: { maxBatch: 0 } }, 'store.maxBatch: expected an integer 1..100000, got 0'],
    [{ store: { maxDelayMs: -1 } }, 'store.maxDelayMs: expected an integer 0..60000, got -1'],
    [{ tls: 'yes' }, 'tls: expected an object or null, got "yes"'],
    [{ security: { anonymous: 'sometimes' } }, 'security.anonymous: expected one of "loopback", "never", "always", got "sometimes"'],
    [{ security: { users: {} } }, 'security.users: expected an array, got {}'],
    [{ security: { users: [{ name: 'a' }] } }, 'security.users[0].passwordHash: missing required key'],
    [{ security: { users: [{ name: 'a', passwordHash: 'x', groups: 'admins' }] } }, 'security.users[0].groups: expected an array, got "admins"'],
    [{ security: { users: [{ name: 'a', passwordHash: 'x', groups: [''] }] } }, 'security.users[0].groups[0]: expected a non-empty string, got ""'],
    [{ security: { acl: [{ principal: '*', pattern: '>' }] } }, 'security.acl[0].allow: missing required key'],
    [{ security: { acl: [{ principal: '*', pattern: '>', allow: [] }] } }, 'security.acl[0].allow: expected a non-empty array, got []'],
    [{ security: { acl: [{ principal: '*', pattern: '>', allow: ['delete'] }] } }, 'security.acl[0].allow[0]: expected one of "read", "write", "admin", got "delete"'],
    [{ security: { acl: [{ principal: '*', pattern: '>', allow: ['read'], kinds: ['vhost'] }] } }, 'security.acl[0].kinds[0]: expected one of "queue", "topic", "stream", "exchange", got "vhost"'],
    [{ destinations: { autoCreate: 'yes' } }, 'destinations.autoCreate: expected a boolean (true or false), got "yes"'],
    [{ destinations: { queueDefaults: [] } }, 'destinations.queueDefaults: expected an object, got []'],
    [{ limits: { maxMessageBytes: 0 } }, 'limits.maxMessageBytes: expected an integer 1..2147483647, got 0'],
    [{ limits: { maxHeaders: '10' } }, 'limits.maxHeaders: expected an integer 1..2147483647, got "10"'],
    [{ ha: { lockPollMs: 1 } }, 'ha.lockPollMs: expected an integer 10..600000, got 1'],
  ])('%j → names key, value and expectation', (content, message) => {
    const file = writeFile(tempDir(), 'c.json', content);
    const err = configError(() => loadConfig({ file, env: {} }));
    expect(err.issues).toHaveLength(1);
    expect(err.message).toBe(`invalid configuration: ${message} (from file ${file})`);
  });

  it('reports every problem of a file at once', () => {
    const file = writeFile(tempDir(), 'c.json', { logLevel: 1, listeners: { mqtt: { port: 'x' } }, ha: { lockPollMs: 'y' } });
    const err = configError(() => loadConfig({ file, env: {} }));
    expect(err.issues.map((i) => i.path)).toEqual(['logLevel', 'listeners.mqtt.port', 'ha.lockPollMs']);
    expect(err.message).toMatch(/^invalid configuration: 3 problems:\n {2}- logLevel/);
  });

  it('never echoes secrets in messages', () => {
    const dir = tempDir();
    const tlsFile = writeFile(dir, 't.json', { tls: { cert: 'c', key: 'k', passphrase: 42 } });
    expect(configError(() => loadConfig({ file: tlsFile, env: {} })).message).toContain('tls.passphrase: expected a non-empty string, got a number (value hidden)');
    const file = writeFile(dir, 'c.json', { security: { users: [{ name: 'a', passwordHash: 'hunter2' }] } });
    const err = configError(() => loadConfig({ file, env: {} }));
    expect(err.message).toContain('security.users[0].passwordHash: expected a hash made by "interchange hash-password"');
    expect(err.message).toContain('got a 7-character string (value hidden)');
    expect(err.message).not.toContain('hunter2');
  });
});
