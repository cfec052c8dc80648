/**
 * The parts of aedes 1.x (and its Client) this front-end relies on beyond the published typings.
 * They are instance fields aedes sets in its constructors (lib/client.js, aedes.js); pinned by
 * the aedes ^1.2 dependency and exercised by the black-box tests.
 */
import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';

export interface AedesPacket {
  cmd: string;
  topic: string;
  payload: Buffer | string;
  qos: number;
  retain: boolean;
  dup: boolean;
  messageId?: number | undefined;
  brokerId?: string | null | undefined;
  brokerCounter?: number | undefined;
  clientId?: string | undefined;
  [key: string]: unknown;
}

/** What aedes hands to mq.on / broker.subscribe for one client subscription. */
export type DeliverFn = (packet: AedesPacket, cb: (err?: Error | null) => void) => void;

export interface AedesSubscription {
  topic: string;
  qos: number;
  rh?: number;
  rap?: boolean;
  nl?: boolean;
  [key: string]: unknown;
}

/** A client as aedes' persistence sees it (the conformance suite passes bare `{ id }` objects). */
export interface ClientLike {
  id: string;
  clean?: boolean;
}

export interface AedesClient extends EventEmitter, ClientLike {
  id: string;
  clean: boolean;
  closed: boolean;
  connected: boolean;
  connecting: boolean;
  version: number | null;
  conn: Duplex;
  subscriptions: Record<string, { qos: number; func: DeliverFn } | undefined>;
  will: AedesPacket | null;
  deliver0: DeliverFn;
  deliverQoS: DeliverFn;
  _nextId: number;
  _parser: { parse(buf: Buffer): unknown };
  close(cb?: () => void): void;
}

export interface AedesBroker extends EventEmitter {
  id: string;
  counter: number;
  closed: boolean;
  clients: Record<string, AedesClient | undefined>;
  handle(conn: Duplex): AedesClient;
  close(cb?: () => void): void;
}
