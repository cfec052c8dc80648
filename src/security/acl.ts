/**
 * ACL matching. A small local matcher over core names (`.`-separated levels) — deliberately
 * independent of the topic trie in src/core/topic, whose job (routing) is different.
 *
 * ACL pattern levels: a literal matches the same literal, `*` matches exactly one level,
 * `>` (last level only) matches one or more remaining levels.
 *
 * The checked name may itself be a subscription pattern (`orders.*`, `sensors.>`). Then the ACL
 * pattern must *cover* it — allow every name the subscription could match:
 *   ACL `*` covers a literal or `*` level, but not `>` (which spans several levels);
 *   ACL `>` covers any non-empty rest, wildcards included;
 *   an ACL literal covers only the identical literal.
 * So `orders.*` allows subscribing to `orders.*` and `orders.eu`, but not `orders.>`.
 * A core-internal `**` level (zero or more levels, from amq.topic bindings with `#`) is covered
 * only by an ACL `>`, and only when the name cannot end there: `a.>` covers `a.**.b` but not
 * `a.**` (which matches `a` itself); `>` covers `**`.
 */
import type { AclEntry, AclKind, AclPermission } from '../config/schema.js';

export type Permission = AclPermission;
/** What an ACL decision is about: a queue, topic, stream or exchange by name. */
export interface AclAddress {
  kind: AclKind;
  name: string;
}

export function patternCovers(aclPattern: string, name: string): boolean {
  return coversLevels(aclPattern.split('.'), name.split('.'));
}

function coversLevels(acl: string[], name: string[]): boolean {
  for (let i = 0; i < acl.length; i++) {
    const a = acl[i]!;
    if (a === '>') return i === acl.length - 1 && name.length > i && (i === 0 || name.slice(i).some((l) => l !== '**'));
    if (i >= name.length) return false;
    const n = name[i]!;
    if (n === '**') return false;
    if (a === '*') {
      if (n === '>') return false;
    } else if (a !== n) {
      return false;
    }
  }
  return acl.length === name.length;
}

/** Does an entry grant `permission`? `admin` implies `read` and `write`. */
export function grants(entry: AclEntry, permission: Permission): boolean {
  return entry.allow.includes(permission) || entry.allow.includes('admin');
}

export interface AclSubject {
  name: string;
  anonymous: boolean;
  groups: readonly string[];
}

/**
 * Does `entry` name `subject`? `*` names everyone; anonymous clients are named by `*` only
 * (never by a user or group name, even if a user is called "anonymous").
 */
export function entryAppliesTo(entry: AclEntry, subject: AclSubject): boolean {
  if (entry.principal === '*') return true;
  if (subject.anonymous) return false;
  if (entry.principal.startsWith('group:')) return subject.groups.includes(entry.principal.slice('group:'.length));
  return entry.principal === subject.name;
}

export function aclAllows(
  acl: readonly AclEntry[],
  subject: AclSubject,
  permission: Permission,
  address: AclAddress,
): boolean {
  return acl.some(
    (e) => e.kinds.includes(address.kind) && grants(e, permission) && entryAppliesTo(e, subject) && patternCovers(e.pattern, address.name),
  );
}
