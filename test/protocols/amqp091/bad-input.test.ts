/**
 * Bad input over raw sockets: each gets the connection or channel exception RabbitMQ raises,
 * with its reply code, and the broker and other clients carry on.
 */
import type amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameParser } from '../../../protocols/amqp091/codec/frame-parser.js';
import { contentFrames, frame, methodFrame } from '../../../protocols/amqp091/codec/frame-writer.js';
import { decodeMethod, type DecodedMethod } from '../../../protocols/amqp091/codec/method-codec.js';
import { PROTOCOL_HEADER } from '../../../protocols/amqp091/spec/constants.js';
import { methodByName } from '../../../protocols/amqp091/spec/method-table.js';
import type { TestServer } from '../../support/test-server.js';
import { connect, rawConnect, startBroker, uniqueName, waitFor, type RawClient } from './helpers.js';

let server: TestServer;
let bystander: amqp.ChannelModel;

beforeAll(async () => {
  server = await startBroker({ amqp091: { frameMax: 8192 } });
  bystander = await connect(server);
});
afterAll(async () => {
  await bystander.close();
  await server.cleanup();
});

function methodsOf(raw: RawClient): DecodedMethod[] {
  const data = raw.received();
  return new FrameParser(0).push(data.subarray(data.indexOf(1))).filter((f) => f.type === 1).map((f) => decodeMethod(f.payload));
}

/** A raw connection through open, with channel 1 open. */
async function opened(): Promise<RawClient> {
  const raw = await rawConnect(server.ports.amqp!);
  raw.write(PROTOCOL_HEADER);
  await waitFor(() => methodsOf(raw).some((m) => m.def.name === 'connection.start'));
  raw.write(methodFrame(0, methodByName('connection.start-ok'), {
    clientProperties: { capabilities: { type: 'map', value: { authentication_failure_close: true, consumer_cancel_notify: true } } },
    mechanism: 'PLAIN', response: Buffer.from('\0guest\0guest'), locale: 'en_US',
  }));
  await waitFor(() => methodsOf(raw).some((m) => m.def.name === 'connection.tune'));
  raw.write(methodFrame(0, methodByName('connection.tune-ok'), { channelMax: 0, frameMax: 8192, heartbeat: 0 }));
  raw.write(methodFrame(0, methodByName('connection.open'), { virtualHost: '/' }));
  raw.write(methodFrame(1, methodByName('channel.open')));
  await waitFor(() => methodsOf(raw).some((m) => m.def.name === 'channel.open-ok'));
  return raw;
}

async function closeFor(raw: RawClient, name: 'connection.close' | 'channel.close'): Promise<DecodedMethod> {
  await waitFor(() => methodsOf(raw).some((m) => m.def.name === name), 5000, name);
  return methodsOf(raw).find((m) => m.def.name === name)!;
}

async function stillHealthy(): Promise<void> {
  const ch = await bystander.createChannel();
  const q = uniqueName('healthy');
  await ch.assertQueue(q);
  ch.sendToQueue(q, Buffer.from('ok'));
  await waitFor(async () => (await ch.checkQueue(q)).messageCount === 1);
  await ch.deleteQueue(q);
  await ch.close();
}

describe('AMQP 0-9-1 bad input', () => {
  it('a wrong frame-end octet is 501 FRAME_ERROR', async () => {
    const raw = await opened();
    const bad = Buffer.from(methodFrame(1, methodByName('basic.qos'), { prefetchCount: 1 }));
    bad[bad.length - 1] = 0x00;
    raw.write(bad);
    const close = await closeFor(raw, 'connection.close');
    expect(close.args.replyCode).toBe(501);
    expect(String(close.args.replyText)).toMatch(/^FRAME_ERROR - frame end octet/);
    await raw.closed;
    await stillHealthy();
  });

  it('a frame larger than the negotiated frame-max is 501 FRAME_ERROR', async () => {
    const raw = await opened();
    raw.write(frame(3, 1, Buffer.alloc(9000)));
    const close = await closeFor(raw, 'connection.close');
    expect(close.args.replyCode).toBe(501);
    expect(String(close.args.replyText)).toMatch(/frame-max 8192/);
    await raw.closed;
    await stillHealthy();
  });

  it('a method on a channel that is not open is 504 CHANNEL_ERROR', async () => {
    const raw = await opened();
    raw.write(methodFrame(5, methodByName('queue.declare'), { queue: 'x' }));
    const close = await closeFor(raw, 'connection.close');
    expect(close.args).toMatchObject({ replyCode: 504, classId: 50, methodId: 10 });
    await stillHealthy();
  });

  it('a method on a channel after it closed is 504 CHANNEL_ERROR', async () => {
    const raw = await opened();
    raw.write(methodFrame(1, methodByName('channel.close'), { replyCode: 200, replyText: 'bye' }));
    await waitFor(() => methodsOf(raw).some((m) => m.def.name === 'channel.close-ok'));
    raw.write(methodFrame(1, methodByName('basic.qos'), { prefetchCount: 1 }));
    const close = await closeFor(raw, 'connection.close');
    expect(close.args.replyCode).toBe(504);
    await stillHealthy();
  });

  it('a content body without a header is 505 UNEXPECTED_FRAME', async () => {
    const raw = await opened();
    raw.write(frame(3, 1, Buffer.from('body')));
    const close = await closeFor(raw, 'connection.close');
    expect(close.args.replyCode).toBe(505);
    await stillHealthy();
  });

  it('a method between publish and its content is 505 UNEXPECTED_FRAME', async () => {
    const raw = await opened();
    const [publish] = contentFrames(1, methodByName('basic.publish'), { routingKey: 'q' }, {}, Buffer.from('x'), 0);
    raw.write(publish!);
    raw.write(methodFrame(1, methodByName('basic.qos'), { prefetchCount: 1 }));
    const close = await closeFor(raw, 'connection.close');
    expect(close.args).toMatchObject({ replyCode: 505, classId: 60, methodId: 40 });
    await stillHealthy();
  });

  it('an unknown class or method is 540 NOT_IMPLEMENTED', async () => {
    const raw = await opened();
    raw.write(frame(1, 1, Buffer.from([0, 60, 0, 99])));
    const close = await closeFor(raw, 'connection.close');
    expect(close.args).toMatchObject({ replyCode: 540, classId: 60, methodId: 99 });
    raw.write(methodFrame(0, methodByName('connection.close-ok')));
    await raw.closed;
    const raw2 = await opened();
    raw2.write(frame(1, 1, Buffer.from([0, 77, 0, 1])));
    expect((await closeFor(raw2, 'connection.close')).args.replyCode).toBe(540);
    await stillHealthy();
  });

  it('a method only servers send is 503 COMMAND_INVALID; truncated arguments are 502 SYNTAX_ERROR', async () => {
    const raw = await opened();
    raw.write(methodFrame(1, methodByName('basic.deliver'), { consumerTag: 't', deliveryTag: 1 }));
    expect((await closeFor(raw, 'connection.close')).args.replyCode).toBe(503);
    const raw2 = await opened();
    raw2.write(frame(1, 1, Buffer.from([0, 50, 0, 10, 0])));
    expect((await closeFor(raw2, 'connection.close')).args.replyCode).toBe(502);
    await stillHealthy();
  });

  it('garbage after the protocol header is a FRAME_ERROR', async () => {
    const raw = await rawConnect(server.ports.amqp!);
    raw.write(PROTOCOL_HEADER);
    raw.write(Buffer.from('GARBAGE GARBAGE GARBAGE', 'latin1'));
    await raw.closed;
    const close = methodsOf(raw).find((m) => m.def.name === 'connection.close');
    expect(close?.args.replyCode).toBe(501);
    await stillHealthy();
  });

  it('wire order: a queue deleted on its consuming channel answers delete-ok before the basic.cancel', async () => {
    // amqplib's "cancelled consumer" test closes its connection when the cancel arrives: the
    // delete-ok must be there already (as RabbitMQ sends them).
    const raw = await opened();
    const q = uniqueName('own-delete');
    raw.write(methodFrame(1, methodByName('queue.declare'), { queue: q }));
    raw.write(methodFrame(1, methodByName('basic.consume'), { queue: q, consumerTag: 'c1' }));
    await waitFor(() => methodsOf(raw).some((m) => m.def.name === 'basic.consume-ok'));
    raw.write(methodFrame(1, methodByName('queue.delete'), { queue: q }));
    await waitFor(() => methodsOf(raw).some((m) => m.def.name === 'basic.cancel'));
    const names = methodsOf(raw).map((m) => m.def.name);
    expect(names.slice(names.indexOf('queue.delete-ok'))).toEqual(['queue.delete-ok', 'basic.cancel']);
    raw.socket.destroy();
  });

  it('a channel exception closes only that channel; the connection goes on', async () => {
    const raw = await opened();
    raw.write(methodFrame(1, methodByName('queue.declare'), { queue: uniqueName('absent'), passive: true }));
    const close = await closeFor(raw, 'channel.close');
    expect(close.args).toMatchObject({ replyCode: 404, classId: 50, methodId: 10 });
    raw.write(methodFrame(1, methodByName('channel.close-ok')));
    raw.write(methodFrame(2, methodByName('channel.open')));
    await waitFor(() => methodsOf(raw).filter((m) => m.def.name === 'channel.open-ok').length === 2);
    raw.socket.destroy();
  });
});
