/**
 * SEND frame → Broker.send. Two steps so that a connection keeps its frames in order:
 * `prepareSend` checks the frame (destination, ACL, header mapping) and is synchronous unless a
 * temporary queue has to be created first (then it returns a promise and the connection stops
 * reading until it resolves); `executeSend` calls Broker.send at once and resolves after the
 * core accepted the message — for a persistent message to a durable queue (or a topic with
 * durable subscribers, or a stream) that is after the store committed it, so the RECEIPT that
 * follows is a durability acknowledgement.
 *
 * Persistence: `persistent:true` → persistent; absent or anything else → non-persistent
 * (ActiveMQ's STOMP default; RabbitMQ would default to persistent).
 * ACL: 'write' on the queue, topic or stream (own temporary queues need none).
 */
import type { Broker, SendResult } from '../../src/core/broker.js';
import { BrokerError } from '../../src/core/errors.js';
import type { Address } from '../../src/core/names.js';
import type { Principal, SecurityManager } from '../../src/security/security-manager.js';
import { parseDestination } from './destination.js';
import { header, type StompFrame } from './frame.js';
import { fromSendFrame, type InboundMessage } from './message-mapping.js';
import type { TempQueues } from './temp-queues.js';

export interface SendEnv {
  broker: Broker;
  security: SecurityManager;
  principal: Principal;
  temp: TempQueues;
  /** Partition key for stream records without x-partition-key (keeps one producer's records in order). */
  defaultPartitionKey: string;
  now: () => number;
}

export interface PreparedSend {
  address: Address;
  inbound: InboundMessage;
}

const TEMP_QUEUE_FORMS = ['/temp-queue/', 'temp-queue://'];

export function prepareSend(frame: StompFrame, env: SendEnv): PreparedSend | Promise<PreparedSend> {
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
      env.security.assertAuthorized(env.principal, 'write', target);
  }
  if (target !== undefined && tempReply === undefined) {
    return { address: target, inbound: convert(frame, env, target.kind, replyTo) };
  }
  return (async () => {
    const rewritten = tempReply !== undefined ? `/queue/${await env.temp.coreName(tempReply)}` : replyTo;
    const address: Address = target ?? { kind: 'queue', name: await env.temp.coreName(dest.name) };
    return { address, inbound: convert(frame, env, address.kind, rewritten) };
  })();
}

export function executeSend(prepared: PreparedSend, broker: Broker): Promise<SendResult> {
  const { address, inbound } = prepared;
  return broker.send(address, inbound.message, inbound.delayMs !== undefined && address.kind === 'queue' ? { delayMs: inbound.delayMs } : {});
}

function convert(frame: StompFrame, env: SendEnv, kind: Address['kind'], replyTo: string | undefined): InboundMessage {
  const inbound = fromSendFrame(frame, { userId: env.principal.anonymous ? undefined : env.principal.name, now: env.now(), replyTo });
  if (kind === 'stream' && inbound.message.partitionKey === undefined) inbound.message.partitionKey = env.defaultPartitionKey;
  return inbound;
}

function tempLocalName(destination: string): string | undefined {
  for (const prefix of TEMP_QUEUE_FORMS) {
    if (destination.startsWith(prefix) && destination.length > prefix.length) return destination.slice(prefix.length);
  }
  return undefined;
}
