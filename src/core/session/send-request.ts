/**
 * What a front-end asks the session to send. `address` names a core destination, or one of the
 * session's temporary queues by its local name.
 */
import type { Message } from '../message.js';
import type { Address } from '../names.js';

export type SessionAddress = Address | { kind: 'temp-queue'; name: string };

export interface SendRequest {
  address: SessionAddress;
  message: Message;
  /** Queues only: deliver after this delay. */
  delayMs?: number;
  /** Topics only: also make this the retained message. */
  retain?: boolean;
}
