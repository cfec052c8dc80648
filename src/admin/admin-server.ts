/**
 * Admin HTTP (default port 8162): GET /healthz, GET /metrics (Prometheus text, unauthenticated
 * like RabbitMQ's prometheus endpoint), and the JSON REST API under /api (admin principal
 * required, via HTTP Basic, unless anonymous access applies).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BrokerError, isBrokerError } from '../core/errors.js';
import type { Broker } from '../core/broker.js';
import type { SecurityManager } from '../security/security-manager.js';
import type { Logger } from '../log.js';
import { HttpRouter, type RouteResult } from './http-router.js';
import { registerQueueRoutes } from './routes/queue-routes.js';
import { registerTopicRoutes } from './routes/topic-routes.js';
import { registerStreamRoutes } from './routes/stream-routes.js';
import { registerExchangeRoutes } from './routes/exchange-routes.js';

export type Role = 'active' | 'standby' | 'stopping';

export interface AdminServerOptions {
  host: string;
  port: number;
  security: SecurityManager;
  logger: Logger;
  version: string;
  /** The broker while active; undefined while standby (the API then answers 503 NOT_ACTIVE). */
  broker: () => Broker | undefined;
  role: () => Role;
  metrics: () => string;
  /** Largest request body accepted. */
  maxBodyBytes: number;
}

export class AdminServer {
  private server: http.Server | undefined;
  private readonly router = new HttpRouter();
  private readonly startedAt = Date.now();
  private readonly logger: Logger;

  constructor(private readonly opts: AdminServerOptions) {
    this.logger = opts.logger.child({ component: 'admin' });
    const broker = (): Broker => {
      const b = opts.broker();
      if (!b) throw new BrokerError('NOT_ACTIVE', `this broker is ${opts.role()}`);
      return b;
    };
    registerQueueRoutes(this.router, broker);
    registerTopicRoutes(this.router, broker);
    registerStreamRoutes(this.router, broker);
    registerExchangeRoutes(this.router, broker);
  }

  start(): Promise<number> {
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.logger.error({ err }, 'admin request failed');
        if (!res.headersSent) send(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 5_000;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.logger.error({ err }, 'admin listener error'));
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    if (url.pathname === '/healthz' && method === 'GET') {
      const role = this.opts.role();
      send(res, role === 'active' ? 200 : 503, {
        status: role === 'active' ? 'ok' : role,
        role,
        uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
        version: this.opts.version,
      });
      return;
    }
    if (url.pathname === '/metrics' && method === 'GET') {
      if (!this.opts.broker()) {
        sendError(res, new BrokerError('NOT_ACTIVE', `this broker is ${this.opts.role()}`));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(this.opts.metrics());
      return;
    }
    try {
      const found = this.router.match(method, url.pathname);
      if (!found) throw new BrokerError('NOT_FOUND', `no route ${method} ${url.pathname}`);
      if ('allowed' in found) {
        res.setHeader('allow', found.allowed.join(', '));
        send(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: `${method} not allowed; use ${found.allowed.join(', ')}` } });
        return;
      }
      const principal = await this.authenticate(req);
      if (!this.opts.security.isAdmin(principal)) throw new BrokerError('FORBIDDEN', `user "${principal.name}" is not an administrator`);
      const body = await readJson(req, this.opts.maxBodyBytes);
      const result = await found.handler({ req, params: found.params, query: url.searchParams, principal, body });
      const r = (result ?? {}) as RouteResult;
      const isResult = typeof result === 'object' && result !== null && ('status' in result || 'body' in result);
      send(res, isResult ? r.status ?? 200 : 200, isResult ? r.body : result);
    } catch (err) {
      if (!isBrokerError(err)) throw err;
      if (err.status >= 500) this.logger.warn({ code: err.code, msg: err.message }, 'admin request refused');
      else this.logger.debug({ code: err.code, msg: err.message, path: url.pathname }, 'admin request rejected');
      if (err.code === 'UNAUTHENTICATED') res.setHeader('www-authenticate', 'Basic realm="interchange"');
      sendError(res, err);
    }
  }

  private authenticate(req: http.IncomingMessage) {
    const auth = req.headers.authorization;
    let username: string | null = null;
    let password: string | null = null;
    if (auth) {
      const m = /^Basic\s+(.+)$/i.exec(auth);
      if (!m) throw new BrokerError('UNAUTHENTICATED', 'only Basic authorization is supported');
      const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i < 0) throw new BrokerError('UNAUTHENTICATED', 'malformed Basic credentials');
      username = decoded.slice(0, i);
      password = decoded.slice(i + 1);
    }
    return this.opts.security.authenticate({ username, password, remoteAddress: req.socket.remoteAddress ?? null });
  }

  stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: http.ServerResponse, err: BrokerError): void {
  send(res, err.status, { error: { code: err.code, message: err.message } });
}

async function readJson(req: http.IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BrokerError('MESSAGE_TOO_LARGE', `request body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BrokerError('INVALID_JSON', (err as Error).message, { cause: err });
  }
}
