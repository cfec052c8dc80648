/**
 * What the MQTT message bus (core-mq.ts) keeps per connection and per aedes subscription
 * registration, shared with its queue-backed delivery modules (session-consumers.ts,
 * shared-groups.ts, queue-delivery.ts).
 */
import type { ServerSession, SessionConsumer } from '../../src/core/session/index.js';
import type { LiveSubscription } from '../../src/core/topic/topic-types.js';
import type { Principal } from '../../src/security/security-manager.js';
import type { ConnectionInfo } from '../../src/server/protocol-module.js';
import type { AedesClient, AedesPacket, DeliverFn } from './aedes-types.js';
import type { QoS } from './message-mapping.js';

export interface DeliveryLimits {
  /** QoS 1/2 deliveries from a queue (persistent session, shared group) awaiting acknowledgement, per consumer. */
  maxInflight: number;
  /** Live deliveries handed to aedes and not yet written to the socket, per client. */
  maxQueuedPerClient: number;
  /** Bytes waiting in the client's socket buffer beyond which live messages are refused. */
  maxBufferedBytes: number;
}

/** What the front-end knows about one connection. */
export interface ClientState {
  client: AedesClient;
  info: ConnectionInfo;
  principal: Principal | undefined;
  /**
   * The connection's ServerSession (created once authentication succeeded, closed when the
   * connection is gone or taken over): every authorization decision and every client publish.
   */
  server: ServerSession | undefined;
  /** CONNECT details seen in preConnect. */
  connect: { emptyId: boolean; will: AedesPacket | null } | undefined;
  /**
   * Filters authorizeSubscribe accepted → the core patterns the client may read (aedes persists a
   * SUBSCRIBE's whole list, refused ones included; `a/#`'s parent pattern `a` only if the ACL allows it).
   */
  allowed: Map<string, string[]>;
  /** Live deliveries not yet written. */
  pending: number;
  release: () => void;
  regs: Set<Registration>;
  /** The session's consumer of its persistent-session queue (set once started). */
  session: SessionConsumer | undefined;
  /** That consumer is being created. */
  sessionStarting: boolean;
  gone: boolean;
}

export type Kind = 'live' | 'session' | 'shared' | 'local';

/** One deliver function aedes registered (mq.on) and how it is fed. */
export interface Registration {
  kind: Kind;
  filter: string;
  func: DeliverFn;
  state: ClientState | undefined;
  qos: QoS;
  lives: LiveSubscription[];
  group: SharedGroup | undefined;
  consumer: SessionConsumer | undefined;
  removed: boolean;
}

export interface SharedGroup {
  queue: string;
  shareFilter: string; // `$share/g/f` as subscribed
  filter: string; // f
  members: Set<Registration>;
  /** Serialises creation and teardown of the group's queue and subscriptions. */
  chain: Promise<unknown>;
  durable: boolean;
}

export const noop = (): void => undefined;

export function toQos(n: number): QoS {
  return n >= 2 ? 2 : n === 1 ? 1 : 0;
}
