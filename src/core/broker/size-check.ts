/** The broker's message size check (src/core/message-limits.ts has the limit itself). */
import { BrokerError } from '../errors.js';
import { messageSize, type Message } from '../message.js';

/** The same measure queues apply (body plus headers), so a publish is refused rather than acked with every copy failing. */
export function checkMessageSize(message: Message, limit: number, what: string): void {
  const size = messageSize(message);
  if (size > limit) throw new BrokerError('MESSAGE_TOO_LARGE', `${size} bytes exceeds maxMessageBytes ${limit} of ${what}`);
}
