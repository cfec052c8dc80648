/**
 * Unit tests of the AMQP 1.0 message mapping, address parsing, stream offsets and codec helpers.
 */
import rhea, { type Message as RheaMessage } from 'rhea';
import { describe, expect, it } from 'vitest';
import { createMessage } from '../../../src/core/message.js';
import { bodySections, Descriptor, encodeCloseFrame, isBodySectionRun, skipValue } from '../../../protocols/amqp10/amqp-codec.js';
import { durableSubscriptionQueue, escapeLevel, parseAddress } from '../../../protocols/amqp10/address.js';
import { fromAmqp } from '../../../protocols/amqp10/message-in.js';
import { toAmqp } from '../../../protocols/amqp10/message-out.js';
import { parseOffsetValue, streamStart } from '../../../protocols/amqp10/stream-offset.js';
import { parsePlain } from '../../../protocols/amqp10/sasl.js';

const ctx = { userId: 'u', now: 1_000_000 };
const decode = (b: Buffer): RheaMessage => rhea.message.decode(b) as unknown as RheaMessage;

function roundTrip(msg: Record<string, unknown>): RheaMessage {
  const encoded = rhea.message.encode(msg);
  const core = fromAmqp(decode(encoded), encoded, ctx).message;
  return decode(toAmqp(core, { now: ctx.now }));
}

describe('AMQP 1.0 message mapping', () => {
  it('keeps structured amqp-value and amqp-sequence bodies byte for byte', () => {
    const typed = rhea.types.wrap_list([rhea.types.wrap_symbol('sym'), rhea.types.wrap_ubyte(7), rhea.types.wrap_ulong(5)]);
    const encoded = rhea.message.encode({ body: { toRheaTyped: () => typed } });
    const core = fromAmqp(decode(encoded), encoded, ctx).message;
    expect(core.protocol?.amqp10?.bodyKind).toBe('amqp-value');
    expect(core.headers['x-amqp-body']).toBeUndefined();
    const out = toAmqp(core, { now: ctx.now });
    const a = bodySections(encoded)!;
    const b = bodySections(out)!;
    expect(out.subarray(b.start, b.end)).toEqual(encoded.subarray(a.start, a.end));
    expect(roundTrip({ body: rhea.message.sequence_sections([[1], ['two']]) }).body.content).toEqual([[1], ['two']]);
  });

  it('maps header, properties and annotations; the user id comes from authentication', () => {
    const m = fromAmqp(decode(rhea.message.encode({
      body: 'x', durable: true, priority: 200, ttl: 5000, user_id: Buffer.from('spoof'),
      message_annotations: { 'x-opt-partition-key': 'pk', 'x-opt-delivery-delay': 1500, 'x-opt-keep': 1, other: 2 },
      application_properties: { 'x-amqp-body': 'amqp-value', _AMQ_DUPL_ID: 'd-1', a: new Date(5) },
    })), undefined, ctx);
    expect(m.message).toMatchObject({
      persistent: true, partitionKey: 'pk', dedupId: 'd-1',
      properties: { priority: 9, expiresAt: ctx.now + 5000, userId: 'u', contentType: 'text/plain' },
      // annotations and application-properties keep their AMQP types (rhea encodes 1 as uint, a Date as timestamp)
      headers: { 'x-opt-keep': { type: 'uint', value: 1 }, a: { type: 'timestamp', value: 5 } },
      protocol: { amqp10: { bodyKind: 'string' } },
    });
    // the body kind is in the protocol slot, not a header; a client's x-amqp-* property is dropped
    expect(Object.keys(m.message.headers).sort()).toEqual(['a', 'x-opt-keep']);
    expect(m.delayMs).toBe(1500);
  });

  it('keeps non-string message and correlation ids with their types', () => {
    const uuid = rhea.string_to_uuid('00112233-4455-6677-8899-aabbccddeeff');
    const back = roundTrip({ body: 'x', message_id: 42, correlation_id: uuid });
    expect(back.message_id).toBe(42);
    expect(rhea.uuid_to_string(back.correlation_id as Buffer)).toBe('00112233-4455-6677-8899-aabbccddeeff');
  });

  it('sends bytes from other protocols as a data section, and never splices unverified bytes', () => {
    const plain = decode(toAmqp(createMessage('raw', { headers: { h: 1 } }), { now: 0 }));
    expect(plain.body.typecode).toBe(Descriptor.data);
    expect(plain.application_properties).toEqual({ h: 1 });
    for (const spoofed of [
      createMessage(Buffer.from([0x00, 0x53, 0x77, 0xff]), { protocol: { amqp10: { bodyKind: 'amqp-value' } } }),
      createMessage(Buffer.from([0x00, 0x53, 0x77, 0xff]), { headers: { 'x-amqp-body': 'amqp-value' } }),
    ]) {
      const decoded = decode(toAmqp(spoofed, { now: 0 }));
      expect(decoded.body.typecode).toBe(Descriptor.data);
      expect(decoded.application_properties).toBeUndefined();
    }
  });

  it('sends numbers as signed AMQP types (int, long, double)', () => {
    const out = toAmqp(createMessage('x', { headers: { i: 5, l: 2 ** 40, d: 0.25 } }), { now: 0 });
    // "i" → int 5 (smallint 0x54 or int 0x71), never uint (0x52 / 0x70)
    expect(out.includes(Buffer.from([0xa1, 0x01, 0x69, 0x54, 5])) || out.includes(Buffer.from([0xa1, 0x01, 0x69, 0x71, 0, 0, 0, 5]))).toBe(true);
    expect(decode(out).application_properties).toEqual({ i: 5, l: 2 ** 40, d: 0.25 });
  });
});

describe('AMQP 1.0 addresses', () => {
  const lookup = (n: string) => (n === 'events' ? 'stream' as const : undefined);
  it('resolves prefixes, capabilities, existing streams and bare names', () => {
    expect(parseAddress('queue://a.b')).toEqual({ kind: 'queue', name: 'a.b' });
    expect(parseAddress('topic://a.*', { pattern: true })).toEqual({ kind: 'topic', name: 'a.*' });
    expect(parseAddress('/stream/s')).toEqual({ kind: 'stream', name: 's' });
    expect(parseAddress('t', { capabilities: ['topic'] })).toEqual({ kind: 'topic', name: 't' });
    expect(parseAddress('q', { capabilities: 'queue' })).toEqual({ kind: 'queue', name: 'q' });
    expect(parseAddress('events', { lookup })).toEqual({ kind: 'stream', name: 'events' });
    expect(parseAddress('plain', { lookup })).toEqual({ kind: 'queue', name: 'plain' });
    expect(() => parseAddress('queue://a.*')).toThrow(/wildcard/);
    expect(() => parseAddress('topic://a..b', { pattern: true })).toThrow(/empty level/);
  });

  it('escapes container ids and link names into single name levels', () => {
    expect(escapeLevel('')).toBe('%');
    expect(escapeLevel('a.b*c>d %')).toBe('a%2Eb%2Ac%3Ed%20%25');
    expect(durableSubscriptionQueue('client-1', 'sub:x')).toBe('amqp.sub.client-1.sub:x');
    expect(durableSubscriptionQueue('c', 'n'.repeat(2000))).toMatch(/^amqp\.sub\.h\.[0-9a-f]{64}$/);
  });
});

describe('AMQP 1.0 stream offsets', () => {
  it('parses keywords, offsets and timestamps in both filter spellings', () => {
    expect(streamStart(undefined).start).toBe('next');
    expect(streamStart({ 'x-stream-offset': 'FIRST' }).start).toBe('first');
    expect(streamStart({ 'rabbitmq:stream-offset-spec': rhea.types.wrap_described(12, 'rabbitmq:stream-offset-spec') }).start).toEqual({ seq: 12 });
    expect(parseOffsetValue('offset=7')).toEqual({ seq: 7 });
    expect(parseOffsetValue('offset = 7')).toEqual({ seq: 7 }); // the shared grammar allows blanks around = (refused before)
    expect(parseOffsetValue(' Timestamp =1700000000 ')).toEqual({ timestamp: 1_700_000_000_000 });
    expect(parseOffsetValue('timestamp=1700000000')).toEqual({ timestamp: 1_700_000_000_000 });
    expect(parseOffsetValue(new Date(99))).toEqual({ timestamp: 99 });
    expect(() => parseOffsetValue(-1)).toThrow(/stream offset/);
    expect(() => parseOffsetValue('soon')).toThrow(/stream offset/);
  });
});

describe('AMQP 1.0 codec helpers', () => {
  it('measures encoded values and refuses truncated ones', () => {
    const encoded = rhea.message.encode({ body: [1, 'two', { three: 3 }] });
    const body = bodySections(encoded)!;
    expect(body.kind).toBe(Descriptor.amqpValue);
    expect(skipValue(encoded, body.start)).toBe(encoded.length);
    expect(() => skipValue(encoded.subarray(0, encoded.length - 1), body.start)).toThrow(/past the end|truncated/);
    expect(isBodySectionRun(Buffer.from([0x00, 0x53, 0x77, 0x40]), Descriptor.amqpValue)).toBe(true);
    expect(isBodySectionRun(Buffer.from([0x00, 0x53, 0x77, 0x40, 0x00, 0x53, 0x77, 0x40]), Descriptor.amqpValue)).toBe(false);
    expect(encodeCloseFrame('amqp:decode-error', 'bad').toString('latin1')).toContain('amqp:decode-error');
  });

  it('parses SASL PLAIN responses', () => {
    expect(parsePlain(Buffer.from('\0alice\0pw'))).toEqual({ authzid: '', username: 'alice', password: 'pw' });
    expect(parsePlain(Buffer.from('alice\0pw'))).toBeUndefined();
    expect(parsePlain(undefined)).toBeUndefined();
  });
});
