/**
 * The AWS API front-end as a ProtocolModule: SQS (JSON protocol) on the `aws` listener pair
 * (9324 plain, 9325 TLS; listener.ts). Every socket the listener accepts goes to one node:http
 * server (http-server.ts); no WebSocket.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { ConnectionInfo, ProtocolFactory, ProtocolModule, ServerContext } from '../../src/server/protocol-module.js';
import type { ProtocolListener } from '../../src/server/listener-family.js';
import { AwsAuthenticator } from './authenticate.js';
import { AwsHttpServer } from './http-server.js';
import { awsListener } from './listener.js';
import { SqsApi } from './sqs/sqs-api.js';
import { SqsService } from './sqs/sqs-service.js';

/** Request bodies up to this much over the broker's message limit (JSON, base64 attributes, batches). */
const BODY_ALLOWANCE_BYTES = 65_536;

export class AwsModule implements ProtocolModule {
  readonly listener: ProtocolListener = awsListener;
  readonly name = awsListener.protocol;

  private constructor(private readonly ctx: ServerContext, private readonly http: AwsHttpServer) {}

  static async create(ctx: ServerContext): Promise<AwsModule> {
    const logger = ctx.logger.child({ component: 'aws' });
    const sqs = await SqsService.open({
      broker: ctx.broker,
      security: ctx.security,
      location: { region: ctx.config.aws.region, accountId: ctx.config.aws.accountId },
      logger: logger.child({ api: 'sqs' }),
    });
    const http = new AwsHttpServer({
      apis: [new SqsApi(sqs)],
      authenticator: new AwsAuthenticator(ctx.config, ctx.security),
      // A batch of 10 full-size messages, base64 attributes and JSON escaping fit in twice the limit.
      maxBodyBytes: ctx.config.limits.maxMessageBytes * 2 + BODY_ALLOWANCE_BYTES,
      logger,
    });
    return new AwsModule(ctx, http);
  }

  handleSocket(socket: Socket, info: ConnectionInfo): void {
    this.ctx.logger.trace({ remote: `${info.remoteAddress}:${info.remotePort}`, transport: info.transport }, 'AWS API connection');
    this.http.accept(socket);
  }

  handleWebSocket(ws: WebSocket): void {
    ws.close(1002, 'the AWS APIs are served over HTTP, not WebSocket');
  }

  async close(): Promise<void> {
    this.http.close();
  }
}

export const awsProtocol: ProtocolFactory = (ctx) => AwsModule.create(ctx);
