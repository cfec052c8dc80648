/**
 * SUBSCRIBE frame → a session consumer spec (src/core/session) and the STOMP subscription that
 * turns its deliveries into MESSAGE frames.
 *
 * | destination | session consumer source |
 * |---|---|
 * | `/queue/NAME` | queue NAME (competing consumers) |
 * | `/temp-queue/NAME` | the connection's temporary queue NAME |
 * | `/topic/PATTERN` | live subscription on PATTERN (`*`, `>` wildcards) |
 * | `/topic/PATTERN` + durable name | durable subscription of the connection's `client-id` (queue `stomp.durable.<client-id>.<name>`) |
 * | `/stream/NAME` | stream NAME from `x-stream-offset` |
 *
 * Headers: `id` (required from 1.1; 1.0 defaults it to the destination), `ack` (auto, client,
 * client-individual), prefetch from `activemq.prefetchSize` or `prefetch-count` (0 = unlimited;
 * default StompOptions.defaultPrefetch), `x-filter-policy` (SNS filter policy JSON over message
 * headers, topics only), `x-stream-offset` (the session's offset grammar), `selector` is rejected
 * (JMS selectors are not supported). Durable names: `activemq.subscriptionName` or
 * `durable-subscription-name`. The ACL ('read') is the session's decision.
 */
import { BrokerError } from '../../src/core/errors.js';
import { InvalidStreamOffset, parseStreamOffset } from '../../src/core/session/stream-offset.js';
import type { ConsumerSource, ConsumerSpec } from '../../src/core/session/types.js';
import type { SubscribeStart } from '../../src/core/stream/types.js';
import { parseDestination } from './destination.js';
import { StompProtocolError } from './errors.js';
import { header, type StompFrame } from './frame.js';
import type { StompOptions } from './options.js';
import { ACK_MODES, StompSubscription, type AckMode, type SubscriptionHost } from './subscription.js';

export const PREFETCH_HEADERS = ['activemq.prefetchSize', 'prefetch-count'] as const;

export const DURABLE_NAME_HEADERS = ['activemq.subscriptionName', 'durable-subscription-name'] as const;

export interface BuiltSubscription {
  sub: StompSubscription;
  spec: ConsumerSpec;
}

/** Throws BrokerError / StompProtocolError for bad headers. */
export function buildSubscription(frame: StompFrame, id: string, env: { clientId: string | undefined; options: StompOptions; host: SubscriptionHost }): BuiltSubscription {
  const dest = parseDestination(header(frame, 'destination'));
  const ackMode = readAckMode(frame);
  const prefetch = readPrefetch(frame, env.options.defaultPrefetch);
  if (header(frame, 'selector') !== undefined) {
    throw new BrokerError('INVALID_ARGUMENT', 'JMS selectors are not supported; use x-filter-policy (SNS filter policy JSON) on topic subscriptions');
  }
  const source = sourceOf(frame, dest, env.clientId);
  const sub = new StompSubscription({ id, ackMode, prefetch, source, host: env.host });
  const spec: ConsumerSpec = {
    source,
    ack: ackMode === 'client-individual' ? 'individual' : ackMode,
    // ack:auto queue deliveries are settled once written; at most autoAckWindow unwritten.
    prefetch: ackMode === 'auto' ? env.options.autoAckWindow : prefetch,
    tag: id,
  };
  return { sub, spec };
}

function sourceOf(frame: StompFrame, dest: ReturnType<typeof parseDestination>, clientId: string | undefined): ConsumerSource {
  switch (dest.kind) {
    case 'queue':
      return { kind: 'queue', name: dest.name };
    case 'temp-queue':
      return { kind: 'temp-queue', name: dest.name };
    case 'stream':
      return { kind: 'stream', name: dest.name, offset: streamOffsetHeader(header(frame, 'x-stream-offset')) };
    case 'topic': {
      const filterPolicy = header(frame, 'x-filter-policy');
      const durableName = durableNameOf(frame);
      const base = { kind: 'topic' as const, pattern: dest.name, ...(filterPolicy !== undefined ? { filterPolicy } : {}) };
      if (durableName === undefined) return base;
      requireClientId(clientId);
      return { ...base, durable: { name: durableName } };
    }
    case 'temp-topic':
      throw new BrokerError('INVALID_ARGUMENT', '/temp-topic/ destinations are not supported; use /temp-queue/');
  }
}

/** `x-stream-offset` → where the stream consumer starts; a bad value is STOMP's INVALID_STREAM_OFFSET. */
export function streamOffsetHeader(value: string | undefined): SubscribeStart {
  try {
    return parseStreamOffset(value);
  } catch (err) {
    if (err instanceof InvalidStreamOffset) throw new StompProtocolError('INVALID_STREAM_OFFSET', err.detail);
    throw err;
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
