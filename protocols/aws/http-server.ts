/**
 * The HTTP side shared by every AWS API front-end: a node:http server fed the sockets the
 * listener hands over (`emit('connection')`), request bodies read up to a limit, the API that
 * takes the request picked (SQS by `X-Amz-Target: AmazonSQS.*`; SNS and Kinesis will add
 * theirs), the caller authenticated (authenticate.ts), and the answer written. Long polls end
 * when their client goes away (the call's AbortSignal) or the server closes.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Principal } from '../../src/security/security-manager.js';
import type { Logger } from '../../src/log.js';
import type { AwsAuthenticator } from './authenticate.js';
import { AwsError, COMMON_ERRORS } from './errors.js';
import type { HttpAnswer } from './http-answer.js';

export interface AwsRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** `http(s)://HOST:PORT` as the client addressed us. */
  baseUrl: string;
  remoteAddress: string;
}

/** One AWS API (SQS, SNS, Kinesis) as the HTTP server sees it. */
export interface AwsApi {
  readonly name: string;
  accepts(req: AwsRequest): boolean;
  serve(req: AwsRequest, principal: Principal, signal: AbortSignal, requestId: string): Promise<HttpAnswer>;
  /** An error (authentication, body too large) in this API's own shape. */
  errorAnswer(err: AwsError, req: AwsRequest, requestId: string): HttpAnswer;
  close(): void;
}

export interface AwsHttpServerOptions {
  apis: readonly AwsApi[];
  authenticator: AwsAuthenticator;
  maxBodyBytes: number;
  logger: Logger;
}

function plainJsonError(err: AwsError, requestId: string): HttpAnswer {
  return {
    status: err.status,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId, 'x-amzn-errortype': err.code },
    body: Buffer.from(JSON.stringify({ __type: `${err.namespace ?? 'com.amazon.coral.service'}#${err.code}`, message: err.message })),
  };
}

export class AwsHttpServer {
  private readonly server: http.Server;
  private readonly inflight = new Set<AbortController>();
  private closing = false;

  constructor(private readonly opts: AwsHttpServerOptions) {
    this.server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => this.onRequest(req, res));
    this.server.on('clientError', (err, socket) => {
      opts.logger.debug({ err: err.message }, 'malformed HTTP request');
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  /** Take over a connection accepted by the listener (plain or TLS). */
  accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.server.emit('connection', socket);
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const requestId = randomUUID();
    const ac = new AbortController();
    this.inflight.add(ac);
    res.on('close', () => {
      this.inflight.delete(ac);
      if (!res.writableFinished) ac.abort();
    });
    this.readBody(req)
      .then((body) => this.handle(req, body, ac.signal, requestId))
      .catch((err: unknown) => {
        if (err instanceof AwsError) return plainJsonError(err, requestId);
        this.opts.logger.error({ err }, 'AWS API request failed');
        return plainJsonError(new AwsError(COMMON_ERRORS.internalFailure, 'We encountered an internal error. Please try again.'), requestId);
      })
      .then((answer) => {
        if (res.destroyed) return;
        res.writeHead(answer.status, { ...answer.headers, 'content-length': String(answer.body.length) });
        res.end(answer.body);
      })
      .catch((err: unknown) => this.opts.logger.error({ err }, 'writing an AWS API response failed'));
  }

  private readBody(req: http.IncomingMessage): Promise<Buffer> {
    const limit = this.opts.maxBodyBytes;
    return new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > limit) {
        req.resume();
        reject(new AwsError(COMMON_ERRORS.requestTooLarge, `The request body of ${declared} bytes is over the limit of ${limit} bytes.`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          req.destroy();
          reject(new AwsError(COMMON_ERRORS.requestTooLarge, `The request body is over the limit of ${limit} bytes.`));
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });
  }

  private async handle(raw: http.IncomingMessage, body: Buffer, signal: AbortSignal, requestId: string): Promise<HttpAnswer> {
    const socket = raw.socket as Socket & Partial<Pick<TLSSocket, 'encrypted'>>;
    const req: AwsRequest = {
      method: raw.method ?? 'GET',
      url: raw.url ?? '/',
      headers: raw.headers,
      body,
      baseUrl: `${socket.encrypted ? 'https' : 'http'}://${raw.headers.host ?? `${socket.localAddress ?? '127.0.0.1'}:${socket.localPort ?? 0}`}`,
      remoteAddress: socket.remoteAddress ?? '',
    };
    const api = this.opts.apis.find((a) => a.accepts(req));
    if (!api) {
      return plainJsonError(new AwsError(COMMON_ERRORS.unknownOperation, `No AWS API here serves ${req.method} ${req.url.split('?')[0]} with X-Amz-Target "${String(req.headers['x-amz-target'] ?? '')}".`), requestId);
    }
    let principal: Principal;
    try {
      principal = await this.opts.authenticator.authenticate(req, req.remoteAddress);
    } catch (err) {
      if (!(err instanceof AwsError)) throw err;
      this.opts.logger.warn({ api: api.name, code: err.queryCode, remote: req.remoteAddress, reason: err.message }, 'AWS API request not authenticated');
      return api.errorAnswer(err, req, requestId);
    }
    return api.serve(req, principal, signal, requestId);
  }

  close(): void {
    this.closing = true;
    for (const ac of this.inflight) ac.abort();
    this.server.closeAllConnections();
    for (const api of this.opts.apis) api.close();
  }
}
