/**
 * Which delivery an ACK or NACK frame means.
 *
 * - STOMP 1.2: `id` = the MESSAGE frame's `ack` header (unique per connection).
 * - STOMP 1.0/1.1: `message-id` (+ `subscription` in 1.1) = the MESSAGE frame's `message-id`.
 *   Either form is accepted in every version.
 * An ack id this connection issued that is no longer pending (already settled by a cumulative
 * ACK, or its subscription was closed and the message requeued) is ignored — the outcome the
 * client wanted already happened or the message will be redelivered. An id never issued, or a
 * frame with neither header, is an error.
 */
import { BrokerError } from '../../src/core/errors.js';
import { header, type StompFrame } from './frame.js';
import type { StompSubscription } from './subscription.js';

export interface AckTarget {
  sub: StompSubscription;
  ackId: string;
}

/** undefined = nothing to do (stale id). */
export function resolveAck(frame: StompFrame, subs: ReadonlyMap<string, StompSubscription>, lastIssued: number): AckTarget | undefined {
  const id = header(frame, 'id');
  const messageId = header(frame, 'message-id');
  const subId = header(frame, 'subscription');
  const scope = subId !== undefined && subs.has(subId) ? [subs.get(subId)!] : [...subs.values()];
  if (id !== undefined && isIssued(id, lastIssued)) {
    for (const sub of scope) if (sub.has(id)) return { sub, ackId: id };
    return undefined;
  }
  const ref = messageId ?? id;
  if (ref === undefined) throw new BrokerError('INVALID_ARGUMENT', `${frame.command} needs an id header (STOMP 1.2) or a message-id header (1.0/1.1)`);
  for (const sub of scope) {
    const ackId = sub.findByMessageId(ref);
    if (ackId !== undefined) return { sub, ackId };
  }
  if (messageId !== undefined) return undefined; // a message-id can repeat across redeliveries; treat as stale
  throw new BrokerError('INVALID_ARGUMENT', `${frame.command} for unknown id ${JSON.stringify(ref.slice(0, 80))}`);
}

function isIssued(id: string, lastIssued: number): boolean {
  if (!/^[1-9][0-9]{0,15}$/.test(id)) return false;
  return Number(id) <= lastIssued;
}

/** NACK `requeue` header (RabbitMQ): default true; `false` dead-letters or drops the message. */
export function nackRequeue(frame: StompFrame): boolean {
  return header(frame, 'requeue')?.trim().toLowerCase() !== 'false';
}
