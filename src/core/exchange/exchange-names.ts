/**
 * Exchange names and the predeclared exchanges.
 *
 * Names are RabbitMQ's: any text up to 255 UTF-8 bytes (a 0-9-1 short string) without control
 * characters; `.` has no meaning to routing (ACL patterns still match them by `.` levels).
 * `''` is the default exchange. Names starting `amq.` are reserved: only the predeclared ones exist.
 */
import { BrokerError } from '../errors.js';
import { DEFAULT_EXCHANGE, TOPIC_SPACE_EXCHANGE, type ExchangeSpec } from './types.js';

export const MAX_EXCHANGE_NAME_BYTES = 255;
export const RESERVED_PREFIX = 'amq.';

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Check a name a client gave for an exchange other than the default one. Throws INVALID_NAME. */
export function validateExchangeName(name: unknown, what = 'exchange name'): string {
  if (typeof name !== 'string') throw new BrokerError('INVALID_NAME', `${what} must be a string`);
  if (Buffer.byteLength(name) > MAX_EXCHANGE_NAME_BYTES) throw new BrokerError('INVALID_NAME', `${what} longer than ${MAX_EXCHANGE_NAME_BYTES} bytes`);
  if (CONTROL.test(name)) throw new BrokerError('INVALID_NAME', `${what} ${JSON.stringify(name)} contains a control character`);
  return name;
}

const builtIn = (type: ExchangeSpec['type']): ExchangeSpec => ({ type, durable: true, autoDelete: false, internal: false, arguments: {} });

/** Exist in every broker, durable, cannot be deleted. */
export const BUILT_IN_EXCHANGES: ReadonlyArray<readonly [string, ExchangeSpec]> = [
  [DEFAULT_EXCHANGE, builtIn('direct')],
  ['amq.direct', builtIn('direct')],
  ['amq.fanout', builtIn('fanout')],
  [TOPIC_SPACE_EXCHANGE, builtIn('topic')],
  ['amq.headers', builtIn('headers')],
  ['amq.match', builtIn('headers')],
];
