/**
 * AMQP 1.0 node addresses → core destinations.
 *
 * | address                          | core                                   |
 * |----------------------------------|----------------------------------------|
 * | `queue://NAME`, `/queue/NAME`    | queue NAME                             |
 * | `topic://NAME`, `/topic/NAME`    | topic NAME (receivers may use `*`, `>`) |
 * | `stream://NAME`, `/stream/NAME`  | stream NAME                            |
 * | `NAME` + capability `topic` (or `temporary-topic`) | topic NAME          |
 * | `NAME` + capability `queue` (or `temporary-queue`) | queue NAME          |
 * | `NAME` naming an existing stream | stream NAME (queues and streams share one namespace) |
 * | `NAME`                           | queue NAME                             |
 *
 * Capabilities are what ActiveMQ Artemis and Qpid JMS put on terminus `capabilities`.
 */
import { createHash } from 'node:crypto';
import { MAX_NAME_LENGTH, validateName, validatePattern, type Address, type DestinationKind } from '../../src/core/names.js';

const PREFIXES: Array<[string, DestinationKind]> = [
  ['queue://', 'queue'], ['topic://', 'topic'], ['stream://', 'stream'],
  ['/queue/', 'queue'], ['/topic/', 'topic'], ['/stream/', 'stream'],
];

export function capabilityList(caps: unknown): string[] {
  if (typeof caps === 'string') return [caps];
  if (Array.isArray(caps)) return caps.filter((c): c is string => typeof c === 'string');
  return [];
}

export interface ParseAddressOptions {
  /** Terminus capabilities. */
  capabilities?: unknown;
  /** Allow topic wildcards (receiving links). */
  pattern?: boolean;
  /** Which kind an existing name in the queue/stream namespace is. */
  lookup?: (name: string) => DestinationKind | undefined;
}

/** Throws BrokerError INVALID_NAME for an unusable address. */
export function parseAddress(address: string, opts: ParseAddressOptions = {}): Address {
  let kind: DestinationKind | undefined;
  let name = address;
  for (const [prefix, k] of PREFIXES) {
    if (address.startsWith(prefix)) {
      kind = k;
      name = address.slice(prefix.length);
      break;
    }
  }
  if (!kind) {
    const caps = capabilityList(opts.capabilities);
    if (caps.includes('topic') || caps.includes('temporary-topic')) kind = 'topic';
    else if (caps.includes('queue') || caps.includes('temporary-queue')) kind = 'queue';
    else kind = opts.lookup?.(name) === 'stream' ? 'stream' : 'queue';
  }
  if (kind === 'topic' && opts.pattern) validatePattern(name, 'topic address');
  else validateName(name, `${kind} address`);
  return { kind, name };
}

/** The address string a client sees for a core destination. */
export function formatAddress(a: Address): string {
  return `${a.kind}://${a.name}`;
}

/**
 * The naming of durable subscription queues BEFORE the session layer (src/core/session names them
 * now, with its own escape; records of this naming are found by their attributes and resumed in
 * place). Kept to document and test that upgrade path; not used to create anything.
 *
 * One name level built from arbitrary text: everything outside [A-Za-z0-9_:@-] is
 * percent-encoded (so `.`, `*`, `>`, `%` and blanks cannot break the hierarchy), and the
 * empty string is a lone `%` (which no encoding produces).
 */
export function escapeLevel(s: string): string {
  if (s === '') return '%';
  return s.replace(/[^A-Za-z0-9_:@-]/gu, (c) => [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
}

/** Previous version's queue of a durable topic subscription: `amqp.sub.<containerId>.<linkName>` (escaped as above). */
export function durableSubscriptionQueue(containerId: string, linkName: string): string {
  const name = `amqp.sub.${escapeLevel(containerId)}.${escapeLevel(linkName)}`;
  if (name.length <= MAX_NAME_LENGTH) return name;
  const digest = createHash('sha256').update(containerId).update('\0').update(linkName).digest('hex');
  return `amqp.sub.h.${digest}`;
}
