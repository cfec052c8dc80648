/**
 * The configuration side of listener families (src/server/listener-family.ts): for a protocol
 * registry, the families that get `listeners.<name>` keys (the registry's, then the server's
 * WebSocket family), their schema nodes, defaults, command-line flags and `--help` lines.
 * The environment keys follow from the schema (env-overrides.ts).
 *
 * This is the one place config looks into the server: it imports the light registry and family
 * declarations (no protocol engine), never the other way round.
 */
import { groupFamilies, type ListenerFamily, type ProtocolRegistry } from '../server/listener-family.js';
import { BUILT_IN_PROTOCOLS } from '../server/protocol-registry.js';
import { WEBSOCKET_FAMILY } from '../server/shared-families.js';
import type { ListenerPorts, SchemaNode } from './schema.js';

export { BUILT_IN_PROTOCOLS };
export type { ProtocolRegistry };

const cache = new WeakMap<ProtocolRegistry, readonly ListenerFamily[]>();

/** Families with `listeners.<name>` keys, in order: the registry's, then `ws`. Checked (groupFamilies); cached per registry. */
export function configFamilies(registry: ProtocolRegistry = BUILT_IN_PROTOCOLS): readonly ListenerFamily[] {
  let families = cache.get(registry);
  if (!families) {
    families = Object.freeze(groupFamilies(registry, [WEBSOCKET_FAMILY]).map((g) => g.family));
    cache.set(registry, families);
  }
  return families;
}

/** `listeners.<name>`'s schema node: a plain + TLS port pair. */
export function portsSchema(port: SchemaNode): SchemaNode {
  return { type: 'object', fields: { port, tlsPort: port } };
}

/** Default port pairs by family name. */
export function listenerDefaults(families: readonly ListenerFamily[]): Record<string, ListenerPorts> {
  return Object.fromEntries(families.map((f) => [f.name, { port: f.port, tlsPort: f.tlsPort }]));
}

/** `--<name>-port` → `listeners.<name>.port`, `--<tlsName>-port` → `listeners.<name>.tlsPort`, per family. */
export function listenerFlags(families: readonly ListenerFamily[]): Array<[flag: string, path: string]> {
  return families.flatMap((f): Array<[string, string]> => [
    [`--${f.name}-port`, `listeners.${f.name}.port`],
    [`--${f.tlsName}-port`, `listeners.${f.name}.tlsPort`],
  ]);
}

/** The `--help` lines of the listener flags: `  --mqtt-port N          MQTT port (1883)           --mqtts-port N   MQTT over TLS (8883)`. */
export function listenerUsage(families: readonly ListenerFamily[]): string {
  const col = (text: string, width: number): string => (text.length < width ? text.padEnd(width) : `${text} `);
  return families.map((f) => `  ${col(`--${f.name}-port N`, 23)}${col(`${f.title} port (${f.port})`, 27)}`
    + `${col(`--${f.tlsName}-port N`, 17)}${f.title} over TLS (${f.tlsPort})\n`).join('');
}

/** A family's port pair in a loaded configuration (`config.listeners[name]`), or undefined when it has none. */
export function familyPorts(listeners: object, name: string): ListenerPorts | undefined {
  return Object.hasOwn(listeners, name) ? (listeners as Record<string, ListenerPorts>)[name] : undefined;
}
