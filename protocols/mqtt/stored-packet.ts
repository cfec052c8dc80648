/**
 * aedes packets as the MQTT persistence keeps them: the JSON encoding written to broker.state
 * maps, in-memory copies, and the state keys for (client id, packet id) pairs.
 */
import type { AedesPacket } from './aedes-types.js';

interface StoredPacket {
  cmd: string;
  topic?: string;
  payload?: string; // base64
  payloadString?: string;
  qos?: number;
  retain?: boolean;
  dup?: boolean;
  messageId?: number;
  brokerId?: string;
  brokerCounter?: number;
  clientId?: string;
}

/** The value stored for a packet id when only the id matters. */
export const ONE = Buffer.from('1');

export function encodePacket(p: AedesPacket | Record<string, unknown>): Buffer {
  const o: StoredPacket = { cmd: String(p.cmd ?? 'publish') };
  if (typeof p.topic === 'string') o.topic = p.topic;
  if (Buffer.isBuffer(p.payload)) o.payload = p.payload.toString('base64');
  else if (typeof p.payload === 'string') o.payloadString = p.payload;
  for (const k of ['qos', 'messageId', 'brokerCounter'] as const) if (typeof p[k] === 'number') o[k] = p[k] as number;
  for (const k of ['retain', 'dup'] as const) if (typeof p[k] === 'boolean') o[k] = p[k] as boolean;
  for (const k of ['brokerId', 'clientId'] as const) if (typeof p[k] === 'string') o[k] = p[k] as string;
  return Buffer.from(JSON.stringify(o));
}

export function decodePacket(buf: Buffer): AedesPacket {
  const o = JSON.parse(buf.toString('utf8')) as StoredPacket;
  const p: Record<string, unknown> = { cmd: o.cmd };
  for (const k of ['brokerId', 'brokerCounter', 'clientId', 'topic'] as const) if (o[k] !== undefined) p[k] = o[k];
  if (o.payload !== undefined) p.payload = Buffer.from(o.payload, 'base64');
  else if (o.payloadString !== undefined) p.payload = o.payloadString;
  for (const k of ['qos', 'retain', 'dup', 'messageId'] as const) if (o[k] !== undefined) p[k] = o[k];
  return p as AedesPacket;
}

export function copyPacket(p: AedesPacket): AedesPacket {
  const c: AedesPacket = {
    cmd: p.cmd || 'publish',
    brokerId: p.brokerId,
    brokerCounter: p.brokerCounter,
    topic: p.topic,
    payload: p.payload,
    qos: p.qos || 0,
    retain: p.retain || false,
    dup: p.dup || false,
  };
  if (p.clientId !== undefined) c.clientId = p.clientId;
  if (p.messageId !== undefined) c.messageId = p.messageId;
  else if (c.qos > 0 || c.cmd !== 'publish') c.messageId = undefined;
  return c;
}

/** State key of a (client id, packet id) pair. */
export function idKey(clientId: string, messageId: number): string {
  return JSON.stringify([clientId, messageId]);
}

export function parseIdKey(key: string): [string, number] | undefined {
  try {
    const v = JSON.parse(key) as unknown;
    if (Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'number') return [v[0], v[1]];
  } catch {
    return undefined; // not one of ours: reported by the caller
  }
  return undefined;
}
