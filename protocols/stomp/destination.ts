/**
 * STOMP destination strings ↔ { kind, name }.
 *
 * | STOMP destination             | kind         | name                        |
 * |-------------------------------|--------------|-----------------------------|
 * | `/queue/NAME`                 | queue        | NAME                        |
 * | `/topic/NAME`                 | topic        | NAME                        |
 * | `/stream/NAME`                | stream       | NAME                        |
 * | `/temp-queue/NAME`            | temp-queue   | NAME                        |
 * | `/temp-topic/NAME`            | temp-topic   | NAME                        |
 * | `queue://NAME` (and `topic://`, `stream://`, `temp-queue://`, `temp-topic://`) | as named | NAME |
 * | `/amq/queue/NAME` (RabbitMQ)  | queue        | NAME                        |
 * | `/exchange/amq.topic/KEY` (RabbitMQ) | topic | KEY, a whole-level `#` → `>` |
 * | `NAME` (no `/` prefix, no scheme; ActiveMQ) | queue | NAME                  |
 *
 * Names pass through unchanged (ActiveMQ convention: `/topic/sensors.t1` is core topic
 * `sensors.t1`; `*` and `>` are the topic wildcards). Only the RabbitMQ exchange form translates
 * RabbitMQ's `#` level into the core's `>` (note: RabbitMQ's `#` also matches zero levels, the
 * core's `>` needs at least one). Validating the name itself (levels, wildcards, length) is the
 * core's job; here only an empty name is rejected. Other RabbitMQ exchanges, other `/x/` prefixes
 * and other `scheme://` forms are rejected with INVALID_DESTINATION.
 */
import { StompProtocolError } from './errors.js';

export type StompDestinationKind = 'queue' | 'topic' | 'stream' | 'temp-queue' | 'temp-topic';

export interface StompDestination {
  kind: StompDestinationKind;
  name: string;
}

const KINDS: readonly StompDestinationKind[] = ['queue', 'topic', 'stream', 'temp-queue', 'temp-topic'];

const RABBIT_QUEUE = '/amq/queue/';
const RABBIT_EXCHANGE = '/exchange/';
const RABBIT_TOPIC_EXCHANGE = 'amq.topic';

const ACCEPTED_FORMS = '/queue/NAME, /topic/NAME, /stream/NAME, /temp-queue/NAME, /temp-topic/NAME, queue://NAME, topic://NAME, /amq/queue/NAME, /exchange/amq.topic/KEY or a bare queue name';

/** Throws StompProtocolError INVALID_DESTINATION. */
export function parseDestination(destination: string | undefined): StompDestination {
  if (destination === undefined || destination === '') {
    throw new StompProtocolError('INVALID_DESTINATION', 'missing destination header');
  }
  for (const kind of KINDS) {
    const slash = `/${kind}/`;
    if (destination.startsWith(slash)) return named(kind, destination.slice(slash.length), destination);
    const scheme = `${kind}://`;
    if (destination.startsWith(scheme)) return named(kind, destination.slice(scheme.length), destination);
  }
  if (destination.startsWith(RABBIT_QUEUE)) return named('queue', destination.slice(RABBIT_QUEUE.length), destination);
  if (destination.startsWith(RABBIT_EXCHANGE)) return parseExchange(destination);
  if (destination.startsWith('/') || /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(destination)) {
    throw new StompProtocolError('INVALID_DESTINATION', `${quote(destination)}: expected ${ACCEPTED_FORMS}`);
  }
  return { kind: 'queue', name: destination };
}

/** The canonical STOMP form: `/queue/NAME`, `/topic/NAME`, `/stream/NAME`, `/temp-queue/NAME`, `/temp-topic/NAME`. */
export function formatDestination(kind: StompDestinationKind, name: string): string {
  if (!KINDS.includes(kind)) throw new RangeError(`formatDestination: unknown kind ${String(kind)}`);
  if (name === '') throw new StompProtocolError('INVALID_DESTINATION', `empty ${kind} name`);
  return `/${kind}/${name}`;
}

/** Whether a (topic) name contains a `*` or `>` wildcard level. */
export function hasWildcard(name: string): boolean {
  return name.split('.').some((level) => level === '*' || level === '>');
}

function parseExchange(destination: string): StompDestination {
  const rest = destination.slice(RABBIT_EXCHANGE.length);
  const slash = rest.indexOf('/');
  const exchange = slash === -1 ? rest : rest.slice(0, slash);
  if (exchange !== RABBIT_TOPIC_EXCHANGE) {
    throw new StompProtocolError('INVALID_DESTINATION', `${quote(destination)}: only the ${RABBIT_TOPIC_EXCHANGE} exchange is supported (/exchange/${RABBIT_TOPIC_EXCHANGE}/KEY)`);
  }
  const key = slash === -1 ? '' : rest.slice(slash + 1);
  const name = key.split('.').map((level) => (level === '#' ? '>' : level)).join('.');
  return named('topic', name, destination);
}

function named(kind: StompDestinationKind, name: string, destination: string): StompDestination {
  if (name === '') throw new StompProtocolError('INVALID_DESTINATION', `${quote(destination)} has an empty ${kind} name`);
  return { kind, name };
}

function quote(s: string): string {
  return JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s);
}
