/**
 * The basic class's content properties (the content header's property list), in flag order:
 * the first property is flag bit 15 of the first flags word.
 */
import type { FieldType } from './domains.js';

export interface PropertyDef {
  readonly name: string;
  readonly key: BasicPropertyKey;
  readonly type: FieldType;
}

export type BasicPropertyKey =
  | 'contentType' | 'contentEncoding' | 'headers' | 'deliveryMode' | 'priority' | 'correlationId'
  | 'replyTo' | 'expiration' | 'messageId' | 'timestamp' | 'type' | 'userId' | 'appId' | 'clusterId';

export const BASIC_PROPERTIES: readonly PropertyDef[] = [
  { name: 'content-type', key: 'contentType', type: 'shortstr' },
  { name: 'content-encoding', key: 'contentEncoding', type: 'shortstr' },
  { name: 'headers', key: 'headers', type: 'table' },
  { name: 'delivery-mode', key: 'deliveryMode', type: 'octet' },
  { name: 'priority', key: 'priority', type: 'octet' },
  { name: 'correlation-id', key: 'correlationId', type: 'shortstr' },
  { name: 'reply-to', key: 'replyTo', type: 'shortstr' },
  { name: 'expiration', key: 'expiration', type: 'shortstr' },
  { name: 'message-id', key: 'messageId', type: 'shortstr' },
  { name: 'timestamp', key: 'timestamp', type: 'timestamp' },
  { name: 'type', key: 'type', type: 'shortstr' },
  { name: 'user-id', key: 'userId', type: 'shortstr' },
  { name: 'app-id', key: 'appId', type: 'shortstr' },
  { name: 'cluster-id', key: 'clusterId', type: 'shortstr' },
];

/** Content properties per class id; only basic (60) has content in 0-9-1. */
export const CLASS_PROPERTIES: Readonly<Record<number, readonly PropertyDef[]>> = { 60: BASIC_PROPERTIES };
