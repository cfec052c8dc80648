/**
 * AMQP 0-9-1 domains (the spec's named field types) and the wire type each resolves to.
 */
export type FieldType = 'bit' | 'octet' | 'short' | 'long' | 'longlong' | 'shortstr' | 'longstr' | 'table' | 'timestamp';

export const DOMAIN_TYPES = {
  bit: 'bit',
  octet: 'octet',
  short: 'short',
  long: 'long',
  longlong: 'longlong',
  shortstr: 'shortstr',
  longstr: 'longstr',
  table: 'table',
  timestamp: 'timestamp',
  'channel-id': 'longstr',
  'class-id': 'short',
  'consumer-tag': 'shortstr',
  'delivery-tag': 'longlong',
  destination: 'shortstr',
  duration: 'longlong',
  'exchange-name': 'shortstr',
  'message-count': 'long',
  'method-id': 'short',
  'no-ack': 'bit',
  'no-local': 'bit',
  offset: 'longlong',
  path: 'shortstr',
  'peer-properties': 'table',
  'queue-name': 'shortstr',
  redelivered: 'bit',
  reference: 'longstr',
  'reject-code': 'short',
  'reject-text': 'shortstr',
  'reply-code': 'short',
  'reply-text': 'shortstr',
  'security-token': 'longstr',
} as const satisfies Record<string, FieldType>;

export type Domain = keyof typeof DOMAIN_TYPES;
