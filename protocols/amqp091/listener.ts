/**
 * Where AMQP 0-9-1 is served: the AMQP port pair (5672, TLS 5671), shared with AMQP 1.0 by the
 * 8-byte protocol header (`AMQP 0 0 9 1`), and the WebSocket subprotocols `amqp091` and `amqpl`
 * (`amqp` is AMQP 1.0's). Light on purpose: configuration loading reads it.
 */
import type { ProtocolListener } from '../../src/server/listener-family.js';
import type { ProtocolFactory } from '../../src/server/protocol-module.js';
import { AMQP_FAMILY } from '../../src/server/shared-families.js';

/** `AMQP 0 0 9 1`. */
export const AMQP091_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0x00, 0x00, 0x09, 0x01]);

export function isAmqp091Header(h: Buffer): boolean {
  return h.length >= 8 && h.subarray(0, 8).equals(AMQP091_HEADER);
}

/** `AMQP` + a 0-8 / 0-9 / 0-9-x style version (`AMQP 1 1 0 9`, `AMQP 0 0 9 2`): not AMQP 1.0 (`AMQP x 1 0 0`). */
export function isAmqp09FamilyHeader(h: Buffer): boolean {
  return h.length >= 8 && h.toString('latin1', 0, 4) === 'AMQP' && (h[5] !== 1 || h[4] === 1);
}

export const amqp091Listener = {
  protocol: 'amqp091',
  family: AMQP_FAMILY,
  wsSubprotocols: ['amqp091', 'amqpl'],
  acceptsHeader: isAmqp091Header,
  // A 0-9-style header we do not speak is answered with the one we do; anything else falls to AMQP 1.0's.
  refusalHeader: (h: Buffer) => (isAmqp09FamilyHeader(h) ? AMQP091_HEADER : undefined),
  load: async (): Promise<ProtocolFactory> => (await import('./index.js')).amqp091Protocol,
} as const satisfies ProtocolListener;
