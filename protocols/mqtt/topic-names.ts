/**
 * MQTT topic names and filters ↔ core names and patterns.
 *
 *   MQTT `a/b/c`  ↔ core `a.b.c`        (levels: `/` ↔ `.`)
 *   MQTT `+`      ↔ core `*`            (one whole level)
 *   MQTT `#`      ↔ core `>`            (last level; see filterToCorePatterns for the parent level)
 *
 * Escapes, inside one level (percent-encoding of the character's code point, upper-case hex):
 *   `%` → `%25`, `.` → `%2E`, `*` → `%2A`, `>` → `%3E`,
 *   control characters (U+0000–U+001F, U+007F–U+009F) → `%XX`,
 *   whitespace at the very start or the very end of the whole name → `%XX` (or `%uXXXX` above U+00FF),
 *   an empty level (MQTT `/a`, `a//b`, `a/`) → a level consisting of a lone `%`.
 * Every other character (including `/`-free Unicode, spaces inside the name, `+`/`#` inside a
 * level of a topic name, `$`) is kept as is. Every `%` the encoder writes starts a valid escape
 * or is a lone-`%` level, so decoding an encoded name gives back the MQTT name exactly.
 *
 * Core names that were not produced by this encoder (published by other protocols) are decoded
 * leniently: a `%` that does not start a valid escape is kept literally, and a `/` inside a core
 * level is shown as `/` (so such a name may not map back to the same core name).
 */
import { BrokerError } from '../../src/core/errors.js';
import { MAX_NAME_LENGTH } from '../../src/core/names.js';

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const WS = /\s/;
/** Characters escaped anywhere inside a level. */
const ALWAYS = /[%.*>\u0000-\u001f\u007f-\u009f]/;

function hex(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x100 ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : `%u${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Encode one MQTT level (not a wildcard). `first`/`last`: the level starts / ends the whole name,
 * so leading / trailing whitespace must be escaped (the core rejects names that trim() changes).
 */
export function encodeLevel(level: string, first: boolean, last: boolean): string {
  if (level.length === 0) return '%';
  let fast = !ALWAYS.test(level);
  if (fast && first && WS.test(level[0]!)) fast = false;
  if (fast && last && WS.test(level[level.length - 1]!)) fast = false;
  if (fast) return level;
  let lead = 0;
  if (first) while (lead < level.length && WS.test(level[lead]!)) lead++;
  let trail = level.length;
  if (last) while (trail > lead && WS.test(level[trail - 1]!)) trail--;
  let out = '';
  for (let i = 0; i < level.length; i++) {
    const c = level[i]!;
    if (i < lead || i >= trail || c === '%' || c === '.' || c === '*' || c === '>' || CONTROL.test(c)) out += hex(c);
    else out += c;
  }
  return out;
}

const ESCAPE = /%(?:u([0-9A-Fa-f]{4})|([0-9A-Fa-f]{2}))/g;

/** Decode one core level to an MQTT level (lenient: stray `%` is kept). */
export function decodeLevel(level: string): string {
  if (level === '%') return '';
  if (!level.includes('%')) return level;
  return level.replace(ESCAPE, (_m, u: string | undefined, h: string | undefined) => String.fromCharCode(parseInt((u ?? h)!, 16)));
}

function checkLength(name: string, what: string, original: string): string {
  if (name.length > MAX_NAME_LENGTH) {
    throw new BrokerError('INVALID_NAME', `${what} "${original.slice(0, 64)}…" is longer than ${MAX_NAME_LENGTH} characters once mapped to a core name`);
  }
  return name;
}

const topicCache = new Map<string, string>();
const TOPIC_CACHE_MAX = 10_000;

/** An MQTT topic name (as in PUBLISH: no wildcards, not empty) → core topic name. Throws INVALID_NAME. */
export function topicToCore(topic: string): string {
  const hit = topicCache.get(topic);
  if (hit !== undefined) return hit;
  const name = mapTopic(topic);
  if (topicCache.size >= TOPIC_CACHE_MAX) topicCache.clear();
  topicCache.set(topic, name);
  return name;
}

function mapTopic(topic: string): string {
  if (typeof topic !== 'string' || topic.length === 0) throw new BrokerError('INVALID_NAME', 'MQTT topic name must not be empty');
  if (topic.includes('+') || topic.includes('#')) {
    // `+`/`#` are wildcards in MQTT; a topic name must not contain them [MQTT-3.3.2-2].
    throw new BrokerError('INVALID_NAME', `MQTT topic name "${topic}" contains a wildcard (+ or #)`);
  }
  const levels = topic.split('/');
  const n = levels.length;
  let out = '';
  for (let i = 0; i < n; i++) {
    if (i > 0) out += '.';
    out += encodeLevel(levels[i]!, i === 0, i === n - 1);
  }
  return checkLength(out, 'MQTT topic', topic);
}

/** Validate an MQTT topic filter's wildcard placement (+ whole level, # whole last level). */
export function validateFilter(filter: string): void {
  if (typeof filter !== 'string' || filter.length === 0) throw new BrokerError('INVALID_NAME', 'MQTT topic filter must not be empty');
  const levels = filter.split('/');
  levels.forEach((level, i) => {
    if (level.includes('+') && level !== '+') throw new BrokerError('INVALID_NAME', `MQTT topic filter "${filter}": + must be a whole level`);
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      throw new BrokerError('INVALID_NAME', `MQTT topic filter "${filter}": # must be the whole last level`);
    }
  });
}

/**
 * An MQTT topic filter → the core pattern it maps to, level by level (`#` → `>`).
 * Note: MQTT `a/#` also matches `a` itself; the core's `>` needs at least one level. Use
 * filterToCorePatterns for routing.
 */
export function filterToCore(filter: string): string {
  validateFilter(filter);
  const levels = filter.split('/');
  const n = levels.length;
  let out = '';
  for (let i = 0; i < n; i++) {
    if (i > 0) out += '.';
    const level = levels[i]!;
    if (level === '+') out += '*';
    else if (level === '#') out += '>';
    else out += encodeLevel(level, i === 0, i === n - 1);
  }
  return checkLength(out, 'MQTT topic filter', filter);
}

/**
 * The core patterns whose union matches exactly what the MQTT filter matches:
 * `a/b` → [`a.b`]; `a/+` → [`a.*`]; `#` → [`>`]; `a/#` → [`a`, `a.>`] (the parent level too,
 * [MQTT-4.7.1-2]). The patterns never overlap, so a message matches at most one of them.
 */
export function filterToCorePatterns(filter: string): string[] {
  const main = filterToCore(filter);
  if (filter === '#' || !filter.endsWith('/#')) return [main];
  const parent = filter.slice(0, -2);
  // `/#`: the parent would be the empty topic name, which no publish can have.
  return parent.length === 0 ? [main] : [filterToCore(parent), main];
}

const coreCache = new Map<string, string>();

/** A core topic name → the MQTT topic name subscribers see. */
export function coreToTopic(name: string): string {
  const hit = coreCache.get(name);
  if (hit !== undefined) return hit;
  const topic = name.includes('%') ? name.split('.').map(decodeLevel).join('/') : name.replaceAll('.', '/');
  if (coreCache.size >= TOPIC_CACHE_MAX) coreCache.clear();
  coreCache.set(name, topic);
  return topic;
}

/** A core pattern → MQTT filter (`*` → `+`, `>` → `#`). For display and tests. */
export function coreToFilter(pattern: string): string {
  return pattern.split('.').map((l) => (l === '*' ? '+' : l === '>' ? '#' : decodeLevel(l))).join('/');
}

/** `$share/GROUP/FILTER` (MQTT 5 shared subscription syntax, also accepted from 3.1.1 clients). */
export interface SharedFilter {
  group: string;
  filter: string;
}

export const SHARE_PREFIX = '$share/';

/** Parse a shared subscription filter; undefined if `filter` is not one. Throws INVALID_NAME when malformed. */
export function parseShared(filter: string): SharedFilter | undefined {
  if (!filter.startsWith(SHARE_PREFIX)) return undefined;
  const rest = filter.slice(SHARE_PREFIX.length);
  const slash = rest.indexOf('/');
  const group = slash < 0 ? rest : rest.slice(0, slash);
  const inner = slash < 0 ? '' : rest.slice(slash + 1);
  if (group.length === 0 || /[+#]/.test(group)) throw new BrokerError('INVALID_NAME', `shared subscription "${filter}": the share name must be non-empty without + or #`);
  if (inner.length === 0) throw new BrokerError('INVALID_NAME', `shared subscription "${filter}" has no topic filter`);
  validateFilter(inner);
  return { group, filter: inner };
}

/** Is this one of aedes' own `$SYS/...` topics or filters (kept inside the MQTT front-end)? */
export function isSysTopic(topic: string): boolean {
  return topic.startsWith('$SYS/') || topic === '$SYS';
}

/** Encode any string (a client id, a share name, a whole filter) as ONE core level. */
export function encodeSingleLevel(s: string, first = false, last = true): string {
  return encodeLevel(s, first, last);
}

/** MQTT 3.1.1 topic matching (section 4.7), for the few places that compare MQTT strings directly. */
export function mqttMatches(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.charCodeAt(0) === 36 /* $ */ && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    const level = f[i]!;
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/** The literal levels of a filter before its first wildcard (`a/b/+/c` → `a/b`); the filter itself if it has none. */
export function literalPrefix(filter: string): string {
  const levels = filter.split('/');
  const i = levels.findIndex((l) => l === '+' || l === '#');
  return i < 0 ? filter : levels.slice(0, i).join('/');
}
