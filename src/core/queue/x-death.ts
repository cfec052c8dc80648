/**
 * RabbitMQ's dead-letter headers on the copy of a message that leaves a queue dead:
 *
 *   x-death: a list of tables, newest first, one per {queue, reason}:
 *     queue, reason (rejected | expired | maxlen | delivery_limit), count (long),
 *     time (timestamp: the first death for this queue and reason), exchange and routing-keys
 *     (list) the message had been published with, original-expiration (its own TTL in ms as
 *     text, when it had one). A repeat of the same queue and reason increments count and moves
 *     the table to the front.
 *   x-first-death-queue / -reason / -exchange: set once, on the first death.
 *   x-last-death-queue / -reason / -exchange: the latest death.
 *
 * Typed values (src/core/values.ts) so an AMQP 0-9-1 consumer gets a field array of field
 * tables with a long count and a timestamp (the core's timestamps are ms; the 0-9-1 codec
 * writes seconds). The copy's own expiry is removed so it does not expire again where it lands.
 */
import type { Headers, Message, MessageProperties } from '../message.js';
import { isTypedValue, typed, valueToNumber, type Value } from '../values.js';

export type DeadLetterReason = 'rejected' | 'expired' | 'maxlen' | 'delivery_limit';

export interface DeathEvent {
  queue: string;
  reason: DeadLetterReason;
  /** ms since the epoch */
  time: number;
  exchange: string;
  routingKeys: readonly string[];
  /** When the message entered the queue (to restate a per-message TTL as original-expiration). */
  enqueuedAt: number;
}

type DeathTable = Readonly<Record<string, Value>>;

/** The x-death tables of a message, newest first (anything that is not a list of tables counts as none). */
export function deathsOf(message: Message): DeathTable[] {
  const h = message.headers['x-death'];
  if (!isTypedValue(h) || h.type !== 'list') return [];
  const out: DeathTable[] = [];
  for (const item of h.value) if (isTypedValue(item) && item.type === 'map') out.push(item.value);
  return out;
}

function text(v: Value | undefined): string | undefined {
  if (typeof v === 'string') return v;
  return isTypedValue(v) && (v.type === 'symbol') ? v.value : undefined;
}

/** The message without its own expiry, with the death recorded in its headers. */
export function deadLetteredCopy(message: Message, ev: DeathEvent): Message {
  const deaths = deathsOf(message);
  const i = deaths.findIndex((d) => text(d['queue']) === ev.queue && text(d['reason']) === ev.reason);
  const previous = i >= 0 ? deaths.splice(i, 1)[0]! : undefined;
  const count = (previous === undefined ? 0 : valueToNumber(previous['count']) ?? 0) + 1;
  const expiresAt = message.properties.expiresAt;
  const table: Record<string, Value> = {
    queue: ev.queue,
    reason: ev.reason,
    count: typed.long(count),
    time: previous?.['time'] ?? typed.timestamp(ev.time),
    exchange: ev.exchange,
    'routing-keys': typed.list([...ev.routingKeys]),
  };
  if (expiresAt !== undefined) table['original-expiration'] = String(Math.max(0, expiresAt - ev.enqueuedAt));
  else if (previous?.['original-expiration'] !== undefined) table['original-expiration'] = previous['original-expiration'];

  const headers: Headers = { ...message.headers, 'x-death': typed.list([typed.map(table), ...deaths.map((d) => typed.map(d))]) };
  if (headers['x-first-death-queue'] === undefined) {
    headers['x-first-death-queue'] = ev.queue;
    headers['x-first-death-reason'] = ev.reason;
    headers['x-first-death-exchange'] = ev.exchange;
  }
  headers['x-last-death-queue'] = ev.queue;
  headers['x-last-death-reason'] = ev.reason;
  headers['x-last-death-exchange'] = ev.exchange;
  return { ...message, properties: withoutExpiry(message.properties), headers };
}

export function withoutExpiry(p: MessageProperties): MessageProperties {
  if (p.expiresAt === undefined) return p;
  const { expiresAt: _dropped, ...rest } = p;
  return rest;
}

/**
 * Whether dead-lettering `message` out of `queue` again for an automatic reason would be a cycle
 * (RabbitMQ drops those): it died in this queue before and no client rejected it since it started.
 */
export function isDeadLetterCycle(message: Message, queue: string, reason: DeadLetterReason): boolean {
  if (reason === 'rejected') return false;
  const deaths = deathsOf(message);
  return deaths.some((d) => text(d['queue']) === queue) && !deaths.some((d) => text(d['reason']) === 'rejected');
}
