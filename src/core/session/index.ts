export * from './types.js';
export * from './send-request.js';
export * from './server-session.js';
export * from './stream-offset.js';
export * from './durable-subscriptions.js';
export { TempQueues, TEMP_QUEUE_PREFIX } from './temp-queues.js';
export { Transactions, type StagedOperation, type TransactionLimits } from './transaction.js';
