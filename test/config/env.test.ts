import { describe, expect, it } from 'vitest';
import { ENV_VARS, envVarFor } from '../../src/config/env-overrides.js';
import { loadConfig } from '../../src/config/load-config.js';
import { configError, tempDir, writeFile } from './helpers.js';

describe('environment overrides', () => {
  it('maps key paths to upper-snake variable names', () => {
    expect(envVarFor('listeners.mqtt.tlsPort')).toBe('INTERCHANGE_LISTENERS_MQTT_TLS_PORT');
    expect(envVarFor('limits.maxMessageBytes')).toBe('INTERCHANGE_LIMITS_MAX_MESSAGE_BYTES');
    for (const name of [
      'INTERCHANGE_LISTENERS_MQTT_PORT', 'INTERCHANGE_LISTENERS_MQTT_TLS_PORT', 'INTERCHANGE_DATA_DIR', 'INTERCHANGE_LOG_LEVEL',
      'INTERCHANGE_STORE_TYPE', 'INTERCHANGE_STORE_URL', 'INTERCHANGE_LIMITS_MAX_MESSAGE_BYTES', 'INTERCHANGE_TLS',
      'INTERCHANGE_TLS_CERT', 'INTERCHANGE_SECURITY_USERS', 'INTERCHANGE_SECURITY_ACL', 'INTERCHANGE_HA_LOCK_POLL_MS',
      'INTERCHANGE_LISTENERS_ADMIN_HOST', 'INTERCHANGE_DESTINATIONS_QUEUE_DEFAULTS',
    ]) {
      expect(ENV_VARS.has(name), name).toBe(true);
    }
    expect(ENV_VARS.has('INTERCHANGE_LISTENERS')).toBe(false); // plain sections are not settable as a whole
    expect(ENV_VARS.has('INTERCHANGE_CONFIG')).toBe(false);
  });

  it('parses values by the target type', () => {
    const c = loadConfig({
      env: {
        INTERCHANGE_LISTENERS_MQTT_PORT: '1884',
        INTERCHANGE_LISTENERS_MQTT_TLS_PORT: 'off',
        INTERCHANGE_LISTENERS_AMQP_TLS_PORT: 'NONE',
        INTERCHANGE_LISTENERS_STOMP_PORT: 'null',
        INTERCHANGE_LISTENERS_WS_PORT: '0',
        INTERCHANGE_DATA_DIR: '/var/lib/ic',
        INTERCHANGE_LOG_LEVEL: 'warn',
        INTERCHANGE_LIMITS_MAX_MESSAGE_BYTES: '1048576',
        INTERCHANGE_DESTINATIONS_AUTO_CREATE: 'false',
        INTERCHANGE_DESTINATIONS_TOPIC_DEFAULTS: '{"fifo":false}',
        INTERCHANGE_SECURITY_ANONYMOUS: 'always',
        INTERCHANGE_SECURITY_ACL: '[{"principal":"*","pattern":"public.>","allow":["read"]}]',
      },
    });
    expect(c.listeners.mqtt).toEqual({ port: 1884, tlsPort: null });
    expect(c.listeners.amqp.tlsPort).toBeNull();
    expect(c.listeners.stomp.port).toBeNull();
    expect(c.listeners.ws.port).toBe(0);
    expect(c.dataDir).toBe('/var/lib/ic');
    expect(c.store).toEqual({ type: 'sqlite', path: '/var/lib/ic/interchange.db', maxBatch: 1000, maxDelayMs: 0 });
    expect(c.logLevel).toBe('warn');
    expect(c.limits.maxMessageBytes).toBe(1048576);
    expect(c.limits.maxFrameBytes).toBe(1048576 + 65536);
    expect(c.destinations.autoCreate).toBe(false);
    expect(c.destinations.topicDefaults).toEqual({ fifo: false });
    expect(c.security.anonymous).toBe('always');
    expect(c.security.acl).toEqual([{ principal: '*', pattern: 'public.>', allow: ['read'], kinds: ['queue', 'topic', 'stream', 'exchange'] }]);
  });

  it('store type and url from the environment', () => {
    const c = loadConfig({ env: { INTERCHANGE_STORE_TYPE: 'postgres', INTERCHANGE_STORE_URL: 'postgres://u:p@db/mq' } });
    expect(c.store).toEqual({ type: 'postgres', url: 'postgres://u:p@db/mq', maxBatch: 1000, maxDelayMs: 0 });
  });

  it('overrides the file, key by key', () => {
    const file = writeFile(tempDir(), 'c.json', { logLevel: 'debug', listeners: { mqtt: { port: 1000, tlsPort: 1001 } } });
    const c = loadConfig({ file, env: { INTERCHANGE_LISTENERS_MQTT_PORT: '2000' } });
    expect(c.logLevel).toBe('debug');
    expect(c.listeners.mqtt).toEqual({ port: 2000, tlsPort: 1001 });
  });

  it('INTERCHANGE_TLS=off disables TLS set in the file', () => {
    const dir = tempDir();
    const cert = writeFile(dir, 'cert.pem', 'x');
    const key = writeFile(dir, 'key.pem', 'x');
    const file = writeFile(dir, 'c.json', { tls: { cert, key } });
    expect(loadConfig({ file, env: {} }).tls).toEqual({ cert, key });
    expect(loadConfig({ file, env: { INTERCHANGE_TLS: 'off' } }).tls).toBeNull();
  });

  it('TLS files from variables', () => {
    const dir = tempDir();
    writeFile(dir, 'cert.pem', 'x');
    writeFile(dir, 'key.pem', 'x');
    const c = loadConfig({ cwd: dir, env: { INTERCHANGE_TLS_CERT: 'cert.pem', INTERCHANGE_TLS_KEY: 'key.pem', INTERCHANGE_TLS_PASSPHRASE: 'pw' } });
    expect(c.tls).toEqual({ cert: `${dir}/cert.pem`, key: `${dir}/key.pem`, passphrase: 'pw' });
  });

  it('setting a child of a section turned off in the same environment is an error', () => {
    const err = configError(() => loadConfig({ env: { INTERCHANGE_TLS: 'off', INTERCHANGE_TLS_CERT: 'c.pem' } }));
    expect(err.message).toContain('tls.cert: cannot be set because tls is set to off by env INTERCHANGE_TLS (from env INTERCHANGE_TLS_CERT)');
  });

  it('an INTERCHANGE_ variable that maps to no key is an error, with a suggestion', () => {
    const err = configError(() => loadConfig({ env: { INTERCHANGE_LISTENERS_MQT_PORT: '1', INTERCHANGE_FOO: 'x', PATH: '/bin' } }));
    expect(err.issues).toHaveLength(2);
    expect(err.message).toContain('unknown environment variable INTERCHANGE_LISTENERS_MQT_PORT (did you mean INTERCHANGE_LISTENERS_MQTT_PORT?)');
    expect(err.message).toContain('unknown environment variable INTERCHANGE_FOO;');
  });

  it('INTERCHANGE_CONFIG is not an override', () => {
    const file = writeFile(tempDir(), 'c.json', {});
    expect(loadConfig({ env: { INTERCHANGE_CONFIG: file } }).logLevel).toBe('info');
  });

  it.each([
    ['INTERCHANGE_LISTENERS_MQTT_PORT', 'abc', 'listeners.mqtt.port: expected an integer 0..65535 or off, got "abc"'],
    ['INTERCHANGE_LISTENERS_MQTT_PORT', '1e3', 'listeners.mqtt.port: expected an integer 0..65535 or off, got "1e3"'],
    ['INTERCHANGE_LISTENERS_MQTT_PORT', '70000', 'listeners.mqtt.port: expected an integer 0..65535 or off, got "70000"'],
    ['INTERCHANGE_LIMITS_MAX_MESSAGE_BYTES', 'off', 'limits.maxMessageBytes: expected an integer 1..2147483647, got "off"'],
    ['INTERCHANGE_LOG_LEVEL', 'loud', 'logLevel: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"'],
    ['INTERCHANGE_DATA_DIR', '', 'dataDir: expected a non-empty string, got ""'],
    ['INTERCHANGE_DESTINATIONS_AUTO_CREATE', 'maybe', 'destinations.autoCreate: expected true or false, got "maybe"'],
    ['INTERCHANGE_STORE_TYPE', 'redis', 'store.type: expected one of "sqlite", "memory", "postgres", got "redis"'],
    ['INTERCHANGE_SECURITY_USERS', '{', 'security.users: expected an array (JSON), got invalid JSON'],
    ['INTERCHANGE_SECURITY_USERS', '{}', 'security.users: expected an array, got {}'],
    ['INTERCHANGE_SECURITY_ACL', '[{"principal":"*","pattern":">","allow":["rw"]}]', 'security.acl[0].allow[0]: expected one of "read", "write", "admin", got "rw"'],
    ['INTERCHANGE_TLS', 'on', 'tls: expected an object (JSON) or off, got invalid JSON'],
  ])('%s=%j → names key, value and variable', (name, value, message) => {
    const err = configError(() => loadConfig({ env: { [name]: value } }));
    expect(err.issues).toHaveLength(1);
    expect(err.message).toContain(`invalid configuration: ${message}`);
    expect(err.message).toContain(`(from env ${name})`);
  });
});
