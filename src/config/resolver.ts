/**
 * Reading the merged configuration tree (load-config.ts merges the layers into it): values by
 * dotted path, where each came from, and issues labelled with that source.
 */
import path from 'node:path';
import type { ConfigIssue } from './errors.js';
import { showValue } from './errors.js';
import { isPlainObject } from './validate.js';

export type Tree = Record<string, unknown>;

export class Resolver {
  constructor(
    private readonly merged: Tree,
    private readonly sources: Map<string, string>,
    readonly cwd: string,
    readonly issues: ConfigIssue[],
  ) {}

  /** The merged value at a dotted path, or undefined when no source set it. */
  get<T>(p: string): T | undefined {
    let node: unknown = this.merged;
    for (const seg of p.split('.')) {
      if (!isPlainObject(node)) return undefined;
      node = node[seg];
    }
    return node as T | undefined;
  }

  has(p: string): boolean {
    return this.get(p) !== undefined;
  }

  source(p: string): string | undefined {
    let q = p.replace(/\[\d+\].*$/, '');
    for (;;) {
      const s = this.sources.get(q);
      if (s !== undefined) return s;
      const dot = q.lastIndexOf('.');
      if (dot < 0) return undefined;
      q = q.slice(0, dot);
    }
  }

  /** Record a problem with key `p`, labelled with where p's value came from (unless `withSource` is false: for missing keys). */
  issue(p: string, message: string, withSource = true): void {
    this.issues.push({ path: p, message, source: withSource ? this.source(p) : undefined });
  }

  /** `store.type is "postgres" (set by --store)` style description of a key's current value. */
  describe(p: string, value: unknown): string {
    const s = this.source(p);
    return `${p} is ${showValue(value)} (${s ? `set by ${s}` : 'default'})`;
  }

  /** Resolve a path-valued key against cwd (see the module comment of schema.ts). */
  abs(value: string): string {
    return path.resolve(this.cwd, value);
  }
}
