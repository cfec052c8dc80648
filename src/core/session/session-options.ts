/** How a ServerSession is created: its options, limits and the authorizer it asks. */
import type { Broker } from '../broker.js';
import type { AclAddress } from '../../security/acl.js';
import type { Principal, Permission } from '../../security/security-manager.js';
import type { Logger } from '../../log.js';

/** The part of the SecurityManager a session uses. */
export interface Authorizer {
  authorize(principal: Principal, permission: Permission, address: AclAddress): boolean;
}

export interface SessionLimits {
  /** Live topic consumers: messages buffered while the consumer may not deliver; more are dropped and counted. */
  liveBufferMessages: number;
  maxTransactions: number;
  /** Operations (sends, acks) one transaction may stage. */
  maxTransactionOperations: number;
  /** Message body bytes one transaction may stage. */
  maxTransactionBytes: number;
}

export const DEFAULT_SESSION_LIMITS: Readonly<SessionLimits> = Object.freeze({
  liveBufferMessages: 1000,
  maxTransactions: 100,
  maxTransactionOperations: 10_000,
  maxTransactionBytes: 64 << 20,
});

export interface SessionOptions {
  broker: Broker;
  security: Authorizer;
  principal: Principal;
  /** Protocol name (`stomp`, `amqp10`, `mqtt`, ...): durable subscription identity and logs. */
  protocol: string;
  /** Unique per connection (or protocol session); owner of durable subscription claims. */
  connectionId: string;
  /** Client id (STOMP client-id, AMQP container id, MQTT client id): needed for durable subscriptions. */
  clientId?: string;
  logger?: Logger;
  limits?: Partial<SessionLimits>;
}
