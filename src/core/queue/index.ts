/** The core Queue: SQS semantics plus push consumers. */
export { Queue, DEFAULT_SWEEP_INTERVAL_MS, type QueueDeps } from './queue.js';
export {
  DEFAULT_QUEUE_ATTRIBUTES, parseQueueAttributes, DEDUP_WINDOW_MS, MAX_DELAY_MS, MAX_RECEIVE_BATCH,
  MAX_RECEIVE_WAIT_MS, MAX_VISIBILITY_TIMEOUT_MS, MIN_RETENTION_MS, MAX_RETENTION_MS, MAX_MAX_RECEIVE_COUNT,
  MAX_MESSAGE_BYTES_CEILING, type QueueAttributes, type QueueAttributeLimits,
} from './queue-attributes.js';
export { DEFAULT_PREFETCH } from './consumers.js';
export type {
  ConsumerInfo, ConsumerOptions, NackOptions, QueueConsumer, QueueDelivery, QueueStats, ReceivedMessage,
  ReceiveOptions, SendOptions, SendResult,
} from './types.js';
