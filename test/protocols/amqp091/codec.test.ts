/**
 * The AMQP 0-9-1 codec: method table, method / field table / content header round trips
 * (fast-check), frame parsing limits and content reassembly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { typed, valueEquals, type Value } from '../../../src/core/values.js';
import { ContentAssembler } from '../../../protocols/amqp091/codec/content-assembler.js';
import { decodeContentHeader, encodeContentHeader, type BasicProperties } from '../../../protocols/amqp091/codec/content-header.js';
import { readTable, writeTable, type FieldTable } from '../../../protocols/amqp091/codec/field-table.js';
import { FrameParser } from '../../../protocols/amqp091/codec/frame-parser.js';
import { contentFrames, frame, HEARTBEAT_FRAME, methodFrame } from '../../../protocols/amqp091/codec/frame-writer.js';
import { decodeMethod, encodeMethod, type ArgValue, type MethodArgs } from '../../../protocols/amqp091/codec/method-codec.js';
import { WireReader } from '../../../protocols/amqp091/codec/wire-reader.js';
import { WireWriter } from '../../../protocols/amqp091/codec/wire-writer.js';
import { AmqpError } from '../../../protocols/amqp091/errors.js';
import { FrameType } from '../../../protocols/amqp091/spec/constants.js';
import type { FieldType } from '../../../protocols/amqp091/spec/domains.js';
import { METHODS, methodById, methodByName } from '../../../protocols/amqp091/spec/method-table.js';

const shortstr = fc.string({ maxLength: 40 }).filter((s) => Buffer.byteLength(s) <= 255);
const key = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => Buffer.byteLength(s) <= 255);

/** Core values that survive encode → decode unchanged (the canonical forms). */
const scalar: fc.Arbitrary<Value> = fc.oneof(
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 30 }),
  fc.integer({ min: -128, max: 127 }).map(typed.byte),
  fc.integer({ min: 0, max: 255 }).map(typed.ubyte),
  fc.integer({ min: -0x8000, max: 0x7fff }).map(typed.short),
  fc.integer({ min: 0, max: 0xffff }).map(typed.ushort),
  fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }).map(typed.int),
  fc.integer({ min: 0, max: 0xffff_ffff }).map(typed.uint),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(typed.long),
  fc.bigInt({ min: 2n ** 63n, max: 2n ** 64n - 1n }).map(typed.ulong),
  fc.float().map(typed.float),
  fc.double().map(typed.double),
  fc.tuple(fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: 0, max: 12 })).map(([digits, scale]) => {
    const s = String(digits).padStart(scale + 1, '0');
    return typed.decimal(scale === 0 ? s : `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`);
  }),
  fc.integer({ min: 0, max: 4_000_000_000 }).map((s) => typed.timestamp(s * 1000)),
  fc.uint8Array({ maxLength: 20 }).map((b) => typed.binary(Buffer.from(b))),
);
const { value: valueArb } = fc.letrec<{ value: Value }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }).map((xs) => typed.list(xs)),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }).map((m) => typed.map(m)),
  ),
}));
const tableArb: fc.Arbitrary<FieldTable> = fc.dictionary(key, valueArb, { maxKeys: 6 });

function tableEquals(a: FieldTable, b: FieldTable): boolean {
  return valueEquals(typed.map(a), typed.map(b));
}

function roundTripTable(t: FieldTable): FieldTable {
  const w = new WireWriter(8);
  writeTable(w, t);
  const r = new WireReader(Buffer.from(w.result()));
  const out = readTable(r);
  expect(r.remaining).toBe(0);
  return out;
}

function argArb(type: FieldType): fc.Arbitrary<ArgValue> {
  switch (type) {
    case 'bit': return fc.boolean();
    case 'octet': return fc.integer({ min: 0, max: 255 });
    case 'short': return fc.integer({ min: 0, max: 0xffff });
    case 'long': return fc.integer({ min: 0, max: 0xffff_ffff });
    case 'longlong': case 'timestamp': return fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
    case 'shortstr': return shortstr;
    case 'longstr': return fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b));
    case 'table': return tableArb;
  }
}

function expectArgsEqual(a: MethodArgs, b: MethodArgs): void {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const k of Object.keys(a)) {
    const x = a[k]!;
    const y = b[k]!;
    if (Buffer.isBuffer(x)) expect(Buffer.isBuffer(y) && x.equals(y)).toBe(true);
    else if (typeof x === 'object') expect(tableEquals(x, y as FieldTable)).toBe(true);
    else expect(y).toBe(x);
  }
}

describe('AMQP 0-9-1 method table', () => {
  it('has every class and method of 0-9-1 with RabbitMQ extensions', () => {
    expect(METHODS).toHaveLength(66);
    const names = new Set(METHODS.map((m) => m.name));
    for (const n of ['confirm.select', 'confirm.select-ok', 'basic.nack', 'exchange.bind', 'exchange.unbind-ok', 'connection.blocked',
      'connection.unblocked', 'connection.update-secret', 'connection.update-secret-ok', 'basic.recover-async', 'access.request']) {
      expect(names.has(n), n).toBe(true);
    }
    expect(methodByName('exchange.unbind-ok').methodId).toBe(51);
    expect(methodById(60, 40)?.name).toBe('basic.publish');
    expect(methodByName('basic.publish').content).toBe(true);
    expect(methodByName('basic.get').replies).toEqual(['basic.get-ok', 'basic.get-empty']);
    expect(methodByName('basic.ack').synchronous).toBe(false);
    expect(methodByName('queue.declare').fields.map((f) => f.key)).toEqual(
      ['ticket', 'queue', 'passive', 'durable', 'exclusive', 'autoDelete', 'nowait', 'arguments']);
  });

  it('every reply names a method of the same class', () => {
    for (const m of METHODS) {
      for (const r of m.replies) expect(methodByName(r).classId).toBe(m.classId);
    }
  });

  it('content-bearing methods are exactly publish, return, deliver and get-ok', () => {
    expect(METHODS.filter((m) => m.content).map((m) => m.name).sort()).toEqual(['basic.deliver', 'basic.get-ok', 'basic.publish', 'basic.return']);
  });
});

describe('method codec', () => {
  it('round-trips every method with arbitrary arguments', () => {
    for (const def of METHODS) {
      const argsArb = fc.record(Object.fromEntries(def.fields.map((f) => [f.key, argArb(f.type)])) as Record<string, fc.Arbitrary<ArgValue>>);
      fc.assert(fc.property(argsArb, (args) => {
        const decoded = decodeMethod(Buffer.from(encodeMethod(def, args)));
        expect(decoded.def).toBe(def);
        expectArgsEqual(args, decoded.args);
      }), { numRuns: 30 });
    }
  });

  it('packs consecutive bits into one octet (queue.declare: 5 bits)', () => {
    const payload = encodeMethod(methodByName('queue.declare'), { queue: 'q', durable: true, nowait: true });
    // class, method, ticket, shortstr 'q', one bits octet, empty table
    expect(payload.length).toBe(2 + 2 + 2 + 2 + 1 + 4);
    expect(payload[8]).toBe(0b10010);
  });

  it('an unknown class or method is NOT_IMPLEMENTED; truncated or trailing bytes are SYNTAX_ERROR', () => {
    const unknown = (c: number, m: number) => Buffer.from([c >> 8, c & 255, m >> 8, m & 255]);
    expect(() => decodeMethod(unknown(99, 10))).toThrow(expect.objectContaining({ replyCode: 540 }));
    expect(() => decodeMethod(unknown(60, 99))).toThrow(expect.objectContaining({ replyCode: 540, classId: 60, methodId: 99 }));
    const ok = Buffer.from(encodeMethod(methodByName('basic.ack'), { deliveryTag: 5 }));
    expect(() => decodeMethod(ok.subarray(0, ok.length - 2))).toThrow(expect.objectContaining({ replyCode: 502, classId: 60, methodId: 80 }));
    expect(() => decodeMethod(Buffer.concat([ok, Buffer.from([0])]))).toThrow(expect.objectContaining({ replyCode: 502 }));
  });
});

describe('field tables', () => {
  it('round-trip every canonical core value exactly', () => {
    fc.assert(fc.property(tableArb, (t) => {
      expect(tableEquals(roundTripTable(t), t)).toBe(true);
    }), { numRuns: 300 });
  });

  it('map the lossy core forms as documented', () => {
    const out = roundTripTable({
      small: 5, big: 2 ** 40, frac: 1.5, uuid: typed.uuid('0f8fad5b-d9cb-469f-a165-70867728950e'), sym: typed.symbol('s'),
      ulong: typed.ulong(7), neg: typed.decimal('-1.5'), ms: typed.timestamp(1_500), minusZero: -0,
    });
    expect(out.small).toEqual(typed.int(5));
    expect(out.big).toEqual(typed.long(2 ** 40));
    expect(out.frac).toEqual(typed.double(1.5));
    expect(out.uuid).toBe('0f8fad5b-d9cb-469f-a165-70867728950e');
    expect(out.sym).toBe('s');
    expect(out.ulong).toEqual(typed.long(7));
    expect(out.neg).toBe('-1.5');
    expect(out.ms).toEqual(typed.timestamp(1000));
    expect(valueEquals(out.minusZero!, typed.double(-0))).toBe(true);
  });

  it('decodes what amqplib and RabbitMQ send (tags s, l, x, S with bytes that are not UTF-8)', () => {
    const w = new WireWriter();
    const at = w.reserveLength();
    w.shortstr('a'); w.octet(0x73); w.int16(-2);
    w.shortstr('b'); w.octet(0x6c); w.int64(-3n);
    w.shortstr('c'); w.octet(0x78); w.longstr(Buffer.from([1, 2]));
    w.shortstr('d'); w.octet(0x53); w.longstr(Buffer.from([0xff, 0xfe]));
    w.shortstr('e'); w.octet(0x56);
    w.patchLength(at);
    const t = readTable(new WireReader(Buffer.from(w.result())));
    expect(t).toEqual({ a: typed.short(-2), b: typed.long(-3n), c: typed.binary(Buffer.from([1, 2])), d: typed.binary(Buffer.from([0xff, 0xfe])), e: null });
  });

  it('an unknown tag or a table overrunning its length is SYNTAX_ERROR', () => {
    const bad = Buffer.from([0, 0, 0, 3, 1, 0x61, 0x51]);
    expect(() => readTable(new WireReader(bad))).toThrow(expect.objectContaining({ replyCode: 502 }));
    const long = Buffer.from([0, 0, 0, 50, 1, 0x61, 0x56]);
    expect(() => readTable(new WireReader(long))).toThrow(expect.objectContaining({ replyCode: 502 }));
  });
});

describe('content header', () => {
  const propsArb: fc.Arbitrary<BasicProperties> = fc.record({
    contentType: shortstr, contentEncoding: shortstr, headers: tableArb, deliveryMode: fc.integer({ min: 0, max: 255 }),
    priority: fc.integer({ min: 0, max: 255 }), correlationId: shortstr, replyTo: shortstr, expiration: shortstr,
    messageId: shortstr, timestamp: fc.integer({ min: 0, max: 2 ** 40 }), type: shortstr, userId: shortstr,
    appId: shortstr, clusterId: shortstr,
  }, { requiredKeys: [] });

  it('round-trips any subset of the basic properties', () => {
    fc.assert(fc.property(propsArb, fc.integer({ min: 0, max: 2 ** 40 }), (properties, bodySize) => {
      const h = decodeContentHeader(Buffer.from(encodeContentHeader({ classId: 60, bodySize, properties })));
      expect(h.bodySize).toBe(bodySize);
      const { headers: a, ...restA } = h.properties;
      const { headers: b, ...restB } = properties;
      expect(restA).toEqual(restB);
      if (b) expect(tableEquals(a!, b)).toBe(true);
      else expect(a).toBeUndefined();
    }), { numRuns: 200 });
  });

  it('reads continuation flag words; flags for properties basic does not have are SYNTAX_ERROR', () => {
    const w = new WireWriter();
    w.short(60); w.short(0); w.longlong(3);
    w.short(0x8000 | 1); // content-type, continuation
    w.short(0); // no more flags
    w.shortstr('text/plain');
    expect(decodeContentHeader(Buffer.from(w.result()))).toEqual({ classId: 60, bodySize: 3, properties: { contentType: 'text/plain' } });
    const w2 = new WireWriter();
    w2.short(60); w2.short(0); w2.longlong(0);
    w2.short(1); w2.short(0x8000); // property 16
    expect(() => decodeContentHeader(Buffer.from(w2.result()))).toThrow(expect.objectContaining({ replyCode: 502 }));
  });
});

describe('frame parser', () => {
  it('parses frames split at arbitrary points', () => {
    const frames = [
      methodFrame(0, methodByName('connection.tune-ok'), { channelMax: 10, frameMax: 4096, heartbeat: 5 }),
      HEARTBEAT_FRAME,
      ...contentFrames(1, methodByName('basic.publish'), { routingKey: 'q' }, { contentType: 'x' }, Buffer.alloc(9000, 7), 4096),
    ];
    const bytes = Buffer.concat(frames);
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 10 }), (cuts) => {
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      const parser = new FrameParser(4096);
      const out = [];
      let prev = 0;
      for (const p of [...points, bytes.length]) {
        out.push(...parser.push(bytes.subarray(prev, p)));
        prev = p;
      }
      expect(out.map((f) => f.type)).toEqual([1, 8, 1, 2, 3, 3, 3]);
      expect(parser.buffered).toBe(0);
    }), { numRuns: 100 });
  });

  it('a wrong frame-end octet, an oversize frame, an unknown type or a heartbeat on a channel is FRAME_ERROR', () => {
    const good = methodFrame(1, methodByName('channel.open'));
    const badEnd = Buffer.from(good);
    badEnd[badEnd.length - 1] = 0;
    expect(() => new FrameParser(4096).push(badEnd)).toThrow(expect.objectContaining({ replyCode: 501 }));
    const big = frame(FrameType.BODY, 1, Buffer.alloc(4089));
    expect(() => new FrameParser(4096).push(big.subarray(0, 7))).toThrow(expect.objectContaining({ replyCode: 501 }));
    expect(new FrameParser(4096).push(frame(FrameType.BODY, 1, Buffer.alloc(4088)))).toHaveLength(1);
    expect(() => new FrameParser(4096).push(frame(9, 0, Buffer.alloc(0)))).toThrow(expect.objectContaining({ replyCode: 501 }));
    expect(() => new FrameParser(4096).push(frame(8, 3, Buffer.alloc(0)))).toThrow(expect.objectContaining({ replyCode: 501 }));
  });
});

describe('content assembler', () => {
  const parse = (bufs: Buffer[]) => new FrameParser(0).push(Buffer.concat(bufs));

  it('reassembles a body from any number of frames', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 9, max: 600 }), (body, frameMax) => {
      const a = new ContentAssembler({ maxBodyBytes: 1 << 20 });
      const frames = parse(contentFrames(1, methodByName('basic.publish'), { routingKey: 'k', mandatory: true }, { messageId: 'm' }, Buffer.from(body), frameMax));
      const done = frames.map((f) => a.push(f)).filter((c) => c !== undefined);
      expect(done).toHaveLength(1);
      expect(done[0]!.content!.body.equals(Buffer.from(body))).toBe(true);
      expect(done[0]!.method.args.mandatory).toBe(true);
      expect(a.idle).toBe(true);
    }), { numRuns: 100 });
  });

  it('a body or header without its method, or a method inside content, is UNEXPECTED_FRAME', () => {
    const [m, h, b] = parse(contentFrames(1, methodByName('basic.publish'), {}, {}, Buffer.from('x'), 0));
    expect(() => new ContentAssembler({ maxBodyBytes: 10 }).push(b!)).toThrow(expect.objectContaining({ replyCode: 505 }));
    expect(() => new ContentAssembler({ maxBodyBytes: 10 }).push(h!)).toThrow(expect.objectContaining({ replyCode: 505 }));
    const a = new ContentAssembler({ maxBodyBytes: 10 });
    a.push(m!);
    expect(() => a.push(m!)).toThrow(expect.objectContaining({ replyCode: 505, classId: 60, methodId: 40 }));
    const a2 = new ContentAssembler({ maxBodyBytes: 10 });
    a2.push(m!);
    expect(() => a2.push(b!)).toThrow(expect.objectContaining({ replyCode: 505 }));
  });

  it('a declared body larger than the limit is PRECONDITION_FAILED (a channel error)', () => {
    const [m, h] = parse(contentFrames(1, methodByName('basic.publish'), {}, {}, Buffer.alloc(11), 0));
    const a = new ContentAssembler({ maxBodyBytes: 10 });
    a.push(m!);
    let err: unknown;
    try { a.push(h!); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(AmqpError);
    expect(err).toMatchObject({ replyCode: 406, hard: false });
  });
});
