/**
 * Configuration types, defaults, and the schema tree that drives validation of every source
 * (JSON file, INTERCHANGE_* environment variables, command-line flags).
 *
 * The listener families (`listeners.mqtt`, `listeners.amqp`, ...) are not written here: they come
 * from the protocol registry (listener-keys.ts), so a front-end adds its keys by being listed.
 * CONFIG_SCHEMA and DEFAULT_CONFIG are those of the built-in registry; configSchema(registry)
 * and defaultConfig(registry) give them for another one (tests that register their own front-end).
 *
 * Paths: `dataDir`, `store.path` and the `tls.*` files may be relative; loadConfig resolves them
 * against the process's current working directory (NOT the config file's directory), so the
 * Config it returns always holds absolute paths. DEFAULT_CONFIG shows the unresolved defaults.
 */
import { DEFAULT_MAX_MESSAGE_BYTES } from '../core/message-limits.js';
import type { DestinationKind } from '../core/names.js';
import type { BuiltInFamilyName } from '../server/protocol-registry.js';
import type { WEBSOCKET_FAMILY } from '../server/shared-families.js';
import { BUILT_IN_PROTOCOLS, configFamilies, listenerDefaults, portsSchema, type ProtocolRegistry } from './listener-keys.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVEL_VALUES: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** A plain + TLS listener pair. `null` = listener disabled; `0` = let the OS pick a free port. */
export interface ListenerPorts {
  port: number | null;
  tlsPort: number | null;
}

export type StoreConfig =
  | { type: 'sqlite'; path: string; maxBatch: number; maxDelayMs: number }
  | { type: 'memory' }
  | { type: 'postgres'; url: string; maxBatch: number; maxDelayMs: number };
export type StoreType = StoreConfig['type'];
export const STORE_TYPES: readonly StoreType[] = ['sqlite', 'memory', 'postgres'];

export type AclPermission = 'read' | 'write' | 'admin';
export const ACL_PERMISSIONS: readonly AclPermission[] = ['read', 'write', 'admin'];
/** What an ACL entry can name: the core destination kinds and AMQP 0-9-1 exchanges. */
export type AclKind = DestinationKind | 'exchange';
/** ACL kinds (the default of an entry's `kinds`): the destination kinds and `exchange`. */
export const DESTINATION_KINDS: readonly AclKind[] = ['queue', 'topic', 'stream', 'exchange'];

export interface AclEntry {
  /** A user name, `group:NAME`, or `*` (everyone, including anonymous clients). */
  principal: string;
  /** Kinds the entry applies to; defaults to all four. */
  kinds: AclKind[];
  /** Core name pattern: `.`-separated levels, `*` = exactly one level, `>` = one or more trailing levels. */
  pattern: string;
  /** `admin` implies `read` and `write`. */
  allow: AclPermission[];
}

export interface UserConfig {
  name: string;
  /** From `interchange hash-password`: `scrypt$N$r$p$saltB64$hashB64`. */
  passwordHash: string;
  groups: string[];
}

export type AnonymousMode = 'loopback' | 'never' | 'always';
export const ANONYMOUS_MODES: readonly AnonymousMode[] = ['loopback', 'never', 'always'];

export interface TlsConfig {
  /** PEM certificate chain file. */
  cert: string;
  /** PEM private key file. */
  key: string;
  /** PEM CA bundle file; when set, client certificates are requested and verified against it. */
  ca?: string;
  /** Passphrase of an encrypted private key. */
  passphrase?: string;
}

/** Families with `listeners.<name>` keys in the built-in registry: mqtt, amqp, stomp, and ws. */
export type ListenerFamilyName = BuiltInFamilyName | (typeof WEBSOCKET_FAMILY)['name'];

/**
 * `listeners`: the bind address, the admin listener, and one port pair per listener family.
 * A registry with more families (tests) adds more keys at run time; read those with familyPorts().
 */
export type ListenersConfig = {
  host: string;
  admin: { port: number | null; host: string };
} & { [family in ListenerFamilyName]: ListenerPorts };

export interface Config {
  dataDir: string;
  logLevel: LogLevel;
  store: StoreConfig;
  listeners: ListenersConfig;
  /** TLS listeners start only when this is set. */
  tls: TlsConfig | null;
  security: {
    users: UserConfig[];
    acl: AclEntry[];
    anonymous: AnonymousMode;
  };
  destinations: {
    autoCreate: boolean;
    queueDefaults: Record<string, unknown>;
    topicDefaults: Record<string, unknown>;
    streamDefaults: Record<string, unknown>;
  };
  limits: {
    maxMessageBytes: number;
    maxConnections: number;
    maxFrameBytes: number;
    maxHeaders: number;
    maxHeaderBytes: number;
  };
  ha: { lockPollMs: number };
  /** The AWS-compatible HTTP APIs (protocols/aws): the region and account in ARNs and queue URLs, and SigV4 access keys. */
  aws: AwsConfig;
}

/** One SigV4 access key: requests signed with it act as `user` (a principal name for the ACLs). */
export interface AwsAccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  user: string;
}

export interface AwsConfig {
  region: string;
  accountId: string;
  /** Empty: signatures are not checked and every request is anonymous (subject to security.anonymous). */
  accessKeys: AwsAccessKey[];
}

/** Every key optional, recursively; arrays and free-form records are replaced whole, never merged. */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

export const DEFAULT_STORE_FILE = 'interchange.db';
/** Frame allowance on top of the message body for protocol headers. */
export const FRAME_OVERHEAD_BYTES = 65_536;
export { DEFAULT_MAX_MESSAGE_BYTES };

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * The defaults of a registry's configuration (the listener port pairs are its families'). Derived
 * defaults (applied by loadConfig when the key is not set anywhere):
 * - `store.path` = `<dataDir>/interchange.db`
 * - `listeners.admin.host` = `listeners.host`
 * - `limits.maxFrameBytes` = `limits.maxMessageBytes + 65536`
 * - `security.anonymous` = `'loopback'` when no users are configured, else `'never'`
 */
export function defaultConfig(registry: ProtocolRegistry = BUILT_IN_PROTOCOLS): Config {
  return {
    dataDir: './data',
    logLevel: 'info',
    store: { type: 'sqlite', path: `./data/${DEFAULT_STORE_FILE}`, maxBatch: 1000, maxDelayMs: 0 },
    listeners: {
      host: '0.0.0.0',
      ...listenerDefaults(configFamilies(registry)),
      admin: { port: 8162, host: '0.0.0.0' },
    } as ListenersConfig, // the families' keys come from the registry the ListenerFamilyName type is derived from
    tls: null,
    security: { users: [], acl: [], anonymous: 'loopback' },
    destinations: { autoCreate: true, queueDefaults: {}, topicDefaults: {}, streamDefaults: {} },
    limits: {
      maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
      maxConnections: 10_000,
      maxFrameBytes: DEFAULT_MAX_MESSAGE_BYTES + FRAME_OVERHEAD_BYTES,
      maxHeaders: 1000,
      maxHeaderBytes: 65_536,
    },
    ha: { lockPollMs: 500 },
    aws: { region: 'us-east-1', accountId: '000000000000', accessKeys: [] },
  };
}

/** The built-in defaults, frozen. */
export const DEFAULT_CONFIG: Config = deepFreeze(defaultConfig());

// ---------------------------------------------------------------------------------------------
// Schema tree. One description of every key, used for: unknown-key detection, type checks with
// precise messages, the INTERCHANGE_* variable map, and parsing env/CLI strings by target type.

export type SchemaNode =
  | { type: 'object'; fields: Record<string, SchemaNode>; nullable?: boolean; required?: readonly string[] }
  | { type: 'int'; min: number; max: number; nullable?: boolean }
  | { type: 'string'; secret?: boolean }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'bool' }
  | { type: 'array'; of: SchemaNode; minItems?: number }
  | { type: 'record' };

const INT32 = 2_147_483_647;
const port: SchemaNode = { type: 'int', min: 0, max: 65_535, nullable: true };
const str: SchemaNode = { type: 'string' };
const posInt = (max = INT32, min = 1): SchemaNode => ({ type: 'int', min, max });

/** The schema of a registry's configuration (one `listeners.<name>` pair per family). */
export function configSchema(registry: ProtocolRegistry = BUILT_IN_PROTOCOLS): SchemaNode {
  return {
    type: 'object',
    fields: {
      dataDir: str,
      logLevel: { type: 'enum', values: LOG_LEVEL_VALUES },
      // `store` is a tagged union; per-layer validation accepts all variant keys and loadConfig
      // checks after merging that only keys of the chosen `type` are set.
      store: {
        type: 'object',
        fields: {
          type: { type: 'enum', values: STORE_TYPES },
          path: str,
          url: { type: 'string', secret: true },
          maxBatch: posInt(100_000),
          maxDelayMs: posInt(60_000, 0),
        },
      },
      listeners: {
        type: 'object',
        fields: {
          host: str,
          ...Object.fromEntries(configFamilies(registry).map((f) => [f.name, portsSchema(port)])),
          admin: { type: 'object', fields: { port, host: str } },
        },
      },
      tls: {
        type: 'object',
        nullable: true,
        fields: { cert: str, key: str, ca: str, passphrase: { type: 'string', secret: true } },
      },
      security: {
        type: 'object',
        fields: {
          users: {
            type: 'array',
            of: {
              type: 'object',
              required: ['name', 'passwordHash'],
              fields: { name: str, passwordHash: { type: 'string', secret: true }, groups: { type: 'array', of: str } },
            },
          },
          acl: {
            type: 'array',
            of: {
              type: 'object',
              required: ['principal', 'pattern', 'allow'],
              fields: {
                principal: str,
                kinds: { type: 'array', of: { type: 'enum', values: DESTINATION_KINDS }, minItems: 1 },
                pattern: str,
                allow: { type: 'array', of: { type: 'enum', values: ACL_PERMISSIONS }, minItems: 1 },
              },
            },
          },
          anonymous: { type: 'enum', values: ANONYMOUS_MODES },
        },
      },
      destinations: {
        type: 'object',
        fields: {
          autoCreate: { type: 'bool' },
          queueDefaults: { type: 'record' },
          topicDefaults: { type: 'record' },
          streamDefaults: { type: 'record' },
        },
      },
      limits: {
        type: 'object',
        fields: {
          maxMessageBytes: posInt(),
          maxConnections: posInt(),
          maxFrameBytes: posInt(),
          maxHeaders: posInt(),
          maxHeaderBytes: posInt(),
        },
      },
      ha: { type: 'object', fields: { lockPollMs: posInt(600_000, 10) } },
      aws: {
        type: 'object',
        fields: {
          region: str,
          accountId: str,
          accessKeys: {
            type: 'array',
            of: {
              type: 'object',
              required: ['accessKeyId', 'secretAccessKey', 'user'],
              fields: { accessKeyId: str, secretAccessKey: { type: 'string', secret: true }, user: str },
            },
          },
        },
      },
    },
  };
}

/** The built-in registry's schema. */
export const CONFIG_SCHEMA: SchemaNode = configSchema();

/** The schema node at a dotted path (no array indices), or undefined. */
export function schemaAt(path: string, schema: SchemaNode = CONFIG_SCHEMA): SchemaNode | undefined {
  let node: SchemaNode | undefined = schema;
  for (const seg of path.split('.')) {
    if (node?.type !== 'object' || !Object.hasOwn(node.fields, seg)) return undefined;
    node = node.fields[seg];
  }
  return node;
}
