/**
 * What a link handler needs from its connection.
 */
import type { Broker } from '../../src/core/broker.js';
import type { ServerSession } from '../../src/core/session/server-session.js';
import type { EventContext } from 'rhea';
import type { Logger } from '../../src/log.js';
import type { TransactionRegistry } from './transaction-registry.js';

export interface Amqp10Limits {
  /** Largest frame accepted and announced in open (config.limits.maxFrameBytes). */
  maxFrameBytes: number;
  /** Announced as max-message-size on receiving links: the body limit plus room for the other sections. */
  maxMessageBytes: number;
  /** Credit window granted to a client's sending link. */
  incomingWindow: number;
  /** Messages held per non-durable topic receiver while it has no credit (beyond: dropped and counted). */
  liveBuffer: number;
  /** Most unacked deliveries per queue receiver, whatever credit it grants. */
  prefetch: number;
  /** Local transactions: open at once per connection; staged operations and message bytes per transaction. */
  transactions: { maxOpen: number; maxOperations: number; maxBytes: number };
}

export interface LinkContext {
  readonly broker: Broker;
  /**
   * The connection's server session: principal, every authorization decision, sends, consumers,
   * durable subscriptions, temporary queues, pause/resume and close.
   */
  readonly session: ServerSession;
  readonly logger: Logger;
  readonly limits: Amqp10Limits;
  /** The client's container id (open frame). */
  readonly remoteContainerId: string;
  /** The client is not reading fast enough: pauses the session until the socket drains. */
  congested(): boolean;
  /** Bytes just handed to rhea (written to the socket on rhea's next tick). */
  queued(bytes: number): void;
  /** The raw payload of the message rhea is dispatching now. */
  takePayload(): Buffer | undefined;
  /** The connection's AMQP transactions (declared on any of its coordinator links). */
  readonly transactions: TransactionRegistry;
}

/** A link on which the broker receives: a client's sender to a node, or to the coordinator. */
export interface ReceivingLink {
  onMessage(context: EventContext): void;
  /** The link is gone (detached, its session ended, or the connection closed). */
  detached(): void;
}
