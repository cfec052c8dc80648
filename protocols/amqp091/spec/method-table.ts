/**
 * The AMQP 0-9-1 method table as data: every class and method of the 0-9-1 specification with
 * RabbitMQ's extensions (confirm.select/select-ok, basic.nack, exchange.bind/unbind,
 * connection.blocked/unblocked, connection.update-secret). Written from the specification's
 * class/method definitions; the codec (codec/method-codec.ts) is driven by it, nothing is
 * hand-written per method.
 *
 * Each method row: class id, method id, name, its fields in wire order as `name:domain`, whether
 * it carries content (a content header and body frames follow), and, for a synchronous request,
 * the method names that answer it.
 */
import { DOMAIN_TYPES, type Domain, type FieldType } from './domains.js';

export interface FieldDef {
  /** Spec name, e.g. `reply-code`. */
  readonly name: string;
  /** camelCase key used in decoded argument records, e.g. `replyCode`. */
  readonly key: string;
  readonly domain: Domain;
  /** Wire type the domain resolves to. */
  readonly type: FieldType;
}

export interface MethodDef {
  readonly classId: number;
  readonly methodId: number;
  readonly className: string;
  /** `class.method`, e.g. `basic.publish`. */
  readonly name: string;
  readonly fields: readonly FieldDef[];
  /** A content header and body frames follow this method. */
  readonly content: boolean;
  /** Synchronous request: the peer answers with one of `replies`. */
  readonly synchronous: boolean;
  readonly replies: readonly string[];
}

export interface ClassDef {
  readonly id: number;
  readonly name: string;
}

type Row = readonly [classId: number, methodId: number, name: string, fields: string, flags?: { content?: true; replies?: readonly string[] }];

export const CLASSES: readonly ClassDef[] = [
  { id: 10, name: 'connection' },
  { id: 20, name: 'channel' },
  { id: 30, name: 'access' },
  { id: 40, name: 'exchange' },
  { id: 50, name: 'queue' },
  { id: 60, name: 'basic' },
  { id: 85, name: 'confirm' },
  { id: 90, name: 'tx' },
];

const ROWS: readonly Row[] = [
  [10, 10, 'connection.start', 'version-major:octet version-minor:octet server-properties:peer-properties mechanisms:longstr locales:longstr', { replies: ['connection.start-ok'] }],
  [10, 11, 'connection.start-ok', 'client-properties:peer-properties mechanism:shortstr response:longstr locale:shortstr'],
  [10, 20, 'connection.secure', 'challenge:longstr', { replies: ['connection.secure-ok'] }],
  [10, 21, 'connection.secure-ok', 'response:longstr'],
  [10, 30, 'connection.tune', 'channel-max:short frame-max:long heartbeat:short', { replies: ['connection.tune-ok'] }],
  [10, 31, 'connection.tune-ok', 'channel-max:short frame-max:long heartbeat:short'],
  [10, 40, 'connection.open', 'virtual-host:path capabilities:shortstr insist:bit', { replies: ['connection.open-ok'] }],
  [10, 41, 'connection.open-ok', 'known-hosts:shortstr'],
  [10, 50, 'connection.close', 'reply-code:reply-code reply-text:reply-text class-id:class-id method-id:method-id', { replies: ['connection.close-ok'] }],
  [10, 51, 'connection.close-ok', ''],
  [10, 60, 'connection.blocked', 'reason:shortstr'],
  [10, 61, 'connection.unblocked', ''],
  [10, 70, 'connection.update-secret', 'new-secret:longstr reason:shortstr', { replies: ['connection.update-secret-ok'] }],
  [10, 71, 'connection.update-secret-ok', ''],

  [20, 10, 'channel.open', 'out-of-band:shortstr', { replies: ['channel.open-ok'] }],
  [20, 11, 'channel.open-ok', 'channel-id:longstr'],
  [20, 20, 'channel.flow', 'active:bit', { replies: ['channel.flow-ok'] }],
  [20, 21, 'channel.flow-ok', 'active:bit'],
  [20, 40, 'channel.close', 'reply-code:reply-code reply-text:reply-text class-id:class-id method-id:method-id', { replies: ['channel.close-ok'] }],
  [20, 41, 'channel.close-ok', ''],

  [30, 10, 'access.request', 'realm:shortstr exclusive:bit passive:bit active:bit write:bit read:bit', { replies: ['access.request-ok'] }],
  [30, 11, 'access.request-ok', 'ticket:short'],

  [40, 10, 'exchange.declare', 'ticket:short exchange:exchange-name type:shortstr passive:bit durable:bit auto-delete:bit internal:bit nowait:bit arguments:table', { replies: ['exchange.declare-ok'] }],
  [40, 11, 'exchange.declare-ok', ''],
  [40, 20, 'exchange.delete', 'ticket:short exchange:exchange-name if-unused:bit nowait:bit', { replies: ['exchange.delete-ok'] }],
  [40, 21, 'exchange.delete-ok', ''],
  [40, 30, 'exchange.bind', 'ticket:short destination:exchange-name source:exchange-name routing-key:shortstr nowait:bit arguments:table', { replies: ['exchange.bind-ok'] }],
  [40, 31, 'exchange.bind-ok', ''],
  [40, 40, 'exchange.unbind', 'ticket:short destination:exchange-name source:exchange-name routing-key:shortstr nowait:bit arguments:table', { replies: ['exchange.unbind-ok'] }],
  // RabbitMQ's extension numbers unbind-ok 51 (not 41).
  [40, 51, 'exchange.unbind-ok', ''],

  [50, 10, 'queue.declare', 'ticket:short queue:queue-name passive:bit durable:bit exclusive:bit auto-delete:bit nowait:bit arguments:table', { replies: ['queue.declare-ok'] }],
  [50, 11, 'queue.declare-ok', 'queue:queue-name message-count:message-count consumer-count:long'],
  [50, 20, 'queue.bind', 'ticket:short queue:queue-name exchange:exchange-name routing-key:shortstr nowait:bit arguments:table', { replies: ['queue.bind-ok'] }],
  [50, 21, 'queue.bind-ok', ''],
  [50, 30, 'queue.purge', 'ticket:short queue:queue-name nowait:bit', { replies: ['queue.purge-ok'] }],
  [50, 31, 'queue.purge-ok', 'message-count:message-count'],
  [50, 40, 'queue.delete', 'ticket:short queue:queue-name if-unused:bit if-empty:bit nowait:bit', { replies: ['queue.delete-ok'] }],
  [50, 41, 'queue.delete-ok', 'message-count:message-count'],
  [50, 50, 'queue.unbind', 'ticket:short queue:queue-name exchange:exchange-name routing-key:shortstr arguments:table', { replies: ['queue.unbind-ok'] }],
  [50, 51, 'queue.unbind-ok', ''],

  [60, 10, 'basic.qos', 'prefetch-size:long prefetch-count:short global:bit', { replies: ['basic.qos-ok'] }],
  [60, 11, 'basic.qos-ok', ''],
  [60, 20, 'basic.consume', 'ticket:short queue:queue-name consumer-tag:consumer-tag no-local:no-local no-ack:no-ack exclusive:bit nowait:bit arguments:table', { replies: ['basic.consume-ok'] }],
  [60, 21, 'basic.consume-ok', 'consumer-tag:consumer-tag'],
  [60, 30, 'basic.cancel', 'consumer-tag:consumer-tag nowait:bit', { replies: ['basic.cancel-ok'] }],
  [60, 31, 'basic.cancel-ok', 'consumer-tag:consumer-tag'],
  [60, 40, 'basic.publish', 'ticket:short exchange:exchange-name routing-key:shortstr mandatory:bit immediate:bit', { content: true }],
  [60, 50, 'basic.return', 'reply-code:reply-code reply-text:reply-text exchange:exchange-name routing-key:shortstr', { content: true }],
  [60, 60, 'basic.deliver', 'consumer-tag:consumer-tag delivery-tag:delivery-tag redelivered:redelivered exchange:exchange-name routing-key:shortstr', { content: true }],
  [60, 70, 'basic.get', 'ticket:short queue:queue-name no-ack:no-ack', { replies: ['basic.get-ok', 'basic.get-empty'] }],
  [60, 71, 'basic.get-ok', 'delivery-tag:delivery-tag redelivered:redelivered exchange:exchange-name routing-key:shortstr message-count:message-count', { content: true }],
  [60, 72, 'basic.get-empty', 'cluster-id:shortstr'],
  [60, 80, 'basic.ack', 'delivery-tag:delivery-tag multiple:bit'],
  [60, 90, 'basic.reject', 'delivery-tag:delivery-tag requeue:bit'],
  [60, 100, 'basic.recover-async', 'requeue:bit'],
  [60, 110, 'basic.recover', 'requeue:bit', { replies: ['basic.recover-ok'] }],
  [60, 111, 'basic.recover-ok', ''],
  [60, 120, 'basic.nack', 'delivery-tag:delivery-tag multiple:bit requeue:bit'],

  [85, 10, 'confirm.select', 'nowait:bit', { replies: ['confirm.select-ok'] }],
  [85, 11, 'confirm.select-ok', ''],

  [90, 10, 'tx.select', '', { replies: ['tx.select-ok'] }],
  [90, 11, 'tx.select-ok', ''],
  [90, 20, 'tx.commit', '', { replies: ['tx.commit-ok'] }],
  [90, 21, 'tx.commit-ok', ''],
  [90, 30, 'tx.rollback', '', { replies: ['tx.rollback-ok'] }],
  [90, 31, 'tx.rollback-ok', ''],
];

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function buildMethod([classId, methodId, name, fields, flags]: Row): MethodDef {
  const className = name.slice(0, name.indexOf('.'));
  const defs = fields === '' ? [] : fields.split(' ').map((f): FieldDef => {
    const [fieldName, domain] = f.split(':') as [string, Domain];
    const type = DOMAIN_TYPES[domain];
    if (type === undefined) throw new Error(`method table: unknown domain ${domain} in ${name}`);
    return { name: fieldName, key: camel(fieldName), domain, type };
  });
  return {
    classId, methodId, className, name, fields: defs,
    content: flags?.content === true,
    synchronous: (flags?.replies?.length ?? 0) > 0,
    replies: flags?.replies ?? [],
  };
}

export const METHODS: readonly MethodDef[] = ROWS.map(buildMethod);

export function methodKey(classId: number, methodId: number): number {
  return (classId << 16) | methodId;
}

const BY_KEY = new Map<number, MethodDef>(METHODS.map((m) => [methodKey(m.classId, m.methodId), m]));
const BY_NAME = new Map<string, MethodDef>(METHODS.map((m) => [m.name, m]));
const CLASS_IDS = new Set(CLASSES.map((c) => c.id));

export function methodById(classId: number, methodId: number): MethodDef | undefined {
  return BY_KEY.get(methodKey(classId, methodId));
}

export function methodByName(name: string): MethodDef {
  const m = BY_NAME.get(name);
  if (!m) throw new Error(`unknown AMQP 0-9-1 method ${name}`);
  return m;
}

export function isKnownClass(classId: number): boolean {
  return CLASS_IDS.has(classId);
}
