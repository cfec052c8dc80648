/**
 * SUBSCRIBE frame → the right kind of subscription (not started yet).
 *
 * | destination | subscription | feeds from |
 * |---|---|---|
 * | `/queue/NAME` | QueueSubscription | queue NAME (competing consumers) |
 * | `/temp-queue/NAME` | QueueSubscription | the connection's temporary queue NAME |
 * | `/topic/PATTERN` | TopicSubscription | live subscription on PATTERN (`*`, `>` wildcards) |
 * | `/topic/PATTERN` + durable name | QueueSubscription | queue `stomp.durable.<client-id>.<name>` (durable.ts) |
 * | `/stream/NAME` | StreamSubscription | stream NAME from `x-stream-offset` |
 *
 * Headers: `id` (required from 1.1; 1.0 defaults it to the destination), `ack` (auto, client,
 * client-individual), prefetch from `activemq.prefetchSize` or `prefetch-count` (0 = unlimited;
 * default StompOptions.defaultPrefetch), `x-filter-policy` (SNS filter policy JSON over message
 * headers, topics only), `selector` is rejected (JMS selectors are not supported).
 * ACL: 'read' on the queue, topic pattern or stream (own temporary queues need none).
 */
import type { Broker } from '../../src/core/broker.js';
import { BrokerError } from '../../src/core/errors.js';
import type { Principal, SecurityManager } from '../../src/security/security-manager.js';
import { parseDestination } from './destination.js';
import { DURABLE_NAME_HEADERS, durableQueueName, ensureDurableSubscription } from './durable.js';
import { header, type StompFrame } from './frame.js';
import type { StompOptions } from './options.js';
import { QueueSubscription } from './queue-subscription.js';
import { parseStreamOffset } from './stream-offset.js';
import { StreamSubscription } from './stream-subscription.js';
import { ACK_MODES, type AckMode, type StompSubscription, type SubscriptionHost } from './subscription.js';
import type { TempQueues } from './temp-queues.js';
import { TopicSubscription } from './topic-subscription.js';

export const PREFETCH_HEADERS = ['activemq.prefetchSize', 'prefetch-count'] as const;

export interface SubscribeEnv {
  broker: Broker;
  security: SecurityManager;
  principal: Principal;
  clientId: string | undefined;
  temp: TempQueues;
  options: StompOptions;
  host: SubscriptionHost;
}

export interface BuiltSubscription {
  sub: StompSubscription;
  /** Set for durable topic subscriptions: the queue behind it. */
  durableQueue?: string;
}

/** Throws BrokerError / StompProtocolError for bad headers or a refused ACL check. */
export function buildSubscription(frame: StompFrame, id: string, env: SubscribeEnv): BuiltSubscription {
  const dest = parseDestination(header(frame, 'destination'));
  const ackMode = readAckMode(frame);
  const prefetch = readPrefetch(frame, env.options.defaultPrefetch);
  if (header(frame, 'selector') !== undefined) {
    throw new BrokerError('INVALID_ARGUMENT', 'JMS selectors are not supported; use x-filter-policy (SNS filter policy JSON) on topic subscriptions');
  }
  const filterPolicy = header(frame, 'x-filter-policy');
  const base = { id, ackMode, prefetch, host: env.host };
  const { broker } = env;
  switch (dest.kind) {
    case 'queue':
      env.security.assertAuthorized(env.principal, 'read', { kind: 'queue', name: dest.name });
      return { sub: new QueueSubscription({ ...base, openQueue: () => broker.queue(dest.name), destinationHeader: `/queue/${dest.name}` }) };
    case 'temp-queue':
      return { sub: new QueueSubscription({ ...base, openQueue: () => env.temp.get(dest.name), destinationHeader: `/temp-queue/${dest.name}` }) };
    case 'stream':
      env.security.assertAuthorized(env.principal, 'read', { kind: 'stream', name: dest.name });
      return {
        sub: new StreamSubscription({
          ...base, openStream: () => broker.stream(dest.name), offset: parseStreamOffset(header(frame, 'x-stream-offset')), destinationHeader: `/stream/${dest.name}`,
        }),
      };
    case 'topic': {
      env.security.assertAuthorized(env.principal, 'read', { kind: 'topic', name: dest.name });
      const durableName = durableNameOf(frame);
      if (durableName === undefined) return { sub: new TopicSubscription({ ...base, broker, pattern: dest.name, filterPolicy }) };
      const clientId = requireClientId(env.clientId);
      const queue = durableQueueName(clientId, durableName);
      const openQueue = () => ensureDurableSubscription(broker, { queue, pattern: dest.name, filterPolicy, clientId, subscriptionName: durableName });
      return { sub: new QueueSubscription({ ...base, openQueue, destinationHeader: `/topic/${dest.name}` }), durableQueue: queue };
    }
    case 'temp-topic':
      throw new BrokerError('INVALID_ARGUMENT', '/temp-topic/ destinations are not supported; use /temp-queue/');
  }
}

export function durableNameOf(frame: StompFrame): string | undefined {
  for (const name of DURABLE_NAME_HEADERS) {
    const v = header(frame, name);
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

export function requireClientId(clientId: string | undefined): string {
  if (clientId === undefined) throw new BrokerError('INVALID_ARGUMENT', 'durable subscriptions need a client-id header on CONNECT');
  return clientId;
}

function readAckMode(frame: StompFrame): AckMode {
  const v = header(frame, 'ack') ?? 'auto';
  if (!(ACK_MODES as readonly string[]).includes(v)) {
    throw new BrokerError('INVALID_ARGUMENT', `ack must be auto, client or client-individual, got ${JSON.stringify(v.slice(0, 40))}`);
  }
  return v as AckMode;
}

function readPrefetch(frame: StompFrame, fallback: number): number {
  for (const name of PREFETCH_HEADERS) {
    const v = header(frame, name);
    if (v === undefined) continue;
    const t = v.trim();
    const n = /^[0-9]{1,9}$/.test(t) ? Number(t) : NaN;
    if (!Number.isSafeInteger(n)) throw new BrokerError('INVALID_ARGUMENT', `${name} must be a non-negative integer, got ${JSON.stringify(v.slice(0, 40))}`);
    return n === 0 ? Infinity : n;
  }
  return fallback;
}
