/**
 * One AMQP 0-9-1 channel, with its own ServerSession (src/core/session): a channel has its own
 * delivery tags (the session's delivery ids, increasing from 1), qos, confirm mode and
 * transaction, and closing a channel is exactly closing a session (unacked deliveries go back to
 * their queues). Commands are handled one after another in arrival order; publishes hand their
 * message to the core synchronously and confirm later, so they pipeline.
 *
 * A soft error (channel exception) sends channel.close and ignores the channel's frames until
 * close-ok; a hard one is handed to the connection.
 */
import { createSession, type ServerSession } from '../../src/core/session/index.js';
import type { Delivery, SessionConsumer } from '../../src/core/session/index.js';
import type { Logger } from '../../src/log.js';
import { ContentAssembler, type Command } from './codec/content-assembler.js';
import type { BasicProperties } from './codec/content-header.js';
import type { Frame } from './codec/frame-parser.js';
import { contentFrames } from './codec/frame-writer.js';
import { decodeMethod, argNumber, argString, type MethodArgs } from './codec/method-codec.js';
import type { Amqp091Connection } from './connection.js';
import { AmqpError } from './errors.js';
import { toAmqp091Error } from './reply-codes.js';
import { FrameType } from './spec/constants.js';
import { methodByName } from './spec/method-table.js';
import { ConfirmTracker } from './confirms.js';
import { CHANNEL_HANDLERS } from './method-handlers.js';
import type { ConsumerEntry } from './basic-consume.js';

type State = 'open' | 'closing' | 'closed';

export class Channel {
  readonly session: ServerSession;
  readonly logger: Logger;
  private readonly assembler: ContentAssembler;
  private state: State = 'open';
  private tail: Promise<void> = Promise.resolve();
  /** Core name of the channel's direct reply-to queue, once it consumes amq.rabbitmq.reply-to. */
  directReplyQueue: string | undefined;
  /** Last queue declared on this channel: what an empty queue name means. */
  lastQueue: string | undefined;
  /** Unacked deliveries (client-ack consumers and gets) by delivery tag, in tag order. */
  readonly unacked = new Map<number, SessionConsumer>();
  readonly consumers = new Map<string, ConsumerEntry>();
  /** Cancelled consumers whose unacked deliveries are still outstanding. */
  readonly cancelledWithUnacked = new Set<ConsumerEntry>();
  /** basic.qos global=false: prefetch of consumers created from now on (0 = unlimited). */
  consumerPrefetch = 0;
  /** basic.qos global=true: unacked deliveries the whole channel may hold (0 = unlimited). */
  channelPrefetch = 0;
  confirms: ConfirmTracker | undefined;
  txId: string | undefined;
  private txCounter = 0;
  /** channel.flow active. */
  flowActive = true;
  private channelLimited = false;
  pendingPublishes = 0;
  private readingHeld = false;

  constructor(readonly id: number, readonly conn: Amqp091Connection) {
    this.logger = conn.logger.child({ channel: id });
    this.assembler = new ContentAssembler({
      maxBodyBytes: conn.deps.options.maxBodyBytes,
      accepts: (m) => Object.hasOwn(CHANNEL_HANDLERS, m.def.name),
    });
    this.session = createSession({
      broker: conn.ctx.broker,
      security: conn.ctx.security,
      principal: conn.principal!,
      protocol: 'amqp091',
      connectionId: `${conn.id}/${id}`,
      logger: this.logger,
    });
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  // ------------------------------------------------------------------ input

  onFrame(f: Frame): void {
    if (this.state !== 'open') {
      if (f.type !== FrameType.METHOD) return;
      let name: string;
      try {
        name = decodeMethod(f.payload).def.name;
      } catch {
        return;
      }
      if (name === 'channel.close-ok') this.finish();
      else if (name === 'channel.close') {
        this.conn.sendMethod(this.id, 'channel.close-ok');
        this.finish();
      }
      return;
    }
    let cmd: Command | undefined;
    try {
      cmd = this.assembler.push(f);
    } catch (err) {
      this.tail = this.tail.then(() => this.raise(err));
      return;
    }
    if (cmd) this.enqueue(cmd);
  }

  private enqueue(cmd: Command): void {
    const run = (): Promise<void> | void => {
      if (this.state !== 'open') return;
      const handler = CHANNEL_HANDLERS[cmd.method.def.name];
      if (!handler) {
        throw new AmqpError('COMMAND_INVALID', `'${cmd.method.def.name}' is not a method a client sends`, site(cmd));
      }
      return handler(this, cmd);
    };
    this.tail = this.tail.then(run).catch((err: unknown) => this.raise(err, cmd));
  }

  /** A failure while handling `cmd` (or of the channel): channel or connection exception. */
  raise(err: unknown, cmd?: Command): void {
    if (this.state !== 'open') return;
    const { error, internal } = toAmqp091Error(err, cmd ? site(cmd) : {});
    if (error.hard) {
      this.conn.fail(error);
      return;
    }
    if (internal) this.logger.error({ err }, 'AMQP 0-9-1 channel failed');
    else this.logger.info({ replyCode: error.replyCode, replyText: error.replyText }, 'AMQP 0-9-1 channel exception');
    this.conn.sendMethod(this.id, 'channel.close', {
      replyCode: error.replyCode, replyText: error.replyText, classId: error.classId, methodId: error.methodId,
    });
    this.state = 'closing';
    void this.dispose();
  }

  // ------------------------------------------------------------------ output

  send(name: string, args: Partial<MethodArgs> = {}): void {
    if (this.state !== 'open') return;
    this.conn.sendMethod(this.id, name, args);
  }

  sendContent(name: string, args: Partial<MethodArgs>, properties: BasicProperties, body: Buffer): void {
    if (this.state !== 'open') return;
    for (const b of contentFrames(this.id, methodByName(name), args, properties, body, this.conn.frameMax)) this.conn.write(b);
  }

  // ------------------------------------------------------------------ flow

  /**
   * channel.flow, the socket's back-pressure or the channel-wide prefetch changed: the channel's
   * session delivers only while the flow is active, the socket keeps up and the channel holds
   * fewer unacked deliveries than its global prefetch (pausing the session also holds consumers
   * created while it is paused).
   */
  flowChanged(): void {
    this.channelLimited = this.channelPrefetch > 0 && this.unacked.size >= this.channelPrefetch;
    if (this.flowActive && !this.conn.writeBackedUp && !this.channelLimited) this.session.resume();
    else this.session.pause();
  }

  /** A client-ack delivery was handed out. */
  tracked(d: Delivery): void {
    this.unacked.set(d.id, d.consumer);
    if (this.channelPrefetch > 0 && this.unacked.size >= this.channelPrefetch) this.flowChanged();
  }

  /** Deliveries were settled: release channel-wide prefetch and finish cancelled consumers. */
  settled(): void {
    if (this.channelLimited && this.unacked.size < this.channelPrefetch) this.flowChanged();
    for (const c of this.cancelledWithUnacked) {
      if ((c.consumer?.unsettled ?? 0) > 0) continue;
      this.cancelledWithUnacked.delete(c);
      c.finish();
    }
  }

  /** One more publish is in flight; past the limit, reading pauses until it is accepted. */
  publishStarted(): void {
    this.conn.deps.backlog.started();
    if (this.pendingPublishes === 0) this.conn.published();
    this.pendingPublishes += 1;
    if (!this.readingHeld && this.pendingPublishes >= this.conn.deps.options.maxPendingPublishes) {
      this.readingHeld = true;
      this.conn.pauseReading();
    }
  }

  publishDone(): void {
    this.conn.deps.backlog.done();
    this.pendingPublishes -= 1;
    if (this.readingHeld && this.pendingPublishes < this.conn.deps.options.maxPendingPublishes / 2) {
      this.readingHeld = false;
      this.conn.resumeReading();
    }
  }

  // ------------------------------------------------------------------ transactions

  beginTransaction(): void {
    this.txCounter += 1;
    this.txId = `tx-${this.txCounter}`;
    this.session.begin(this.txId);
  }

  confirmMode(): void {
    this.confirms ??= new ConfirmTracker(this);
  }

  // ------------------------------------------------------------------ close

  /** Run `fn` once the commands received so far have been handled. */
  afterCurrent(fn: () => void): void {
    this.tail = this.tail.then(fn);
  }

  /** Resolves once every command received so far has been handled. */
  idle(): Promise<void> {
    return this.tail;
  }

  /** Client-sent channel.close. */
  async closeByClient(cmd: Command): Promise<void> {
    this.logger.debug({ replyCode: argNumber(cmd.method, 'replyCode'), replyText: argString(cmd.method, 'replyText') }, 'client closed the channel');
    this.state = 'closing';
    await this.dispose();
    this.conn.sendMethod(this.id, 'channel.close-ok');
    this.finish();
  }

  private finish(): void {
    this.state = 'closed';
    this.conn.channelGone(this.id);
  }

  /** Release everything the channel holds: consumers (unacked back to their queues), transaction, session. */
  async dispose(): Promise<void> {
    if (this.state === 'open') this.state = 'closing';
    this.assembler.reset();
    if (this.readingHeld) {
      this.readingHeld = false;
      this.conn.resumeReading();
    }
    const entries = [...this.consumers.values(), ...this.cancelledWithUnacked];
    this.consumers.clear();
    this.cancelledWithUnacked.clear();
    this.unacked.clear();
    await this.session.close();
    for (const e of entries) e.finish();
  }
}

function site(cmd: Command): { classId: number; methodId: number } {
  return { classId: cmd.method.def.classId, methodId: cmd.method.def.methodId };
}
