import { describe, expect, it } from 'vitest';
import { StompParser } from '../../../protocols/stomp/frame-parser.js';
import type { StompProtocolError } from '../../../protocols/stomp/errors.js';
import { DEFAULT_LIMITS, errorCodes, fr, parse, parseEveryWay } from './helpers.js';

const NUL = '\0';

describe('StompParser: errors', () => {
  const cases: Array<[string, string, string, Partial<ConstructorParameters<typeof StompParser>[0]>?]> = [
    ['lower-case command', `send\n\n${NUL}`, 'INVALID_COMMAND'],
    ['command with a digit', `SEND2\n\n${NUL}`, 'INVALID_COMMAND'],
    ['HTTP request', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'INVALID_COMMAND'],
    ['TLS ClientHello on the plain port', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', 'INVALID_COMMAND'],
    ['NUL between frames', `${NUL}SEND\n\n${NUL}`, 'INVALID_COMMAND'],
    ['space before the command', ` SEND\n\n${NUL}`, 'INVALID_COMMAND'],
    ['blank after the command', `SEND \n\n${NUL}`, 'INVALID_COMMAND'],
    ['CR inside the command line', `SE\rND\n\n${NUL}`, 'INVALID_COMMAND'],
    ['over-long command line', `${'A'.repeat(40)}\n\n${NUL}`, 'INVALID_COMMAND'],
    ['bare CR between frames', `\rSEND\n\n${NUL}`, 'MALFORMED_FRAME'],
    ['frame without the blank line before its NUL', `DISCONNECT\n${NUL}`, 'MALFORMED_FRAME'],
    ['NUL inside a header line', `SEND\na:b${NUL}c\n\n${NUL}`, 'MALFORMED_FRAME'],
    ['header without colon', `SEND\ndestination\n\n${NUL}`, 'MALFORMED_HEADER'],
    ['header with empty name', `SEND\n:value\n\n${NUL}`, 'MALFORMED_HEADER'],
    ['undefined escape \\t (1.2)', `SEND\na:b\\tc\n\n${NUL}`, 'INVALID_ESCAPE', { version: '1.2' }],
    ['undefined escape \\t (1.1)', `SEND\na:b\\tc\n\n${NUL}`, 'INVALID_ESCAPE', { version: '1.1' }],
    ['undefined escape in a name', `SEND\na\\x:b\n\n${NUL}`, 'INVALID_ESCAPE', { version: '1.2' }],
    ['lone trailing backslash', `SEND\na:b\\\n\n${NUL}`, 'INVALID_ESCAPE', { version: '1.2' }],
    ['non-numeric content-length', `SEND\ncontent-length:abc\n\n${NUL}`, 'INVALID_CONTENT_LENGTH'],
    ['negative content-length', `SEND\ncontent-length:-1\n\n${NUL}`, 'INVALID_CONTENT_LENGTH'],
    ['fractional content-length', `SEND\ncontent-length:1.5\n\nx${NUL}`, 'INVALID_CONTENT_LENGTH'],
    ['hex content-length', `SEND\ncontent-length:0x10\n\n${NUL}`, 'INVALID_CONTENT_LENGTH'],
    ['empty content-length', `SEND\ncontent-length:\n\n${NUL}`, 'INVALID_CONTENT_LENGTH'],
    ['absurd content-length', `SEND\ncontent-length:99999999999999999999\n\n${NUL}`, 'INVALID_CONTENT_LENGTH'],
    ['content-length body not followed by NUL', `SEND\ncontent-length:2\n\nabc${NUL}`, 'MISSING_NUL'],
    ['too many headers', `SEND\na:1\nb:2\nc:3\n\n${NUL}`, 'TOO_MANY_HEADERS', { maxHeaders: 2 }],
    ['header line too long', `SEND\nk:${'v'.repeat(9)}\n\n${NUL}`, 'HEADER_LINE_TOO_LONG', { maxHeaderLineBytes: 10 }],
    ['header line too long even with CRLF', `SEND\r\nk:${'v'.repeat(9)}\r\n\r\n${NUL}`, 'HEADER_LINE_TOO_LONG', { maxHeaderLineBytes: 10 }],
    ['body without content-length over the limit', `SEND\n\n${'x'.repeat(50)}${NUL}`, 'FRAME_TOO_LARGE', { maxFrameBytes: 40 }],
    ['frame of limit + 1 bytes', `SEND\na:b\n\nxyz${NUL}`, 'FRAME_TOO_LARGE', { maxFrameBytes: 13 }],
    ['headers over the frame limit', `SEND\n${'h:v\n'.repeat(20)}\n${NUL}`, 'FRAME_TOO_LARGE', { maxFrameBytes: 40 }],
    ['content-length over the frame limit', `SEND\ncontent-length:100\n\n${'x'.repeat(100)}${NUL}`, 'FRAME_TOO_LARGE', { maxFrameBytes: 64 }],
  ];

  it.each(cases)('%s → %s', (_name, wire, code, opts) => {
    const events = parseEveryWay(wire, opts ?? {});
    expect(errorCodes(events)).toEqual([code]);
    const last = events[events.length - 1]!;
    expect(last.type).toBe('error');
    if (last.type === 'error') {
      expect(last.message).not.toMatch(/[\r\n]/);
      expect(last.message.length).toBeLessThan(200);
    }
  });

  it('rejects header bytes that are not UTF-8', () => {
    const wire = Buffer.concat([Buffer.from('SEND\ndestination:/queue/'), Buffer.from([0xc3, 0x28]), Buffer.from(`\n\n${NUL}`)]);
    expect(errorCodes(parseEveryWay(wire))).toEqual(['INVALID_UTF8']);
  });

  it('content-length longer than the data: reads that many bytes, then fails on the missing NUL instead of hanging', () => {
    // content-length 10, but the client only sent 5 bytes + NUL and then the next frame.
    const wire = `SEND\ncontent-length:10\n\nhello${NUL}SEND\n\nnext${NUL}`;
    const events = parseEveryWay(wire);
    expect(events).toEqual([{ type: 'error', code: 'MISSING_NUL', message: expect.stringMatching(/byte 0x0a follows/) as unknown as string }]);
  });

  it('a good frame before the bad one is still delivered, nothing after it', () => {
    const events = parseEveryWay(`SEND\n\nok${NUL}\nbad\n\n${NUL}SEND\n\nlater${NUL}`);
    expect(events).toEqual([fr('SEND', [], 'ok'), { type: 'heartbeat' }, expect.objectContaining({ type: 'error', code: 'INVALID_COMMAND' })]);
  });

  it('reports only the first error and ignores later input', () => {
    const errors: StompProtocolError[] = [];
    const parser = new StompParser({ ...DEFAULT_LIMITS, onError: (e) => errors.push(e) });
    parser.push(Buffer.from('nope'));
    parser.push(Buffer.from(`SEND\n\n${NUL}`));
    parser.push(Buffer.from('more garbage'));
    expect(errors.map((e) => e.code)).toEqual(['INVALID_COMMAND']);
    expect(parser.isStopped).toBe(true);
    expect(parser.error).toBe(errors[0]);
  });

  it('garbage is rejected at its first byte, without waiting for a line end', () => {
    const { events } = parse('x');
    expect(errorCodes(events)).toEqual(['INVALID_COMMAND']);
  });

  it('an over-long header line is rejected before its end arrives', () => {
    const parser = new StompParser({ ...DEFAULT_LIMITS, maxHeaderLineBytes: 100, onError: () => undefined });
    parser.push(Buffer.from('SEND\nk:'));
    for (let i = 0; i < 200 && !parser.isStopped; i++) parser.push(Buffer.from('v'));
    expect(parser.error?.code).toBe('HEADER_LINE_TOO_LONG');
    expect(parser.bufferedBytes).toBe(0);
  });

  it('an oversized body without content-length is rejected as soon as the limit is crossed, never buffering more', () => {
    const max = 10_000;
    const parser = new StompParser({ ...DEFAULT_LIMITS, maxFrameBytes: max, onError: () => undefined });
    parser.push(Buffer.from('SEND\ndestination:/queue/a\n\n'));
    let fed = 0;
    let peak = 0;
    const piece = Buffer.alloc(997, 0x61);
    while (!parser.isStopped && fed < 10 * max) {
      parser.push(piece);
      fed += piece.length;
      peak = Math.max(peak, parser.bufferedBytes);
    }
    expect(parser.error?.code).toBe('FRAME_TOO_LARGE');
    expect(fed).toBeLessThanOrEqual(max + piece.length);
    expect(peak).toBeLessThanOrEqual(max);
    expect(parser.bufferedBytes).toBe(0);
  });

  it('an oversized content-length is rejected at the end of the headers, before any body byte', () => {
    const errors: string[] = [];
    const parser = new StompParser({ ...DEFAULT_LIMITS, maxFrameBytes: 1024, onError: (e) => errors.push(e.code) });
    parser.push(Buffer.from('SEND\ncontent-length:1000000\n\n'));
    expect(errors).toEqual(['FRAME_TOO_LARGE']);
    expect(parser.bufferedBytes).toBe(0);
  });

  it('the frame limit counts the header section too', () => {
    const parser = new StompParser({ ...DEFAULT_LIMITS, maxFrameBytes: 64, maxHeaders: 1000, onError: () => undefined });
    for (let i = 0; i < 100 && !parser.isStopped; i++) parser.push(Buffer.from(i === 0 ? 'SEND\n' : 'h:v\n'));
    expect(parser.error?.code).toBe('FRAME_TOO_LARGE');
  });
});
