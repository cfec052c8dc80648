/**
 * Listener families no single front-end owns, so none of their folders declares them:
 * - AMQP_FAMILY: the AMQP port pair, shared by header. AMQP 1.0 and AMQP 0-9-1 both declare it
 *   as their family (protocols/amqp10/listener.ts, protocols/amqp091/listener.ts) and tell their
 *   connections apart by the 8-byte protocol header.
 * - WEBSOCKET_FAMILY: the server's one WebSocket port pair; every protocol's wsSubprotocols
 *   are served on it, the upgrade's subprotocol picks the module.
 * A front-end may import this file (it is data, not another front-end).
 */
import type { ListenerFamily } from './listener-family.js';

export const AMQP_FAMILY = {
  name: 'amqp', tlsName: 'amqps', title: 'AMQP', port: 5672, tlsPort: 5671, dispatch: 'header',
} as const satisfies ListenerFamily;

export const WEBSOCKET_FAMILY = {
  name: 'ws', tlsName: 'wss', title: 'WebSocket', port: 61618, tlsPort: 61619, dispatch: 'subprotocol',
} as const satisfies ListenerFamily;
