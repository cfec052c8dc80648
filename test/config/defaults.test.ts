import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type Config } from '../../src/config/schema.js';
import { loadConfig, redactConfig } from '../../src/config/load-config.js';
import { BrokerError } from '../../src/core/errors.js';
import { ConfigError } from '../../src/config/errors.js';
import { configError } from './helpers.js';

describe('defaults', () => {
  it('loadConfig with nothing set returns the documented defaults, paths resolved against cwd', () => {
    const cwd = '/srv/broker';
    const config = loadConfig({ env: {}, cwd });
    const expected: Config = {
      dataDir: '/srv/broker/data',
      logLevel: 'info',
      store: { type: 'sqlite', path: '/srv/broker/data/interchange.db', maxBatch: 1000, maxDelayMs: 0 },
      listeners: {
        host: '0.0.0.0',
        mqtt: { port: 1883, tlsPort: 8883 },
        amqp: { port: 5672, tlsPort: 5671 },
        stomp: { port: 61613, tlsPort: 61614 },
        aws: { port: 9324, tlsPort: 9325 },
        ws: { port: 61618, tlsPort: 61619 },
        admin: { port: 8162, host: '0.0.0.0' },
      },
      tls: null,
      security: { users: [], acl: [], anonymous: 'loopback' },
      destinations: { autoCreate: true, queueDefaults: {}, topicDefaults: {}, streamDefaults: {} },
      limits: { maxMessageBytes: 16 * 1024 * 1024, maxConnections: 10000, maxFrameBytes: 16 * 1024 * 1024 + 65536, maxHeaders: 1000, maxHeaderBytes: 65536 },
      ha: { lockPollMs: 500 },
      aws: { region: 'us-east-1', accountId: '000000000000', accessKeys: [] },
    };
    expect(config).toEqual(expected);
  });

  it('uses process.cwd() when no cwd is given', () => {
    expect(loadConfig({ env: {} }).dataDir).toBe(path.resolve(process.cwd(), 'data'));
  });

  it('DEFAULT_CONFIG holds the unresolved defaults and is deeply frozen', () => {
    expect(DEFAULT_CONFIG.dataDir).toBe('./data');
    expect(DEFAULT_CONFIG.listeners.mqtt).toEqual({ port: 1883, tlsPort: 8883 });
    expect(Object.isFrozen(DEFAULT_CONFIG.listeners.mqtt)).toBe(true);
    expect(() => {
      (DEFAULT_CONFIG.listeners.mqtt as { port: number | null }).port = 1;
    }).toThrow(TypeError);
  });

  it('returns a fresh object each time (callers may mutate their copy)', () => {
    const a = loadConfig({ env: {} });
    a.destinations.queueDefaults['x'] = 1;
    a.security.users.push({ name: 'x', passwordHash: 'y', groups: [] });
    const b = loadConfig({ env: {} });
    expect(b.destinations.queueDefaults).toEqual({});
    expect(b.security.users).toEqual([]);
  });

  it('ConfigError is a BrokerError with code CONFIG_INVALID and lists issues', () => {
    const err = configError(() => loadConfig({ env: { INTERCHANGE_LOG_LEVEL: 'loud' } }));
    expect(err).toBeInstanceOf(BrokerError);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.issues).toEqual([
      { path: 'logLevel', source: 'env INTERCHANGE_LOG_LEVEL', message: expect.stringContaining('got "loud"') },
    ]);
    expect(err.message).toBe(
      'invalid configuration: logLevel: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud" (from env INTERCHANGE_LOG_LEVEL)',
    );
  });

  it('redactConfig masks secrets for logging', () => {
    const config = loadConfig({
      env: {},
      overrides: { store: { type: 'postgres', url: 'postgres://app:s3cret@db:5432/mq' } },
    });
    config.security.users.push({ name: 'alice', passwordHash: 'scrypt$...', groups: [] });
    const safe = JSON.stringify(redactConfig(config));
    expect(safe).not.toContain('s3cret');
    expect(safe).not.toContain('scrypt$');
    expect(safe).toContain('postgres://app:***@db:5432/mq');
    expect(config.security.users[0]!.passwordHash).toBe('scrypt$...'); // original untouched
  });
});
