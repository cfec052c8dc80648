/**
 * Listener families as data. A family is one plain + one TLS port pair; everything outside the
 * server that names it is derived from its declaration:
 *
 *   config key        listeners.<name>.port / listeners.<name>.tlsPort  (defaults: port, tlsPort)
 *   environment       INTERCHANGE_LISTENERS_<NAME>_PORT / INTERCHANGE_LISTENERS_<NAME>_TLS_PORT
 *   command line      --<name>-port N / --<tlsName>-port N
 *   bound ports       BrokerServer.ports.<name> / BrokerServer.ports.<tlsName>
 *
 * Each protocol front-end declares a ProtocolListener in protocols/<p>/listener.ts: its protocol
 * name, its family, its WebSocket subprotocols, and, on a family several protocols share, how
 * it recognises its connections by their first bytes. protocol-registry.ts lists those
 * declarations; the config schema, defaults, flags, environment keys, `--help` and the server's
 * listeners all come from that one list.
 *
 * Import direction, at run time: src/config → src/server/protocol-registry.ts →
 * protocols/<p>/listener.ts → this file. None of them imports src/config or a protocol engine
 * (aedes, rhea, ws): the front-end itself is imported by `load()` when a server starts it, so
 * loading configuration stays light and there is no import cycle. (This file names the server's
 * ProtocolFactory type for `load()`; types are erased at run time.)
 */
import { BrokerError } from '../core/errors.js';
import type { ProtocolFactory } from './protocol-module.js';

/**
 * How a connection on a family's port finds its protocol module:
 * - `single`: one module serves the family; it gets every connection.
 * - `header`: several modules share the port (AMQP 1.0 and 0-9-1 on 5672); the listener reads
 *   the first 8 bytes and hands the connection to the module whose `acceptsHeader` takes them.
 * - `subprotocol`: the server's WebSocket family; the upgrade's subprotocol picks the module.
 */
export type FamilyDispatch = 'single' | 'header' | 'subprotocol';

export interface ListenerFamily {
  /** Key under `listeners`, BoundPorts key of the plain port, `--<name>-port`. Lower-case letters and digits. */
  readonly name: string;
  /** BoundPorts key of the TLS port and `--<tlsName>-port`: `mqtts`. */
  readonly tlsName: string;
  /** For `--help` and docs: `MQTT` → "MQTT port", "MQTT over TLS". */
  readonly title: string;
  /** Default plain port. */
  readonly port: number;
  /** Default TLS port (opened only when `tls` is configured). */
  readonly tlsPort: number;
  readonly dispatch: FamilyDispatch;
}

/** One protocol front-end's listener declaration (protocols/<p>/listener.ts). */
export interface ProtocolListener {
  /** The module's name (ProtocolModule.name), used in logs and metrics: mqtt, stomp, amqp10. */
  readonly protocol: string;
  /** The port pair it is served on; several protocols may share a `header` family. */
  readonly family: ListenerFamily;
  /** WebSocket subprotocols it serves on the shared WebSocket port (none: not on WebSocket). */
  readonly wsSubprotocols: readonly string[];
  /** `header` families: does this protocol take a connection that opens with these 8 bytes? */
  readonly acceptsHeader?: (header: Buffer) => boolean;
  /**
   * `header` families: what to answer, before closing, to a connection whose header no module
   * takes (AMQP: a protocol header the server supports). A function answers only for the
   * headers it recognises (undefined: ask the next module). The first module of the family
   * (in registry order) with an answer is used; without any the connection is just closed.
   */
  readonly refusalHeader?: Uint8Array | ((header: Buffer) => Uint8Array | undefined);
  /** The front-end itself (its factory with default options), imported only when needed. */
  readonly load: () => Promise<ProtocolFactory>;
}

/** The protocol front-ends a build (or a test) serves, in listener order. */
export type ProtocolRegistry = readonly ProtocolListener[];

/** One family and the protocols declared on it, in registry order. */
export interface FamilyMembers {
  readonly family: ListenerFamily;
  readonly protocols: readonly ProtocolListener[];
}

/** Keys under `listeners` that are not families. */
const RESERVED_NAMES = new Set(['host', 'admin']);
const NAME = /^[a-z][a-z0-9]*$/;

function registryError(detail: string): BrokerError {
  return new BrokerError('CONFIG_INVALID', `protocol registry: ${detail}`);
}

function sameFamily(a: ListenerFamily, b: ListenerFamily): boolean {
  return a.name === b.name && a.tlsName === b.tlsName && a.title === b.title && a.port === b.port
    && a.tlsPort === b.tlsPort && a.dispatch === b.dispatch;
}

/**
 * The families of `registry` (plus `extra` families no protocol declares: the WebSocket one),
 * each with its protocols, checked: names well-formed and distinct (plain and TLS names share one
 * namespace: they are BoundPorts keys and flags), a family declared the same way by every
 * protocol on it, one protocol per `single` family, `acceptsHeader` on every protocol of a
 * `header` family, protocol names and WebSocket subprotocols unique. Throws CONFIG_INVALID.
 */
export function groupFamilies(registry: ProtocolRegistry, extra: readonly ListenerFamily[] = []): FamilyMembers[] {
  const groups = new Map<string, { family: ListenerFamily; protocols: ProtocolListener[] }>();
  const protocols = new Set<string>();
  const subprotocols = new Map<string, string>();
  for (const p of registry) {
    if (protocols.has(p.protocol)) throw registryError(`protocol ${p.protocol} is listed twice`);
    protocols.add(p.protocol);
    for (const sub of p.wsSubprotocols) {
      const owner = subprotocols.get(sub.toLowerCase());
      if (owner !== undefined) throw registryError(`WebSocket subprotocol ${sub} is declared by both ${owner} and ${p.protocol}`);
      subprotocols.set(sub.toLowerCase(), p.protocol);
    }
    const f = p.family;
    if (f.dispatch === 'subprotocol') throw registryError(`protocol ${p.protocol}: family ${f.name} cannot dispatch by subprotocol (that is the server's WebSocket family)`);
    const group = groups.get(f.name);
    if (!group) {
      groups.set(f.name, { family: f, protocols: [p] });
      continue;
    }
    if (!sameFamily(group.family, f)) {
      throw registryError(`family ${f.name} is declared differently by ${group.protocols[0]!.protocol} and ${p.protocol}: several protocols on one family must share one declaration`);
    }
    if (f.dispatch === 'single') {
      throw registryError(`family ${f.name} has dispatch 'single' but both ${group.protocols[0]!.protocol} and ${p.protocol} are on it (use dispatch 'header' to share a port)`);
    }
    group.protocols.push(p);
  }
  for (const g of groups.values()) {
    if (g.family.dispatch !== 'header') continue;
    const missing = g.protocols.find((p) => !p.acceptsHeader);
    if (missing) throw registryError(`protocol ${missing.protocol} is on family ${g.family.name}, which is shared by header, but declares no acceptsHeader`);
  }
  for (const f of extra) {
    const taken = groups.get(f.name);
    if (taken) throw registryError(`family ${f.name} of ${taken.protocols[0]!.protocol} uses a name the server reserves for its own ${f.title} listener`);
    groups.set(f.name, { family: f, protocols: [] });
  }
  const names = new Map<string, string>();
  for (const { family: f } of groups.values()) {
    for (const [what, n] of [['name', f.name], ['tlsName', f.tlsName]] as const) {
      if (!NAME.test(n) || RESERVED_NAMES.has(n)) throw registryError(`family ${f.name}: ${what} ${JSON.stringify(n)} must be lower-case letters and digits, starting with a letter, and not ${[...RESERVED_NAMES].join(' or ')}`);
      const other = names.get(n);
      if (other !== undefined) throw registryError(`family ${f.name}: ${what} ${n} is already used by family ${other}`);
      names.set(n, f.name);
    }
  }
  return [...groups.values()];
}
