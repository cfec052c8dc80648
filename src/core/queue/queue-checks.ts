/**
 * Small pure helpers of Queue: argument checks and how a message's priority and expiry are
 * derived from the queue's attributes.
 */
import { BrokerError } from '../errors.js';
import { DEFAULT_PRIORITY, type Message } from '../message.js';
import type { QueueAttributes } from './queue-attributes.js';

export function checkInt(what: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new BrokerError('INVALID_ARGUMENT', `${what} must be an integer between ${min} and ${max}, got ${String(v)}`);
  }
  return v;
}

/**
 * Ordering priority. maxPriority null: the message's priority (absent: 4, the JMS default).
 * 0: none (every message equal, enqueue order). 1..255 (RabbitMQ x-max-priority): capped at it,
 * absent counts as 0 (RabbitMQ).
 */
export function entryPriority(m: Message, a: Readonly<QueueAttributes>): number {
  const p = m.properties.priority;
  const given = typeof p === 'number' && Number.isFinite(p) ? p : undefined;
  if (a.maxPriority === null) return given ?? DEFAULT_PRIORITY;
  return Math.min(Math.max(given ?? 0, 0), a.maxPriority);
}

/** The earlier of the message's own expiresAt and enqueue + the queue's messageTtlMs; Infinity if neither. */
export function entryExpiresAt(m: Message, enqueuedAt: number, a: Readonly<QueueAttributes>): number {
  const own = m.properties.expiresAt ?? Infinity;
  return a.messageTtlMs === null ? own : Math.min(own, enqueuedAt + a.messageTtlMs);
}
