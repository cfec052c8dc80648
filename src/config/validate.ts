/**
 * Schema checks shared by every configuration source.
 * - checkValue: a JSON-ish value (file contents, programmatic overrides, JSON from a variable)
 *   against a schema node; unknown keys and wrong types become issues with exact paths.
 * - parseString: one string (an environment variable or a command-line value) parsed by the
 *   type of its target key.
 */
import type { ConfigIssue } from './errors.js';
import { showValue, suggest } from './errors.js';
import type { SchemaNode } from './schema.js';

const NULL_WORDS = new Set(['off', 'none', 'null']);
const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** "expected ..." text for a node. `fromString`: the value came from env/CLI, where null is spelled `off`. */
export function expectation(node: SchemaNode, fromString: boolean): string {
  const orNull = fromString ? ' or off' : ' or null';
  switch (node.type) {
    case 'int':
      return `an integer ${node.min}..${node.max}${node.nullable ? orNull : ''}`;
    case 'string':
      return 'a non-empty string';
    case 'enum':
      return `one of ${node.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'bool':
      return fromString ? 'true or false' : 'a boolean (true or false)';
    case 'array':
      return node.minItems ? `a non-empty array${fromString ? ' (JSON)' : ''}` : `an array${fromString ? ' (JSON)' : ''}`;
    case 'record':
      return `an object${fromString ? ' (JSON)' : ''}`;
    case 'object':
      return `an object${fromString ? ' (JSON)' : ''}${node.nullable ? orNull : ''}`;
  }
}

function got(node: SchemaNode, value: unknown): string {
  if (node.type === 'string' && node.secret) {
    return typeof value === 'string' ? `a ${value.length}-character string (value hidden)` : `a ${typeof value} (value hidden)`;
  }
  return showValue(value);
}

export interface CheckContext {
  issues: ConfigIssue[];
  /** Source label for a path, for messages. */
  source: (path: string) => string | undefined;
}

function issue(ctx: CheckContext, path: string, message: string): void {
  ctx.issues.push({ path, message, source: ctx.source(path) });
}

function join(prefix: string, key: string): string {
  return prefix ? `${prefix}.${key}` : key;
}

/**
 * Check `value` against `node`. Returns the value (a fresh copy for objects and arrays) or
 * undefined after recording an issue. `complete` = the object must carry its required keys
 * (array elements); top-level layers are partial.
 */
export function checkValue(node: SchemaNode, value: unknown, path: string, ctx: CheckContext, complete = false): unknown {
  const bad = (): undefined => {
    issue(ctx, path, `expected ${expectation(node, false)}, got ${got(node, value)}`);
    return undefined;
  };
  switch (node.type) {
    case 'int':
      if (value === null && node.nullable) return null;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < node.min || value > node.max) return bad();
      return value;
    case 'string':
      if (typeof value !== 'string' || value.length === 0) return bad();
      return value;
    case 'enum':
      if (typeof value !== 'string' || !node.values.includes(value)) return bad();
      return value;
    case 'bool':
      if (typeof value !== 'boolean') return bad();
      return value;
    case 'record':
      if (!isPlainObject(value)) return bad();
      return structuredClone(value);
    case 'array': {
      if (!Array.isArray(value) || (node.minItems !== undefined && value.length < node.minItems)) return bad();
      const before = ctx.issues.length;
      const out = value.map((v, i) => checkValue(node.of, v, `${path}[${i}]`, ctx, true));
      return ctx.issues.length === before ? out : undefined;
    }
    case 'object': {
      if (value === null && node.nullable) return null;
      if (!isPlainObject(value)) return bad();
      const before = ctx.issues.length;
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value)) {
        const child = Object.hasOwn(node.fields, key) ? node.fields[key] : undefined;
        if (!child) {
          const hint = suggest(key, Object.keys(node.fields));
          const at = join(path, key);
          ctx.issues.push({ path: at, message: `unknown key ${at}${hint ? ` (did you mean ${join(path, hint)}?)` : ''}`, source: ctx.source(at), standalone: true });
          continue;
        }
        if (v === undefined) continue; // programmatic overrides may carry explicit undefined: "not set"
        const checked = checkValue(child, v, join(path, key), ctx);
        if (checked !== undefined) out[key] = checked;
      }
      if (complete) {
        for (const key of node.required ?? []) {
          if (value[key] === undefined) issue(ctx, join(path, key), `missing required key`);
        }
      }
      return ctx.issues.length === before ? out : undefined;
    }
  }
}

/**
 * Parse a string from an environment variable or a command-line flag by its target's type.
 * Records an issue (at `path`, labelled with `source`) and returns undefined when it does not parse.
 */
export function parseString(node: SchemaNode, raw: string, path: string, source: string, issues: ConfigIssue[]): unknown {
  const ctx: CheckContext = { issues, source: () => source };
  const lower = raw.trim().toLowerCase();
  const bad = (): undefined => {
    issues.push({ path, message: `expected ${expectation(node, true)}, got ${got(node, raw)}`, source });
    return undefined;
  };
  switch (node.type) {
    case 'int': {
      if (node.nullable && NULL_WORDS.has(lower)) return null;
      if (!/^[+-]?\d+$/.test(raw.trim())) return bad();
      const n = Number(raw.trim());
      if (!Number.isSafeInteger(n) || n < node.min || n > node.max) return bad();
      return n;
    }
    case 'string':
      if (raw.length === 0) return bad();
      return raw;
    case 'enum':
      if (!node.values.includes(raw.trim())) return bad();
      return raw.trim();
    case 'bool':
      if (TRUE_WORDS.has(lower)) return true;
      if (FALSE_WORDS.has(lower)) return false;
      return bad();
    case 'array':
    case 'record':
    case 'object': {
      if (node.type === 'object' && node.nullable && NULL_WORDS.has(lower)) return null;
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch (err) {
        issues.push({ path, message: `expected ${expectation(node, true)}, got invalid JSON (${(err as Error).message})`, source });
        return undefined;
      }
      return checkValue(node, parsed, path, ctx);
    }
  }
}
