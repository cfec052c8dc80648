/**
 * AMQP 1.0 application-properties keep their AMQP types end to end, seen by real rhea clients:
 * through a queue, through a topic, and across a broker restart (the store path). The receiving
 * client connects through a byte recorder so the test asserts on the exact type codes the
 * broker sent (rhea's decoded view alone does not tell a long from an int). Cross-protocol: the
 * same properties reach a STOMP subscriber as their documented string forms, and the
 * protocol-private details (AMQP body kind and id types, MQTT QoS and topic) never show up as
 * headers on another protocol.
 */
import mqtt from 'mqtt';
import rhea from 'rhea';
import stompit from 'stompit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { amqp10Protocol } from '../../../protocols/amqp10/index.js';
import { mqttProtocol } from '../../../protocols/mqtt/index.js';
import { stompProtocol } from '../../../protocols/stomp/stomp-module.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { collect, connect, openReceiver, openSender, sendAndSettle, waitFor, type Client } from './helpers.js';
import { startWireRecorder, wireApplicationProperties, type WireRecorder, type WireValue } from './wire-recorder.js';

const t = rhea.types;
const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';
/** 12.50 as a BID decimal128. */
const DECIMAL_12_50 = '303c00000000000000000000000004e2';

/** One property of each type, with values at the edges of their ranges (`timestamp` is a STOMP header name, so the timestamp is `created`). */
function typedProperties(): Record<string, unknown> {
  const bigLong = Buffer.alloc(8);
  bigLong.writeBigInt64BE(-(2n ** 63n));
  const bigUlong = Buffer.alloc(8);
  bigUlong.writeBigUInt64BE(2n ** 64n - 1n);
  return {
    long: t.wrap_long(5),
    longMin: t.wrap_long(bigLong as unknown as number),
    ubyte: t.wrap_ubyte(255),
    short: t.wrap_short(-32768),
    uint: t.wrap_uint(4_000_000_000),
    ulong: t.wrap_ulong(bigUlong as unknown as number),
    float: t.wrap_float(1.5),
    double: t.wrap_double(2),
    created: t.wrap_timestamp(1_700_000_000_123),
    uuid: t.wrap_uuid(rhea.string_to_uuid(UUID)),
    binary: t.wrap_binary(Buffer.from([0, 1, 255])),
    symbol: t.wrap_symbol('sym-value'),
    decimal: (t as unknown as { Decimal128(b: Buffer): unknown }).Decimal128(Buffer.from(DECIMAL_12_50, 'hex')),
    list: t.wrap_list([t.wrap_long(1), 'two', t.wrap_ubyte(3)]),
    map: t.wrap_map({ a: t.wrap_long(7), b: t.wrap_symbol('s') }),
    string: 'text',
    boolean: true,
  };
}

function expectTypes(app: Record<string, WireValue>): void {
  const types = Object.fromEntries(Object.entries(app).map(([k, v]) => [k, v.type]));
  expect(types).toEqual({
    long: 'long', longMin: 'long', ubyte: 'ubyte', short: 'short', uint: 'uint', ulong: 'ulong', float: 'float', double: 'double',
    created: 'timestamp', uuid: 'uuid', binary: 'binary', symbol: 'symbol', decimal: 'decimal128', list: 'list', map: 'map', string: 'string', boolean: 'boolean',
  });
  expect(app.long!.value).toBe(5);
  expect((app.longMin!.value as Buffer).readBigInt64BE()).toBe(-(2n ** 63n));
  expect(app.ubyte!.value).toBe(255);
  expect(app.short!.value).toBe(-32768);
  expect(app.uint!.value).toBe(4_000_000_000);
  expect((app.ulong!.value as Buffer).readBigUInt64BE()).toBe(2n ** 64n - 1n);
  expect(app.float!.value).toBe(1.5);
  expect(app.double!.value).toBe(2);
  expect(app.created!.value).toEqual(new Date(1_700_000_000_123));
  expect(rhea.uuid_to_string(app.uuid!.value as Buffer)).toBe(UUID);
  expect(app.binary!.value).toEqual(Buffer.from([0, 1, 255]));
  expect(app.symbol!.value).toBe('sym-value');
  expect((app.decimal!.value as Buffer).toString('hex')).toBe(DECIMAL_12_50);
  expect(app.list!.value).toEqual([{ type: 'long', value: 1 }, { type: 'string', value: 'two' }, { type: 'ubyte', value: 3 }]);
  expect(app.map!.value).toEqual({ a: { type: 'long', value: 7 }, b: { type: 'symbol', value: 's' } });
  expect(app.string!.value).toBe('text');
}

let server: TestServer;
const clients: Client[] = [];
const recorders: WireRecorder[] = [];

async function client(port = server.ports.amqp!): Promise<Client> {
  const c = await connect({ port });
  clients.push(c);
  return c;
}

async function recordingReceiver(address: string, extra: Record<string, unknown> = {}) {
  const rec = await startWireRecorder(server.ports.amqp!);
  recorders.push(rec);
  const c = await client(rec.port);
  const r = await openReceiver(c.connection, { source: { address, ...extra } as never, credit_window: 10, autoaccept: true });
  return { rec, got: collect(r) };
}

beforeAll(async () => {
  server = await startTestServer({ protocols: [amqp10Protocol, stompProtocol, mqttProtocol] });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(recorders.splice(0).map((r) => r.close()));
});
afterAll(async () => {
  await server?.cleanup();
});

function stompConnect(): Promise<stompit.Client> {
  return new Promise<stompit.Client>((resolve, reject) => {
    stompit.connect({ host: '127.0.0.1', port: server.ports.stomp!, connectHeaders: { host: '/', 'accept-version': '1.2' } }, (err, c) => {
      if (err) return reject(err);
      c.on('error', () => undefined);
      resolve(c);
    });
  });
}

function stompSubscribe(stomp: stompit.Client, destination: string): Array<Record<string, unknown>> {
  const got: Array<Record<string, unknown>> = [];
  stomp.subscribe({ destination, ack: 'auto' }, (err, message) => {
    if (err) return;
    message.readString('utf-8', () => got.push((message as unknown as { headers: Record<string, unknown> }).headers));
  });
  return got;
}

const hasPrefix = (keys: Iterable<string>, prefix: string): string[] => [...keys].filter((k) => k.startsWith(prefix));

describe('protocol-private details are not headers', () => {
  it('an MQTT publish reaches AMQP 1.0 and STOMP without x-mqtt-* headers, and MQTT still gets its topic and QoS back', async () => {
    const stomp = await stompConnect();
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${server.ports.mqtt!}`, { clientId: 'slot-dev', reconnectPeriod: 0 });
    const app = await mqtt.connectAsync(`mqtt://127.0.0.1:${server.ports.mqtt!}`, { clientId: 'slot-app', reconnectPeriod: 0, clean: false });
    try {
      await app.subscribeAsync('slot/+', { qos: 2 });
      const mqttGot: Array<{ topic: string; qos: number }> = [];
      app.on('message', (topic, _payload, packet) => mqttGot.push({ topic, qos: packet.qos }));
      const stompGot = stompSubscribe(stomp, '/topic/slot.*');
      const c = await client();
      const r = await openReceiver(c.connection, { source: { address: 'topic://slot.*' }, credit_window: 10, autoaccept: true });
      const amqpGot = collect(r);
      await new Promise((res) => setTimeout(res, 100)); // the STOMP SUBSCRIBE has no receipt here
      await device.publishAsync('slot/a', 'm', { qos: 1 });
      await waitFor(() => amqpGot.length === 1 && stompGot.length === 1 && mqttGot.length === 1, 10_000, 'deliveries');
      expect(hasPrefix(Object.keys(amqpGot[0]!.message.application_properties ?? {}), 'x-mqtt')).toEqual([]);
      expect(hasPrefix(Object.keys(stompGot[0]!), 'x-mqtt')).toEqual([]);
      expect(mqttGot[0]).toEqual({ topic: 'slot/a', qos: 1 });
    } finally {
      await device.endAsync();
      await app.endAsync();
      await new Promise<void>((resolve) => stomp.disconnect(() => resolve()));
    }
  });

  it('an AMQP 1.0 message with a uuid message-id and an amqp-value body reaches STOMP without x-amqp-* headers', async () => {
    const stomp = await stompConnect();
    try {
      const stompGot = stompSubscribe(stomp, '/queue/slot.amqp');
      const sender = await openSender((await client()).connection, { target: { address: 'queue://slot.amqp' } });
      await sendAndSettle(sender, { body: { k: 1 }, message_id: rhea.string_to_uuid(UUID), correlation_id: 7, application_properties: { p: 'v' } });
      await waitFor(() => stompGot.length === 1, 10_000, 'STOMP delivery');
      expect(stompGot[0]).toMatchObject({ p: 'v', 'amqp-message-id': UUID, 'correlation-id': '7' });
      expect(hasPrefix(Object.keys(stompGot[0]!), 'x-amqp')).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => stomp.disconnect(() => resolve()));
    }
  });

  it('AMQP 1.0 receivers still get the body kind and id types back, after a broker restart too', async () => {
    const sender = await openSender((await client()).connection, { target: { address: 'queue://slot.restart' } });
    await sendAndSettle(sender, { body: { k: 1 }, durable: true, message_id: rhea.string_to_uuid(UUID), correlation_id: 7 });
    await Promise.all(clients.splice(0).map((c) => c.close()));
    server = await server.restart();
    const r = await openReceiver((await client()).connection, { source: { address: 'queue://slot.restart' }, credit_window: 10, autoaccept: true });
    const got = collect(r);
    await waitFor(() => got.length === 1, 10_000, 'delivery after restart');
    expect(got[0]!.message.body).toEqual({ k: 1 });
    expect(rhea.uuid_to_string(got[0]!.message.message_id as Buffer)).toBe(UUID);
    expect(got[0]!.message.correlation_id).toBe(7);
    expect(got[0]!.message.application_properties).toBeUndefined();
  });
});

describe('AMQP 1.0 typed application properties', () => {
  it('come back with their AMQP types from a queue', async () => {
    const sender = await openSender((await client()).connection, { target: { address: 'queue://typed.q' } });
    await sendAndSettle(sender, { body: 'q', application_properties: typedProperties() });
    const { rec, got } = await recordingReceiver('queue://typed.q');
    await waitFor(() => got.length === 1, 10_000, 'delivery');
    expectTypes(wireApplicationProperties(rec.transfers()[0]!));
  });

  it('come back with their AMQP types through a topic', async () => {
    const { rec, got } = await recordingReceiver('topic://typed.t');
    const sender = await openSender((await client()).connection, { target: { address: 'topic://typed.t' } });
    await sendAndSettle(sender, { body: 't', application_properties: typedProperties() });
    await waitFor(() => got.length === 1, 10_000, 'delivery');
    expectTypes(wireApplicationProperties(rec.transfers()[0]!));
  });

  it('come back with their AMQP types after a broker restart (read back from the store)', async () => {
    const sender = await openSender((await client()).connection, { target: { address: 'queue://typed.durable' } });
    await sendAndSettle(sender, { body: 'd', durable: true, application_properties: typedProperties() });
    await Promise.all(clients.splice(0).map((c) => c.close()));
    server = await server.restart();
    const { rec, got } = await recordingReceiver('queue://typed.durable');
    await waitFor(() => got.length === 1, 10_000, 'delivery after restart');
    expect(got[0]!.message.body).toBe('d');
    expectTypes(wireApplicationProperties(rec.transfers()[0]!));
  });

  it('reach a STOMP subscriber as their string forms', async () => {
    const stomp = await stompConnect();
    try {
      const stompGot = stompSubscribe(stomp, '/queue/typed.stomp');
      const sender = await openSender((await client()).connection, { target: { address: 'queue://typed.stomp' } });
      await sendAndSettle(sender, { body: 's', application_properties: typedProperties() });
      await waitFor(() => stompGot.length === 1, 10_000, 'STOMP delivery');
      expect(stompGot[0]).toMatchObject({
        long: '5', longMin: '-9223372036854775808', ubyte: '255', short: '-32768', uint: '4000000000', ulong: '18446744073709551615',
        float: '1.5', double: '2', created: '1700000000123', uuid: UUID, binary: 'AAH/', symbol: 'sym-value', decimal: '12.50',
        list: '[1,"two",3]', map: '{"a":7,"b":"s"}', string: 'text', boolean: 'true',
      });
    } finally {
      await new Promise<void>((resolve) => stomp.disconnect(() => resolve()));
    }
  });
});
