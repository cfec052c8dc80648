/**
 * Inbound PUBLISH (and will) handling in aedes' authorizePublish hook: the message reaches the
 * core here (a client's PUBLISH through its ServerSession, which owns the authorization), before aedes writes PUBACK / PUBREC; the hook answers only once Broker.publish
 * resolved (durable copies committed). Inbound QoS 2 ids are recorded with the message so a
 * retransmission is not published twice.
 */
import type { Message } from '../../src/core/message.js';
import type { ServerSession } from '../../src/core/session/index.js';
import type { Logger } from '../../src/log.js';
import type { ServerContext } from '../../src/server/protocol-module.js';
import type { AedesClient, AedesPacket } from './aedes-types.js';
import type { CoreMq } from './core-mq.js';
import { errorOf, publishRefusal } from './hook-errors.js';
import { toCoreMessage } from './message-mapping.js';
import { type CorePersistence, isStoreFailure, markRouted } from './persistence.js';
import { isSysTopic, topicToCore } from './topic-names.js';

type Callback = (err?: Error | null) => void;

export class InboundPublishes {
  /** QoS 2 PUBLISHes being published (key: client id + packet id): a duplicate waits for the first. */
  private readonly qos2InFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly ctx: ServerContext,
    private readonly mq: CoreMq,
    private readonly persistence: CorePersistence,
    private readonly logger: Logger,
    private readonly maxInflightInbound: number,
    private readonly isClosing: () => boolean,
  ) {}

  /** Wait for QoS 2 publishes under way (shutdown). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.qos2InFlight.values()]);
  }

  /** aedes authorizePublish: publish to the core, then answer (see the file comment). */
  authorize(client: AedesClient | null, packet: AedesPacket, cb: Callback): void {
    const st = client ? this.mq.stateOf(client) : undefined;
    const isWill = client === null || packet === client.will;
    if (this.isClosing() && isWill) {
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
    // A client's own PUBLISH goes through its session (which authorizes it); a will was
    // authorized at CONNECT and is published by the core directly (its session is closed by then).
    const session = !isWill && client ? st?.server : undefined;
    if (!isWill && client) {
      if (!session || !principal) {
        cb(new Error('not authenticated'));
        return;
      }
      if (!session.may('write', { kind: 'topic', name })) {
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
      this.publish(session, name, message, false).catch((err: unknown) => {
        this.logger.warn({ clientId: client?.id, topic: name, err: errorOf(err).message }, 'MQTT QoS 0 publish not routed by the core; dropped');
      });
      markRouted(packet.payload);
      cb(null);
      return;
    }
    let work: Promise<unknown>;
    try {
      const published = this.publish(session, name, message, packet.retain === true);
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

  /**
   * Into the core: through the client's session (authorized above; the session checks again),
   * or, for a will, straight to the core. The core receives it synchronously either way.
   */
  private publish(session: ServerSession | undefined, name: string, message: Message, retain: boolean): Promise<unknown> {
    if (session) return session.send({ address: { kind: 'topic', name }, message, ...(retain ? { retain: true } : {}) });
    return this.ctx.broker.publish(name, message, retain ? { retain: true } : {});
  }

  private publishFailed(client: AedesClient | null, packet: AedesPacket, name: string, err: unknown, cb: Callback): void {
    const fields = { clientId: client?.id, topic: name, qos: packet.qos, err: errorOf(err).message };
    if (publishRefusal(err) === 'drop') {
      this.logger.warn(fields, 'MQTT publish refused by the core (e.g. auto-create is off); acknowledged and dropped');
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
}
