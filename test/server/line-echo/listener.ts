/**
 * Test-only front-end declarations, written the way a real front-end writes
 * protocols/<p>/listener.ts: the line-echo protocol on its own family (`echo`, plain 7007,
 * TLS 7008, WebSocket subprotocol `line-echo`), and a second protocol on the AMQP port, shared
 * by header with AMQP 1.0 (its connections open with the 8 bytes `LINEECHO`), the way
 * AMQP 0-9-1 joins that port.
 */
import type { ListenerFamily, ProtocolListener } from '../../../src/server/listener-family.js';
import type { ProtocolFactory } from '../../../src/server/protocol-module.js';
import { AMQP_FAMILY } from '../../../src/server/shared-families.js';

export const ECHO_FAMILY = {
  name: 'echo', tlsName: 'echos', title: 'Line echo', port: 7007, tlsPort: 7008, dispatch: 'single',
} as const satisfies ListenerFamily;

export const lineEchoListener = {
  protocol: 'line-echo',
  family: ECHO_FAMILY,
  wsSubprotocols: ['line-echo'],
  load: async (): Promise<ProtocolFactory> => (await import('./index.js')).lineEchoProtocol,
} as const satisfies ProtocolListener;

export const LINE_ECHO_HEADER = Buffer.from('LINEECHO', 'latin1');

export const headerEchoListener = {
  protocol: 'header-echo',
  family: AMQP_FAMILY,
  wsSubprotocols: [],
  acceptsHeader: (header: Buffer) => header.equals(LINE_ECHO_HEADER),
  load: async (): Promise<ProtocolFactory> => (await import('./index.js')).headerEchoProtocol,
} as const satisfies ProtocolListener;
