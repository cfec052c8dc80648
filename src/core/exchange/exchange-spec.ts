/**
 * Exchange specs: checking a declare's input, the alternate exchange argument, and RabbitMQ's
 * equivalence rule for a repeated declare.
 */
import { BrokerError } from '../errors.js';
import { isTypedValue, valueToStringLike, type Value } from '../values.js';
import { checkArguments } from './binding-identity.js';
import { ALTERNATE_EXCHANGE_ARGUMENT, EXCHANGE_TYPES, type ExchangeInfo, type ExchangeSpec } from './types.js';

export function copyInfo(info: ExchangeInfo): ExchangeInfo {
  return { ...info, arguments: { ...info.arguments } };
}

/** Text of a string-like argument (string, symbol, or UTF-8 bytes as 0-9-1 long strings arrive). */
function argumentText(v: Value | undefined): string | undefined {
  const s = valueToStringLike(v);
  if (s !== undefined) return s;
  return isTypedValue(v) && v.type === 'binary' ? v.value.toString('utf8') : undefined;
}

export function alternateOf(spec: ExchangeSpec): string | undefined {
  return Object.hasOwn(spec.arguments, ALTERNATE_EXCHANGE_ARGUMENT) ? argumentText(spec.arguments[ALTERNATE_EXCHANGE_ARGUMENT]) : undefined;
}

export function parseSpec(name: string, spec: ExchangeSpec): ExchangeSpec {
  if (typeof spec !== 'object' || spec === null) throw new BrokerError('INVALID_ARGUMENT', 'exchange spec must be an object');
  if (!EXCHANGE_TYPES.includes(spec.type)) throw new BrokerError('INVALID_ARGUMENT', `unknown exchange type ${JSON.stringify(spec.type)}`);
  for (const f of ['durable', 'autoDelete', 'internal'] as const) {
    if (typeof spec[f] !== 'boolean') throw new BrokerError('INVALID_ARGUMENT', `exchange ${f} must be a boolean`);
  }
  const args = checkArguments(spec.arguments, `exchange "${name}"`);
  if (Object.hasOwn(args, ALTERNATE_EXCHANGE_ARGUMENT) && argumentText(args[ALTERNATE_EXCHANGE_ARGUMENT]) === undefined) {
    throw new BrokerError('PRECONDITION_FAILED', `invalid arg '${ALTERNATE_EXCHANGE_ARGUMENT}' for exchange "${name}": must be a string`);
  }
  return { type: spec.type, durable: spec.durable, autoDelete: spec.autoDelete, internal: spec.internal, arguments: args };
}

export function assertEquivalent(current: ExchangeInfo, wanted: ExchangeSpec): void {
  const fields: Array<[string, unknown, unknown]> = [
    ['type', current.type, wanted.type],
    ['durable', current.durable, wanted.durable],
    ['auto_delete', current.autoDelete, wanted.autoDelete],
    ['internal', current.internal, wanted.internal],
    [ALTERNATE_EXCHANGE_ARGUMENT, alternateOf(current), alternateOf(wanted)],
  ];
  for (const [field, have, got] of fields) {
    if (have !== got) {
      throw new BrokerError('PRECONDITION_FAILED', `inequivalent arg '${field}' for exchange "${current.name}": received ${JSON.stringify(got ?? null)} but current is ${JSON.stringify(have ?? null)}`);
    }
  }
}
