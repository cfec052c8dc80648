/**
 * Client behaviours rhea's own client does not produce, written as raw frames: Qpid Proton names
 * links `<container>-<address>`, so a sender and a receiver on one address share a name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { amqp10Protocol } from '../../../protocols/amqp10/index.js';
import { AMQP_HEADER, RawClient, described, frame, openFrame, parseFrames, str8, waitFor } from './helpers.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ protocols: [amqp10Protocol] });
});
afterAll(async () => {
  await server?.cleanup();
});

const uint = (n: number): Buffer => Buffer.from([0x70, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
const NULL = Buffer.from([0x40]);
const begin = frame(described(0x11, [NULL, uint(0), uint(2048), uint(2048)]));

function attach(name: string, handle: number, role: 'sender' | 'receiver', address: string): Buffer {
  const node = described(role === 'sender' ? 0x29 : 0x28, [str8(address)]);
  const other = described(role === 'sender' ? 0x28 : 0x29, []);
  const [source, target] = role === 'sender' ? [other, node] : [node, other];
  return frame(described(0x12, [str8(name), uint(handle), Buffer.from([role === 'sender' ? 0x42 : 0x41]), NULL, NULL, source, target]));
}

describe('AMQP 1.0 interoperability', () => {
  it('accepts a sender and a receiver with the same link name on one session', async () => {
    const raw = await RawClient.connect(server.ports.amqp!);
    raw.write(Buffer.concat([
      AMQP_HEADER, openFrame('proton-like'), begin,
      attach('proton-like-queue://same.q', 0, 'sender', 'queue://same.q'),
      attach('proton-like-queue://same.q', 1, 'receiver', 'queue://same.q'),
    ]));
    await waitFor(() => parseFrames(raw.received).filter((f) => f.code === 0x12).length === 2, 10_000, 'two attaches');
    const codes = parseFrames(raw.received).map((f) => f.code);
    expect(codes).not.toContain(0x18); // no close
    expect(codes).not.toContain(0x16); // no detach
    raw.destroy();
  });
});
