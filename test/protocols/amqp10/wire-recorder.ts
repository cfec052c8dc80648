/**
 * A transparent TCP pass-through between a real rhea client and the broker that records the
 * bytes the broker sends, so a test can look at the exact AMQP type codes of a delivered message
 * (rhea's decoded JavaScript view does not tell a long from an int, or a ubyte from a uint).
 * The recorded transfers are decoded with rhea's own type reader, which keeps each value's type.
 */
import net from 'node:net';
import rhea from 'rhea';

export interface WireRecorder {
  port: number;
  /** Message payloads of the complete transfers the broker sent so far, in order. */
  transfers(): Buffer[];
  close(): Promise<void>;
}

export async function startWireRecorder(targetPort: number): Promise<WireRecorder> {
  const fromBroker: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    upstream.on('data', (d: Buffer) => fromBroker.push(d));
    upstream.pipe(client);
    const end = (): void => { client.destroy(); upstream.destroy(); };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    transfers: () => transferPayloads(Buffer.concat(fromBroker)),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface RheaReader {
  read(): { value: unknown; descriptor?: { value: unknown } };
  remaining(): number;
  position: number;
}
const Reader = (rhea.types as unknown as { Reader: new (b: Buffer) => RheaReader }).Reader;

/** Payloads of the transfer frames in a byte stream from the broker (protocol headers skipped; `more` transfers joined). */
function transferPayloads(stream: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let partial: Buffer[] = [];
  let pos = 0;
  while (pos + 8 <= stream.length) {
    if (stream.toString('latin1', pos, pos + 4) === 'AMQP') {
      pos += 8;
      continue;
    }
    const size = stream.readUInt32BE(pos);
    if (pos + size > stream.length) break;
    const doff = stream[pos + 4]! * 4;
    const type = stream[pos + 5];
    const body = stream.subarray(pos + doff, pos + size);
    pos += size;
    if (type !== 0 || body.length === 0) continue;
    const reader = new Reader(body);
    const performative = reader.read();
    if (Number(performative.descriptor?.value) !== 0x14) continue;
    const fields = performative.value as Array<{ value: unknown }>;
    const more = fields[5]?.value === true;
    partial.push(body.subarray(reader.position));
    if (!more) {
      out.push(Buffer.concat(partial));
      partial = [];
    }
  }
  return out;
}

/** AMQP type names of rhea's encodings, by the type's name in rhea (its compact forms folded). */
const TYPE_NAMES: Record<string, string> = {
  Null: 'null', True: 'boolean', False: 'boolean', Boolean: 'boolean',
  Ubyte: 'ubyte', Ushort: 'ushort', Uint: 'uint', SmallUint: 'uint', Uint0: 'uint',
  Ulong: 'ulong', SmallUlong: 'ulong', Ulong0: 'ulong',
  Byte: 'byte', Short: 'short', Int: 'int', SmallInt: 'int', Long: 'long', SmallLong: 'long',
  Float: 'float', Double: 'double', Decimal32: 'decimal32', Decimal64: 'decimal64', Decimal128: 'decimal128',
  CharUTF32: 'char', Timestamp: 'timestamp', Uuid: 'uuid', Vbin8: 'binary', Vbin32: 'binary',
  Str8: 'string', Str32: 'string', Sym8: 'symbol', Sym32: 'symbol',
  List0: 'list', List8: 'list', List32: 'list', Map8: 'map', Map32: 'map', Array8: 'array', Array32: 'array',
};

interface RheaTyped { type: { name: string }; value: unknown }

/** A typed description of one decoded value: `{ type, value }`, lists and maps described element by element. */
export type WireValue = { type: string; value: unknown };

function describe(t: RheaTyped): WireValue {
  const type = TYPE_NAMES[t.type.name] ?? t.type.name;
  if (type === 'list') return { type, value: ((t.value as RheaTyped[] | undefined) ?? []).map(describe) };
  if (type === 'map') {
    const items = t.value as RheaTyped[];
    const m: Record<string, WireValue> = {};
    for (let i = 0; i + 1 < items.length; i += 2) m[String(items[i]!.value)] = describe(items[i + 1]!);
    return { type, value: m };
  }
  return { type, value: t.value };
}

/** The application-properties of an encoded message, each with its AMQP type. */
export function wireApplicationProperties(payload: Buffer): Record<string, WireValue> {
  const reader = new Reader(payload);
  while (reader.remaining() > 0) {
    const section = reader.read() as unknown as RheaTyped & { descriptor?: { value: unknown } };
    if (Number(section.descriptor?.value) === 0x74) return describe(section).value as Record<string, WireValue>;
  }
  return {};
}
