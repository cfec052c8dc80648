/**
 * The broker-wide message size limit (body plus headers, as messageSize measures it). 16 MiB by
 * default, RabbitMQ's default; configurable as limits.maxMessageBytes. Every destination's own
 * maxMessageBytes defaults to it and may not exceed it.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
