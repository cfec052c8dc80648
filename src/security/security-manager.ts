/**
 * Authentication (users with scrypt password hashes, anonymous access by mode and remote address)
 * and authorization (ACL entries) for every front-end and the admin API.
 *
 * Rules:
 * - No username (absent or empty) → anonymous, allowed per `security.anonymous`:
 *   'always'; 'loopback' = only from 127.0.0.0/8, ::1 or ::ffff:127.x.x.x; 'never'.
 * - When no users are configured, credentials a client sends are ignored and it is treated as
 *   anonymous (there is nothing to check them against; clients configured with credentials for
 *   another broker still connect, subject to the anonymous mode).
 * - Unknown user and wrong password fail identically (same error, same scrypt work).
 * - Successful verifications are cached for 60 s (keyed by an HMAC of user and password under a
 *   per-process random key) so reconnect storms do not cost ~50 ms of scrypt each.
 * Authorization:
 * - No users and no ACL entries: everyone may do everything (single-user / development setups).
 * - Users but no ACL entries: every configured user may do everything; anonymous clients nothing.
 * - Otherwise the ACL decides (see acl.ts); anonymous clients match only entries for `*`.
 *   With no users but some ACL entries, the `*` entries bind anonymous clients too.
 */
import { createHmac, randomBytes } from 'node:crypto';
import net from 'node:net';
import type { AclEntry, Config } from '../config/schema.js';
import { BrokerError } from '../core/errors.js';
import type { DestinationKind } from '../core/names.js';
import type { AclAddress } from './acl.js';
import { type Logger, silentLogger } from '../log.js';
import { aclAllows, entryAppliesTo, type Permission } from './acl.js';
import { DEFAULT_SCRYPT_PARAMS, KEY_BYTES, parsePasswordHash, SALT_BYTES, verifyPassword } from './password-hash.js';

export type { Permission } from './acl.js';

export interface Principal {
  name: string;
  anonymous: boolean;
  groups: string[];
}

export const ANONYMOUS_NAME = 'anonymous';

/** The kinds the admin API manages: admin on `>` of each makes an admin (exchanges not needed). */
const ADMIN_API_KINDS: readonly DestinationKind[] = ['queue', 'topic', 'stream'];

export interface SecurityManagerOptions {
  /** How long a successful password verification is remembered; 0 disables the cache. Default 60 000. */
  cacheTtlMs?: number;
  /** Most remembered verifications; the oldest are dropped first. Default 10 000. */
  maxCacheEntries?: number;
  /** Time source for the cache (tests). */
  now?: () => number;
  /** Password check (tests count calls); defaults to verifyPassword. */
  verify?: (password: string, encoded: string) => Promise<boolean>;
}

export interface AuthenticateInput {
  username?: string | null;
  password?: string | null;
  remoteAddress?: string | null;
}

/** 127.0.0.0/8, ::1, and IPv4-mapped 127.x in any IPv6 spelling; zone ids are ignored. */
export function isLoopbackAddress(address: string | null | undefined): boolean {
  if (!address) return false;
  const addr = address.replace(/%.*$/, '');
  if (net.isIPv4(addr)) return addr.split('.')[0] === '127';
  if (!net.isIPv6(addr)) return false;
  // The WHATWG URL parser canonicalises IPv6: [0:0:0:0:0:0:0:1] → [::1], [::ffff:127.0.0.1] → [::ffff:7f00:1].
  const host = new URL(`http://[${addr}]/`).hostname.slice(1, -1);
  return host === '::1' || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(host);
}

export class SecurityManager {
  private readonly users: Map<string, { passwordHash: string; groups: string[] }>;
  private readonly acl: readonly AclEntry[];
  private readonly mode: Config['security']['anonymous'];
  private readonly dummyHash: string;
  private readonly cache = new Map<string, number>(); // HMAC(user, password) → expiry
  private readonly cacheKey = randomBytes(32);
  private readonly cacheTtlMs: number;
  private readonly maxCacheEntries: number;
  private readonly now: () => number;
  private readonly verify: (password: string, encoded: string) => Promise<boolean>;

  constructor(security: Config['security'], logger: Logger = silentLogger, options: SecurityManagerOptions = {}) {
    this.cacheTtlMs = options.cacheTtlMs ?? 60_000;
    this.maxCacheEntries = options.maxCacheEntries ?? 10_000;
    this.now = options.now ?? Date.now;
    this.verify = options.verify ?? verifyPassword;
    this.mode = security.anonymous;
    this.acl = security.acl.map((e) => ({ ...e, kinds: [...e.kinds], allow: [...e.allow] }));
    this.users = new Map();
    security.users.forEach((u, i) => {
      const parsed = parsePasswordHash(u.passwordHash);
      if (typeof parsed === 'string') throw new BrokerError('CONFIG_INVALID', `security.users[${i}].passwordHash (user ${u.name}): ${parsed}`);
      if (this.users.has(u.name)) throw new BrokerError('CONFIG_INVALID', `security.users[${i}].name: duplicate user ${u.name}`);
      this.users.set(u.name, { passwordHash: u.passwordHash, groups: [...u.groups] });
    });

    // Unknown users are checked against this, with the cost of a real user's hash, so that
    // "no such user" takes as long as "wrong password".
    const first = security.users[0] ? parsePasswordHash(security.users[0].passwordHash) : undefined;
    const p = first && typeof first !== 'string' ? first : { ...DEFAULT_SCRYPT_PARAMS, salt: Buffer.alloc(SALT_BYTES), hash: Buffer.alloc(KEY_BYTES) };
    this.dummyHash = ['scrypt', p.N, p.r, p.p, randomBytes(p.salt.length).toString('base64'), randomBytes(p.hash.length).toString('base64')].join('$');

    this.logSetup(logger);
  }

  private logSetup(logger: Logger): void {
    const users = this.users.size;
    if (this.mode !== 'never') {
      logger.warn(
        { anonymous: this.mode },
        this.mode === 'loopback'
          ? 'anonymous access is enabled for clients on loopback addresses (set security.anonymous to "never" to require credentials)'
          : 'anonymous access is enabled for clients from any address (security.anonymous is "always")',
      );
    } else if (users === 0) {
      logger.warn('no users are configured and security.anonymous is "never": no client can connect');
    }
    if (users > 0 && this.acl.length === 0) {
      logger.warn({ users }, 'no ACL entries configured: every configured user may read, write and administer every destination');
    }
    if (users > 0 && this.mode !== 'never' && !this.acl.some((e) => e.principal === '*')) {
      logger.warn('anonymous clients may connect but no ACL entry for "*" grants them anything');
    }
    const groups = new Set([...this.users.values()].flatMap((u) => u.groups));
    for (const e of this.acl) {
      if (e.principal === '*') continue;
      if (e.principal.startsWith('group:')) {
        if (!groups.has(e.principal.slice(6))) logger.warn({ principal: e.principal }, 'ACL entry names a group no configured user is in');
      } else if (!this.users.has(e.principal)) {
        logger.warn({ principal: e.principal }, 'ACL entry names a user that is not configured');
      }
    }
  }

  private anonymousAllowed(remoteAddress: string | null | undefined): boolean {
    return this.mode === 'always' || (this.mode === 'loopback' && isLoopbackAddress(remoteAddress));
  }

  async authenticate(input: AuthenticateInput): Promise<Principal> {
    const username = input.username ?? '';
    if (username === '' || this.users.size === 0) {
      if (this.anonymousAllowed(input.remoteAddress)) return { name: ANONYMOUS_NAME, anonymous: true, groups: [] };
      throw new BrokerError(
        'UNAUTHENTICATED',
        this.mode === 'loopback' ? 'credentials required (anonymous access is only allowed from the local host)' : 'credentials required',
      );
    }
    const password = input.password ?? '';
    const user = this.users.get(username);
    const key = createHmac('sha256', this.cacheKey).update(username).update('\0').update(password).digest('base64');
    const now = this.now();
    const expiry = this.cache.get(key);
    if (user && expiry !== undefined && expiry > now) return { name: username, anonymous: false, groups: [...user.groups] };

    const ok = await this.verify(password, user ? user.passwordHash : this.dummyHash);
    if (!user || !ok) throw new BrokerError('UNAUTHENTICATED', 'bad username or password');
    this.remember(key, now);
    return { name: username, anonymous: false, groups: [...user.groups] };
  }

  private remember(key: string, now: number): void {
    if (this.cacheTtlMs <= 0) return;
    this.cache.delete(key);
    // Entries are inserted in expiry order (fixed TTL): drop expired ones from the front, then the oldest over the cap.
    for (const [k, exp] of this.cache) {
      if (exp > now && this.cache.size < this.maxCacheEntries) break;
      this.cache.delete(k);
    }
    this.cache.set(key, now + this.cacheTtlMs);
  }

  /** Everything allowed without consulting the ACL (see the module comment). */
  private unrestricted(principal: Principal): boolean {
    if (this.acl.length > 0) return false;
    return this.users.size === 0 || !principal.anonymous;
  }

  authorize(principal: Principal, permission: Permission, address: AclAddress): boolean {
    if (this.unrestricted(principal)) return true;
    return aclAllows(this.acl, principal, permission, address);
  }

  assertAuthorized(principal: Principal, permission: Permission, address: AclAddress): void {
    if (!this.authorize(principal, permission, address)) {
      const who = principal.anonymous ? 'anonymous client' : `user ${principal.name}`;
      throw new BrokerError('FORBIDDEN', `${who} may not ${permission} ${address.kind} ${address.name}`);
    }
  }

  /** Admin on every name (`>`) of queues, topics and streams: may use the admin API. */
  isAdmin(principal: Principal): boolean {
    if (this.unrestricted(principal)) return true;
    return ADMIN_API_KINDS.every((kind) =>
      this.acl.some((e) => e.pattern === '>' && e.kinds.includes(kind) && e.allow.includes('admin') && entryAppliesTo(e, principal)),
    );
  }
}
