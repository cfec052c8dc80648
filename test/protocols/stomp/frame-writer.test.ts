import { describe, expect, it } from 'vitest';
import { HEARTBEAT, encodeFrame } from '../../../protocols/stomp/frame-writer.js';
import { createFrame, header, headerValues, usesEscaping, type StompFrame, type StompVersion } from '../../../protocols/stomp/frame.js';
import { escapeHeaderText, unescapeHeaderText } from '../../../protocols/stomp/escape.js';
import { isStompProtocolError } from '../../../protocols/stomp/errors.js';
import { parse, parseEveryWay, rng } from './helpers.js';

const wire = (f: StompFrame, v: StompVersion) => encodeFrame(f, v).toString('latin1');

describe('frame helpers', () => {
  it('createFrame keeps header order, skips undefined/null, stringifies numbers and booleans', () => {
    const f = createFrame('SEND', { destination: '/queue/a', priority: 4, persistent: true, skip: undefined, none: null }, 'hi');
    expect(f.headers).toEqual([['destination', '/queue/a'], ['priority', '4'], ['persistent', 'true']]);
    expect(f.body.toString()).toBe('hi');
    expect(createFrame('RECEIPT').body.length).toBe(0);
    const raw = Buffer.from([0, 1]);
    expect(createFrame('SEND', {}, raw).body).toBe(raw);
  });

  it('header() returns the first occurrence; headerValues() all of them', () => {
    const f: StompFrame = { command: 'MESSAGE', headers: [['a', '1'], ['b', '2'], ['a', '3']], body: Buffer.alloc(0) };
    expect(header(f, 'a')).toBe('1');
    expect(header(f, 'A')).toBeUndefined();
    expect(headerValues(f, 'a')).toEqual(['1', '3']);
  });

  it.each([
    ['SEND', '1.0', false], ['SEND', '1.1', true], ['SEND', '1.2', true], ['MESSAGE', '1.2', true],
    ['CONNECT', '1.2', false], ['CONNECTED', '1.1', false], ['STOMP', '1.2', false],
  ] as const)('usesEscaping(%s, %s) = %s', (command, version, expected) => {
    expect(usesEscaping(command, version)).toBe(expected);
  });
});

describe('header escaping', () => {
  it.each([
    ['plain', 'plain', 'plain'],
    ['a:b', 'a\\cb', 'a\\cb'],
    ['line1\nline2', 'line1\\nline2', 'line1\\nline2'],
    ['cr\rhere', 'cr\\rhere', 'cr\rhere'],
    ['back\\slash', 'back\\\\slash', 'back\\\\slash'],
    ['\\n is not a newline', '\\\\n is not a newline', '\\\\n is not a newline'],
    ['ünï€😀', 'ünï€😀', 'ünï€😀'],
  ])('%j → 1.2 %j, 1.1 %j', (raw, v12, v11) => {
    expect(escapeHeaderText(raw, '1.2')).toBe(v12);
    expect(escapeHeaderText(raw, '1.1')).toBe(v11);
    expect(unescapeHeaderText(v12)).toBe(raw);
    expect(unescapeHeaderText(v11)).toBe(raw);
  });

  it.each(['\\t', 'a\\', '\\x41', '\\C', '\\N', '\\ '])('rejects %j', (text) => {
    let err: unknown;
    try {
      unescapeHeaderText(text);
    } catch (e) {
      err = e;
    }
    expect(isStompProtocolError(err, 'INVALID_ESCAPE')).toBe(true);
  });
});

describe('encodeFrame', () => {
  it('writes command, headers, blank line, body, NUL and a content-length', () => {
    const f = createFrame('MESSAGE', { destination: '/queue/a', 'message-id': '1', subscription: '0' }, 'hello');
    expect(wire(f, '1.2')).toBe('MESSAGE\ndestination:/queue/a\nmessage-id:1\nsubscription:0\ncontent-length:5\n\nhello\0');
  });

  it('always gives MESSAGE a content-length, other empty-bodied frames none', () => {
    expect(wire(createFrame('MESSAGE', { 'message-id': '1' }), '1.2')).toBe('MESSAGE\nmessage-id:1\ncontent-length:0\n\n\0');
    expect(wire(createFrame('RECEIPT', { 'receipt-id': '9' }), '1.2')).toBe('RECEIPT\nreceipt-id:9\n\n\0');
    expect(wire(createFrame('ERROR', { message: 'bad' }, 'details'), '1.0')).toBe('ERROR\nmessage:bad\ncontent-length:7\n\ndetails\0');
  });

  it('replaces a caller-supplied content-length with the true one', () => {
    const f: StompFrame = { command: 'MESSAGE', headers: [['content-length', '999'], ['a', 'b'], ['content-length', '1']], body: Buffer.from('xyz') };
    expect(wire(f, '1.2')).toBe('MESSAGE\na:b\ncontent-length:3\n\nxyz\0');
  });

  it('counts content-length in bytes, not characters', () => {
    expect(wire(createFrame('MESSAGE', {}, 'é€'), '1.2')).toContain('content-length:5\n');
  });

  it('escapes names and values in 1.2 (including CR), in 1.1 (CR raw), not in 1.0', () => {
    const f = createFrame('MESSAGE', { 'k:\\': 'a:b\nc\rd\\e' });
    expect(wire(f, '1.2')).toBe('MESSAGE\nk\\c\\\\:a\\cb\\nc\\rd\\\\e\ncontent-length:0\n\n\0');
    expect(wire(f, '1.1')).toBe('MESSAGE\nk\\c\\\\:a\\cb\\nc\rd\\\\e\ncontent-length:0\n\n\0');
    expect(wire(f, '1.0')).toBe('MESSAGE\nk_\\:a:b c d\\e\ncontent-length:0\n\n\0');
  });

  it('does not escape CONNECTED, and neutralises line breaks there', () => {
    const f = createFrame('CONNECTED', { version: '1.2', server: 'Inter:change\nevil:1', 'heart-beat': '0,0' });
    expect(wire(f, '1.2')).toBe('CONNECTED\nversion:1.2\nserver:Inter:change evil:1\nheart-beat:0,0\n\n\0');
  });

  it('bodies may contain NULs', () => {
    const body = Buffer.from([0, 0, 1, 0]);
    const out = encodeFrame(createFrame('MESSAGE', {}, body), '1.2');
    expect(parse(out).frames[0]!.body.equals(body)).toBe(true);
  });

  it('HEARTBEAT is a single LF', () => {
    expect(HEARTBEAT.equals(Buffer.from([0x0a]))).toBe(true);
    expect(parseEveryWay(Buffer.concat([HEARTBEAT, HEARTBEAT]))).toEqual([{ type: 'heartbeat' }, { type: 'heartbeat' }]);
  });
});

describe('encodeFrame → StompParser round trip (random headers and bodies)', () => {
  const alphabet = ['a', 'Z', '0', ':', '\n', '\r', '\\', 'c', 'n', 'r', ' ', '-', 'é', '€', '😀', '\t'];

  function randomText(rand: () => number, max: number, allowEmpty: boolean): string {
    const len = (allowEmpty ? 0 : 1) + Math.floor(rand() * max);
    let s = '';
    for (let i = 0; i < len; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
    return s;
  }

  function randomFrame(rand: () => number, version: StompVersion): StompFrame {
    const headers: Array<[string, string]> = [];
    const n = Math.floor(rand() * 6);
    for (let i = 0; i < n; i++) {
      let name = randomText(rand, 8, false);
      let value = randomText(rand, 16, true);
      if (version === '1.1') {
        // 1.1 has no \r escape: a CR at the very end of a line is read as part of CRLF.
        value = value.replace(/\r+$/, '');
        name = name.replace(/\r+$/, '') || 'n';
      }
      headers.push([name, value]);
    }
    const body = Buffer.from(Array.from({ length: Math.floor(rand() * 40) }, () => Math.floor(rand() * 256)));
    return { command: 'MESSAGE', headers, body };
  }

  it.each(['1.1', '1.2'] as const)('%s: every header survives exactly', (version) => {
    const rand = rng(version === '1.2' ? 12 : 11);
    const frames = Array.from({ length: 300 }, () => randomFrame(rand, version));
    const bytes = Buffer.concat(frames.map((f) => encodeFrame(f, version)));
    for (const feed of ['whole', 'bytes', 'random'] as const) {
      const { frames: parsed, events } = parse(bytes, { version }, feed, 5);
      expect(events.filter((e) => e.type === 'error')).toEqual([]);
      expect(parsed.length).toBe(frames.length);
      parsed.forEach((p, i) => {
        expect(p.headers).toEqual([...frames[i]!.headers, ['content-length', String(frames[i]!.body.length)]]);
        expect(p.body.equals(frames[i]!.body)).toBe(true);
      });
    }
  });

  it('1.0: headers without line breaks (or colons in names) survive exactly', () => {
    const rand = rng(10);
    const frames = Array.from({ length: 200 }, () => {
      const f = randomFrame(rand, '1.2');
      f.headers = f.headers.map(([n, v]) => [n.replace(/[\r\n:]/g, 'x'), v.replace(/[\r\n]/g, 'y')]);
      return f;
    });
    const { frames: parsed } = parse(Buffer.concat(frames.map((f) => encodeFrame(f, '1.0'))), { version: '1.0' }, 'random', 3);
    expect(parsed.map((p) => p.headers)).toEqual(frames.map((f) => [...f.headers, ['content-length', String(f.body.length)]]));
  });
});

describe('createErrorFrame', () => {
  it('builds an ERROR frame from a protocol error, with receipt-id, versions and details', async () => {
    const { createErrorFrame } = await import('../../../protocols/stomp/error-frame.js');
    const { StompProtocolError } = await import('../../../protocols/stomp/errors.js');
    const f = createErrorFrame(new StompProtocolError('FRAME_TOO_LARGE', 'frame exceeds the limit of 10 bytes'), {
      receiptId: 'r-9',
      supportedVersions: true,
      details: 'The frame:\nSEND ...',
    });
    expect(f.command).toBe('ERROR');
    expect(f.headers).toEqual([
      ['message', 'frame too large: frame exceeds the limit of 10 bytes'],
      ['receipt-id', 'r-9'],
      ['version', '1.0,1.1,1.2'],
      ['content-type', 'text/plain'],
    ]);
    expect(f.body.toString()).toBe('The frame:\nSEND ...');
    expect(wire(createErrorFrame('two\nlines'), '1.0')).toBe('ERROR\nmessage:two lines\n\n\0');
  });
});
