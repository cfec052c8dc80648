/**
 * How an AMQP 1.0 body is kept in the core message, and the typed-id markers.
 *
 * The core body is bytes. A `data` body is stored as its bytes with no marker; other AMQP body
 * kinds are marked in the message's protocol slot (`message.protocol.amqp10.bodyKind`,
 * src/core/protocol-slot.ts) so that an AMQP 1.0 receiver gets the identical body back:
 *
 * | marker          | core body                                  | sent to AMQP 1.0 as           |
 * |-----------------|--------------------------------------------|-------------------------------|
 * | (none)          | the bytes                                  | `data` section                |
 * | `string`        | UTF-8 of an amqp-value string              | amqp-value string             |
 * | `binary`        | the bytes of an amqp-value binary          | amqp-value binary             |
 * | `null`          | empty (amqp-value null)                    | amqp-value null               |
 * | `amqp-value`    | the exact AMQP encoding of the section     | that section, byte for byte   |
 * | `amqp-sequence` | the exact AMQP encoding of the section(s)  | those sections, byte for byte |
 *
 * Non-string message-id / correlation-id types go to `messageIdType` / `correlationIdType` of
 * the same slot. Versions before the slot kept all three as the headers `x-amqp-body`,
 * `x-amqp-message-id-type`, `x-amqp-correlation-id-type`; the store's codec moves them into the
 * slot when it reads such a message. Core headers whose names start with `x-amqp-` stay reserved:
 * such application-properties sent by a client are dropped, and such headers are never sent as
 * application-properties.
 */
import type { Amqp10BodyKind, Amqp10IdType } from '../../src/core/protocol-slot.js';

export const RESERVED_PREFIX = 'x-amqp-';
/** Message annotations with this prefix are kept as core headers of the same name. */
export const ANNOTATION_PREFIX = 'x-opt-';

export type BodyMarker = Amqp10BodyKind;

/** Non-string AMQP message-id / correlation-id types, kept as a marker next to the string form. */
export type IdType = Amqp10IdType;

export function isReservedHeader(name: string): boolean {
  return name.startsWith(RESERVED_PREFIX);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An AMQP message-id value (string | number | Buffer) as a string plus its type marker. */
export function idToString(v: unknown): { id: string; type?: IdType } | undefined {
  if (typeof v === 'string') return { id: v };
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return { id: String(v), type: 'ulong' };
  if (Buffer.isBuffer(v)) {
    if (v.length === 16) {
      const h = v.toString('hex');
      return { id: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`, type: 'uuid' };
    }
    return { id: v.toString('hex'), type: 'binary' };
  }
  return undefined;
}

/** The AMQP value for a stored id: number (ulong), 16-byte Buffer (uuid), or the string. Binary needs wrapping by the caller. */
export function idFromString(id: string, type: unknown): { value: string | number | Buffer; binary: boolean } {
  if (type === 'ulong' && /^[0-9]{1,15}$/.test(id)) return { value: Number(id), binary: false };
  if (type === 'uuid' && UUID.test(id)) return { value: Buffer.from(id.replace(/-/g, ''), 'hex'), binary: false };
  if (type === 'binary' && /^([0-9a-f]{2})*$/i.test(id)) return { value: Buffer.from(id, 'hex'), binary: true };
  return { value: id, binary: false };
}
