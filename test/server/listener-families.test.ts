/**
 * Listener families are data: a front-end is its folder plus one registry line. A test-only
 * front-end (test/server/line-echo/: its own `echo` family, and a second protocol sharing the
 * AMQP port by header) is registered next to the built-in ones through the same registry, and
 * gets config keys, defaults, environment variables, flags, `--help` lines, listeners, bound
 * ports and WebSocket routing without any edit to config or server code. Also: the checks a
 * registry must pass.
 */
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import selfsigned from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { cliUsage, parseCliArgs } from '../../src/config/cli-args.js';
import { envVars } from '../../src/config/env-overrides.js';
import { configFamilies, familyPorts } from '../../src/config/listener-keys.js';
import { loadConfig } from '../../src/config/load-config.js';
import { configSchema, type Config, type DeepPartial } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log.js';
import { BrokerServer } from '../../src/server/broker-server.js';
import { groupFamilies, type ListenerFamily, type ProtocolListener, type ProtocolRegistry } from '../../src/server/listener-family.js';
import { BUILT_IN_PROTOCOLS } from '../../src/server/protocol-registry.js';
import { AMQP_FAMILY, WEBSOCKET_FAMILY } from '../../src/server/shared-families.js';
import { connect as amqpConnect } from '../protocols/amqp10/helpers.js';
import { tempDir } from '../support/broker-process.js';
import { configError } from '../config/helpers.js';
import { ECHO_FAMILY, headerEchoListener, LINE_ECHO_HEADER, lineEchoListener } from './line-echo/listener.js';

/** The built-in registry plus the test front-ends: the "one registry line" each. */
const REGISTRY: ProtocolRegistry = [...BUILT_IN_PROTOCOLS, lineEchoListener, headerEchoListener];

describe('configuration derived from the registry', () => {
  it('families in order: the registry\'s (shared ones once), then the WebSocket family', () => {
    expect(configFamilies().map((f) => f.name)).toEqual(['mqtt', 'amqp', 'stomp', 'aws', 'ws']);
    expect(configFamilies(REGISTRY).map((f) => f.name)).toEqual(['mqtt', 'amqp', 'stomp', 'aws', 'echo', 'ws']);
    const amqp = groupFamilies(REGISTRY).find((g) => g.family.name === 'amqp')!;
    expect(amqp.protocols.map((p) => p.protocol)).toEqual(['amqp091', 'amqp10', 'header-echo']);
  });

  it('a registered family gets its keys and defaults; without the registry line they are unknown', () => {
    const c = loadConfig({ env: {}, registry: REGISTRY });
    expect(familyPorts(c.listeners, 'echo')).toEqual({ port: 7007, tlsPort: 7008 });
    expect(c.listeners.mqtt).toEqual({ port: 1883, tlsPort: 8883 });
    expect(loadConfig({ env: {}, registry: REGISTRY, overrides: { listeners: { echo: { port: 7100, tlsPort: null } } } as DeepPartial<Config> }).listeners)
      .toMatchObject({ echo: { port: 7100, tlsPort: null } });
    const err = configError(() => loadConfig({ env: {}, overrides: { listeners: { echo: { port: 1 } } } as DeepPartial<Config> }));
    expect(err.message).toBe('invalid configuration: unknown key listeners.echo (from overrides)');
    expect(familyPorts(loadConfig({ env: {} }).listeners, 'echo')).toBeUndefined();
  });

  it('environment variables follow from the keys', () => {
    expect(envVars(configSchema(REGISTRY)).get('INTERCHANGE_LISTENERS_ECHO_TLS_PORT')).toMatchObject({ path: 'listeners.echo.tlsPort' });
    const c = loadConfig({ registry: REGISTRY, env: { INTERCHANGE_LISTENERS_ECHO_PORT: '7101', INTERCHANGE_LISTENERS_ECHO_TLS_PORT: 'off' } });
    expect(familyPorts(c.listeners, 'echo')).toEqual({ port: 7101, tlsPort: null });
    const err = configError(() => loadConfig({ registry: REGISTRY, env: { INTERCHANGE_LISTENERS_ECHO_PORT: 'x' } }));
    expect(err.message).toBe('invalid configuration: listeners.echo.port: expected an integer 0..65535 or off, got "x" (from env INTERCHANGE_LISTENERS_ECHO_PORT)');
    expect(configError(() => loadConfig({ env: { INTERCHANGE_LISTENERS_ECHO_PORT: '1' } })).message).toContain('unknown environment variable INTERCHANGE_LISTENERS_ECHO_PORT');
  });

  it('flags --<name>-port and --<tlsName>-port, labelled in later errors, and listed by --help', () => {
    const args = parseCliArgs(['start', '--echo-port', '7102', '--echos-port=7103', '--mqtts-port', '0'], { registry: REGISTRY });
    expect(args.overrides).toEqual({ listeners: { echo: { port: 7102, tlsPort: 7103 }, mqtt: { tlsPort: 0 } } });
    expect(familyPorts(loadConfig({ env: {}, registry: REGISTRY, overrides: args.overrides }).listeners, 'echo')).toEqual({ port: 7102, tlsPort: 7103 });
    expect(configError(() => parseCliArgs(['--echo-port', '1'])).message).toBe('invalid configuration: unknown option --echo-port');
    const clash = configError(() => loadConfig({ env: {}, registry: REGISTRY, overrides: parseCliArgs(['--echo-port', '1883'], { registry: REGISTRY }).overrides }));
    expect(clash.message).toBe('invalid configuration: listeners.echo.port: port 1883 is also used by listeners.mqtt.port (from --echo-port)');
    const usage = cliUsage(REGISTRY);
    expect(usage).toContain('  --echo-port N          Line echo port (7007)      --echos-port N   Line echo over TLS (7008)\n');
    expect(usage).toContain('  --mqtt-port N          MQTT port (1883)           --mqtts-port N   MQTT over TLS (8883)\n');
    expect(cliUsage()).not.toContain('echo');
  });
});

describe('a registered front-end is served', () => {
  let server: BrokerServer;
  const dir = tempDir('interchange-listener-families-');

  beforeAll(async () => {
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048, algorithm: 'sha256' });
    writeFileSync(join(dir.path, 'cert.pem'), pems.cert);
    writeFileSync(join(dir.path, 'key.pem'), pems.private);
    // Every family of the registry on an OS-chosen port, spelled the way an operator would.
    const flags = configFamilies(REGISTRY).flatMap((f) => [`--${f.name}-port`, '0', `--${f.tlsName}-port`, '0']);
    const args = parseCliArgs(['start', '--host', '127.0.0.1', '--admin-port', 'off', '--store', 'memory', '--data-dir', dir.path,
      '--tls-cert', join(dir.path, 'cert.pem'), '--tls-key', join(dir.path, 'key.pem'), ...flags], { registry: REGISTRY });
    const config = loadConfig({ env: { INTERCHANGE_LOG_LEVEL: 'silent' }, registry: REGISTRY, overrides: args.overrides });
    server = await BrokerServer.start(config, { logger: silentLogger, registry: REGISTRY });
  });

  afterAll(async () => {
    await server?.stop();
    dir.cleanup();
  });

  it('opens every family of the registry on its ephemeral ports and reports them', () => {
    for (const name of ['mqtt', 'mqtts', 'amqp', 'amqps', 'stomp', 'stomps', 'echo', 'echos', 'ws', 'wss']) {
      expect(server.ports[name], name).toBeGreaterThan(0);
    }
    expect(new Set(Object.values(server.ports)).size).toBe(Object.keys(server.ports).length);
  });

  it('a client talks to it over TCP and TLS', async () => {
    expect(await lineExchange(net.connect(server.ports.echo!, '127.0.0.1'), 'hello')).toBe('line-echo tcp: hello');
    const secure = tls.connect({ port: server.ports.echos!, host: '127.0.0.1', rejectUnauthorized: false });
    await once(secure, 'secureConnect');
    expect(await lineExchange(secure, 'over tls')).toBe('line-echo tls: over tls');
  });

  it('its WebSocket subprotocol is routed to it on the shared WebSocket port, next to the built-in ones', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.ports.ws}`, ['nothing-else', 'line-echo']);
    await once(ws, 'open');
    expect(ws.protocol).toBe('line-echo');
    ws.send('via ws');
    const [reply] = await once(ws, 'message');
    expect(String(reply)).toBe('line-echo ws line-echo: via ws');
    ws.close();
    const mqttWs = new WebSocket(`ws://127.0.0.1:${server.ports.ws}`, ['mqtt']);
    await once(mqttWs, 'open');
    expect(mqttWs.protocol).toBe('mqtt');
    mqttWs.terminate();
  });

  it('a second protocol on the AMQP port gets the connections whose header it accepts; AMQP 1.0 keeps its own', async () => {
    const raw = net.connect(server.ports.amqp!, '127.0.0.1');
    raw.write(LINE_ECHO_HEADER);
    expect(await lineExchange(raw, 'shared port')).toBe('header-echo tcp: shared port');
    const amqp = await amqpConnect({ port: server.ports.amqp! });
    expect(amqp.connection.is_open()).toBe(true);
    await amqp.close();
    // A header nobody takes is answered with the family's refusal header (AMQP 1.0's).
    const other = net.connect(server.ports.amqp!, '127.0.0.1');
    other.write('HTTP/1.1');
    const chunks: Buffer[] = [];
    other.on('data', (c: Buffer) => chunks.push(c));
    await once(other, 'close');
    expect(Buffer.concat(chunks).toString('latin1')).toBe('AMQP\x00\x01\x00\x00');
  });
});

describe('a front-end whose family the configuration lacks', () => {
  it('is a configuration error at start, naming the key and the protocol', async () => {
    const dir = tempDir('interchange-listener-families-');
    try {
      const config = loadConfig({ env: {}, overrides: { dataDir: dir.path, store: { type: 'memory' }, listeners: { host: '127.0.0.1', admin: { port: null } } } });
      const { lineEchoProtocol } = await import('./line-echo/index.js');
      await expect(BrokerServer.start(config, { logger: silentLogger, protocols: [lineEchoProtocol] })).rejects.toThrow(
        'invalid configuration: no listeners.echo in the configuration for line-echo: load the configuration with the protocol registry that lists it',
      );
    } finally {
      dir.cleanup();
    }
  });
});

/** Write one line, read one line back, close. */
async function lineExchange(socket: net.Socket, line: string): Promise<string> {
  if (socket.connecting) await once(socket, 'connect');
  socket.write(`${line}\n`);
  let got = '';
  for await (const chunk of socket) {
    got += (chunk as Buffer).toString('utf8');
    if (got.includes('\n')) break;
  }
  socket.destroy();
  return got.slice(0, got.indexOf('\n'));
}

describe('registry checks', () => {
  const family = (over: Partial<ListenerFamily> = {}): ListenerFamily => ({ ...ECHO_FAMILY, ...over });
  const protocol = (over: Partial<ProtocolListener> = {}): ProtocolListener => ({ ...lineEchoListener, ...over });
  const failure = (registry: ProtocolRegistry, extra: ListenerFamily[] = [WEBSOCKET_FAMILY]): string => {
    try {
      groupFamilies(registry, extra);
    } catch (err) {
      expect((err as { code?: string }).code).toBe('CONFIG_INVALID');
      return (err as Error).message;
    }
    throw new Error('the registry was accepted');
  };

  it.each([
    ['a protocol listed twice', [lineEchoListener, lineEchoListener], 'protocol line-echo is listed twice'],
    ['one WebSocket subprotocol on two protocols', [...BUILT_IN_PROTOCOLS, protocol({ wsSubprotocols: ['MQTT'] })],
      'WebSocket subprotocol MQTT is declared by both mqtt and line-echo'],
    ['two declarations of one family that differ', [protocol({ family: AMQP_FAMILY, acceptsHeader: () => false }), protocol({ protocol: 'other', wsSubprotocols: [], family: { ...AMQP_FAMILY, port: 5673 }, acceptsHeader: () => false })],
      'family amqp is declared differently by line-echo and other'],
    ['two protocols on a single family', [lineEchoListener, protocol({ protocol: 'other', wsSubprotocols: [] })],
      "family echo has dispatch 'single' but both line-echo and other are on it"],
    ['a shared-by-header family member without a header test', [protocol({ family: AMQP_FAMILY })],
      'protocol line-echo is on family amqp, which is shared by header, but declares no acceptsHeader'],
    ['a family named like a listeners key', [protocol({ family: family({ name: 'admin' }) })], 'family admin: name "admin" must be'],
    ['a TLS name taken by another family', [...BUILT_IN_PROTOCOLS, protocol({ family: family({ tlsName: 'stomp' }) })], 'family echo: tlsName stomp is already used by family stomp'],
    ['the WebSocket family\'s name', [protocol({ family: family({ name: 'ws' }) })], 'family ws of line-echo uses a name the server reserves for its own WebSocket listener'],
    ['a protocol dispatching by subprotocol', [protocol({ family: family({ dispatch: 'subprotocol' }) })], 'cannot dispatch by subprotocol'],
  ])('refuses %s', (_what, registry, message) => {
    expect(failure(registry)).toContain(message);
  });

  it('the built-in registry passes, and loading configuration with a bad one fails the same way', () => {
    expect(groupFamilies(BUILT_IN_PROTOCOLS).map((g) => g.family.name)).toEqual(['mqtt', 'amqp', 'stomp', 'aws']);
    expect(() => loadConfig({ env: {}, registry: [lineEchoListener, lineEchoListener] })).toThrow('invalid configuration: protocol registry: protocol line-echo is listed twice');
  });
});
