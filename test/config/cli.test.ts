import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../src/config/cli-args.js';
import { loadConfig } from '../../src/config/load-config.js';
import { configError, tempDir, writeFile } from './helpers.js';

describe('parseCliArgs', () => {
  it('parses start with every flag', () => {
    const args = parseCliArgs([
      'start', '--config', 'c.json', '--data-dir', '/d', '--log-level', 'debug', '--host', '127.0.0.1',
      '--mqtt-port', '1', '--mqtts-port', '2', '--amqp-port', '3', '--amqps-port', '4', '--stomp-port', '5',
      '--stomps-port', '6', '--ws-port', '7', '--wss-port', '8', '--admin-port', '9', '--admin-host', '::1',
      '--store', 'postgres', '--store-url', 'postgres://db/x', '--tls-cert', 'c.pem', '--tls-key', 'k.pem', '--tls-ca', 'ca.pem',
    ]);
    expect(args).toEqual({
      command: 'start',
      configFile: 'c.json',
      overrides: {
        dataDir: '/d',
        logLevel: 'debug',
        listeners: {
          host: '127.0.0.1',
          mqtt: { port: 1, tlsPort: 2 },
          amqp: { port: 3, tlsPort: 4 },
          stomp: { port: 5, tlsPort: 6 },
          ws: { port: 7, tlsPort: 8 },
          admin: { port: 9, host: '::1' },
        },
        store: { type: 'postgres', url: 'postgres://db/x' },
        tls: { cert: 'c.pem', key: 'k.pem', ca: 'ca.pem' },
      },
    });
  });

  it('accepts --flag=value, off for ports, and lets a later flag win', () => {
    const args = parseCliArgs(['start', '--mqtt-port=off', '--amqp-port', '0', '--stomp-port', '1', '--stomp-port', '2', '--store-path=/x.db']);
    expect(args.overrides).toEqual({ listeners: { mqtt: { port: null }, amqp: { port: 0 }, stomp: { port: 2 } }, store: { path: '/x.db' } });
  });

  it('options without a command mean start; no arguments at all mean help', () => {
    expect(parseCliArgs(['--mqtt-port', '1']).command).toBe('start');
    expect(parseCliArgs([]).command).toBe('help');
  });

  it('help and version', () => {
    expect(parseCliArgs(['--help'])).toEqual({ command: 'help', overrides: {} });
    expect(parseCliArgs(['start', '-h'])).toEqual({ command: 'help', overrides: {} });
    expect(parseCliArgs(['help'])).toEqual({ command: 'help', overrides: {} });
    expect(parseCliArgs(['--version'])).toEqual({ command: 'version', overrides: {} });
    expect(parseCliArgs(['version'])).toEqual({ command: 'version', overrides: {} });
    expect(parseCliArgs(['start', '--bogus', '--help']).command).toBe('help'); // --help wins over errors
  });

  it('hash-password with and without the password', () => {
    expect(parseCliArgs(['hash-password', 's3cret'])).toEqual({ command: 'hash-password', overrides: {}, password: 's3cret' });
    expect(parseCliArgs(['hash-password'])).toEqual({ command: 'hash-password', overrides: {} });
    expect(parseCliArgs(['hash-password', '--', '-dash'])).toEqual({ command: 'hash-password', overrides: {}, password: '-dash' });
  });

  it.each([
    [['start', '--mqtt-port', 'abc'], 'listeners.mqtt.port: expected an integer 0..65535 or off, got "abc" (from --mqtt-port)'],
    [['start', '--admin-port', '99999'], 'listeners.admin.port: expected an integer 0..65535 or off, got "99999" (from --admin-port)'],
    [['start', '--log-level', 'loud'], 'logLevel: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud" (from --log-level)'],
    [['start', '--store', 'mysql'], 'store.type: expected one of "sqlite", "memory", "postgres", got "mysql" (from --store)'],
    [['start', '--host='], 'listeners.host: expected a non-empty string, got "" (from --host)'],
    [['start', '--mqt-port', '1'], 'unknown option --mqt-port (did you mean --mqtt-port?)'],
    [['start', '--data-dir'], 'option --data-dir needs a value'],
    [['start', '--data-dir', '--log-level', 'info'], 'option --data-dir needs a value'],
    [['strat'], 'unknown command "strat" (did you mean start?); expected one of start, hash-password, help, version'],
    [['start', 'extra'], 'unexpected argument "extra" for start'],
    [['hash-password', 'a', 'b'], 'unexpected argument "b" for hash-password'],
    [['hash-password', '--mqtt-port', '1'], 'option --mqtt-port is not valid with hash-password'],
    [['start', '--config='], 'option --config: expected a file path, got ""'],
  ])('%j → %s', (argv, message) => {
    const err = configError(() => parseCliArgs(argv));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toBe(`invalid configuration: ${message}`);
  });
});

describe('precedence: defaults < file < env < CLI', () => {
  it('each layer overrides the one below, key by key', () => {
    const file = writeFile(tempDir(), 'c.json', {
      logLevel: 'debug',
      listeners: { mqtt: { port: 1001, tlsPort: 1002 }, amqp: { port: 1003 }, stomp: { port: 1004 } },
    });
    const env = { INTERCHANGE_LISTENERS_MQTT_PORT: '2001', INTERCHANGE_LISTENERS_AMQP_PORT: '2003', INTERCHANGE_LOG_LEVEL: 'warn' };
    const { overrides, configFile } = parseCliArgs(['start', '--config', file, '--mqtt-port', '3001', '--log-level', 'error']);
    const c = loadConfig({ file: configFile!, env, overrides });
    expect(c.logLevel).toBe('error'); // CLI over env over file
    expect(c.listeners.mqtt).toEqual({ port: 3001, tlsPort: 1002 }); // CLI; tlsPort from file
    expect(c.listeners.amqp.port).toBe(2003); // env over file
    expect(c.listeners.stomp.port).toBe(1004); // file over default
    expect(c.listeners.ws.port).toBe(61618); // default
  });

  it('CLI off disables a listener the file enabled', () => {
    const file = writeFile(tempDir(), 'c.json', { listeners: { ws: { port: 9000 } } });
    const c = loadConfig({ file, env: {}, overrides: parseCliArgs(['--ws-port', 'off']).overrides });
    expect(c.listeners.ws.port).toBeNull();
  });

  it('errors found after merging name the CLI flag that set the value', () => {
    const err = configError(() => loadConfig({ env: {}, overrides: parseCliArgs(['--tls-cert', '/nonexistent/cert.pem', '--tls-key', '/nonexistent/key.pem']).overrides }));
    expect(err.message).toContain('tls.cert: cannot read file "/nonexistent/cert.pem": no such file (ENOENT) (from --tls-cert)');
    expect(err.message).toContain('tls.key: cannot read file "/nonexistent/key.pem": no such file (ENOENT) (from --tls-key)');
  });

  it('programmatic overrides are validated too', () => {
    const err = configError(() => loadConfig({ env: {}, overrides: { listeners: { mqtt: { port: 'x' as unknown as number } }, nope: 1 } as never }));
    expect(err.message).toContain('listeners.mqtt.port: expected an integer 0..65535 or null, got "x" (from --mqtt-port)');
    expect(err.message).toContain('unknown key nope (from overrides)');
  });
});
