import { pino } from 'pino';
import type { Logger } from '../../src/log.js';
import type { AclEntry, Config, UserConfig } from '../../src/config/schema.js';
import { hashPassword } from '../../src/security/password-hash.js';

/** A logger that records every line as parsed JSON. */
export function captureLogger(): { logger: Logger; lines: Array<{ level: number; msg: string; [k: string]: unknown }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'trace' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

export const WARN = 40;

/** Low-cost hashes so the suite stays fast (parameters travel inside the hash). */
export async function user(name: string, password: string, groups: string[] = []): Promise<UserConfig> {
  return { name, passwordHash: await hashPassword(password, { N: 1024 }), groups };
}

export function acl(principal: string, pattern: string, allow: AclEntry['allow'], kinds: AclEntry['kinds'] = ['queue', 'topic', 'stream']): AclEntry {
  return { principal, pattern, allow, kinds };
}

export function security(users: UserConfig[], aclEntries: AclEntry[] = [], anonymous?: Config['security']['anonymous']): Config['security'] {
  return { users, acl: aclEntries, anonymous: anonymous ?? (users.length === 0 ? 'loopback' : 'never') };
}
