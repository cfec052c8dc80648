/**
 * Where AMQP 1.0 is served: the AMQP port pair (5672, TLS 5671), which it shares with AMQP 0-9-1
 * (the 8-byte protocol header tells them apart: `AMQP 0 1 0 0` plain, `AMQP 3 1 0 0` SASL), and
 * the WebSocket subprotocol `amqp`. Light on purpose (no rhea): configuration loading reads it.
 */
import type { ProtocolListener } from '../../src/server/listener-family.js';
import type { ProtocolFactory } from '../../src/server/protocol-module.js';
import { AMQP_FAMILY } from '../../src/server/shared-families.js';

export function isAmqp10Header(h: Buffer): boolean {
  return h.length >= 8 && h.toString('latin1', 0, 4) === 'AMQP' && (h[4] === 0 || h[4] === 3) && h[5] === 1 && h[6] === 0 && h[7] === 0;
}

/** `AMQP 0 1 0 0`: the header a server answers with to a protocol header it does not support. */
export const AMQP10_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0x00, 0x01, 0x00, 0x00]);

export const amqp10Listener = {
  protocol: 'amqp10',
  family: AMQP_FAMILY,
  wsSubprotocols: ['amqp'],
  acceptsHeader: isAmqp10Header,
  refusalHeader: AMQP10_HEADER,
  load: async (): Promise<ProtocolFactory> => (await import('./index.js')).amqp10Protocol,
} as const satisfies ProtocolListener;
