/**
 * Typed application properties (issue 9, typed value model): AMQP 1.0 `long`, `ubyte`,
 * `timestamp`, `uuid` and `binary` application properties come back to an AMQP 1.0 receiver with
 * the same AMQP types and values, through a queue; through STOMP they arrive as their documented
 * text forms (docs/protocol-mapping.md, Typed values: decimal text, ms, canonical uuid, base64).
 */
import rhea from 'rhea';
import { expect, it } from 'vitest';
import { queue, type TypedValue } from './driver.js';
import { drivers, eachDriver, uniqueName, useBroker } from './harness.js';

const broker = useBroker();

const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const TYPED: Record<string, TypedValue> = {
  big: { type: 'long', value: 1_099_511_627_776n }, // 2^40: beyond int
  small: { type: 'long', value: 5n }, // fits an int, still a long
  level: { type: 'ubyte', value: 200 },
  created: { type: 'timestamp', value: 1_700_000_000_123 },
  ref: { type: 'uuid', value: UUID },
  blob: { type: 'binary', value: Buffer.from([0, 1, 255]) },
};
/** What a STOMP subscriber sees. */
const AS_TEXT: Record<string, string> = {
  big: '1099511627776', small: '5', level: '200', created: '1700000000123', ref: UUID, blob: 'AAH/',
};

/** A received typed value as the scenario's TypedValue form. */
function normalise(v: { type: string; value: unknown }): { type: string; value: unknown } {
  switch (v.type) {
    case 'long': return { type: v.type, value: Buffer.isBuffer(v.value) ? v.value.readBigInt64BE() : BigInt(v.value as number) };
    case 'timestamp': return { type: v.type, value: v.value instanceof Date ? v.value.getTime() : v.value };
    case 'uuid': return { type: v.type, value: rhea.uuid_to_string(v.value as Buffer) };
    default: return v;
  }
}

eachDriver(['typedProperties'], (sender) => {
  it(`${sender.name} → ${sender.name}: long, ubyte, timestamp, uuid and binary properties keep their types`, async () => {
    const q = queue(uniqueName('typed', sender));
    const producer = await broker.connect(sender);
    await producer.send(q, 'typed', { typedHeaders: TYPED, headers: { plain: 'text' } });
    const consumer = await broker.connect(sender);
    const [m] = await (await consumer.subscribe(q, { ack: 'auto' })).waitFor(1, 'the typed message');
    const typed = m!.typedHeaders ?? {};
    const got = Object.fromEntries(Object.keys(TYPED).map((k) => [k, typed[k] ? normalise(typed[k]) : undefined]));
    expect(got, `${sender.name}: typed application properties as received`).toEqual(TYPED);
    expect(typed.plain, `${sender.name}: a string property`).toEqual({ type: 'string', value: 'text' });
  });

  for (const receiver of drivers.filter((r) => r.protocol !== sender.protocol && r.capabilities.queues && r.capabilities.headersAsText)) {
    it(`${sender.name} → ${receiver.name}: typed properties arrive as their text forms`, async () => {
      const q = queue(uniqueName('typed', `${sender.id}-${receiver.id}`));
      const producer = await broker.connect(sender);
      await producer.send(q, 'typed', { typedHeaders: TYPED });
      const consumer = await broker.connect(receiver);
      const [m] = await (await consumer.subscribe(q, { ack: 'auto' })).waitFor(1, 'the typed message');
      expect(m!.headers, `${sender.name} → ${receiver.name}: headers`).toMatchObject(AS_TEXT);
      expect(Object.keys(m!.headers).filter((k) => /^x-(amqp|mqtt)-/.test(k)), `${sender.name} → ${receiver.name}: protocol-private headers`).toEqual([]);
    });
  }
});
