/**
 * The per-protocol slot of a core message (`Message.protocol`): details that only the protocol
 * that wrote them reads back, such as how an AMQP 1.0 body was encoded or the QoS of an MQTT
 * publish. They are not application headers: no other protocol's client sees them (STOMP MESSAGE
 * headers, AMQP application-properties, admin API `headers`), and filter policies do not match
 * them. The store persists the slot with the message.
 *
 * The core only declares the shapes, as plain data; each front-end owns its own entry and
 * validates what it reads (a stored message may come from an older version). Future front-ends
 * add their own key, holding a record of core Values.
 */
import type { Value } from './values.js';

/** AMQP 1.0 body section kinds other than `data` (protocols/amqp10/body-kind.ts). */
export type Amqp10BodyKind = 'string' | 'binary' | 'null' | 'amqp-value' | 'amqp-sequence';
/** Non-string AMQP message-id / correlation-id types (the core keeps ids as strings). */
export type Amqp10IdType = 'ulong' | 'uuid' | 'binary';

export type Amqp10Details = {
  /** How the body was encoded; absent: a `data` section (or not from AMQP 1.0). */
  bodyKind?: Amqp10BodyKind;
  messageIdType?: Amqp10IdType;
  correlationIdType?: Amqp10IdType;
};

export type MqttDetails = {
  /** QoS of the PUBLISH (delivery QoS is min(this, subscription QoS)). */
  publishQos?: 0 | 1 | 2;
  /** The exact MQTT topic name published to. */
  topic?: string;
};

export type ProtocolDetails = {
  amqp10?: Amqp10Details;
  mqtt?: MqttDetails;
  [protocol: string]: Readonly<Record<string, Value | undefined>> | undefined;
};

/**
 * Header names under which versions before the slot kept these details, with where they go.
 * Only the store's codec uses this, to read messages written by those versions.
 */
export const LEGACY_DETAIL_HEADERS: ReadonlyArray<readonly [header: string, protocol: 'amqp10' | 'mqtt', field: string]> = [
  ['x-amqp-body', 'amqp10', 'bodyKind'],
  ['x-amqp-message-id-type', 'amqp10', 'messageIdType'],
  ['x-amqp-correlation-id-type', 'amqp10', 'correlationIdType'],
  ['x-mqtt-publish-qos', 'mqtt', 'publishQos'],
  ['x-mqtt-topic', 'mqtt', 'topic'],
];

/**
 * Move the legacy detail headers out of `headers` (mutated) into a slot merged over `slot`.
 * Returns the slot, or undefined when there is nothing in it.
 */
export function liftLegacyDetails(headers: Record<string, Value>, slot: ProtocolDetails | undefined): ProtocolDetails | undefined {
  let out = slot;
  for (const [header, protocol, field] of LEGACY_DETAIL_HEADERS) {
    if (!Object.hasOwn(headers, header)) continue;
    const v = headers[header]!;
    delete headers[header];
    out = { ...out, [protocol]: { ...out?.[protocol], [field]: v } };
  }
  return out;
}
