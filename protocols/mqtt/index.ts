/**
 * MQTT 3.1 / 3.1.1 front-end: aedes for the protocol (packets, keepalive, QoS handshakes,
 * takeover), with its persistence and its message bus replaced by the Interchange core
 * (persistence.ts, core-mq.ts). See docs/protocol-mapping.md (## MQTT) for the mapping.
 *
 * Acknowledgement rule: a PUBLISH reaches the core in aedes' authorizePublish hook, which aedes
 * calls before it writes PUBACK / PUBREC; the hook returns only once Broker.publish resolved
 * (durable copies committed), so a QoS 1/2 acknowledgement means "on disk" wherever a durable
 * destination (queue subscription, persistent session, retained) took the message
 * (inbound-publish.ts). Options and their defaults: mqtt-options.ts.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, type WebSocket } from 'ws';
import { Aedes } from 'aedes';
import { BrokerError } from '../../src/core/errors.js';
import { validateName } from '../../src/core/names.js';
import { createSession, type ServerSession } from '../../src/core/session/index.js';
import type { Logger } from '../../src/log.js';
import type {
  ConnectionInfo, ProtocolFactory, ProtocolModule, ServerContext,
} from '../../src/server/protocol-module.js';
import type { ProtocolListener } from '../../src/server/listener-family.js';
import type { AedesBroker, AedesClient, AedesPacket, AedesSubscription } from './aedes-types.js';
import { CoreMq, type ClientState } from './core-mq.js';
import { FrameGuard } from './frame-guard.js';
import { authError, connackForAuthFailure, errorOf } from './hook-errors.js';
import { InboundPublishes } from './inbound-publish.js';
import { mqttListener } from './listener.js';
import {
  AEDES_MAX_TOPIC_LEVELS, type MqttOptions, resolveMqttOptions, type ResolvedMqttOptions, topicLevelsClamped,
} from './mqtt-options.js';
import { CorePersistence, sessionQueueName } from './persistence.js';
import { filterToCorePatterns, isSysTopic, parseShared, topicToCore, validateFilter } from './topic-names.js';

export type { MqttOptions } from './mqtt-options.js';

interface ConnectInfo {
  clientId?: string;
  clean?: boolean;
  will?: AedesPacket;
}

export class MqttFrontEnd implements ProtocolModule {
  readonly listener: ProtocolListener = mqttListener;
  readonly name = mqttListener.protocol;
  private aedes!: AedesBroker;
  private closing = false;
  private closed: Promise<void> | undefined;
  private readonly logger: Logger;
  private readonly persistence: CorePersistence;
  private readonly mq: CoreMq;
  private readonly publishes: InboundPublishes;
  /** Largest packet accepted (ProtocolModule.maxFrameBytes: the WebSocket listener allows messages this big). */
  readonly maxFrameBytes: number;
  private connectionCounter = 0;

  private constructor(private readonly ctx: ServerContext, opts: ResolvedMqttOptions) {
    this.logger = ctx.logger.child({ protocol: 'mqtt' });
    this.maxFrameBytes = opts.maxPacketBytes;
    this.persistence = new CorePersistence(ctx.broker, this.logger, {
      allowedPatterns: (client, filter) => this.mq.stateOf(client as AedesClient)?.allowed.get(filter),
    });
    this.mq = new CoreMq(ctx.broker, this.persistence, this.logger, opts.delivery);
    this.publishes = new InboundPublishes(ctx, this.mq, this.persistence, this.logger, opts.maxInflightInbound, () => this.closing);
  }

  static async start(ctx: ServerContext, options: MqttOptions = {}): Promise<MqttFrontEnd> {
    const opts = resolveMqttOptions(options, ctx.config.limits);
    const fe = new MqttFrontEnd(ctx, opts);
    const maxTopicLevels = opts.maxTopicLevels;
    if (topicLevelsClamped(opts)) {
      fe.logger.warn({ maxTopicLevels, effective: AEDES_MAX_TOPIC_LEVELS }, 'MQTT maxTopicLevels above aedes\' ceiling; clamped');
    }
    const aedes = (await Aedes.createBroker({
      persistence: fe.persistence,
      mq: fe.mq,
      concurrency: 1000,
      heartbeatInterval: opts.heartbeatIntervalMs,
      connectTimeout: opts.connectTimeoutMs,
      drainTimeout: opts.drainTimeoutMs,
      maxInflightInbound: opts.maxInflightInbound,
      maxTopicLevels: Math.min(maxTopicLevels, AEDES_MAX_TOPIC_LEVELS),
      maxClientsIdLength: 65_535,
      preConnect: (client, packet, cb) => fe.preConnect(client as unknown as AedesClient, packet as unknown as ConnectInfo, cb),
      authenticate: (client, username, password, cb) => fe.authenticate(client as unknown as AedesClient, username, password, cb as (err: Error | null, ok: boolean | null) => void),
      authorizePublish: (client, packet, cb) => fe.publishes.authorize(client as unknown as AedesClient | null, packet as unknown as AedesPacket, cb),
      authorizeSubscribe: (client, sub, cb) => fe.authorizeSubscribe(client as unknown as AedesClient, sub as unknown as AedesSubscription, cb as (err: Error | null, sub?: AedesSubscription | null) => void),
    })) as unknown as AedesBroker;
    fe.aedes = aedes;
    fe.mq.attach(aedes);
    fe.wireEvents();
    await fe.mq.removeOrphanGroups();
    fe.logger.info({ maxPacketBytes: fe.maxFrameBytes, aedes: aedes.id }, 'MQTT front-end ready');
    return fe;
  }

  private wireEvents(): void {
    const a = this.aedes;
    a.on('clientReady', (client: AedesClient) => {
      this.mq.clientReady(client);
      this.logger.debug({ clientId: client.id, clean: client.clean, remote: this.mq.stateOf(client)?.info.remoteAddress }, 'MQTT client connected');
    });
    a.on('clientDisconnect', (client: AedesClient) => {
      this.logger.debug({ clientId: client.id }, 'MQTT client disconnected');
    });
    a.on('clientError', (client: AedesClient, err: Error) => this.logClientError(client, err));
    a.on('connectionError', (client: AedesClient, err: Error) => this.logClientError(client, err));
    a.on('keepaliveTimeout', (client: AedesClient) => {
      this.logger.info({ clientId: client.id, remote: this.mq.stateOf(client)?.info.remoteAddress }, 'MQTT keepalive timeout; disconnecting');
    });
    a.on('error', (err: Error) => this.logger.error({ err }, 'aedes error'));
  }

  private logClientError(client: AedesClient, err: Error): void {
    const st = this.mq.stateOf(client);
    const fields = { clientId: client.id ?? undefined, remote: st?.info.remoteAddress, transport: st?.info.transport, err: err.message };
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNRESET' || code === 'EPIPE' || err.message === 'connection closed') this.logger.debug(fields, 'MQTT connection lost');
    else this.logger.warn(fields, 'MQTT client error; connection closed');
  }

  // ------------------------------------------------------------------ connections

  handleSocket(socket: Socket, info: ConnectionInfo): void {
    this.attach(socket, info);
  }

  handleWebSocket(ws: WebSocket, _subprotocol: string, info: ConnectionInfo): void {
    const duplex = createWebSocketStream(ws);
    // The stream only reports 'close' once destroyed; the socket's own close is the reliable signal.
    const client = this.attach(duplex, info);
    if (client) ws.once('close', () => this.mq.clientGone(client));
  }

  private attach(conn: Duplex, info: ConnectionInfo): AedesClient | undefined {
    if (this.closing) {
      conn.destroy();
      return undefined;
    }
    const client = this.aedes.handle(conn);
    const st = this.mq.register(client, info);
    this.guard(st);
    conn.once('close', () => this.mq.clientGone(client));
    return client;
  }

  /** Enforce the maximum packet size on the bytes aedes' parser receives. */
  private guard(st: ClientState): void {
    const client = st.client;
    const parser = client._parser;
    if (!parser || typeof parser.parse !== 'function') {
      this.logger.error('aedes client has no parser to guard; maximum packet size not enforced');
      return;
    }
    const guard = new FrameGuard(this.maxFrameBytes);
    const parse = parser.parse.bind(parser);
    parser.parse = (buf: Buffer) => {
      const problem = guard.check(buf);
      if (problem === null) return parse(buf);
      client.emit('error', new Error(problem));
      return 0;
    };
  }

  // ------------------------------------------------------------------ aedes hooks

  private preConnect(client: AedesClient, packet: ConnectInfo, cb: (err: Error | null, ok: boolean) => void): void {
    const st = this.mq.stateOf(client);
    if (this.closing || !st) {
      cb(new Error('server shutting down'), false);
      return;
    }
    st.connect = { emptyId: !packet.clientId, will: packet.will ?? null };
    if (packet.clean === false && !packet.clientId) st.connect.emptyId = true;
    cb(null, true);
  }

  private authenticate(client: AedesClient, username: string | undefined, password: Buffer | undefined, done: (err: Error | null, ok: boolean | null) => void): void {
    const st = this.mq.stateOf(client);
    if (!st) {
      done(authError(5, 'connection already closed'), null);
      return;
    }
    if (!client.clean) {
      if (st.connect?.emptyId) {
        this.logger.info({ remote: st.info.remoteAddress }, 'MQTT CONNECT refused: a persistent session (clean=false) needs a client id');
        done(authError(2, 'identifier rejected: clean=false needs a client id'), null);
        return;
      }
      try {
        validateName(sessionQueueName(client.id), 'session queue');
      } catch (err) {
        this.logger.info({ err, remote: st.info.remoteAddress }, 'MQTT CONNECT refused: client id unusable for a persistent session');
        done(authError(2, 'identifier rejected'), null);
        return;
      }
    }
    this.ctx.security.authenticate({ username: username ?? null, password: password?.toString('utf8') ?? null, remoteAddress: st.info.remoteAddress })
      .then((principal) => {
        if (st.gone) {
          done(authError(5, 'connection already closed'), null);
          return;
        }
        this.connectionCounter += 1;
        const session = createSession({
          broker: this.ctx.broker,
          security: this.ctx.security,
          principal,
          protocol: 'mqtt',
          connectionId: `mqtt-${this.connectionCounter}`,
          clientId: client.id,
          logger: this.logger,
        });
        const will = st.connect?.will;
        if (will) {
          const problem = this.willProblem(will, session);
          if (problem) {
            this.logger.info({ clientId: client.id, user: principal.name, topic: will.topic, problem }, 'MQTT CONNECT refused: will not allowed');
            void session.close();
            done(authError(5, `not authorized: ${problem}`), null);
            return;
          }
        }
        st.principal = principal;
        st.server = session;
        done(null, true);
      }, (err: unknown) => {
        const code = connackForAuthFailure(err, Boolean(username));
        this.logger.info(
          { clientId: client.id, user: username, remote: st.info.remoteAddress, returnCode: code, err: errorOf(err).message },
          'MQTT CONNECT refused: authentication failed',
        );
        done(authError(code, code === 4 ? 'bad user name or password' : code === 3 ? 'server unavailable' : 'not authorized'), null);
      });
  }

  private willProblem(will: AedesPacket, session: ServerSession): string | undefined {
    if (typeof will.topic !== 'string' || will.topic.length === 0 || /[+#]/.test(will.topic)) return 'invalid will topic';
    if (isSysTopic(will.topic)) return 'will topic in $SYS';
    let name: string;
    try {
      name = topicToCore(will.topic);
    } catch (err) {
      return errorOf(err).message;
    }
    if (!session.may('write', { kind: 'topic', name })) return `may not publish to ${name}`;
    return undefined;
  }

  private authorizeSubscribe(client: AedesClient, sub: AedesSubscription, cb: (err: Error | null, sub?: AedesSubscription | null) => void): void {
    const st = this.mq.stateOf(client);
    const session = st?.server;
    if (!st || !session || session.closed) {
      cb(null, null);
      return;
    }
    const filter = sub.topic;
    let patterns: string[];
    try {
      const shared = parseShared(filter);
      if (!shared) validateFilter(filter);
      patterns = filterToCorePatterns(shared ? shared.filter : filter);
    } catch (err) {
      this.logger.info({ clientId: client.id, filter, err: errorOf(err).message }, 'MQTT subscription refused: invalid filter');
      cb(null, null);
      return;
    }
    // The filter's own pattern decides; `a/#` also matches `a` itself, delivered only if the ACL allows that name.
    const main = patterns[patterns.length - 1]!;
    if (!session.may('read', { kind: 'topic', name: main })) {
      this.logger.info({ clientId: client.id, user: session.principal.name, filter, pattern: main }, 'MQTT subscription not authorized (SUBACK 0x80)');
      cb(null, null);
      return;
    }
    const allowed = patterns.filter((p) => p === main || session.may('read', { kind: 'topic', name: p }));
    this.mq.expect(st, filter, allowed);
    cb(null, sub);
  }

  // ------------------------------------------------------------------ shutdown

  close(): Promise<void> {
    this.closed ??= this.doClose();
    return this.closed;
  }

  private async doClose(): Promise<void> {
    this.closing = true;
    this.persistence.keepWills = true;
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    await this.publishes.settled();
    await Promise.all([this.mq.settled(), this.persistence.settled()]);
    this.logger.info('MQTT front-end closed');
  }
}

/** The MQTT front-end with options (tests, embedding). */
export function createMqttProtocol(options: MqttOptions = {}): ProtocolFactory {
  return (ctx) => MqttFrontEnd.start(ctx, options);
}

/** The MQTT front-end with default options (what the server registers). */
export const mqttProtocol: ProtocolFactory = createMqttProtocol();

export { BrokerError };
