/**
 * loadConfig: defaults < JSON file < INTERCHANGE_* environment < overrides (command line).
 *
 * 1. Each source is read into a layer and checked against the schema (unknown keys, types). The
 *    listener families' keys come from the protocol registry (`registry`, default the built-in one).
 * 2. Layers are merged key by key; arrays and free-form objects are replaced whole. Setting
 *    `store.type` to a different type than a lower layer set explicitly drops that layer's
 *    other store keys (a file's sqlite `path` does not leak into `--store postgres`).
 * 3. Derived defaults are filled (store.path from dataDir, admin host from listeners.host,
 *    maxFrameBytes from maxMessageBytes, anonymous mode from whether users exist), relative
 *    paths are resolved against the process's working directory, and cross-key rules are
 *    checked (store keys per type, TLS files readable, password hashes well-formed, ACL
 *    patterns, port clashes).
 *    (The merged tree is read through resolver.ts; the listeners section is resolve-listeners.ts.)
 * All problems of a phase are reported together in one ConfigError (code CONFIG_INVALID).
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { validatePattern } from '../core/names.js';
import { isBrokerError } from '../core/errors.js';
import { parsePasswordHash } from '../security/password-hash.js';
import { FLAG_FOR_PATH, flagForPath } from './cli-args.js';
import { CONFIG_FILE_ENV, envLayer } from './env-overrides.js';
import type { ConfigIssue } from './errors.js';
import { ConfigError, showValue } from './errors.js';
import { type Layer, labelOf } from './layer.js';
import { BUILT_IN_PROTOCOLS, type ProtocolRegistry } from './listener-keys.js';
import { resolveListeners } from './resolve-listeners.js';
import { Resolver, type Tree } from './resolver.js';
import {
  type AclEntry,
  type AwsAccessKey,
  type AnonymousMode,
  CONFIG_SCHEMA,
  type Config,
  configSchema,
  DEFAULT_CONFIG,
  DEFAULT_STORE_FILE,
  type DeepPartial,
  DESTINATION_KINDS,
  FRAME_OVERHEAD_BYTES,
  type LogLevel,
  type SchemaNode,
  type StoreConfig,
  type StoreType,
  type TlsConfig,
  type UserConfig,
} from './schema.js';
import { checkValue, isPlainObject } from './validate.js';

export interface LoadConfigOptions {
  /** JSON config file; when absent, INTERCHANGE_CONFIG from `env` is used, else no file. */
  file?: string;
  /** Environment to read INTERCHANGE_* from; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Highest-precedence values, normally from parseCliArgs(...).overrides. */
  overrides?: DeepPartial<Config>;
  /** Base for relative paths (config file, dataDir, store.path, TLS files); defaults to process.cwd(). */
  cwd?: string;
  /**
   * The protocol front-ends whose listener families get `listeners.<family>` keys (and their
   * variables and flag labels); defaults to the built-in ones. Tests that register their own
   * front-end pass the same registry here, to parseCliArgs and to BrokerServer.start.
   */
  registry?: ProtocolRegistry;
}

/** The schema and flag labels of one registry (the built-in one's are computed once). */
interface ConfigModel {
  registry: ProtocolRegistry;
  schema: SchemaNode;
  flagForPath: ReadonlyMap<string, string>;
}

function configModel(registry: ProtocolRegistry): ConfigModel {
  if (registry === BUILT_IN_PROTOCOLS) return { registry, schema: CONFIG_SCHEMA, flagForPath: FLAG_FOR_PATH };
  return { registry, schema: configSchema(registry), flagForPath: flagForPath(registry) };
}


export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const model = configModel(opts.registry ?? BUILT_IN_PROTOCOLS);
  const issues: ConfigIssue[] = [];
  const layers: Layer[] = [];

  const fileFromEnv = opts.file === undefined ? env[CONFIG_FILE_ENV] : undefined;
  const file = opts.file ?? fileFromEnv;
  if (file !== undefined) {
    const layer = fileLayer(model, file, cwd, fileFromEnv !== undefined ? `env ${CONFIG_FILE_ENV}` : undefined, issues);
    if (layer) layers.push(layer);
  }
  layers.push(envLayer(env, issues, model.schema));
  if (opts.overrides !== undefined) layers.push(overridesLayer(model, opts.overrides, issues));
  if (issues.length > 0) throw new ConfigError(issues);

  const merged: Tree = {};
  const sources = new Map<string, string>();
  for (const layer of layers) mergeLayer(merged, sources, layer, model.schema);

  const config = resolve(merged, sources, cwd, issues, model.registry);
  if (issues.length > 0) throw new ConfigError(issues);
  return config;
}

// ----------------------------------------------------------------------------------- layers

function fileLayer(model: ConfigModel, file: string, cwd: string, namedBy: string | undefined, issues: ConfigIssue[]): Layer | undefined {
  const label = `file ${file}`;
  const abs = path.resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    issues.push({ path: '', message: `cannot read config file ${abs}: ${(err as Error).message}`, source: namedBy });
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    issues.push({ path: '', message: `config file ${abs} is not valid JSON: ${(err as Error).message}`, source: namedBy });
    return undefined;
  }
  if (!isPlainObject(parsed)) {
    issues.push({ path: '', message: `config file ${abs} must contain a JSON object, got ${showValue(parsed)}`, source: namedBy });
    return undefined;
  }
  const value = checkValue(model.schema, parsed, '', { issues, source: () => label });
  return isPlainObject(value) ? { label, value, pathLabels: new Map() } : undefined;
}

function overridesLayer(model: ConfigModel, overrides: DeepPartial<Config>, issues: ConfigIssue[]): Layer {
  const pathLabels = new Map<string, string>();
  const layer: Layer = { label: 'overrides', value: {}, pathLabels };
  for (const [p, flag] of model.flagForPath) pathLabels.set(p, flag);
  const value = checkValue(model.schema, overrides, '', { issues, source: (p) => labelOf(layer, p) });
  if (isPlainObject(value)) layer.value = value;
  return layer;
}

// ------------------------------------------------------------------------------------ merge

function childNode(node: SchemaNode | undefined, key: string): SchemaNode | undefined {
  return node?.type === 'object' && Object.hasOwn(node.fields, key) ? node.fields[key] : undefined;
}

function dropSources(sources: Map<string, string>, prefix: string): void {
  for (const k of [...sources.keys()]) if (k === prefix || k.startsWith(`${prefix}.`)) sources.delete(k);
}

function mergeLayer(target: Tree, sources: Map<string, string>, layer: Layer, schema: SchemaNode): void {
  // A different explicit store type replaces the whole store section of lower layers.
  const store = layer.value['store'];
  const lowerStore = target['store'];
  if (isPlainObject(store) && store['type'] !== undefined && isPlainObject(lowerStore) && lowerStore['type'] !== undefined && lowerStore['type'] !== store['type']) {
    delete target['store'];
    dropSources(sources, 'store');
  }
  mergeInto(target, layer.value, '', schema, sources, layer);
}

function mergeInto(target: Tree, src: Tree, prefix: string, node: SchemaNode, sources: Map<string, string>, layer: Layer): void {
  for (const [key, v] of Object.entries(src)) {
    const p = prefix ? `${prefix}.${key}` : key;
    const child = childNode(node, key);
    if (child?.type === 'object' && isPlainObject(v)) {
      if (!isPlainObject(target[key])) {
        // Replaces an absent or null section; keys are labelled individually below.
        target[key] = {};
        dropSources(sources, p);
      }
      mergeInto(target[key] as Tree, v, p, child, sources, layer);
    } else {
      target[key] = v;
      dropSources(sources, p);
      sources.set(p, labelOf(layer, p));
    }
  }
}

// ---------------------------------------------------------------------------------- resolve

function resolve(merged: Tree, sources: Map<string, string>, cwd: string, issues: ConfigIssue[], registry: ProtocolRegistry): Config {
  const r = new Resolver(merged, sources, cwd, issues);
  const d = DEFAULT_CONFIG;
  const dataDir = r.abs(r.get<string>('dataDir') ?? d.dataDir);
  const tls = resolveTls(r);
  const listeners = resolveListeners(r, tls !== null, registry);
  const security = resolveSecurity(r);
  const limits = resolveLimits(r);
  return {
    dataDir,
    logLevel: r.get<LogLevel>('logLevel') ?? d.logLevel,
    store: resolveStore(r, dataDir),
    listeners,
    tls,
    security,
    destinations: {
      autoCreate: r.get<boolean>('destinations.autoCreate') ?? d.destinations.autoCreate,
      queueDefaults: r.get<Record<string, unknown>>('destinations.queueDefaults') ?? {},
      topicDefaults: r.get<Record<string, unknown>>('destinations.topicDefaults') ?? {},
      streamDefaults: r.get<Record<string, unknown>>('destinations.streamDefaults') ?? {},
    },
    limits,
    ha: { lockPollMs: r.get<number>('ha.lockPollMs') ?? d.ha.lockPollMs },
    aws: resolveAws(r),
  };
}

function resolveAws(r: Resolver): Config['aws'] {
  const d = DEFAULT_CONFIG.aws;
  const region = r.get<string>('aws.region') ?? d.region;
  if (!/^[a-z0-9-]{1,64}$/.test(region)) r.issue('aws.region', `expected a region name like "us-east-1", got ${showValue(region)}`);
  const accountId = r.get<string>('aws.accountId') ?? d.accountId;
  if (!/^[0-9]{12}$/.test(accountId)) r.issue('aws.accountId', `expected a 12-digit account id, got ${showValue(accountId)}`);
  const accessKeys = (r.get<AwsAccessKey[]>('aws.accessKeys') ?? []).map((k) => ({ accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey, user: k.user }));
  const seen = new Map<string, number>();
  accessKeys.forEach((k, i) => {
    if (k.accessKeyId === '' || k.secretAccessKey === '' || k.user === '') r.issue(`aws.accessKeys[${i}]`, 'accessKeyId, secretAccessKey and user must be non-empty');
    const first = seen.get(k.accessKeyId);
    if (first !== undefined) r.issue(`aws.accessKeys[${i}].accessKeyId`, `duplicate access key ${showValue(k.accessKeyId)} (also aws.accessKeys[${first}])`);
    else seen.set(k.accessKeyId, i);
  });
  return { region, accountId, accessKeys };
}

const STORE_KEYS: Record<StoreType, readonly string[]> = {
  sqlite: ['type', 'path', 'maxBatch', 'maxDelayMs'],
  memory: ['type'],
  postgres: ['type', 'url', 'maxBatch', 'maxDelayMs'],
};

function resolveStore(r: Resolver, dataDir: string): StoreConfig {
  const type = r.get<StoreType>('store.type') ?? DEFAULT_CONFIG.store.type;
  const given = r.get<Tree>('store') ?? {};
  for (const key of Object.keys(given)) {
    if (!STORE_KEYS[type].includes(key)) {
      const owner = (Object.keys(STORE_KEYS) as StoreType[]).filter((t) => STORE_KEYS[t].includes(key));
      r.issue(`store.${key}`, `only valid when store.type is ${owner.map((t) => JSON.stringify(t)).join(' or ')}, but ${r.describe('store.type', type)}`);
    }
  }
  const maxBatch = r.get<number>('store.maxBatch') ?? 1000;
  const maxDelayMs = r.get<number>('store.maxDelayMs') ?? 0;
  switch (type) {
    case 'memory':
      return { type };
    case 'sqlite': {
      const p = r.get<string>('store.path');
      // ':memory:' is SQLite's in-memory database, not a file name.
      const file = p === undefined ? path.join(dataDir, DEFAULT_STORE_FILE) : p === ':memory:' ? p : r.abs(p);
      return { type, path: file, maxBatch, maxDelayMs };
    }
    case 'postgres': {
      const url = r.get<string>('store.url');
      if (url === undefined) {
        r.issue('store.url', `required because ${r.describe('store.type', type)}`, false);
        return { type, url: '', maxBatch, maxDelayMs };
      }
      if (!URL.canParse(url) || !['postgres:', 'postgresql:'].includes(new URL(url).protocol)) {
        r.issue('store.url', `expected a URL postgres://user:password@host:port/database, got ${showValue(redactUrl(url))}`);
      }
      return { type, url, maxBatch, maxDelayMs };
    }
  }
}

/** A URL with its password masked, for messages and logs. */
export function redactUrl(url: string): string {
  if (!URL.canParse(url)) return url.replace(/:[^:@/]*@/, ':***@');
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

function resolveTls(r: Resolver): TlsConfig | null {
  const given = r.get<Tree | null>('tls');
  if (given === undefined || given === null) return null;
  const file = (key: 'cert' | 'key' | 'ca', required: boolean): string | undefined => {
    const p = `tls.${key}`;
    const v = r.get<string>(p);
    if (v === undefined) {
      const other = key === 'cert' ? 'tls.key' : 'tls.cert';
      if (required) r.issue(p, `required when tls is set (TLS listeners need both tls.cert and tls.key; ${other} is set by ${r.source(other) ?? r.source('tls') ?? 'the configuration'})`, false);
      return undefined;
    }
    const abs = r.abs(v);
    const problem = unreadableFile(abs);
    if (problem) r.issue(p, `cannot read file ${JSON.stringify(abs)}: ${problem}`);
    return abs;
  };
  const cert = file('cert', true);
  const key = file('key', true);
  const ca = file('ca', false);
  const out: TlsConfig = { cert: cert ?? '', key: key ?? '' };
  if (ca !== undefined) out.ca = ca;
  const passphrase = r.get<string>('tls.passphrase');
  if (passphrase !== undefined) out.passphrase = passphrase;
  return out;
}

/** Why `file` cannot be read as a regular file, or undefined when it can. */
function unreadableFile(file: string): string | undefined {
  try {
    if (!statSync(file).isFile()) return 'not a regular file';
    accessSync(file, constants.R_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such file (ENOENT)';
    if (code === 'EACCES' || code === 'EPERM') return `permission denied (${code})`;
    return code ?? (err as Error).message;
  }
}

function resolveSecurity(r: Resolver): Config['security'] {
  const users = (r.get<UserConfig[]>('security.users') ?? []).map((u, i) => {
    const p = `security.users[${i}]`;
    if (u.name === '*' || u.name.startsWith('group:')) {
      r.issue(`${p}.name`, `expected a user name (not "*" and not starting with "group:"), got ${showValue(u.name)}`);
    }
    const parsed = parsePasswordHash(u.passwordHash);
    if (typeof parsed === 'string') {
      r.issue(`${p}.passwordHash`, `expected a hash made by "interchange hash-password" (${parsed}), got a ${u.passwordHash.length}-character string (value hidden)`);
    }
    return { name: u.name, passwordHash: u.passwordHash, groups: [...(u.groups ?? [])] };
  });
  const seen = new Map<string, number>();
  users.forEach((u, i) => {
    const first = seen.get(u.name);
    if (first !== undefined) r.issue(`security.users[${i}].name`, `duplicate user ${showValue(u.name)} (also security.users[${first}])`);
    else seen.set(u.name, i);
  });

  const acl = (r.get<Array<Partial<AclEntry>>>('security.acl') ?? []).map((e, i): AclEntry => {
    const p = `security.acl[${i}]`;
    const principal = e.principal!;
    if (principal.startsWith('group:') && principal.length === 'group:'.length) {
      r.issue(`${p}.principal`, `expected a user name, "group:NAME" or "*", got ${showValue(principal)}`);
    }
    try {
      validatePattern(e.pattern, 'pattern');
    } catch (err) {
      if (!isBrokerError(err, 'INVALID_NAME')) throw err;
      r.issue(`${p}.pattern`, `expected a name pattern (levels separated by ".", "*" = one level, ">" = trailing levels), got ${showValue(e.pattern)}: ${err.message}`);
    }
    return { principal, kinds: [...(e.kinds ?? DESTINATION_KINDS)], pattern: e.pattern!, allow: [...e.allow!] };
  });

  const anonymous = r.get<AnonymousMode>('security.anonymous') ?? (users.length === 0 ? 'loopback' : 'never');
  return { users, acl, anonymous };
}

function resolveLimits(r: Resolver): Config['limits'] {
  const d = DEFAULT_CONFIG.limits;
  const maxMessageBytes = r.get<number>('limits.maxMessageBytes') ?? d.maxMessageBytes;
  const maxFrameBytes = r.get<number>('limits.maxFrameBytes') ?? maxMessageBytes + FRAME_OVERHEAD_BYTES;
  if (maxFrameBytes < maxMessageBytes) {
    r.issue('limits.maxFrameBytes', `must be at least limits.maxMessageBytes (${maxMessageBytes}), got ${maxFrameBytes}`);
  }
  return {
    maxMessageBytes,
    maxConnections: r.get<number>('limits.maxConnections') ?? d.maxConnections,
    maxFrameBytes,
    maxHeaders: r.get<number>('limits.maxHeaders') ?? d.maxHeaders,
    maxHeaderBytes: r.get<number>('limits.maxHeaderBytes') ?? d.maxHeaderBytes,
  };
}

/** A copy of `config` safe to log: password hashes, the TLS passphrase and URL passwords masked. */
export function redactConfig(config: Config): Config {
  const copy = structuredClone(config);
  copy.security.users = copy.security.users.map((u) => ({ ...u, passwordHash: '<redacted>' }));
  copy.aws.accessKeys = copy.aws.accessKeys.map((k) => ({ ...k, secretAccessKey: '<redacted>' }));
  if (copy.tls?.passphrase !== undefined) copy.tls.passphrase = '<redacted>';
  if (copy.store.type === 'postgres') copy.store.url = redactUrl(copy.store.url);
  return copy;
}
