/** The MQTT front-end's options, their defaults and limits. */
import type { DeliveryLimits } from './mq-state.js';

export interface MqttOptions {
  /**
   * Largest MQTT packet accepted (bytes, fixed header included). Default: config.limits.maxFrameBytes,
   * but never less than a PUBLISH carrying a body of exactly limits.maxMessageBytes with the
   * longest topic name (see MQTT_PUBLISH_OVERHEAD_BYTES).
   */
  maxPacketBytes?: number;
  /** Most topic levels in a name or filter. Default 100 (aedes' ceiling; higher values are clamped). */
  maxTopicLevels?: number;
  /** QoS 1/2 messages from a queue (persistent session, shared group) in flight per consumer. Default 500. */
  maxInflight?: number;
  /** Inbound QoS 2 messages awaiting PUBREL per client. Default 1000. */
  maxInflightInbound?: number;
  /** Live messages waiting to be written to one client before it counts as slow (messages are then dropped). Default 10 000. */
  maxQueuedPerClient?: number;
  /** Bytes buffered for one client's socket before it counts as slow. Default 8 MiB. */
  maxBufferedBytes?: number;
  /** A client whose socket does not drain for this long is disconnected. Default 60 000 (0 = never). */
  drainTimeoutMs?: number;
  /** Time allowed between accepting a connection and its CONNECT. Default 30 000. */
  connectTimeoutMs?: number;
  /** aedes `$SYS` heartbeat; wills left by a previous process are published after 4 intervals. Default 60 000. */
  heartbeatIntervalMs?: number;
}

export const AEDES_MAX_TOPIC_LEVELS = 100;

/**
 * Most bytes a PUBLISH adds around its payload: fixed header (1 type byte + up to 4 length
 * bytes), the topic name (2-byte length + up to 65 535 bytes) and the packet identifier (2).
 */
export const MQTT_PUBLISH_OVERHEAD_BYTES = 1 + 4 + 2 + 65_535 + 2;

/** MqttOptions with every default applied. */
export interface ResolvedMqttOptions {
  maxPacketBytes: number;
  /** As asked for; aedes gets at most AEDES_MAX_TOPIC_LEVELS (see topicLevelsClamped). */
  maxTopicLevels: number;
  maxInflightInbound: number;
  delivery: DeliveryLimits;
  heartbeatIntervalMs: number;
  connectTimeoutMs: number;
  drainTimeoutMs: number;
}

export function resolveMqttOptions(opts: MqttOptions, limits: { maxFrameBytes: number; maxMessageBytes: number }): ResolvedMqttOptions {
  return {
    maxPacketBytes: opts.maxPacketBytes ?? Math.max(limits.maxFrameBytes, limits.maxMessageBytes + MQTT_PUBLISH_OVERHEAD_BYTES),
    maxTopicLevels: opts.maxTopicLevels ?? AEDES_MAX_TOPIC_LEVELS,
    maxInflightInbound: opts.maxInflightInbound ?? 1000,
    delivery: {
      maxInflight: opts.maxInflight ?? 500,
      maxQueuedPerClient: opts.maxQueuedPerClient ?? 10_000,
      maxBufferedBytes: opts.maxBufferedBytes ?? 8 * 1024 * 1024,
    },
    heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 60_000,
    connectTimeoutMs: opts.connectTimeoutMs ?? 30_000,
    drainTimeoutMs: opts.drainTimeoutMs ?? 60_000,
  };
}

/** The requested topic level limit is above what aedes supports (it is clamped). */
export function topicLevelsClamped(o: ResolvedMqttOptions): boolean {
  return o.maxTopicLevels > AEDES_MAX_TOPIC_LEVELS;
}
