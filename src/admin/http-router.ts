/** A minimal method + path router for the admin API: `/api/queues/:name` style patterns. */
import type { IncomingMessage } from 'node:http';
import { BrokerError } from '../core/errors.js';
import type { Principal } from '../security/security-manager.js';

export interface RouteContext {
  req: IncomingMessage;
  params: Record<string, string>;
  query: URLSearchParams;
  principal: Principal;
  /** The parsed JSON body (undefined when there was none). */
  body: unknown;
}

export interface RouteResult {
  status?: number;
  body?: unknown;
}

export type RouteHandler = (ctx: RouteContext) => Promise<RouteResult | unknown>;

interface Route {
  method: string;
  parts: string[];
  handler: RouteHandler;
}

export class HttpRouter {
  private readonly routes: Route[] = [];

  add(method: string, path: string, handler: RouteHandler): this {
    this.routes.push({ method, parts: path.split('/').filter(Boolean), handler });
    return this;
  }

  /** Find a route; `allowed` lists the methods the path supports when the method does not match. */
  match(method: string, pathname: string): { handler: RouteHandler; params: Record<string, string> } | { allowed: string[] } | null {
    const segs = pathname.split('/').filter(Boolean);
    const allowed: string[] = [];
    for (const r of this.routes) {
      const params = matchParts(r.parts, segs);
      if (!params) continue;
      if (r.method === method) return { handler: r.handler, params };
      allowed.push(r.method);
    }
    return allowed.length ? { allowed } : null;
  }
}

function matchParts(parts: string[], segs: string[]): Record<string, string> | null {
  if (parts.length !== segs.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    const s = segs[i]!;
    if (p.startsWith(':')) {
      params[p.slice(1)] = decodePathSegment(s);
    } else if (p !== s) return null;
  }
  return params;
}

function decodePathSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch (err) {
    throw new BrokerError('INVALID_ARGUMENT', `malformed percent-encoding in path segment "${s}"`, { cause: err });
  }
}
