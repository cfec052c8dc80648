import { describe, expect, it } from 'vitest';
import { StompParser } from '../../../protocols/stomp/frame-parser.js';
import { header, type StompFrame } from '../../../protocols/stomp/frame.js';
import { DEFAULT_LIMITS, HB, fr, parse, parseEveryWay, type ParseEvent } from './helpers.js';

const NUL = '\0';

describe('StompParser: frame shapes from the spec', () => {
  const cases: Array<[string, string, ParseEvent[]]> = [
    ['1.0 CONNECT with login', `CONNECT\nlogin:guest\npasscode:guest\n\n${NUL}`,
      [fr('CONNECT', [['login', 'guest'], ['passcode', 'guest']])]],
    ['1.2 CONNECT', `CONNECT\naccept-version:1.0,1.1,1.2\nhost:stomp.example.com\nheart-beat:10000,10000\n\n${NUL}`,
      [fr('CONNECT', [['accept-version', '1.0,1.1,1.2'], ['host', 'stomp.example.com'], ['heart-beat', '10000,10000']])]],
    ['STOMP', `STOMP\naccept-version:1.2\nhost:h\n\n${NUL}`, [fr('STOMP', [['accept-version', '1.2'], ['host', 'h']])]],
    ['CONNECTED', `CONNECTED\nversion:1.2\nsession:s1\nserver:Interchange/0.1\nheart-beat:0,0\n\n${NUL}`,
      [fr('CONNECTED', [['version', '1.2'], ['session', 's1'], ['server', 'Interchange/0.1'], ['heart-beat', '0,0']])]],
    ['SEND with text body', `SEND\ndestination:/queue/a\ncontent-type:text/plain\n\nhello queue a${NUL}`,
      [fr('SEND', [['destination', '/queue/a'], ['content-type', 'text/plain']], 'hello queue a')]],
    ['SEND with content-length', `SEND\ndestination:/queue/a\ncontent-length:5\n\nhello${NUL}`,
      [fr('SEND', [['destination', '/queue/a'], ['content-length', '5']], 'hello')]],
    ['SUBSCRIBE', `SUBSCRIBE\nid:0\ndestination:/queue/foo\nack:client\n\n${NUL}`,
      [fr('SUBSCRIBE', [['id', '0'], ['destination', '/queue/foo'], ['ack', 'client']])]],
    ['UNSUBSCRIBE', `UNSUBSCRIBE\nid:0\n\n${NUL}`, [fr('UNSUBSCRIBE', [['id', '0']])]],
    ['ACK', `ACK\nid:12345\ntransaction:tx1\n\n${NUL}`, [fr('ACK', [['id', '12345'], ['transaction', 'tx1']])]],
    ['NACK', `NACK\nid:12345\n\n${NUL}`, [fr('NACK', [['id', '12345']])]],
    ['BEGIN', `BEGIN\ntransaction:tx1\n\n${NUL}`, [fr('BEGIN', [['transaction', 'tx1']])]],
    ['COMMIT', `COMMIT\ntransaction:tx1\n\n${NUL}`, [fr('COMMIT', [['transaction', 'tx1']])]],
    ['ABORT', `ABORT\ntransaction:tx1\n\n${NUL}`, [fr('ABORT', [['transaction', 'tx1']])]],
    ['DISCONNECT with receipt', `DISCONNECT\nreceipt:77\n\n${NUL}`, [fr('DISCONNECT', [['receipt', '77']])]],
    ['RECEIPT', `RECEIPT\nreceipt-id:77\n\n${NUL}`, [fr('RECEIPT', [['receipt-id', '77']])]],
    ['MESSAGE', `MESSAGE\nsubscription:0\nmessage-id:007\ndestination:/queue/a\ncontent-type:text/plain\n\nhello queue a${NUL}`,
      [fr('MESSAGE', [['subscription', '0'], ['message-id', '007'], ['destination', '/queue/a'], ['content-type', 'text/plain']], 'hello queue a')]],
    ['ERROR', `ERROR\nreceipt-id:message-12345\ncontent-type:text/plain\ncontent-length:13\nmessage:malformed frame received\n\nThe message:\n${NUL}`,
      [fr('ERROR', [['receipt-id', 'message-12345'], ['content-type', 'text/plain'], ['content-length', '13'], ['message', 'malformed frame received']], 'The message:\n')]],
    ['no headers, no body', `DISCONNECT\n\n${NUL}`, [fr('DISCONNECT', [])]],
    ['empty header value', `SEND\ndestination:/queue/a\nx-empty:\n\n${NUL}`, [fr('SEND', [['destination', '/queue/a'], ['x-empty', '']])]],
    ['value keeps further colons and blanks', `SEND\nurl: http://h:80/p \n\n${NUL}`, [fr('SEND', [['url', ' http://h:80/p ']])]],
    ['unknown upper-case command is parsed (session rejects it)', `FOO\n\n${NUL}`, [fr('FOO', [])]],
  ];

  it.each(cases)('%s', (_name, wire, expected) => {
    expect(parseEveryWay(wire)).toEqual(expected);
  });
});

describe('StompParser: bodies', () => {
  it('reads exactly content-length bytes, NULs included', () => {
    const body = Buffer.from([0, 1, 2, 0, 0, 255, 0x0a, 0]);
    const wire = Buffer.concat([Buffer.from(`SEND\ndestination:/queue/b\ncontent-length:${body.length}\n\n`), body, Buffer.from([0])]);
    const [ev] = parseEveryWay(wire);
    expect(ev).toEqual(fr('SEND', [['destination', '/queue/b'], ['content-length', '8']], body.toString('latin1')));
    const { frames } = parse(wire);
    expect(frames[0]!.body.equals(body)).toBe(true);
  });

  it('content-length:0 requires the NUL right away', () => {
    expect(parseEveryWay(`SEND\ncontent-length:0\n\n${NUL}`)).toEqual([fr('SEND', [['content-length', '0']])]);
  });

  it('without content-length the body ends at the first NUL', () => {
    expect(parseEveryWay(`SEND\n\nab${NUL}cd${NUL}`)).toEqual([
      fr('SEND', [], 'ab'),
      { type: 'error', code: 'INVALID_COMMAND', message: expect.stringContaining('0x63') as unknown as string },
    ]);
  });

  it('tolerates blanks around the content-length digits', () => {
    expect(parseEveryWay(`SEND\ncontent-length: 3 \n\nabc${NUL}`)).toEqual([fr('SEND', [['content-length', ' 3 ']], 'abc')]);
  });

  it('uses the FIRST content-length when repeated', () => {
    expect(parseEveryWay(`SEND\ncontent-length:2\ncontent-length:5\n\nab${NUL}`)).toEqual([
      fr('SEND', [['content-length', '2'], ['content-length', '5']], 'ab'),
    ]);
  });

  it('keeps binary (non UTF-8) body bytes untouched', () => {
    const body = Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x80]);
    const wire = Buffer.concat([Buffer.from('SEND\n\n'), body, Buffer.from([0])]);
    expect(parse(wire, {}, 'bytes').frames[0]!.body.equals(body)).toBe(true);
  });

  it('returns bodies that do not alias the input chunk', () => {
    const wire = Buffer.from(`SEND\ncontent-length:3\n\nabc${NUL}SEND\n\nxyz${NUL}`);
    const { frames } = parse(wire);
    wire.fill(0x21);
    expect(frames.map((f) => f.body.toString())).toEqual(['abc', 'xyz']);
  });
});

describe('StompParser: line endings and heart-beats', () => {
  it('accepts CRLF everywhere (1.2)', () => {
    const wire = `SEND\r\ndestination:/queue/a\r\ncontent-length:2\r\n\r\nhi${NUL}\r\n\r\nRECEIPT\r\nreceipt-id:1\r\n\r\n${NUL}`;
    expect(parseEveryWay(wire, { version: '1.2' })).toEqual([
      fr('SEND', [['destination', '/queue/a'], ['content-length', '2']], 'hi'), HB, HB, fr('RECEIPT', [['receipt-id', '1']]),
    ]);
  });

  it.each(['1.0', '1.1'] as const)('tolerates CRLF in %s too', (version) => {
    expect(parseEveryWay(`SEND\r\na:b\r\n\r\n${NUL}`, { version })).toEqual([fr('SEND', [['a', 'b']])]);
  });

  it('mixes LF and CRLF', () => {
    expect(parseEveryWay(`SEND\r\na:1\nb:2\r\n\n${NUL}`)).toEqual([fr('SEND', [['a', '1'], ['b', '2']])]);
  });

  it('keeps a CR inside a value (only a CR right before LF is part of the EOL)', () => {
    expect(parseEveryWay(`SEND\r\na:x\ry\r\n\n${NUL}`, { version: '1.1' })).toEqual([fr('SEND', [['a', 'x\ry']])]);
  });

  it('reports EOLs before, between and after frames as heart-beats', () => {
    const wire = `\n\r\nSEND\n\n${NUL}\n\n\r\nSEND\n\n${NUL}\n`;
    expect(parseEveryWay(wire)).toEqual([HB, HB, fr('SEND', []), HB, HB, HB, fr('SEND', []), HB]);
  });

  it('a pure heart-beat stream', () => {
    expect(parseEveryWay('\n'.repeat(5))).toEqual([HB, HB, HB, HB, HB]);
  });
});

describe('StompParser: headers', () => {
  it('keeps repeated headers in order; header() returns the first', () => {
    const { frames } = parse(`MESSAGE\nfoo:World\nfoo:Hello\n\n${NUL}`);
    expect(frames[0]!.headers).toEqual([['foo', 'World'], ['foo', 'Hello']]);
    expect(header(frames[0]!, 'foo')).toBe('World');
  });

  it('decodes UTF-8 header text even when a multi-byte character is split across chunks', () => {
    const wire = Buffer.from(`SEND\ndestination:/queue/é€😀\nnäme:valüe\n\n${NUL}`, 'utf8');
    expect(parseEveryWay(wire)).toEqual([fr('SEND', [['destination', '/queue/é€😀'], ['näme', 'valüe']])]);
  });

  it('accepts exactly maxHeaders headers and a line of exactly maxHeaderLineBytes (plus CR)', () => {
    const opts = { maxHeaders: 3, maxHeaderLineBytes: 10 };
    const line = 'k:' + 'v'.repeat(8); // 10 bytes
    expect(parseEveryWay(`SEND\n${line}\r\n${line}\n${line}\r\n\n${NUL}`, opts)).toEqual([
      fr('SEND', [['k', 'v'.repeat(8)], ['k', 'v'.repeat(8)], ['k', 'v'.repeat(8)]]),
    ]);
  });

  it('accepts a frame of exactly maxFrameBytes (command through NUL)', () => {
    const wire = `SEND\na:b\n\nxyz${NUL}`;
    expect(parseEveryWay(wire, { maxFrameBytes: wire.length })).toEqual([fr('SEND', [['a', 'b']], 'xyz')]);
    expect(parseEveryWay(`SEND\ncontent-length:3\n\nxyz${NUL}`, { maxFrameBytes: 27 })).toEqual([
      fr('SEND', [['content-length', '3']], 'xyz'),
    ]);
  });
});

describe('StompParser: escaping', () => {
  const escaped = `SEND\nk\\c\\n\\r\\\\:v\\c1\\n2\\r3\\\\4\n\n${NUL}`;

  it.each(['1.1', '1.2'] as const)('unescapes names and values in %s', (version) => {
    expect(parseEveryWay(escaped, { version })).toEqual([fr('SEND', [['k:\n\r\\', 'v:1\n2\r3\\4']])]);
  });

  it('does not unescape in 1.0', () => {
    expect(parseEveryWay(escaped, { version: '1.0' })).toEqual([fr('SEND', [['k\\c\\n\\r\\\\', 'v\\c1\\n2\\r3\\\\4']])]);
  });

  it.each(['CONNECT', 'CONNECTED', 'STOMP'])('never unescapes %s frames', (command) => {
    expect(parseEveryWay(`${command}\nlogin:a\\tb\\c\n\n${NUL}`, { version: '1.2' })).toEqual([fr(command, [['login', 'a\\tb\\c']])]);
  });

  it('escaped colon in a name does not split it', () => {
    expect(parseEveryWay(`SEND\na\\cb:c:d\n\n${NUL}`, { version: '1.2' })).toEqual([fr('SEND', [['a:b', 'c:d']])]);
  });

  it('setVersion from inside onFrame applies to the next frame in the same chunk', () => {
    const frames: StompFrame[] = [];
    const parser = new StompParser({
      ...DEFAULT_LIMITS,
      version: '1.0',
      onFrame: (f) => {
        frames.push(f);
        if (f.command === 'CONNECT') parser.setVersion('1.2');
      },
    });
    parser.push(Buffer.from(`SEND\na:x\\cy\n\n${NUL}CONNECT\naccept-version:1.2\n\n${NUL}SEND\na:x\\cy\n\n${NUL}`));
    expect(frames.map((f) => header(f, 'a') ?? f.command)).toEqual(['x\\cy', 'CONNECT', 'x:y']);
    expect(parser.getVersion()).toBe('1.2');
  });
});

describe('StompParser: many frames, every split', () => {
  it('parses a long mixed stream identically whole, byte by byte and at random splits', () => {
    const parts: Buffer[] = [];
    const expected: ParseEvent[] = [];
    for (let i = 0; i < 40; i++) {
      const body = Buffer.from(Array.from({ length: i * 3 }, (_, k) => (k * 7 + i) % 256));
      const crlf = i % 3 === 0 ? '\r\n' : '\n';
      const hasNul = body.includes(0);
      const headers: Array<[string, string]> = [['destination', `/queue/q${i}`], ['x-i', String(i)]];
      if (hasNul || i % 2 === 0) headers.push(['content-length', String(body.length)]);
      let text = `SEND${crlf}`;
      for (const [n, v] of headers) text += `${n}:${v}${crlf}`;
      text += crlf;
      parts.push(Buffer.from(text), body, Buffer.from([0]), Buffer.from(i % 4 === 0 ? '\n' : ''));
      expected.push(fr('SEND', headers, body.toString('latin1')));
      if (i % 4 === 0) expected.push(HB);
    }
    expect(parseEveryWay(Buffer.concat(parts), { version: '1.2' })).toEqual(expected);
  });
});

describe('StompParser: callbacks', () => {
  it('without onError, push throws the protocol error', () => {
    const parser = new StompParser({ ...DEFAULT_LIMITS });
    expect(() => parser.push(Buffer.from('bogus'))).toThrow(/invalid command/);
    expect(parser.isStopped).toBe(true);
    expect(parser.error?.code).toBe('INVALID_COMMAND');
    expect(() => parser.push(Buffer.from('SEND\n\n\0'))).not.toThrow();
  });

  it('an exception from onFrame propagates and stops the parser', () => {
    const seen: string[] = [];
    const parser = new StompParser({
      ...DEFAULT_LIMITS,
      onFrame: (f) => {
        seen.push(f.command);
        throw new Error('handler failed');
      },
    });
    expect(() => parser.push(Buffer.from(`SEND\n\n${NUL}ACK\n\n${NUL}`))).toThrow('handler failed');
    expect(parser.isStopped).toBe(true);
    parser.push(Buffer.from(`NACK\n\n${NUL}`));
    expect(seen).toEqual(['SEND']);
  });

  it('stop() from a callback ignores the rest of the chunk', () => {
    const seen: string[] = [];
    const parser = new StompParser({
      ...DEFAULT_LIMITS,
      onFrame: (f) => {
        seen.push(f.command);
        if (f.command === 'DISCONNECT') parser.stop();
      },
    });
    parser.push(Buffer.from(`SEND\n\n${NUL}DISCONNECT\n\n${NUL}SEND\n\n${NUL}`));
    expect(seen).toEqual(['SEND', 'DISCONNECT']);
    expect(parser.error).toBeUndefined();
  });

  it('validates its limits and versions', () => {
    expect(() => new StompParser({ ...DEFAULT_LIMITS, maxFrameBytes: 0 })).toThrow(RangeError);
    expect(() => new StompParser({ ...DEFAULT_LIMITS, maxHeaders: 1.5 })).toThrow(RangeError);
    const p = new StompParser({ ...DEFAULT_LIMITS });
    expect(p.getVersion()).toBe('1.2');
    expect(() => p.setVersion('2.0' as never)).toThrow(RangeError);
  });
});
