/**
 * SNS subscription filter policies over core message headers (SNS "message attributes" scope).
 *
 * A policy is a JSON object. Each key names a header and maps to a non-empty array of
 * conditions; the header must satisfy at least one of them (OR within a key), and every key must
 * be satisfied (AND across keys). `"$or": [policy, policy, ...]` (at least two non-empty
 * sub-policies, nestable) is satisfied when any sub-policy is; it is ANDed with its siblings.
 *
 * Conditions:
 *   "text"                               header is the string "text" (case-sensitive)
 *   5                                    header is the number 5 (a string "5" does not match)
 *   true | false | null                  header is exactly that value
 *   {"prefix": "ab"} {"suffix": "yz"}    string header starts / ends with it
 *   {"equals-ignore-case": "AbC"}        string header equal ignoring case
 *   {"numeric": ["=", 5]}                number header equal to 5
 *   {"numeric": [">", 0, "<=", 100]}     number header in a range (one lower and/or one upper bound)
 *   {"exists": true | false}             header present (non-null) / absent
 *   {"anything-but": "x" | 5 | ["x", 5]} header present and not one of these values
 *   {"anything-but": {"prefix": "x"}}    string header not starting with "x" (also "suffix",
 *                                        "equals-ignore-case": "x" | ["x", ...])
 *
 * Attribute type matters, as in SNS: numeric conditions only match number headers, string
 * conditions (prefix, suffix, equals-ignore-case) only string headers.
 *
 * Typed header values (src/core/values.ts) are matched by what they stand for: every integer
 * width (byte..ulong, long/ulong as the nearest double), float, double, decimal and timestamp
 * are numbers; symbols are strings. Other typed values (uuid, binary, char, list, map) match
 * only `exists` and `anything-but`.
 *
 * Decisions where SNS is silent or does not fit a multi-protocol broker:
 *  - A header whose value is null counts as absent for `exists` and `anything-but` (SNS: "exists
 *    true requires a non-null value"); `null` in a condition list still matches it exactly.
 *  - `{"exists": false}` matches a message with no headers at all. (SNS never matches a message
 *    without attributes; here MQTT 3.1.1 messages never carry headers, and "absent" must mean absent.)
 *  - A malformed `$or` is an error rather than an attribute literally named "$or".
 *  - Nested (object-valued) keys are rejected: core headers are flat.
 *
 * Limits (SNS): at most 5 keys per AND-combination, at most 150 value combinations (the product
 * of the condition-array lengths, where a `$or` contributes the sum of its branches), numbers
 * within ±1e9, policy text at most 256 KiB. `$or` nests at most MAX_OR_DEPTH deep.
 */
import { BrokerError } from '../errors.js';
import type { HeaderValue, Headers } from '../message.js';
import { isTypedValue, valueToNumber, valueToStringLike } from '../values.js';

export const FILTER_POLICY_LIMITS = {
  maxKeys: 5,
  maxCombinations: 150,
  maxNumber: 1e9,
  maxBytes: 256 * 1024,
  maxOrDepth: 3,
} as const;

type Value = HeaderValue | undefined;
type Condition = (v: Value) => boolean;

/** Compiled form of one AND-node of a policy (internal; exported only for the constructor's signature). */
export interface Conjunction {
  /** Header names, parallel to `conds`. */
  keys: string[];
  /** For each key, the conditions of which at least one must hold (exact values share one). */
  conds: Condition[][];
  /** For each key, how many values its policy array lists (for the combination limit). */
  widths: number[];
  /** Each entry is a `$or`: at least one branch must hold. */
  ors: Conjunction[][];
}

export class FilterPolicy {
  /** Canonical JSON text of the policy (keys sorted, no whitespace): stable across equal inputs. */
  readonly source: string;
  /** True for `{}`: the policy accepts every message. */
  readonly empty: boolean;
  private readonly root: Conjunction;

  /** Use compileFilterPolicy. */
  constructor(source: string, root: Conjunction) {
    this.source = source;
    this.root = root;
    this.empty = root.keys.length === 0 && root.ors.length === 0;
  }

  matches(headers: Headers): boolean {
    return evalConjunction(this.root, headers);
  }
}

function evalConjunction(c: Conjunction, headers: Headers): boolean {
  const { keys, conds, ors } = c;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const v: Value = Object.hasOwn(headers, key) ? filterView(headers[key]!) : undefined;
    const list = conds[i]!;
    let ok = false;
    for (let j = 0; j < list.length; j++) {
      if (list[j]!(v)) {
        ok = true;
        break;
      }
    }
    if (!ok) return false;
  }
  for (let i = 0; i < ors.length; i++) {
    const branches = ors[i]!;
    let ok = false;
    for (let j = 0; j < branches.length; j++) {
      if (evalConjunction(branches[j]!, headers)) {
        ok = true;
        break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

/** A header as the conditions see it: typed numbers as numbers, symbols as strings. */
function filterView(v: HeaderValue): HeaderValue {
  if (!isTypedValue(v)) return v;
  return valueToNumber(v) ?? valueToStringLike(v) ?? v;
}

/**
 * Validate and compile a filter policy (JSON text or an already-parsed object).
 * Throws BrokerError('INVALID_FILTER_POLICY') naming the offending key and reason.
 */
export function compileFilterPolicy(policy: string | object): FilterPolicy {
  let raw: unknown = policy;
  if (typeof policy === 'string') {
    if (Buffer.byteLength(policy) > FILTER_POLICY_LIMITS.maxBytes) fail(`policy is larger than ${FILTER_POLICY_LIMITS.maxBytes} bytes`);
    try {
      raw = JSON.parse(policy);
    } catch (err) {
      throw new BrokerError('INVALID_FILTER_POLICY', `not valid JSON: ${(err as Error).message}`, { cause: err });
    }
  }
  if (!isPlainObject(raw)) fail(`policy must be a JSON object, got ${describe(raw)}`);
  const root = compileConjunction(raw, '', 0);
  const combinations = countCombinations(root);
  if (combinations > FILTER_POLICY_LIMITS.maxCombinations) {
    fail(`policy has ${combinations} value combinations; at most ${FILTER_POLICY_LIMITS.maxCombinations} are allowed`);
  }
  const keys = countKeys(root);
  if (keys > FILTER_POLICY_LIMITS.maxKeys) {
    fail(`policy uses ${keys} keys in one combination; at most ${FILTER_POLICY_LIMITS.maxKeys} are allowed`);
  }
  const source = canonicalJson(raw);
  if (Buffer.byteLength(source) > FILTER_POLICY_LIMITS.maxBytes) fail(`policy is larger than ${FILTER_POLICY_LIMITS.maxBytes} bytes`);
  return new FilterPolicy(source, root);
}

function fail(reason: string): never {
  throw new BrokerError('INVALID_FILTER_POLICY', reason);
}

const OPERATORS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'numeric', 'exists', 'anything-but']);

function compileConjunction(obj: Record<string, unknown>, where: string, depth: number): Conjunction {
  const c: Conjunction = { keys: [], conds: [], widths: [], ors: [] };
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    if (key === '$or') {
      c.ors.push(compileOr(value, `${where}$or`, depth + 1));
      continue;
    }
    const at = `${where}key "${key}"`;
    if (isPlainObject(value)) {
      const inner = Object.keys(value);
      if (inner.length === 1 && OPERATORS.has(inner[0]!)) fail(`${at}: conditions must be in an array, e.g. [${canonicalJson(value)}]`);
      fail(`${at}: nested policies are not supported (message headers are flat)`);
    }
    if (!Array.isArray(value)) fail(`${at}: value must be an array of conditions, got ${describe(value)}`);
    if (value.length === 0) fail(`${at}: condition array must not be empty`);
    c.keys.push(key);
    c.conds.push(compileConditions(value, at));
    c.widths.push(value.length);
  }
  return c;
}

function compileOr(value: unknown, where: string, depth: number): Conjunction[] {
  if (depth > FILTER_POLICY_LIMITS.maxOrDepth) fail(`${where}: $or nested more than ${FILTER_POLICY_LIMITS.maxOrDepth} deep`);
  if (!Array.isArray(value) || value.length < 2) fail(`${where}: must be an array of at least 2 policy objects`);
  return value.map((branch, i) => {
    const at = `${where}[${i}]`;
    if (!isPlainObject(branch)) fail(`${at}: must be a policy object, got ${describe(branch)}`);
    const keys = Object.keys(branch);
    if (keys.length === 0) fail(`${at}: must not be empty`);
    const reserved = keys.find((k) => OPERATORS.has(k));
    if (reserved !== undefined) fail(`${at}: "${reserved}" is an operator, not a header name; put it in a condition array`);
    return compileConjunction(branch, `${at}.`, depth);
  });
}

function compileConditions(list: unknown[], at: string): Condition[] {
  const out: Condition[] = [];
  // Exact scalar values share one Set lookup (strict, type-aware: "5" ≠ 5).
  const exact = new Set<HeaderValue>();
  list.forEach((item, i) => {
    const where = `${at}[${i}]`;
    if (item === null || typeof item === 'string' || typeof item === 'boolean') exact.add(item);
    else if (typeof item === 'number') exact.add(checkNumber(item, where));
    else if (Array.isArray(item)) fail(`${where}: nested arrays are not allowed`);
    else if (isPlainObject(item)) out.push(compileOperator(item, where));
    else fail(`${where}: unsupported value ${describe(item)}`);
  });
  if (exact.size === 1) {
    const [only] = exact;
    out.unshift((v) => v === only);
  } else if (exact.size > 1) {
    out.unshift((v) => v !== undefined && exact.has(v));
  }
  return out;
}

function compileOperator(obj: Record<string, unknown>, where: string): Condition {
  const ops = Object.keys(obj);
  if (ops.length !== 1) fail(`${where}: a condition object must have exactly one operator, got ${ops.length === 0 ? 'none' : ops.join(', ')}`);
  const op = ops[0]!;
  const arg = obj[op];
  switch (op) {
    case 'prefix': {
      const p = nonEmptyString(arg, `${where} prefix`);
      return (v) => typeof v === 'string' && v.startsWith(p);
    }
    case 'suffix': {
      const s = nonEmptyString(arg, `${where} suffix`);
      return (v) => typeof v === 'string' && v.endsWith(s);
    }
    case 'equals-ignore-case': {
      if (typeof arg !== 'string') fail(`${where} equals-ignore-case: expected a string, got ${describe(arg)}`);
      const lowered = arg.toLowerCase();
      return (v) => typeof v === 'string' && v.toLowerCase() === lowered;
    }
    case 'exists': {
      if (typeof arg !== 'boolean') fail(`${where} exists: expected true or false, got ${describe(arg)}`);
      return arg ? (v) => v !== undefined && v !== null : (v) => v === undefined || v === null;
    }
    case 'numeric':
      return compileNumeric(arg, `${where} numeric`);
    case 'anything-but':
      return compileAnythingBut(arg, `${where} anything-but`);
    default:
      fail(`${where}: unknown operator "${op}" (supported: ${[...OPERATORS].join(', ')})`);
  }
}

const LOWER = new Set(['>', '>=']);
const UPPER = new Set(['<', '<=']);

function compileNumeric(arg: unknown, where: string): Condition {
  if (!Array.isArray(arg)) fail(`${where}: expected an array like [">", 0, "<=", 100], got ${describe(arg)}`);
  if (arg.length !== 2 && arg.length !== 4) fail(`${where}: expected 2 or 4 elements (operator, number[, operator, number]), got ${arg.length}`);
  let lo: number | undefined;
  let loInclusive = false;
  let hi: number | undefined;
  let hiInclusive = false;
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i];
    const n = arg[i + 1];
    if (typeof op !== 'string' || !(op === '=' || LOWER.has(op) || UPPER.has(op))) {
      fail(`${where}: expected an operator (=, <, <=, >, >=) at position ${i}, got ${describe(op)}`);
    }
    if (typeof n !== 'number') fail(`${where}: operand of "${op}" must be a number, got ${describe(n)}`);
    checkNumber(n, `${where} operand of "${op}"`);
    if (op === '=') {
      if (arg.length !== 2) fail(`${where}: "=" cannot be combined with another comparison`);
      return (v) => typeof v === 'number' && v === n;
    }
    if (LOWER.has(op)) {
      if (lo !== undefined) fail(`${where}: more than one lower bound (> or >=)`);
      lo = n;
      loInclusive = op === '>=';
    } else {
      if (hi !== undefined) fail(`${where}: more than one upper bound (< or <=)`);
      hi = n;
      hiInclusive = op === '<=';
    }
  }
  if (lo !== undefined && hi !== undefined && !(lo < hi)) fail(`${where}: empty range, lower bound ${lo} is not below upper bound ${hi}`);
  const l = lo ?? -Infinity;
  const h = hi ?? Infinity;
  if (loInclusive && hiInclusive) return (v) => typeof v === 'number' && v >= l && v <= h;
  if (loInclusive) return (v) => typeof v === 'number' && v >= l && v < h;
  if (hiInclusive) return (v) => typeof v === 'number' && v > l && v <= h;
  return (v) => typeof v === 'number' && v > l && v < h;
}

function compileAnythingBut(arg: unknown, where: string): Condition {
  if (typeof arg === 'string') return (v) => v !== undefined && v !== null && v !== arg;
  if (typeof arg === 'number') {
    checkNumber(arg, where);
    return (v) => v !== undefined && v !== null && v !== arg;
  }
  if (Array.isArray(arg)) {
    if (arg.length === 0) fail(`${where}: list must not be empty`);
    const excluded = new Set<string | number>();
    arg.forEach((x, i) => {
      if (typeof x === 'string') excluded.add(x);
      else if (typeof x === 'number') excluded.add(checkNumber(x, `${where}[${i}]`));
      else fail(`${where}[${i}]: expected a string or number, got ${describe(x)}`);
    });
    return (v) => v !== undefined && v !== null && !excluded.has(v as string | number);
  }
  if (isPlainObject(arg)) {
    const ops = Object.keys(arg);
    if (ops.length !== 1) fail(`${where}: expected exactly one of prefix, suffix, equals-ignore-case`);
    const op = ops[0]!;
    const inner = arg[op];
    switch (op) {
      case 'prefix': {
        const p = nonEmptyString(inner, `${where} prefix`);
        return (v) => typeof v === 'string' && !v.startsWith(p);
      }
      case 'suffix': {
        const s = nonEmptyString(inner, `${where} suffix`);
        return (v) => typeof v === 'string' && !v.endsWith(s);
      }
      case 'equals-ignore-case': {
        const list = typeof inner === 'string' ? [inner] : inner;
        if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'string')) {
          fail(`${where} equals-ignore-case: expected a string or a non-empty array of strings, got ${describe(inner)}`);
        }
        const lowered = new Set(list.map((x: string) => x.toLowerCase()));
        return (v) => typeof v === 'string' && !lowered.has(v.toLowerCase());
      }
      default:
        fail(`${where}: unknown operator "${op}" (supported inside anything-but: prefix, suffix, equals-ignore-case)`);
    }
  }
  fail(`${where}: expected a string, a number, an array of them, or {"prefix"|"suffix"|"equals-ignore-case": ...}, got ${describe(arg)}`);
}

function nonEmptyString(x: unknown, where: string): string {
  if (typeof x !== 'string' || x.length === 0) fail(`${where}: expected a non-empty string, got ${describe(x)}`);
  return x;
}

function checkNumber(n: number, where: string): number {
  const max = FILTER_POLICY_LIMITS.maxNumber;
  if (!Number.isFinite(n)) fail(`${where}: numbers must be finite`);
  if (n < -max || n > max) fail(`${where}: ${n} is outside the supported range -${max}..${max}`);
  return n;
}

function countCombinations(c: Conjunction): number {
  let total = 1;
  for (const width of c.widths) total *= width;
  for (const branches of c.ors) {
    let sum = 0;
    for (const b of branches) sum += countCombinations(b);
    total *= sum;
  }
  return total;
}

function countKeys(c: Conjunction): number {
  let total = c.keys.length;
  for (const branches of c.ors) total += Math.max(...branches.map(countKeys));
  return total;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function describe(x: unknown): string {
  if (x === undefined) return 'undefined';
  if (typeof x === 'function') return 'a function';
  if (typeof x === 'number' && !Number.isFinite(x)) return String(x);
  let text: string;
  try {
    text = JSON.stringify(x) ?? typeof x;
  } catch (err) {
    // Cyclic or otherwise unserialisable: say what it is instead.
    text = `an unserialisable ${typeof x} (${(err as Error).message})`;
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** JSON with object keys sorted, so equal policies have equal text. Input is already validated. */
function canonicalJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonicalJson).join(',')}]`;
  if (isPlainObject(x)) {
    return `{${Object.keys(x).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(x[k])}`).join(',')}}`;
  }
  return JSON.stringify(x);
}
