/**
 * Tunables of the STOMP front-end that are not part of the broker configuration file.
 * `createStompProtocol(options)` takes a partial of this; tests use short heart-beats.
 */
export interface StompOptions {
  /**
   * Server side of heart-beat negotiation (see negotiate.ts): the server sends at most every
   * `sendMs` and wants to hear from the client at least every `receiveMs`; each is a floor on the
   * interval the client asks for. 0 disables that direction.
   */
  heartbeat: { sendMs: number; receiveMs: number };
  /** Receive timeout = negotiated interval × this (STOMP leaves the tolerance to the server). */
  heartbeatTolerance: number;
  /** A connection that has not sent CONNECT within this time is closed. */
  connectTimeoutMs: number;
  /** Prefetch of a client / client-individual subscription without a prefetch header (ActiveMQ: 1000). */
  defaultPrefetch: number;
  /** Unflushed MESSAGE frames of an ack:auto queue subscription (acked once written to the socket). */
  autoAckWindow: number;
  /** Messages a live topic subscription may buffer while the client is slow; more are dropped and counted. */
  liveBufferMessages: number;
  /** SENDs whose store commit is still pending before the connection stops reading. */
  maxPendingSends: number;
  /** Bytes queued for writing above which deliveries pause until the socket drains. */
  writeHighWaterBytes: number;
  /** Frames (SEND/ACK/NACK) one transaction may hold. */
  maxTransactionFrames: number;
  /** Body bytes one transaction may hold. */
  maxTransactionBytes: number;
  /** Open transactions per connection. */
  maxTransactions: number;
  /** Subscriptions per connection. */
  maxSubscriptions: number;
}

export const DEFAULT_STOMP_OPTIONS: Readonly<StompOptions> = Object.freeze({
  heartbeat: Object.freeze({ sendMs: 1000, receiveMs: 1000 }),
  heartbeatTolerance: 2,
  connectTimeoutMs: 10_000,
  defaultPrefetch: 1000,
  autoAckWindow: 100,
  liveBufferMessages: 1000,
  maxPendingSends: 1000,
  writeHighWaterBytes: 1 << 20,
  maxTransactionFrames: 10_000,
  maxTransactionBytes: 64 << 20,
  maxTransactions: 100,
  maxSubscriptions: 1000,
});

export function resolveOptions(partial: Partial<StompOptions> = {}): StompOptions {
  const o: StompOptions = { ...DEFAULT_STOMP_OPTIONS, ...partial, heartbeat: { ...DEFAULT_STOMP_OPTIONS.heartbeat, ...partial.heartbeat } };
  for (const [k, v] of Object.entries(o)) {
    if (k === 'heartbeat') continue;
    if (typeof v !== 'number' || !(v > 0)) throw new RangeError(`STOMP option ${k} must be a positive number, got ${String(v)}`);
  }
  for (const [k, v] of Object.entries(o.heartbeat)) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`STOMP option heartbeat.${k} must be a non-negative integer, got ${String(v)}`);
  }
  return o;
}
