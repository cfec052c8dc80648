/**
 * FrameGuard in isolation: byte-at-a-time input, multi-frame transfers, frame limits, and the
 * error close it writes (header + open + close) when rhea never opened.
 */
import rhea from 'rhea';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import { FrameGuard } from '../../../protocols/amqp10/frame-guard.js';
import type { ByteTransport } from '../../../protocols/amqp10/byte-transport.js';
import { AMQP_HEADER, described, frame, openFrame, parseFrames } from './helpers.js';

class FakeTransport implements ByteTransport {
  readonly id = 'fake';
  written: Buffer[] = [];
  ended = false;
  private data: ((b: Buffer) => void) | undefined;
  private close: ((err?: Error) => void) | undefined;
  write(b: Buffer): void { this.written.push(b); }
  end(): void { this.ended = true; }
  destroy(): void { this.close?.(); }
  onData(cb: (b: Buffer) => void): void { this.data = cb; }
  onClose(cb: (err?: Error) => void): void { this.close = cb; }
  congested(): boolean { return false; }
  feed(b: Buffer): void { this.data?.(b); }
}

function transfer(handle: number, more: boolean, payload: Buffer): Buffer {
  const uint = (n: number) => Buffer.from([0x70, 0, 0, 0, n]);
  const fields = [uint(handle), uint(0), Buffer.from([0xa0, 1, 7]), uint(0), Buffer.from([0x42]), Buffer.from([more ? 0x41 : 0x42])];
  return frame(described(0x14, fields), 0, payload);
}

function guard(t: FakeTransport, maxMessageBytes = 1 << 20): { g: FrameGuard; got: Buffer[] } {
  const g = new FrameGuard(t, { maxFrameBytes: 4096, maxMessageBytes, containerId: 'broker', logger: silentLogger });
  const got: Buffer[] = [];
  g.socket.on('data', (b) => got.push(b as Buffer));
  g.start({ requireSasl: false });
  return { g, got };
}

describe('AMQP 1.0 frame guard', () => {
  it('passes complete frames on in order and keeps the payload of a multi-frame transfer', () => {
    const t = new FakeTransport();
    const { g, got } = guard(t);
    const message = rhea.message.encode({ body: { k: 'v'.repeat(5000) } });
    const parts = [message.subarray(0, 3000), message.subarray(3000)];
    const bytes = Buffer.concat([AMQP_HEADER, openFrame('c'), transfer(0, true, parts[0]!), transfer(0, false, parts[1]!)]);
    const payloads: Array<Buffer | undefined> = [];
    g.socket.on('data', (b) => {
      got.push(b as Buffer);
      const f = b as Buffer;
      if (f.length > 10 && f[8] === 0x00 && f[9] === 0x53 && f[10] === 0x14) payloads.push(g.takePayload());
    });
    for (const byte of bytes) t.feed(Buffer.from([byte])); // worst-case chunking
    expect(Buffer.concat(got)).toEqual(bytes);
    expect(payloads).toEqual([undefined, message]); // complete only with the last frame
    expect(g.isFailed).toBe(false);
  });

  it('fails an over-long multi-frame message with amqp:link:message-size-exceeded', () => {
    const t = new FakeTransport();
    const { g } = guard(t, 5000);
    t.feed(Buffer.concat([AMQP_HEADER, openFrame('c'), transfer(1, true, Buffer.alloc(3000)), transfer(1, true, Buffer.alloc(3000))]));
    expect(g.isFailed).toBe(true);
    const frames = parseFrames(Buffer.concat(t.written));
    expect(frames.map((f) => f.code)).toEqual([0x10, 0x18]);
    expect(frames[1]!.condition).toBe('amqp:link:message-size-exceeded');
    expect(t.ended).toBe(true);
  });

  it('refuses an unknown protocol header with the AMQP 1.0 header', () => {
    const t = new FakeTransport();
    const { g } = guard(t);
    t.feed(Buffer.from('AMQP\x01\x01\x00\x00', 'latin1'));
    expect(g.isFailed).toBe(true);
    expect(Buffer.concat(t.written)).toEqual(AMQP_HEADER);
  });
});
