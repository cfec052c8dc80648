/**
 * The durable form of exchanges and bindings, kept in the store's keyed state under the
 * namespace `core.exchanges` (Broker.state), so both stores (SQLite, PostgreSQL) carry them
 * and a standby taking over loads them like a restart:
 *
 *   `x/<name>` → {"v":1,"type","durable":true,"autoDelete","internal","arguments":{…},"createdAt"}
 *   `b/<id>`   → {"v":1,"source","destination":{"kind","name"},"routingKey","arguments":{…}}
 *
 * Arguments are in the JSON form of core values (value-json.ts). Only durable exchanges are
 * written, and only bindings whose source and destination are both durable. amq.topic's queue
 * bindings are not here: they are core topic subscription records (see exchange-registry.ts).
 */
import { BrokerError } from '../errors.js';
import { valueFromJson } from '../value-json.js';
import type { Value } from '../values.js';
import { argumentsToJson } from './binding-identity.js';
import { EXCHANGE_TYPES, type Binding, type ExchangeSpec, type ExchangeType } from './types.js';

export const EXCHANGE_STATE_NAMESPACE = 'core.exchanges';
export const EXCHANGE_KEY_PREFIX = 'x/';
export const BINDING_KEY_PREFIX = 'b/';

export interface StoredExchange {
  name: string;
  spec: ExchangeSpec;
  createdAt: number;
}

function bad(key: string, why: string): never {
  throw new BrokerError('STORE_FAILED', `stored exchange record ${JSON.stringify(key)}: ${why}`);
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function parse(key: string, value: Buffer): Record<string, unknown> {
  let j: unknown;
  try {
    j = JSON.parse(value.toString('utf8'));
  } catch (err) {
    throw new BrokerError('STORE_FAILED', `stored exchange record ${JSON.stringify(key)} is not JSON`, { cause: err });
  }
  if (!isRecord(j) || j.v !== 1) bad(key, 'not a version 1 record');
  return j;
}

/** Arguments in their stored JSON form back to core values. Throws STORE_FAILED naming `key`. */
export function argumentsFromJson(key: string, j: unknown): Record<string, Value> {
  if (!isRecord(j)) bad(key, 'arguments must be an object');
  const out: Record<string, Value> = {};
  for (const [k, x] of Object.entries(j)) {
    let v: Value;
    try {
      v = valueFromJson(x, `argument ${k}`);
    } catch (err) {
      throw new BrokerError('STORE_FAILED', `stored exchange record ${JSON.stringify(key)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

export function encodeExchange(spec: ExchangeSpec, createdAt: number): Buffer {
  return Buffer.from(JSON.stringify({
    v: 1, type: spec.type, durable: spec.durable, autoDelete: spec.autoDelete, internal: spec.internal,
    arguments: argumentsToJson(spec.arguments), createdAt,
  }));
}

export function decodeExchange(key: string, value: Buffer): StoredExchange {
  const j = parse(key, value);
  const name = key.slice(EXCHANGE_KEY_PREFIX.length);
  if (typeof j.type !== 'string' || !EXCHANGE_TYPES.includes(j.type as ExchangeType)) bad(key, `unknown type ${JSON.stringify(j.type)}`);
  for (const f of ['durable', 'autoDelete', 'internal'] as const) if (typeof j[f] !== 'boolean') bad(key, `${f} must be a boolean`);
  if (typeof j.createdAt !== 'number') bad(key, 'createdAt must be a number');
  const spec: ExchangeSpec = {
    type: j.type as ExchangeType,
    durable: j.durable as boolean,
    autoDelete: j.autoDelete as boolean,
    internal: j.internal as boolean,
    arguments: argumentsFromJson(key, j.arguments),
  };
  return { name, spec, createdAt: j.createdAt };
}

export function encodeBinding(b: Binding): Buffer {
  return Buffer.from(JSON.stringify({
    v: 1, source: b.source, destination: { kind: b.destination.kind, name: b.destination.name },
    routingKey: b.routingKey, arguments: argumentsToJson(b.arguments),
  }));
}

export function decodeBinding(key: string, value: Buffer): Binding {
  const j = parse(key, value);
  const d = j.destination;
  if (typeof j.source !== 'string') bad(key, 'source must be a string');
  if (!isRecord(d) || (d.kind !== 'queue' && d.kind !== 'exchange') || typeof d.name !== 'string') bad(key, 'destination must be {kind: queue|exchange, name}');
  if (typeof j.routingKey !== 'string') bad(key, 'routingKey must be a string');
  return { source: j.source, destination: { kind: d.kind, name: d.name }, routingKey: j.routingKey, arguments: argumentsFromJson(key, j.arguments) };
}
