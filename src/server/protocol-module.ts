/**
 * The contract between the server's transport layer and a protocol front-end
 * (Artemis's protocol-manager split): the transport accepts sockets and WebSockets and hands
 * each to the module that speaks its protocol; the module drives the protocol-neutral Broker.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { Broker } from '../core/broker.js';
import type { SecurityManager } from '../security/security-manager.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';

export type Transport = 'tcp' | 'tls' | 'ws' | 'wss';

/** Which configured TCP listener family (port pair) carries a protocol. */
export type ListenerFamily = 'mqtt' | 'amqp' | 'stomp';

export interface ConnectionInfo {
  remoteAddress: string;
  remotePort: number;
  transport: Transport;
}

export interface ServerContext {
  broker: Broker;
  security: SecurityManager;
  config: Config;
  logger: Logger;
}

export interface ProtocolModule {
  /** Short protocol name, used in logs and metrics: mqtt, stomp, amqp10, amqp091. */
  readonly name: string;
  readonly listener: ListenerFamily;
  /** For the shared AMQP port: does this module take a connection that opens with this 8-byte header? */
  acceptsHeader?(header: Buffer): boolean;
  /** Largest frame/packet this module accepts, when above config.limits.maxFrameBytes (the WebSocket listener allows messages this big). */
  readonly maxFrameBytes?: number;
  /** WebSocket subprotocols this module serves on the shared WebSocket port. */
  readonly wsSubprotocols: readonly string[];
  /** Take over a TCP or TLS socket (any bytes already read have been unshifted back). */
  handleSocket(socket: Socket, info: ConnectionInfo): void;
  /** Take over a WebSocket whose subprotocol is one of wsSubprotocols. */
  handleWebSocket(ws: WebSocket, subprotocol: string, info: ConnectionInfo): void;
  /** Stop serving: close client connections cleanly, flush what the module holds. */
  close(): Promise<void>;
}

export type ProtocolFactory = (ctx: ServerContext) => Promise<ProtocolModule>;
