/**
 * SEND frame → ServerSession.send. Two steps so that a connection keeps its frames in order:
 * `prepareSend` checks the frame (destination, ACL, header mapping) and is synchronous unless a
 * temporary queue has to be created first (then it returns a promise and the connection stops
 * reading until it resolves); `executeSend` calls the session's send at once and resolves after the
 * core accepted the message — for a persistent message to a durable queue (or a topic with
 * durable subscribers, or a stream) that is after the store committed it, so the RECEIPT that
 * follows is a durability acknowledgement.
 *
 * Persistence: `persistent:true` → persistent; absent or anything else → non-persistent
 * (ActiveMQ's STOMP default; RabbitMQ would default to persistent).
 * ACL: 'write' on the queue, topic or stream, decided by the session (own temporary queues need none).
 */
import type { SendResult } from '../../src/core/broker.js';
import { BrokerError } from '../../src/core/errors.js';
import type { Address } from '../../src/core/names.js';
import type { ServerSession } from '../../src/core/session/server-session.js';
import type { SendRequest } from '../../src/core/session/send-request.js';
import { parseDestination } from './destination.js';
import { header, type StompFrame } from './frame.js';
import { fromSendFrame } from './message-mapping.js';

export interface SendEnv {
  session: ServerSession;
  /** Partition key for stream records without x-partition-key (keeps one producer's records in order). */
  defaultPartitionKey: string;
  now: () => number;
}

const TEMP_QUEUE_FORMS = ['/temp-queue/', 'temp-queue://'];

/**
 * The session request for a SEND frame. Synchronous unless a temporary queue (the destination
 * or the reply-to) has to be created first; then the ACL is checked before that happens.
 */
export function prepareSend(frame: StompFrame, env: SendEnv): SendRequest | Promise<SendRequest> {
  const dest = parseDestination(header(frame, 'destination'));
  const replyTo = header(frame, 'reply-to');
  const tempReply = replyTo !== undefined ? tempLocalName(replyTo) : undefined;
  let target: Address | undefined;
  switch (dest.kind) {
    case 'temp-topic':
      throw new BrokerError('INVALID_ARGUMENT', '/temp-topic/ destinations are not supported; use /temp-queue/');
    case 'temp-queue':
      break;
    default:
      target = { kind: dest.kind, name: dest.name };
  }
  if (target !== undefined && tempReply === undefined) return convert(frame, env, target, replyTo);
  if (target !== undefined) env.session.authorize('write', target);
  return (async () => {
    const rewritten = tempReply !== undefined ? `/queue/${await env.session.replyToName(tempReply)}` : replyTo;
    const address: Address = target ?? { kind: 'queue', name: await env.session.replyToName(dest.name) };
    return convert(frame, env, address, rewritten);
  })();
}

/** Hand the request to the session (ACL checked here, synchronously); resolves once the core accepted it. */
export function executeSend(request: SendRequest, session: ServerSession): Promise<SendResult> {
  return session.send(request);
}

function convert(frame: StompFrame, env: SendEnv, address: Address, replyTo: string | undefined): SendRequest {
  const principal = env.session.principal;
  const inbound = fromSendFrame(frame, { userId: principal.anonymous ? undefined : principal.name, now: env.now(), replyTo });
  if (address.kind === 'stream' && inbound.message.partitionKey === undefined) inbound.message.partitionKey = env.defaultPartitionKey;
  const request: SendRequest = { address, message: inbound.message };
  if (inbound.delayMs !== undefined && address.kind === 'queue') request.delayMs = inbound.delayMs;
  return request;
}

function tempLocalName(destination: string): string | undefined {
  for (const prefix of TEMP_QUEUE_FORMS) {
    if (destination.startsWith(prefix) && destination.length > prefix.length) return destination.slice(prefix.length);
  }
  return undefined;
}
