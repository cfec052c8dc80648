/**
 * Core destination names: hierarchical, `.` between levels (ActiveMQ style).
 * Patterns (topic subscriptions only) may use `*` for exactly one level and `>` for
 * one or more trailing levels. Front-ends translate their own syntax to this one.
 *
 * Core-internal patterns (amq.topic bindings made by the exchange module, src/core/exchange)
 * may also use `**`: zero or more levels, anywhere (RabbitMQ's `#`). Users cannot write it:
 * validatePattern refuses it unless asked with `{ zeroOrMore: true }`, and no concrete name
 * can contain it (names refuse `*`).
 */
import { BrokerError } from './errors.js';

export const MAX_NAME_LENGTH = 1024;
export const FIFO_SUFFIX = '.fifo';
/** Core-internal pattern level: zero or more levels (RabbitMQ topic `#`). */
export const ZERO_OR_MORE = '**';

export type DestinationKind = 'queue' | 'topic' | 'stream';

export interface Address {
  kind: DestinationKind;
  name: string;
}

// Control characters (C0, DEL, C1) are never allowed in a name.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function checkCommon(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) throw new BrokerError('INVALID_NAME', `${what} must be a non-empty string`);
  if (name.length > MAX_NAME_LENGTH) throw new BrokerError('INVALID_NAME', `${what} longer than ${MAX_NAME_LENGTH} characters`);
  if (CONTROL.test(name)) throw new BrokerError('INVALID_NAME', `${what} "${printable(name)}" contains a control character`);
  if (name.trim() !== name) throw new BrokerError('INVALID_NAME', `${what} "${name}" has leading or trailing whitespace`);
  const levels = name.split('.');
  if (levels.some((l) => l.length === 0)) throw new BrokerError('INVALID_NAME', `${what} "${name}" has an empty level`);
}

/** A concrete destination name: no wildcards. Throws INVALID_NAME. */
export function validateName(name: unknown, what = 'name'): string {
  checkCommon(name, what);
  if (/[*>]/.test(name)) throw new BrokerError('INVALID_NAME', `${what} "${name}" contains a wildcard (* or >)`);
  return name;
}

/**
 * A subscription pattern: `*` must be a whole level, `>` a whole last level. With
 * `zeroOrMore` (core-internal callers only) a whole `**` level is accepted too. Throws INVALID_NAME.
 */
export function validatePattern(pattern: unknown, what = 'pattern', opts: { zeroOrMore?: boolean } = {}): string {
  checkCommon(pattern, what);
  const levels = pattern.split('.');
  levels.forEach((level, i) => {
    if (opts.zeroOrMore === true && level === ZERO_OR_MORE) return;
    if (level.includes('*') && level !== '*') throw new BrokerError('INVALID_NAME', `${what} "${pattern}": * must be a whole level`);
    if (level.includes('>') && (level !== '>' || i !== levels.length - 1)) {
      throw new BrokerError('INVALID_NAME', `${what} "${pattern}": > must be the whole last level`);
    }
  });
  return pattern;
}

export function isPattern(name: string): boolean {
  return name.includes('*') || name.includes('>');
}

export function isFifoName(name: string): boolean {
  return name.endsWith(FIFO_SUFFIX);
}

function printable(s: string): string {
  return s.replace(CONTROL, '?');
}
