/**
 * A binding is identified by (source, destination, routing key, arguments), as in RabbitMQ:
 * binding twice with the same four is one binding; the same key with other arguments is another.
 * The id is a hash of their canonical form (arguments in key order, typed values by their JSON
 * form), short enough to be a store key.
 */
import { createHash } from 'node:crypto';
import { BrokerError } from '../errors.js';
import { valueToJson, type JsonValue } from '../value-json.js';
import { valueProblem, type Value } from '../values.js';
import type { Binding } from './types.js';

/** The JSON form of an argument table, keys sorted. */
export function argumentsToJson(args: Readonly<Record<string, Value>>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const k of Object.keys(args).sort()) out[k] = valueToJson(args[k]!);
  return out;
}

export function bindingId(b: Binding): string {
  const canonical = JSON.stringify([b.source, b.destination.kind, b.destination.name, b.routingKey, argumentsToJson(b.arguments)]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

/** Check an argument table from a caller: an object of core Values. Throws INVALID_ARGUMENT. */
export function checkArguments(args: unknown, what: string): Record<string, Value> {
  if (args === undefined) return {};
  if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new BrokerError('INVALID_ARGUMENT', `${what} arguments must be an object`);
  for (const [k, v] of Object.entries(args)) {
    const problem = valueProblem(v);
    if (problem !== undefined) throw new BrokerError('INVALID_ARGUMENT', `${what} argument "${k}": ${problem}`);
  }
  return { ...(args as Record<string, Value>) };
}

/** A copy that callers cannot change under the registry. */
export function copyBinding(b: Binding): Binding {
  return { source: b.source, destination: { ...b.destination }, routingKey: b.routingKey, arguments: { ...b.arguments } };
}

/** Check a binding from a caller (shape, key, arguments); the routing key defaults to `''`. */
export function normalizeBinding(input: Binding): Binding {
  if (typeof input !== 'object' || input === null) throw new BrokerError('INVALID_ARGUMENT', 'binding must be an object');
  const d = input.destination as Binding['destination'] | undefined;
  if (typeof input.source !== 'string') throw new BrokerError('INVALID_ARGUMENT', 'binding source must be an exchange name');
  if (!d || (d.kind !== 'queue' && d.kind !== 'exchange') || typeof d.name !== 'string') {
    throw new BrokerError('INVALID_ARGUMENT', 'binding destination must be { kind: "queue" | "exchange", name }');
  }
  const routingKey = input.routingKey ?? '';
  if (typeof routingKey !== 'string') throw new BrokerError('INVALID_ARGUMENT', 'binding routing key must be a string');
  return { source: input.source, destination: { kind: d.kind, name: d.name }, routingKey, arguments: checkArguments(input.arguments, 'binding') };
}
