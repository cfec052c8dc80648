/**
 * The `listeners` section of a loaded configuration: the bind address, one port pair per
 * listener family of the protocol registry (defaults from the families' declarations), the
 * admin listener, and the check that no two listeners share a port.
 */
import { configFamilies, type ProtocolRegistry } from './listener-keys.js';
import type { Resolver } from './resolver.js';
import { type Config, DEFAULT_CONFIG, type ListenerPorts, type ListenersConfig } from './schema.js';

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);

export function resolveListeners(r: Resolver, tlsEnabled: boolean, registry: ProtocolRegistry): Config['listeners'] {
  const d = DEFAULT_CONFIG.listeners;
  const families = configFamilies(registry);
  const host = r.get<string>('listeners.host') ?? d.host;
  // get() returns null for an explicit null, which ?? would replace: read nulls explicitly.
  const portAt = (p: string, dflt: number | null): number | null => {
    const v = r.get<number | null>(p);
    return v === undefined ? dflt : v;
  };
  const pairs: Record<string, ListenerPorts> = {};
  for (const f of families) {
    pairs[f.name] = { port: portAt(`listeners.${f.name}.port`, f.port), tlsPort: portAt(`listeners.${f.name}.tlsPort`, f.tlsPort) };
  }
  const out = {
    host,
    ...pairs,
    admin: { port: portAt('listeners.admin.port', d.admin.port), host: r.get<string>('listeners.admin.host') ?? host },
  } as ListenersConfig; // one pair per family of the registry (ListenersConfig names the built-in ones)

  // Two listeners on one port would fail at bind time with EADDRINUSE; say which keys clash now.
  // TLS ports only count when TLS is configured (otherwise they are not opened); 0 never clashes.
  const used = new Map<number, string>();
  const claim = (p: string, port: number | null): void => {
    if (port === null || port === 0) return;
    const other = used.get(port);
    if (other !== undefined) r.issue(p, `port ${port} is also used by ${other}`);
    else used.set(port, p);
  };
  for (const [name, pair] of Object.entries(pairs)) {
    claim(`listeners.${name}.port`, pair.port);
    if (tlsEnabled) claim(`listeners.${name}.tlsPort`, pair.tlsPort);
  }
  const adminHost = out.admin.host;
  if (adminHost === host || WILDCARD_HOSTS.has(adminHost) || WILDCARD_HOSTS.has(host)) claim('listeners.admin.port', out.admin.port);
  return out;
}
