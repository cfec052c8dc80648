/**
 * Settings of the AMQP 0-9-1 front-end (createAmqp091Protocol options; tests shorten them).
 */
export interface Amqp091Options {
  /** Heartbeat the server proposes in connection.tune, seconds (RabbitMQ: 60). 0 disables. */
  heartbeatSeconds?: number;
  /** Most channels per connection (RabbitMQ: 2047). */
  channelMax?: number;
  /** Largest frame, overhead included (RabbitMQ: 131072). Defaults to min(131072, limits.maxFrameBytes). */
  frameMax?: number;
  /** A client that has not opened the connection after this long is closed. Default 10 s. */
  handshakeTimeoutMs?: number;
  /** How long close() waits for clients to finish the close handshake. Default 2 s. */
  closeTimeoutMs?: number;
  /** Unflushed bytes past which a connection pauses its consumers. Default 1 MiB. */
  writeHighWaterBytes?: number;
  /** Publishes in flight (not yet accepted by the core) per channel past which reading pauses. Default 1000. */
  maxPendingPublishes?: number;
  /** Publishes in flight across all connections past which publishers get connection.blocked. Default 20 000. */
  blockedHighWater?: number;
}

export interface ResolvedOptions {
  heartbeatSeconds: number;
  channelMax: number;
  frameMax: number;
  handshakeTimeoutMs: number;
  closeTimeoutMs: number;
  writeHighWaterBytes: number;
  maxPendingPublishes: number;
  blockedHighWater: number;
  /** Largest message body accepted (limits.maxMessageBytes). */
  maxBodyBytes: number;
}

export function resolveOptions(o: Amqp091Options, limits: { maxFrameBytes: number; maxMessageBytes: number }): ResolvedOptions {
  return {
    heartbeatSeconds: o.heartbeatSeconds ?? 60,
    channelMax: o.channelMax ?? 2047,
    frameMax: o.frameMax ?? Math.max(4096, Math.min(131_072, limits.maxFrameBytes)),
    handshakeTimeoutMs: o.handshakeTimeoutMs ?? 10_000,
    closeTimeoutMs: o.closeTimeoutMs ?? 2000,
    writeHighWaterBytes: o.writeHighWaterBytes ?? 1 << 20,
    maxPendingPublishes: o.maxPendingPublishes ?? 1000,
    blockedHighWater: o.blockedHighWater ?? 20_000,
    maxBodyBytes: limits.maxMessageBytes,
  };
}
