/**
 * Where STOMP is served: its own port pair (61613, TLS 61614) and the WebSocket subprotocols
 * `v10.stomp`, `v11.stomp`, `v12.stomp`. Light on purpose: configuration loading reads it.
 */
import type { ListenerFamily, ProtocolListener } from '../../src/server/listener-family.js';
import type { ProtocolFactory } from '../../src/server/protocol-module.js';

export const STOMP_FAMILY = {
  name: 'stomp', tlsName: 'stomps', title: 'STOMP', port: 61613, tlsPort: 61614, dispatch: 'single',
} as const satisfies ListenerFamily;

export const STOMP_WS_SUBPROTOCOLS = ['v10.stomp', 'v11.stomp', 'v12.stomp'] as const;

export const stompListener = {
  protocol: 'stomp',
  family: STOMP_FAMILY,
  wsSubprotocols: STOMP_WS_SUBPROTOCOLS,
  load: async (): Promise<ProtocolFactory> => (await import('./stomp-module.js')).stompProtocol,
} as const satisfies ProtocolListener;
