/**
 * Interoperability with the two STOMP clients our users run: @stomp/stompjs (browsers, Node,
 * WebSocket) and stompit (Node, TCP). Both expose their frame codecs from their package entry
 * points (stompjs: FrameImpl, Parser; stompit: OutgoingFrameStream, IncomingFrameStream), so we
 * drive them directly: their encoder → our parser, and our encoder → their parser.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FrameImpl, Parser } from '@stomp/stompjs';
import stompit from 'stompit';
import { encodeFrame } from '../../../protocols/stomp/frame-writer.js';
import { createFrame, header, type StompVersion } from '../../../protocols/stomp/frame.js';
import { parse, parseEveryWay, type ParseEvent } from './helpers.js';

function toBuffer(marshalled: string | ArrayBuffer): Buffer {
  return typeof marshalled === 'string' ? Buffer.from(marshalled, 'utf8') : Buffer.from(new Uint8Array(marshalled));
}

const binary = Buffer.from([0x00, 0x01, 0xff, 0x00, 0x0a, 0x0d, 0x3a, 0x5c]);

describe('@stomp/stompjs → StompParser', () => {
  // What Client.activate()/publish()/subscribe() transmit on a 1.2 connection: CONNECT unescaped,
  // everything after CONNECTED with escaped header values and a content-length for any body.
  const session = [
    FrameImpl.marshall({
      command: 'CONNECT',
      headers: { login: 'guest', passcode: 'p:ss\\word', 'accept-version': '1.2,1.1,1.0', 'heart-beat': '10000,10000' },
      escapeHeaderValues: false,
    }),
    FrameImpl.marshall({
      command: 'SUBSCRIBE',
      headers: { destination: '/topic/sensors.*', id: 'sub-0', ack: 'client-individual', selector: "type = 'a:b'" },
      escapeHeaderValues: true,
    }),
    FrameImpl.marshall({
      command: 'SEND',
      headers: { destination: '/queue/a', 'x-multi': 'line1\nline2\r\\end', receipt: 'r-1' },
      body: 'héllo wörld',
      escapeHeaderValues: true,
    }),
    FrameImpl.marshall({
      command: 'SEND',
      headers: { destination: '/queue/bin', 'content-type': 'application/octet-stream' },
      binaryBody: new Uint8Array(binary),
      escapeHeaderValues: true,
    }),
    FrameImpl.marshall({
      command: 'SEND',
      headers: { destination: '/queue/text' },
      body: 'no length',
      escapeHeaderValues: true,
      skipContentLengthHeader: true,
    }),
    '\n', // stompjs heart-beat (BYTE.LF)
    FrameImpl.marshall({ command: 'ACK', headers: { id: 'ack:1', transaction: 'tx-1' }, escapeHeaderValues: true }),
    FrameImpl.marshall({ command: 'DISCONNECT', headers: { receipt: 'close-1' }, escapeHeaderValues: true }),
  ].map(toBuffer);

  it('parses a whole stompjs 1.2 session, at every split', () => {
    const events = parseEveryWay(Buffer.concat(session), {
      version: '1.2',
    });
    const frames = events.filter((e): e is Extract<ParseEvent, { type: 'frame' }> => e.type === 'frame');
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    expect(events.filter((e) => e.type === 'heartbeat')).toHaveLength(1);
    expect(frames.map((f) => f.command)).toEqual(['CONNECT', 'SUBSCRIBE', 'SEND', 'SEND', 'SEND', 'ACK', 'DISCONNECT']);
    expect(frames[0]!.headers).toContainEqual(['passcode', 'p:ss\\word']);
    expect(frames[1]!.headers).toContainEqual(['selector', "type = 'a:b'"]);
    expect(frames[2]!.headers).toContainEqual(['x-multi', 'line1\nline2\r\\end']);
    expect(Buffer.from(frames[2]!.body, 'latin1').toString('utf8')).toBe('héllo wörld');
    expect(frames[2]!.headers).toContainEqual(['content-length', String(Buffer.byteLength('héllo wörld'))]);
    expect(Buffer.from(frames[3]!.body, 'latin1').equals(binary)).toBe(true);
    expect(frames[4]!.headers.some(([n]) => n === 'content-length')).toBe(false);
    expect(frames[4]!.body).toBe('no length');
    expect(frames[5]!.headers).toEqual([['id', 'ack:1'], ['transaction', 'tx-1']]);
  });
});

describe('encodeFrame → @stomp/stompjs Parser', () => {
  function stompjsParse(bytes: Buffer, escape: boolean): { frames: FrameImpl[]; pings: number } {
    const frames: FrameImpl[] = [];
    let pings = 0;
    const parser = new Parser((raw) => frames.push(FrameImpl.fromRawFrame(raw, escape)), () => pings++);
    for (let i = 0; i < bytes.length; i += 7) parser.parseChunk(new Uint8Array(bytes.subarray(i, i + 7)).buffer);
    return { frames, pings };
  }

  it('reads our CONNECTED, MESSAGE (text, binary, escaped headers), RECEIPT and ERROR frames', () => {
    const out = Buffer.concat([
      encodeFrame(createFrame('CONNECTED', { version: '1.2', 'heart-beat': '10000,10000', server: 'Interchange/0.1', session: 's-1' }), '1.2'),
      // The value avoids a backslash followed by c, n or r: stompjs unescapes with one regex per
      // sequence, so it reads the spec-correct wire form of backslash + "c" (two backslashes, c)
      // as backslash + colon. That is a stompjs bug; our encoding follows the spec.
      encodeFrame(createFrame('MESSAGE', { subscription: 'sub-0', 'message-id': 'm:1', destination: '/topic/a.b', 'x-h': 'a\nb\r\\x:d' }, 'hi é'), '1.2'),
      Buffer.from('\n'),
      encodeFrame(createFrame('MESSAGE', { subscription: 'sub-0', 'message-id': 'm:2', destination: '/queue/bin' }, binary), '1.2'),
      encodeFrame(createFrame('RECEIPT', { 'receipt-id': 'r-1' }), '1.2'),
      encodeFrame(createFrame('ERROR', { message: 'malformed frame: bad\nthing' }, 'details\0here'), '1.2'),
    ]);
    const { frames, pings } = stompjsParse(out, true);
    expect(pings).toBe(1);
    expect(frames.map((f) => f.command)).toEqual(['CONNECTED', 'MESSAGE', 'MESSAGE', 'RECEIPT', 'ERROR']);
    expect(frames[0]!.headers['heart-beat']).toBe('10000,10000');
    expect(frames[1]!.headers['message-id']).toBe('m:1');
    expect(frames[1]!.headers['x-h']).toBe('a\nb\r\\x:d');
    expect(frames[1]!.body).toBe('hi é');
    expect(Buffer.from(frames[2]!.binaryBody).equals(binary)).toBe(true);
    expect(frames[3]!.headers['receipt-id']).toBe('r-1');
    expect(frames[4]!.headers['message']).toBe('malformed frame: bad\nthing');
    expect(frames[4]!.body).toBe('details\0here');
  });
});

async function stompitEncode(version: StompVersion, frames: Array<{ command: string; headers: Record<string, string>; body?: Buffer | string }>): Promise<Buffer> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  const out = new stompit.OutgoingFrameStream(sink);
  out.setVersion(version);
  for (const f of frames) {
    await new Promise<void>((resolve, reject) => {
      const w = out.frame(f.command, f.headers);
      w.on('error', reject);
      w.end(f.body ?? '', () => resolve());
    });
  }
  out.heartbeat();
  await new Promise((r) => setImmediate(r));
  return Buffer.concat(chunks);
}

describe('stompit → StompParser', () => {
  it('parses stompit CONNECT (sent before negotiation, as 1.0) and 1.2 frames ending in NUL + LF', async () => {
    // stompit's Client.connect(): CONNECT goes out while the stream is still in 1.0 mode.
    const connect = await stompitEncode('1.0', [
      { command: 'CONNECT', headers: { 'accept-version': '1.0,1.1,1.2', host: '/', login: 'u', passcode: 'p', 'heart-beat': '1000,2000' } },
    ]);
    const rest = await stompitEncode('1.2', [
      { command: 'SUBSCRIBE', headers: { destination: '/queue/a', id: '1', ack: 'client' } },
      { command: 'SEND', headers: { destination: '/queue/a', 'x-k': 'v:1\n2' }, body: 'text body' },
      { command: 'SEND', headers: { destination: '/queue/bin', 'content-length': String(binary.length) }, body: binary },
      { command: 'DISCONNECT', headers: { receipt: 'bye' } },
    ]);
    const all = Buffer.concat([connect, rest]);
    // Each stompit frame ends "\0\n" and the stream ends with a heart-beat.
    expect(all.subarray(all.length - 3).toString('latin1')).toBe('\0\n\n');
    for (const feed of ['whole', 'bytes', 'random'] as const) {
      const frames: string[] = [];
      const { events, parser } = parse(Buffer.alloc(0), { version: '1.0' });
      expect(events).toEqual([]);
      parser.onFrame = (f) => {
        frames.push(f.command);
        if (f.command === 'CONNECT') {
          expect(header(f, 'heart-beat')).toBe('1000,2000');
          parser.setVersion('1.2');
        }
        if (f.command === 'SEND' && header(f, 'destination') === '/queue/a') {
          expect(header(f, 'x-k')).toBe('v:1\n2');
          expect(f.body.toString()).toBe('text body');
        }
        if (f.command === 'SEND' && header(f, 'destination') === '/queue/bin') expect(f.body.equals(binary)).toBe(true);
      };
      let heartbeats = 0;
      parser.onHeartbeat = () => heartbeats++;
      const pieces = feed === 'whole' ? [all] : feed === 'bytes' ? [...all].map((b) => Buffer.from([b])) : [all.subarray(0, 17), all.subarray(17, 90), all.subarray(90)];
      for (const p of pieces) parser.push(p);
      expect(parser.error).toBeUndefined();
      expect(frames).toEqual(['CONNECT', 'SUBSCRIBE', 'SEND', 'SEND', 'DISCONNECT']);
      expect(heartbeats).toBe(7); // one LF after each of the 5 NULs + 2 explicit heart-beats
    }
  });
});

describe('encodeFrame → stompit IncomingFrameStream', () => {
  it('stompit reads our 1.2 frames, escaped headers and binary bodies included', async () => {
    const input = new stompit.IncomingFrameStream();
    input.setVersion('1.2');
    const bytes = Buffer.concat([
      encodeFrame(createFrame('MESSAGE', { subscription: '1', 'message-id': 'id:7', destination: '/queue/a', 'x-k': 'a:b\nc\\d' }, 'hello'), '1.2'),
      encodeFrame(createFrame('MESSAGE', { subscription: '1', 'message-id': 'id:8', destination: '/queue/bin' }, binary), '1.2'),
      encodeFrame(createFrame('RECEIPT', { 'receipt-id': 'bye' }), '1.2'),
    ]);
    input.end(bytes);
    const got: Array<{ command: string; headers: Record<string, unknown>; body: Buffer }> = [];
    for await (const frame of input as AsyncIterable<NodeJS.ReadableStream & { command: string; headers: Record<string, unknown> }>) {
      const parts: Buffer[] = [];
      for await (const c of frame) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
      got.push({ command: frame.command, headers: frame.headers, body: Buffer.concat(parts) });
    }
    expect(got.map((f) => f.command)).toEqual(['MESSAGE', 'MESSAGE', 'RECEIPT']);
    expect(got[0]!.headers['x-k']).toBe('a:b\nc\\d');
    expect(got[0]!.headers['message-id']).toBe('id:7');
    expect(got[0]!.body.toString()).toBe('hello');
    expect(got[1]!.body.equals(binary)).toBe(true);
    expect(got[2]!.headers['receipt-id']).toBe('bye');
  });
});
