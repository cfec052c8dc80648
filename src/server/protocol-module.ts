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
import type { ProtocolListener } from './listener-family.js';

export type Transport = 'tcp' | 'tls' | 'ws' | 'wss';

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
  /** Short protocol name, used in logs and metrics: mqtt, stomp, amqp10, amqp091 (= listener.protocol). */
  readonly name: string;
  /**
   * Where the module is served, its declaration in protocols/<p>/listener.ts (the same object the
   * protocol registry lists): the listener family (port pair), WebSocket subprotocols, header test.
   */
  readonly listener: ProtocolListener;
  /** Largest frame/packet this module accepts, when above config.limits.maxFrameBytes (the WebSocket listener allows messages this big). */
  readonly maxFrameBytes?: number;
  /** Take over a TCP or TLS socket (any bytes already read have been unshifted back). */
  handleSocket(socket: Socket, info: ConnectionInfo): void;
  /** Take over a WebSocket whose subprotocol is one of listener.wsSubprotocols. */
  handleWebSocket(ws: WebSocket, subprotocol: string, info: ConnectionInfo): void;
  /** Stop serving: close client connections cleanly, flush what the module holds. */
  close(): Promise<void>;
}

export type ProtocolFactory = (ctx: ServerContext) => Promise<ProtocolModule>;
