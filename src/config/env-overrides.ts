/**
 * Environment overrides: `INTERCHANGE_<PATH>`, path segments joined by `_`, camelCase keys
 * upper-snake-cased: listeners.mqtt.tlsPort → INTERCHANGE_LISTENERS_MQTT_TLS_PORT.
 *
 * - Scalars are parsed by the key's type; ports (and other nullable keys) accept off/none/null.
 * - Arrays, free-form objects and `tls` take JSON (`INTERCHANGE_SECURITY_USERS='[...]'`);
 *   `INTERCHANGE_TLS=off` disables TLS.
 * - Listener families' variables follow from their keys (listeners.<family>.port →
 *   INTERCHANGE_LISTENERS_<FAMILY>_PORT), so a front-end the registry lists has them too.
 * - Any other INTERCHANGE_* variable is an error (typo protection), except INTERCHANGE_CONFIG,
 *   which names the config file.
 */
import type { ConfigIssue } from './errors.js';
import { suggest } from './errors.js';
import { type Layer, setPath } from './layer.js';
import { CONFIG_SCHEMA, type SchemaNode } from './schema.js';
import { parseString } from './validate.js';

export const ENV_PREFIX = 'INTERCHANGE_';
export const CONFIG_FILE_ENV = 'INTERCHANGE_CONFIG';

export function upperSnake(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

export function envVarFor(path: string): string {
  return ENV_PREFIX + path.split('.').map(upperSnake).join('_');
}

/** Every settable variable name → its key path and schema node, for a schema (cached per schema). */
export function envVars(schema: SchemaNode = CONFIG_SCHEMA): ReadonlyMap<string, { path: string; node: SchemaNode }> {
  const cached = envVarCache.get(schema);
  if (cached) return cached;
  const map = new Map<string, { path: string; node: SchemaNode }>();
  const walk = (node: SchemaNode, path: string): void => {
    if (node.type === 'object') {
      if (path && node.nullable) map.set(envVarFor(path), { path, node });
      for (const [k, child] of Object.entries(node.fields)) walk(child, path ? `${path}.${k}` : k);
      return;
    }
    const name = envVarFor(path);
    if (map.has(name) || name === CONFIG_FILE_ENV) throw new Error(`config schema: ambiguous variable ${name}`);
    map.set(name, { path, node });
  };
  walk(schema, '');
  envVarCache.set(schema, map);
  return map;
}

const envVarCache = new WeakMap<SchemaNode, ReadonlyMap<string, { path: string; node: SchemaNode }>>();

/** The variables of the built-in schema. */
export const ENV_VARS: ReadonlyMap<string, { path: string; node: SchemaNode }> = envVars();

/** Read the INTERCHANGE_* variables of `env` into a layer, by `schema`'s keys. Problems go to `issues`. */
export function envLayer(env: NodeJS.ProcessEnv, issues: ConfigIssue[], schema: SchemaNode = CONFIG_SCHEMA): Layer {
  const vars = envVars(schema);
  const layer: Layer = { label: 'environment', value: {}, pathLabels: new Map() };
  // Shallow keys first, so INTERCHANGE_TLS (JSON) is applied before INTERCHANGE_TLS_CERT.
  const names = Object.keys(env)
    .filter((n) => n.startsWith(ENV_PREFIX) && n !== CONFIG_FILE_ENV)
    .sort((a, b) => (vars.get(a)?.path.split('.').length ?? 0) - (vars.get(b)?.path.split('.').length ?? 0) || a.localeCompare(b));
  for (const name of names) {
    const raw = env[name];
    if (raw === undefined) continue;
    const target = vars.get(name);
    const label = `env ${name}`;
    if (!target) {
      const bare = (n: string): string => n.slice(ENV_PREFIX.length);
      const match = suggest(bare(name), [...vars.keys(), CONFIG_FILE_ENV].map(bare));
      const hint = match === undefined ? undefined : ENV_PREFIX + match;
      issues.push({ path: '', message: `unknown environment variable ${name}${hint ? ` (did you mean ${hint}?)` : ''}; it maps to no configuration key` });
      continue;
    }
    const value = parseString(target.node, raw, target.path, label, issues);
    if (value === undefined) continue;
    const blocked = setPath(layer.value, target.path, value);
    if (blocked !== undefined) {
      issues.push({ path: target.path, message: `cannot be set because ${blocked} is set to off by ${layer.pathLabels.get(blocked) ?? 'another variable'}`, source: label });
      continue;
    }
    layer.pathLabels.set(target.path, label);
  }
  return layer;
}
