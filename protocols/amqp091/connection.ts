/**
 * One AMQP 0-9-1 connection: protocol header, the channel-0 handshake and close, heartbeats both
 * ways, frame parsing, and the channels it multiplexes (channel.ts). A hard error (a connection
 * exception) sends connection.close with its reply code and waits for close-ok; a socket closed
 * by the peer, a missed heartbeat or a failed handshake just closes.
 */
import { randomBytes } from 'node:crypto';
import type { Principal } from '../../src/security/security-manager.js';
import type { ConnectionInfo, ServerContext } from '../../src/server/protocol-module.js';
import type { Logger } from '../../src/log.js';
import { Channel } from './channel.js';
import type { FieldTable } from './codec/field-table.js';
import { FrameParser, type Frame } from './codec/frame-parser.js';
import { HEARTBEAT_FRAME, methodFrame } from './codec/frame-writer.js';
import { decodeMethod, argNumber, argString, type DecodedMethod, type MethodArgs } from './codec/method-codec.js';
import { acceptOpen, acceptStartOk, acceptTuneOk, clientCapabilities, startArgs, tuneArgs, type Tuning } from './connection-handshake.js';
import { AmqpError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import type { BlockableConnection, PublishBacklog } from './publish-backlog.js';
import type { QueueOwnership } from './queue-ownership.js';
import { toAmqp091Error } from './reply-codes.js';
import { FRAME_MIN_SIZE, FrameType, PROTOCOL_HEADER } from './spec/constants.js';
import { methodByName } from './spec/method-table.js';
import type { Amqp091Transport } from './transport.js';

/** How long a client's connection.close waits for frames the client wrote just before it. */
const CLOSE_GRACE_MS = 20;

type State = 'header' | 'start-ok' | 'tune-ok' | 'open-wait' | 'open' | 'closing' | 'closed';

export interface ConnectionDeps {
  ctx: ServerContext;
  options: ResolvedOptions;
  ownership: QueueOwnership;
  backlog: PublishBacklog;
}

export class Amqp091Connection implements BlockableConnection {
  readonly id = `amqp091-${randomBytes(6).toString('hex')}`;
  readonly logger: Logger;
  readonly closed: Promise<void>;
  principal: Principal | undefined;
  capabilities: FieldTable = {};
  tuning: Tuning;
  private state: State = 'header';
  private header = Buffer.alloc(0);
  private readonly parser: FrameParser;
  private readonly channels = new Map<number, Channel>();
  private ch0: Promise<void> = Promise.resolve();
  private ch0Pending = 0;
  private lastReceived = Date.now();
  private lastSent = Date.now();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private resolveClosed!: () => void;
  private backedUp = false;
  private readingPaused = 0;

  constructor(readonly deps: ConnectionDeps, private readonly transport: Amqp091Transport, readonly info: ConnectionInfo) {
    this.logger = deps.ctx.logger.child({ protocol: 'amqp091', connection: this.id, remote: `${info.remoteAddress}:${info.remotePort}` });
    this.closed = new Promise((resolve) => { this.resolveClosed = resolve; });
    const o = deps.options;
    this.tuning = { channelMax: o.channelMax, frameMax: o.frameMax, heartbeat: o.heartbeatSeconds };
    this.parser = new FrameParser(Math.max(o.frameMax, FRAME_MIN_SIZE));
    transport.onData = (chunk) => this.onData(chunk);
    transport.onClose = () => void this.onTransportClosed();
    transport.onDrain = () => this.setBackedUp(false);
    this.handshakeTimer = setTimeout(() => {
      if (this.state !== 'open' && this.state !== 'closed') {
        this.logger.warn({ state: this.state }, 'AMQP 0-9-1 handshake not completed in time; closing');
        this.transport.destroy();
      }
    }, o.handshakeTimeoutMs);
    this.handshakeTimer.unref();
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get frameMax(): number {
    return this.tuning.frameMax;
  }

  get ctx(): ServerContext {
    return this.deps.ctx;
  }

  // ------------------------------------------------------------------ output

  write(bytes: Buffer): void {
    if (this.state === 'closed') return;
    this.lastSent = Date.now();
    this.transport.write(bytes);
    if (!this.backedUp && this.transport.backedUp) this.setBackedUp(true);
  }

  sendMethod(channel: number, name: string, args: Partial<MethodArgs> = {}): void {
    this.write(methodFrame(channel, methodByName(name), args));
  }

  private setBackedUp(v: boolean): void {
    if (this.backedUp === v) return;
    this.backedUp = v;
    for (const ch of this.channels.values()) ch.flowChanged();
  }

  /** The socket holds too much unflushed output: consumers stop delivering. */
  get writeBackedUp(): boolean {
    return this.backedUp;
  }

  /** A channel has too many publishes in flight: stop reading until it has fewer. */
  pauseReading(): void {
    this.readingPaused += 1;
    if (this.readingPaused === 1) this.transport.pause();
  }

  resumeReading(): void {
    this.readingPaused -= 1;
    if (this.readingPaused === 0) this.transport.resume();
  }

  private blockedReason: string | undefined;

  /** A channel published: the connection takes part in store-backlog blocking (publish-backlog.ts). */
  published(): void {
    this.deps.backlog.publisher(this);
  }

  setBlocked(reason: string | undefined): void {
    if (this.state !== 'open' || (reason === undefined) === (this.blockedReason === undefined)) return;
    this.blockedReason = reason;
    const announced = this.capabilities['connection.blocked'] === true;
    if (reason !== undefined) {
      if (announced) this.sendMethod(0, 'connection.blocked', { reason });
      this.logger.warn({ reason }, 'publishing connection blocked');
      this.pauseReading();
    } else {
      if (announced) this.sendMethod(0, 'connection.unblocked');
      this.logger.info('publishing connection unblocked');
      this.resumeReading();
    }
  }

  // ------------------------------------------------------------------ input

  private onData(chunk: Buffer): void {
    this.lastReceived = Date.now();
    if (this.state === 'closed') return;
    if (this.state === 'header') {
      this.header = Buffer.concat([this.header, chunk]);
      if (this.header.length < 8) return;
      const rest = this.header.subarray(8);
      if (!this.header.subarray(0, 8).equals(PROTOCOL_HEADER)) {
        this.logger.warn({ header: this.header.subarray(0, 8).toString('hex') }, 'unsupported protocol header; answering AMQP 0-9-1');
        this.state = 'closed';
        this.transport.write(PROTOCOL_HEADER);
        this.transport.end();
        return;
      }
      this.state = 'start-ok';
      this.sendMethod(0, 'connection.start', startArgs());
      if (rest.length === 0) return;
      chunk = rest;
    }
    let frames: Frame[];
    try {
      frames = this.parser.push(chunk);
    } catch (err) {
      this.fail(err, true);
      return;
    }
    for (const f of frames) {
      if (this.isClosed()) return;
      this.onFrame(f);
    }
  }

  private onFrame(f: Frame): void {
    if (f.type === FrameType.HEARTBEAT) return;
    if (this.state === 'closing') {
      if (f.channel === 0 && f.type === FrameType.METHOD) this.onClosingMethod(f.payload);
      return;
    }
    if (f.channel === 0) {
      if (f.type !== FrameType.METHOD) {
        this.fail(new AmqpError('UNEXPECTED_FRAME', `content frame (type ${f.type}) on channel 0`));
        return;
      }
      let m: DecodedMethod;
      try {
        m = decodeMethod(f.payload);
      } catch (err) {
        this.fail(err);
        return;
      }
      this.queued(() => this.onConnectionMethod(m));
      return;
    }
    // Frames pipelined behind the handshake (channel.open right after connection.open) wait for it.
    // Once open, channel frames go straight to their channel, also while a connection.close is
    // being handled: amqplib may put an ack written before close() behind the close on the wire.
    if (this.ch0Pending > 0 && this.state !== 'open') {
      this.queued(() => this.onChannelFrame(f));
      return;
    }
    this.onChannelFrame(f);
  }

  private queued(work: () => void | Promise<void>): void {
    this.ch0Pending += 1;
    this.ch0 = this.ch0.then(work).catch((err: unknown) => this.fail(err)).finally(() => { this.ch0Pending -= 1; });
  }

  private onChannelFrame(f: Frame): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    if (this.state !== 'open') {
      this.fail(new AmqpError('COMMAND_INVALID', `frame on channel ${f.channel} before the connection is open`));
      return;
    }
    const ch = this.channels.get(f.channel);
    if (ch) {
      ch.onFrame(f);
      return;
    }
    this.openChannel(f);
  }

  private openChannel(f: Frame): void {
    let m: DecodedMethod | undefined;
    try {
      m = f.type === FrameType.METHOD ? decodeMethod(f.payload) : undefined;
    } catch (err) {
      this.fail(err);
      return;
    }
    if (m?.def.name !== 'channel.open') {
      const what = m ? `'${m.def.name}'` : `a content frame`;
      this.fail(new AmqpError('CHANNEL_ERROR', `expected 'channel.open' on channel ${f.channel}, got ${what}`, m ? { classId: m.def.classId, methodId: m.def.methodId } : {}));
      return;
    }
    if (f.channel > this.tuning.channelMax) {
      this.fail(new AmqpError('CHANNEL_ERROR', `channel id ${f.channel} above the negotiated channel-max ${this.tuning.channelMax}`, { classId: 20, methodId: 10 }));
      return;
    }
    const ch = new Channel(f.channel, this);
    this.channels.set(f.channel, ch);
    this.sendMethod(f.channel, 'channel.open-ok');
  }

  /** Channel `id` finished closing (close-ok either way). */
  channelGone(id: number): void {
    this.channels.delete(id);
  }

  // ------------------------------------------------------------------ channel 0

  private async onConnectionMethod(m: DecodedMethod): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') return;
    const name = m.def.name;
    const expected: Partial<Record<State, string>> = { 'start-ok': 'connection.start-ok', 'tune-ok': 'connection.tune-ok', 'open-wait': 'connection.open' };
    const want = expected[this.state];
    if (want !== undefined && name !== want) {
      throw new AmqpError('COMMAND_INVALID', `expected '${want}', got '${name}'`, { classId: m.def.classId, methodId: m.def.methodId });
    }
    switch (name) {
      case 'connection.start-ok': {
        try {
          const r = await acceptStartOk(m, this.deps.ctx.security, this.info.remoteAddress);
          this.principal = r.principal;
          this.capabilities = clientCapabilities(r.clientProperties);
        } catch (err) {
          const authFailureClose = (err as { authFailureClose?: boolean }).authFailureClose === true;
          this.logger.warn({ err: (err as Error).message }, 'AMQP 0-9-1 authentication refused');
          if (authFailureClose) this.fail(err);
          else this.closeNow();
          return;
        }
        this.state = 'tune-ok';
        this.sendMethod(0, 'connection.tune', tuneArgs(this.tuning));
        return;
      }
      case 'connection.tune-ok': {
        this.tuning = acceptTuneOk(m, this.tuning);
        this.parser.frameMax = this.tuning.frameMax;
        this.state = 'open-wait';
        this.startHeartbeats();
        return;
      }
      case 'connection.open': {
        acceptOpen(m, this.principal!);
        this.state = 'open';
        if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
        this.sendMethod(0, 'connection.open-ok');
        this.logger.debug({ user: this.principal!.name }, 'AMQP 0-9-1 connection open');
        return;
      }
      case 'connection.close': {
        this.logger.debug({ replyCode: argNumber(m, 'replyCode'), replyText: argString(m, 'replyText') }, 'client closed the connection');
        // What the client sent before its close (an ack, a publish) is handled first. amqplib
        // may write an ack it was given before close() after the close, in a later packet: a
        // short grace lets such frames in before the channels go.
        await new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS));
        await Promise.all([...this.channels.values()].map((c) => c.idle()));
        await this.closeChannels();
        this.sendMethod(0, 'connection.close-ok');
        this.closeNow();
        return;
      }
      case 'connection.update-secret':
        // Secrets here are passwords, which do not expire: like RabbitMQ's internal backend, the
        // connection keeps its user and the new secret is accepted as is.
        this.logger.info({ reason: argString(m, 'reason') }, 'client updated its secret');
        this.sendMethod(0, 'connection.update-secret-ok');
        return;
      default:
        throw new AmqpError('COMMAND_INVALID', `unexpected '${name}' on channel 0`, { classId: m.def.classId, methodId: m.def.methodId });
    }
  }

  private onClosingMethod(payload: Buffer): void {
    let m: DecodedMethod;
    try {
      m = decodeMethod(payload);
    } catch {
      return;
    }
    if (m.def.name === 'connection.close-ok') this.closeNow();
    else if (m.def.name === 'connection.close') {
      this.sendMethod(0, 'connection.close-ok');
      this.closeNow();
    }
  }

  // ------------------------------------------------------------------ heartbeats

  private startHeartbeats(): void {
    const seconds = this.tuning.heartbeat;
    if (seconds <= 0) return;
    const ms = seconds * 1000;
    this.heartbeatTimer = setInterval(() => {
      const now = Date.now();
      if (now - this.lastReceived > 2 * ms) {
        this.logger.warn({ heartbeatSeconds: seconds }, 'missed heartbeats from the client; closing');
        this.closeNow();
        return;
      }
      if (now - this.lastSent >= ms / 2) this.write(HEARTBEAT_FRAME);
    }, ms / 2);
    this.heartbeatTimer.unref();
  }

  // ------------------------------------------------------------------ errors and close

  /** A connection exception (or an unexpected failure): connection.close with its reply code. */
  fail(err: unknown, parserBroken = false): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    const { error, internal } = toAmqp091Error(err);
    if (internal) this.logger.error({ err }, 'AMQP 0-9-1 connection failed');
    else this.logger.warn({ replyCode: error.replyCode, replyText: error.replyText }, 'AMQP 0-9-1 connection exception');
    const wasStarted = this.state !== 'header';
    this.state = 'closing';
    if (wasStarted) {
      this.sendMethod(0, 'connection.close', {
        replyCode: error.replyCode, replyText: error.replyText, classId: error.classId, methodId: error.methodId,
      });
    }
    void this.closeChannels();
    if (parserBroken) this.transport.pause();
    this.closeTimer = setTimeout(() => this.closeNow(), this.deps.options.closeTimeoutMs);
    this.closeTimer.unref();
  }

  /** Broker shutdown: connection.close 320 CONNECTION_FORCED, then close. */
  shutdown(): void {
    if (this.state !== 'open') {
      this.closeNow();
      return;
    }
    this.fail(new AmqpError('CONNECTION_FORCED', 'broker shutdown'));
  }

  private async closeChannels(): Promise<void> {
    const all = [...this.channels.values()];
    this.channels.clear();
    await Promise.all(all.map((c) => c.dispose()));
  }

  private closeNow(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.transport.end();
  }

  private async onTransportClosed(): Promise<void> {
    this.state = 'closed';
    this.deps.backlog.forget(this);
    for (const t of [this.heartbeatTimer, this.handshakeTimer, this.closeTimer]) if (t) clearTimeout(t);
    try {
      await this.closeChannels();
      await this.deleteExclusiveQueues();
    } catch (err) {
      this.logger.error({ err }, 'AMQP 0-9-1 connection cleanup failed');
    }
    this.resolveClosed();
  }

  private async deleteExclusiveQueues(): Promise<void> {
    const own = this.deps.ownership;
    for (const q of own.ownedBy(this.id)) {
      own.forget(q);
      await this.deps.ctx.broker.deleteQueue(q);
    }
  }
}
