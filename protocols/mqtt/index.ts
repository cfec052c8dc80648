/**
 * MQTT 3.1 / 3.1.1 front-end: aedes for the protocol (packets, keepalive, QoS handshakes,
 * takeover), with its persistence and its message bus replaced by the Interchange core
 * (persistence.ts, core-mq.ts). See docs/protocol-mapping.md (## MQTT) for the mapping.
 *
 * Acknowledgement rule: a PUBLISH reaches the core in aedes' authorizePublish hook, which aedes
 * calls before it writes PUBACK / PUBREC; the hook returns only once Broker.publish resolved
 * (durable copies committed), so a QoS 1/2 acknowledgement means "on disk" wherever a durable
 * destination (queue subscription, persistent session, retained) took the message.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, type WebSocket } from 'ws';
import { Aedes } from 'aedes';
import { BrokerError, isBrokerError } from '../../src/core/errors.js';
import { validateName } from '../../src/core/names.js';
import type { Logger } from '../../src/log.js';
import type {
  ConnectionInfo, ProtocolFactory, ProtocolModule, ServerContext,
} from '../../src/server/protocol-module.js';
import type { AedesBroker, AedesClient, AedesPacket, AedesSubscription } from './aedes-types.js';
import { CoreMq, type ClientState } from './core-mq.js';
import { FrameGuard } from './frame-guard.js';
import { toCoreMessage } from './message-mapping.js';
import { CorePersistence, isStoreFailure, markRouted, sessionQueueName } from './persistence.js';
import { filterToCorePatterns, isSysTopic, parseShared, topicToCore, validateFilter } from './topic-names.js';

export interface MqttOptions {
  /** Largest MQTT packet accepted (bytes, fixed header included). Default: config.limits.maxFrameBytes. */
  maxPacketBytes?: number;
  /** Most topic levels in a name or filter. Default 100 (aedes' ceiling; higher values are clamped). */
  maxTopicLevels?: number;
  /** QoS 1/2 messages from a queue (persistent session, shared group) in flight per consumer. Default 500. */
  maxInflight?: number;
  /** Inbound QoS 2 messages awaiting PUBREL per client. Default 1000. */
  maxInflightInbound?: number;
  /** Live messages waiting to be written to one client before it counts as slow (messages are then dropped). Default 10 000. */
  maxQueuedPerClient?: number;
  /** Bytes buffered for one client's socket before it counts as slow. Default 8 MiB. */
  maxBufferedBytes?: number;
  /** A client whose socket does not drain for this long is disconnected. Default 60 000 (0 = never). */
  drainTimeoutMs?: number;
  /** Time allowed between accepting a connection and its CONNECT. Default 30 000. */
  connectTimeoutMs?: number;
  /** aedes `$SYS` heartbeat; wills left by a previous process are published after 4 intervals. Default 60 000. */
  heartbeatIntervalMs?: number;
}

const AEDES_MAX_TOPIC_LEVELS = 100;

type Callback = (err?: Error | null) => void;

interface ConnectInfo {
  clientId?: string;
  clean?: boolean;
  will?: AedesPacket;
}

function authError(returnCode: 2 | 4 | 5, message: string): Error & { returnCode: number } {
  return Object.assign(new Error(message), { returnCode });
}

function errorOf(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

export class MqttFrontEnd implements ProtocolModule {
  readonly name = 'mqtt';
  readonly listener = 'mqtt' as const;
  readonly wsSubprotocols = ['mqtt', 'mqttv3.1'] as const;
  private aedes!: AedesBroker;
  private closing = false;
  private closed: Promise<void> | undefined;
  private readonly logger: Logger;
  private readonly persistence: CorePersistence;
  private readonly mq: CoreMq;
  private readonly maxPacketBytes: number;
  private readonly maxInflightInbound: number;
  /** QoS 2 PUBLISHes being published (key: client id + packet id): a duplicate waits for the first. */
  private readonly qos2InFlight = new Map<string, Promise<void>>();

  private constructor(private readonly ctx: ServerContext, opts: MqttOptions) {
    this.logger = ctx.logger.child({ protocol: 'mqtt' });
    this.maxPacketBytes = opts.maxPacketBytes ?? ctx.config.limits.maxFrameBytes;
    this.maxInflightInbound = opts.maxInflightInbound ?? 1000;
    this.persistence = new CorePersistence(ctx.broker, this.logger, {
      allowedPatterns: (client, filter) => this.mq.stateOf(client as AedesClient)?.allowed.get(filter),
    });
    this.mq = new CoreMq(ctx.broker, this.persistence, this.logger, {
      maxInflight: opts.maxInflight ?? 500,
      maxQueuedPerClient: opts.maxQueuedPerClient ?? 10_000,
      maxBufferedBytes: opts.maxBufferedBytes ?? 8 * 1024 * 1024,
    });
  }

  static async start(ctx: ServerContext, opts: MqttOptions = {}): Promise<MqttFrontEnd> {
    const fe = new MqttFrontEnd(ctx, opts);
    const maxTopicLevels = opts.maxTopicLevels ?? AEDES_MAX_TOPIC_LEVELS;
    if (maxTopicLevels > AEDES_MAX_TOPIC_LEVELS) {
      fe.logger.warn({ maxTopicLevels, effective: AEDES_MAX_TOPIC_LEVELS }, 'MQTT maxTopicLevels above aedes\' ceiling; clamped');
    }
    const aedes = (await Aedes.createBroker({
      persistence: fe.persistence,
      mq: fe.mq,
      concurrency: 1000,
      heartbeatInterval: opts.heartbeatIntervalMs ?? 60_000,
      connectTimeout: opts.connectTimeoutMs ?? 30_000,
      drainTimeout: opts.drainTimeoutMs ?? 60_000,
      maxInflightInbound: fe.maxInflightInbound,
      maxTopicLevels: Math.min(maxTopicLevels, AEDES_MAX_TOPIC_LEVELS),
      maxClientsIdLength: 65_535,
      preConnect: (client, packet, cb) => fe.preConnect(client as unknown as AedesClient, packet as unknown as ConnectInfo, cb),
      authenticate: (client, username, password, cb) => fe.authenticate(client as unknown as AedesClient, username, password, cb as (err: Error | null, ok: boolean | null) => void),
      authorizePublish: (client, packet, cb) => fe.authorizePublish(client as unknown as AedesClient | null, packet as unknown as AedesPacket, cb),
      authorizeSubscribe: (client, sub, cb) => fe.authorizeSubscribe(client as unknown as AedesClient, sub as unknown as AedesSubscription, cb as (err: Error | null, sub?: AedesSubscription | null) => void),
    })) as unknown as AedesBroker;
    fe.aedes = aedes;
    fe.mq.attach(aedes);
    fe.wireEvents();
    await fe.mq.removeOrphanGroups();
    fe.logger.info({ maxPacketBytes: fe.maxPacketBytes, aedes: aedes.id }, 'MQTT front-end ready');
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
    const guard = new FrameGuard(this.maxPacketBytes);
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
        const will = st.connect?.will;
        if (will) {
          const problem = this.willProblem(will, principal);
          if (problem) {
            this.logger.info({ clientId: client.id, user: principal.name, topic: will.topic, problem }, 'MQTT CONNECT refused: will not allowed');
            done(authError(5, `not authorized: ${problem}`), null);
            return;
          }
        }
        st.principal = principal;
        done(null, true);
      }, (err: unknown) => {
        const code = username ? 4 : 5;
        this.logger.info(
          { clientId: client.id, user: username, remote: st.info.remoteAddress, returnCode: code, err: errorOf(err).message },
          'MQTT CONNECT refused: authentication failed',
        );
        done(authError(code, code === 4 ? 'bad user name or password' : 'not authorized'), null);
      });
  }

  private willProblem(will: AedesPacket, principal: NonNullable<ClientState['principal']>): string | undefined {
    if (typeof will.topic !== 'string' || will.topic.length === 0 || /[+#]/.test(will.topic)) return 'invalid will topic';
    if (isSysTopic(will.topic)) return 'will topic in $SYS';
    let name: string;
    try {
      name = topicToCore(will.topic);
    } catch (err) {
      return errorOf(err).message;
    }
    if (!this.ctx.security.authorize(principal, 'write', { kind: 'topic', name })) return `may not publish to ${name}`;
    return undefined;
  }

  private authorizePublish(client: AedesClient | null, packet: AedesPacket, cb: Callback): void {
    const st = client ? this.mq.stateOf(client) : undefined;
    const isWill = client === null || packet === client.will;
    if (this.closing && isWill) {
      // Graceful shutdown is not a client failure: keep the will for after the restart.
      cb(new Error('server shutting down; will kept'));
      return;
    }
    const topic = packet.topic;
    if (isSysTopic(topic) || topic.startsWith('$SYS/')) {
      this.logger.info({ clientId: client?.id, topic }, 'MQTT publish to $SYS dropped');
      markRouted(packet.payload);
      cb(null);
      return;
    }
    let name: string;
    try {
      name = topicToCore(topic);
    } catch (err) {
      this.logger.warn({ clientId: client?.id, topic, err: errorOf(err).message }, 'MQTT publish to an invalid topic; disconnecting');
      cb(errorOf(err));
      return;
    }
    const principal = st?.principal;
    if (!isWill && client) {
      if (!principal) {
        cb(new Error('not authenticated'));
        return;
      }
      if (!this.ctx.security.authorize(principal, 'write', { kind: 'topic', name })) {
        // MQTT 3.1.1 cannot refuse a PUBLISH: acknowledge it and drop the message.
        this.logger.info({ clientId: client.id, user: principal.name, topic: name }, 'MQTT publish not authorized; dropped');
        markRouted(packet.payload);
        cb(null);
        return;
      }
    }
    let key: string | undefined;
    if (packet.qos === 2 && client && !isWill && packet.messageId !== undefined) {
      key = `${packet.messageId}/${client.id}`;
      const first = this.qos2InFlight.get(key);
      if (first) {
        // A retransmission while the original is still being published: answer when it is done.
        first.then(() => { markRouted(packet.payload); cb(null); }, (err: unknown) => cb(errorOf(err)));
        return;
      }
      if (this.persistence.hasIncoming(client.id, packet.messageId)) {
        markRouted(packet.payload); // already published; aedes answers PUBREC again
        cb(null);
        return;
      }
      if (this.persistence.incomingCount(client.id) >= this.maxInflightInbound) {
        cb(new Error(`more than ${this.maxInflightInbound} inbound QoS 2 messages awaiting PUBREL`));
        return;
      }
    }
    const message = toCoreMessage(packet, principal && !principal.anonymous ? principal.name : undefined, Date.now());
    if (packet.qos === 0 && !packet.retain && message.body.length <= this.ctx.broker.maxMessageBytes) {
      // QoS 0: nothing to acknowledge and nothing written to disk; the core routes it now (live
      // subscribers are offered it synchronously), so aedes need not wait for the promise.
      this.ctx.broker.publish(name, message).catch((err: unknown) => {
        this.logger.warn({ clientId: client?.id, topic: name, err: errorOf(err).message }, 'MQTT QoS 0 publish not routed by the core; dropped');
      });
      markRouted(packet.payload);
      cb(null);
      return;
    }
    let work: Promise<unknown>;
    try {
      const published = this.ctx.broker.publish(name, message, packet.retain ? { retain: true } : {});
      // Issued in the same tick as the publish's own writes, so group commit puts the QoS 2
      // "seen" record into the same transaction whenever the message itself is written.
      work = key !== undefined ? Promise.all([published, this.persistence.markIncoming(client!.id, packet.messageId!)]) : published;
    } catch (err) {
      work = Promise.reject(err);
    }
    if (key === undefined) {
      work.then(() => {
        markRouted(packet.payload);
        cb(null);
      }, (err: unknown) => this.publishFailed(client, packet, name, err, cb));
      return;
    }
    const k = key;
    const done = work.then(() => {
      markRouted(packet.payload);
    });
    this.qos2InFlight.set(k, done);
    void done.then(() => this.qos2InFlight.delete(k), () => this.qos2InFlight.delete(k));
    done.then(() => cb(null), (err: unknown) => this.publishFailed(client, packet, name, err, cb));
  }

  private publishFailed(client: AedesClient | null, packet: AedesPacket, name: string, err: unknown, cb: Callback): void {
    const fields = { clientId: client?.id, topic: name, qos: packet.qos, err: errorOf(err).message };
    if (isBrokerError(err, 'AUTO_CREATE_DISABLED')) {
      this.logger.warn(fields, 'MQTT publish to a topic that does not exist (auto-create is off); dropped');
      markRouted(packet.payload);
      cb(null);
      return;
    }
    if (packet.qos === 2 && client && packet.messageId !== undefined) {
      // Not published: forget the "seen" id so a retransmission is published for real.
      this.persistence.incomingDelPacket(client, { messageId: packet.messageId }).catch((e: unknown) => {
        this.logger.debug({ err: e, clientId: client.id }, 'no QoS 2 inbound record to undo');
      });
    }
    if (isStoreFailure(err)) this.logger.error(fields, 'MQTT publish failed in the core; not acknowledged, disconnecting the client');
    else this.logger.warn(fields, 'MQTT publish refused by the core; disconnecting the client');
    cb(errorOf(err));
  }

  private authorizeSubscribe(client: AedesClient, sub: AedesSubscription, cb: (err: Error | null, sub?: AedesSubscription | null) => void): void {
    const st = this.mq.stateOf(client);
    const principal = st?.principal;
    if (!st || !principal) {
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
    if (!this.ctx.security.authorize(principal, 'read', { kind: 'topic', name: main })) {
      this.logger.info({ clientId: client.id, user: principal.name, filter, pattern: main }, 'MQTT subscription not authorized (SUBACK 0x80)');
      cb(null, null);
      return;
    }
    const allowed = patterns.filter((p) => p === main || this.ctx.security.authorize(principal, 'read', { kind: 'topic', name: p }));
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
    await Promise.allSettled([...this.qos2InFlight.values()]);
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
