/**
 * The front-end conformance driver contract. One driver per front-end wraps the real client
 * library users run (stompit, @stomp/stompjs, rhea, mqtt.js) behind the same small interface, so
 * every scenario file runs the same steps against every driver that has the capability it needs
 * (`describe.each(withCapability(...))`), in the spirit of aedes' abstract persistence suite.
 *
 * Destinations are given as core names (`{ kind: 'queue', name: 'orders.eu' }`); each driver
 * turns them into its protocol's syntax (STOMP `/queue/orders.eu`, AMQP 1.0 `queue://orders.eu`,
 * MQTT `orders/eu`). `{ kind: 'address', address }` is a raw protocol address, as found in a
 * received reply-to.
 */
import type { TestServer } from '../support/test-server.js';

export type ProtocolName = 'stomp' | 'amqp10' | 'mqtt' | 'amqp091';

export type Destination =
  | { kind: 'queue'; name: string }
  | { kind: 'topic'; name: string }
  | { kind: 'address'; address: string };

export const queue = (name: string): Destination => ({ kind: 'queue', name });
export const topic = (name: string): Destination => ({ kind: 'topic', name });

export interface Capabilities {
  /** Can send to and consume from core queues (MQTT cannot: it only has topics). */
  queues: boolean;
  /** Can publish to and subscribe to core topics (AMQP 0-9-1: only once amq.topic is served). */
  topics: boolean;
  /** Application headers / properties on messages (MQTT 3.1.1 has none). */
  applicationHeaders: boolean;
  /** Application header values arrive as text (STOMP), so typed values show their text forms. */
  headersAsText: boolean;
  /** content-type, correlation-id, reply-to, message-id as message properties (not MQTT 3.1.1). */
  standardProperties: boolean;
  /** Client-chosen window of unacknowledged deliveries (STOMP prefetch, AMQP credit). */
  clientWindow: boolean;
  /** The window is the broker's setting (MQTT: the front-end's maxInflight). */
  brokerWindow: boolean;
  /** Local transactions (send and ack in a unit of work). */
  transactions: boolean;
  /** Typed application property values that round-trip with their wire type. */
  typedProperties: boolean;
  /** A temporary reply queue private to the connection, for request/reply. */
  tempReplyQueue: boolean;
  /** Durable topic subscriptions that survive disconnects and broker restarts. */
  durableSubscriptions: boolean;
  /** Redeliveries are flagged (STOMP `redelivered`, AMQP delivery-count / first-acquirer, MQTT DUP). */
  redeliveredFlag: boolean;
  /** A refused publish is reported to the client (MQTT 3.1.1 acknowledges and drops it). */
  publishRefusalVisible: boolean;
}

export interface ConnectOptions {
  /** STOMP client-id, AMQP 1.0 container id, MQTT client id. */
  clientId?: string;
  username?: string;
  password?: string;
  /** MQTT clean session (default true); ignored by the other protocols. */
  clean?: boolean;
}

/** A typed application property value (for protocols with typed properties). */
export type TypedValue =
  | { type: 'long'; value: bigint }
  | { type: 'ubyte'; value: number }
  | { type: 'timestamp'; value: number }
  | { type: 'uuid'; value: string }
  | { type: 'binary'; value: Buffer };

export interface SendOptions {
  /** Application headers (STOMP headers, AMQP application-properties). */
  headers?: Record<string, string>;
  /** Typed application properties (drivers with `typedProperties` only). */
  typedHeaders?: Record<string, TypedValue>;
  contentType?: string;
  correlationId?: string;
  replyTo?: string;
  messageId?: string;
  /** STOMP persistent:true, AMQP durable, MQTT QoS 1 (default true). */
  persistent?: boolean;
}

export interface SubscribeOptions {
  /** 'client': each message is acknowledged by ack(); 'auto': by the client library. */
  ack?: 'client' | 'auto';
  /** Unacknowledged deliveries allowed (STOMP prefetch, AMQP credit); default unlimited-ish. */
  prefetch?: number;
  /** Durable topic subscription name (STOMP subscriptionName, AMQP link name; MQTT: the session). */
  durableName?: string;
}

/** A message as the scenario sees it, normalised from the protocol's own representation. */
export interface ReceivedMessage {
  body: Buffer;
  /** Application headers / properties (protocol-meaningful headers removed). */
  headers: Record<string, unknown>;
  contentType?: string;
  correlationId?: string;
  replyTo?: string;
  messageId?: string;
  /** The protocol's redelivered flag. */
  redelivered: boolean;
  /** Application properties with their wire type names (`long`, `ubyte`, ...), where the protocol has types. */
  typedHeaders?: Record<string, { type: string; value: unknown }>;
  /** The driver's own message object (stompit frame headers, rhea message, MQTT packet). */
  raw: unknown;
}

export interface Subscription {
  readonly received: ReceivedMessage[];
  /** Resolves once `count` messages arrived; the error names the driver and what was expected. */
  waitFor(count: number, what?: string): Promise<ReceivedMessage[]>;
}

export interface Transaction {
  send(dest: Destination, body: Buffer | string, opts?: SendOptions): Promise<void>;
  ack(msg: ReceivedMessage): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface Connection {
  readonly driver: Driver;
  /** Resolves when the broker took the message (RECEIPT, accepted, PUBACK). */
  send(dest: Destination, body: Buffer | string, opts?: SendOptions): Promise<void>;
  /** Resolves when the subscription is in place (RECEIPT, attach, SUBACK). */
  subscribe(dest: Destination, opts?: SubscribeOptions): Promise<Subscription>;
  /** Acknowledge one message (client ack mode). */
  ack(msg: ReceivedMessage): Promise<void>;
  /** A temporary reply queue: `replyTo` is what requests carry, replies arrive on `subscription`. */
  tempReplyQueue(): Promise<{ replyTo: string; subscription: Subscription }>;
  begin(): Promise<Transaction>;
  /** The protocol's graceful disconnect (STOMP DISCONNECT, AMQP close, MQTT DISCONNECT). */
  disconnect(): Promise<void>;
  /** True once the broker closed the connection. */
  readonly closed: boolean;
}

export interface Driver {
  /** Driver name, shown in every test name and failure message. */
  readonly name: string;
  /** Short id usable inside a destination level (`stompit`, `rhea`, `mqttjs`). */
  readonly id: string;
  readonly protocol: ProtocolName;
  readonly capabilities: Capabilities;
  /** Why a capability is off (shown in the suite's skip notes). */
  readonly notes: Partial<Record<keyof Capabilities, string>>;
  /** This protocol's address for a destination. */
  address(dest: Destination): string;
  connect(server: TestServer, opts?: ConnectOptions): Promise<Connection>;
}

/** A refusal the protocol's way: `code` says which (STOMP `ERROR <message>`, an AMQP condition, `SUBACK 0x80`). */
export class RefusedError extends Error {
  constructor(readonly driver: string, readonly code: string, detail: string) {
    super(`${driver}: refused (${code}): ${detail}`);
  }
}

export class CapabilityMissing extends Error {
  constructor(driver: string, what: string) {
    super(`${driver} has no ${what}`);
  }
}

/** Poll until `cond` holds (5 ms steps); throws `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The shared Subscription implementation: drivers push into `received`. */
export class CollectingSubscription implements Subscription {
  readonly received: ReceivedMessage[] = [];
  error: Error | undefined;

  constructor(private readonly label: string) {}

  push(m: ReceivedMessage): void {
    this.received.push(m);
  }

  fail(err: Error): void {
    this.error ??= err;
  }

  async waitFor(count: number, what = `${count} message(s)`): Promise<ReceivedMessage[]> {
    try {
      await waitFor(() => this.received.length >= count || this.error !== undefined, `${this.label}: ${what}`);
    } catch (err) {
      throw new Error(`${(err as Error).message}; got ${this.received.length}: ${this.received.map((m) => preview(m.body)).join(', ')}`);
    }
    if (this.received.length < count && this.error) throw new Error(`${this.label}: ${what}: subscription failed: ${this.error.message}`);
    return this.received.slice(0, count);
  }
}

export function toBuffer(body: Buffer | string): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

/** A short printable form of a body for failure messages (large bodies by size only). */
export function preview(body: Buffer): string {
  return body.length > 64 ? `<${body.length} bytes>` : JSON.stringify(body.toString('utf8'));
}
