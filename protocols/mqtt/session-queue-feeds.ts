/**
 * The durable feeds of persistent sessions' core queues: every QoS 1/2 filter of a persistent
 * session has a durable core queue subscription into the session queue `mqtt.session.<client id>`
 * (see sessionQueueName), so messages published on ANY protocol while the client is away are
 * queued durably, visible in the admin API, and survive restarts.
 */
import type { Broker } from '../../src/core/broker.js';
import type { Logger } from '../../src/log.js';
import type { AedesSubscription, ClientLike } from './aedes-types.js';
import { encodeSingleLevel, isSysTopic, SHARE_PREFIX } from './topic-names.js';

export const SESSION_QUEUE_PREFIX = 'mqtt.session.';

/** Core queue holding a persistent session's QoS 1/2 messages. */
export function sessionQueueName(clientId: string): string {
  return SESSION_QUEUE_PREFIX + encodeSingleLevel(clientId, false, true);
}

/** A filter whose durable queue subscriptions must follow its QoS (none when qos is 0). */
export interface FeedChange {
  filter: string;
  qos: number;
  patterns: string[];
}

export class SessionQueueFeeds {
  /** clientId → filters that have durable queue subscriptions into the session queue. */
  private readonly durable = new Map<string, Map<string, boolean>>();
  /** Serialises durable-subscription changes per session queue. */
  private readonly sessionOps = new Map<string, Promise<unknown>>();

  constructor(
    private readonly core: Broker,
    private readonly logger: Logger,
  ) {}

  /** Learn the existing feeds from the core's queue subscriptions (at start). */
  load(): void {
    for (const sub of this.core.listSubscriptions()) {
      if ('live' in sub) continue;
      const a = sub.attributes;
      if (a.createdBy === 'mqtt' && typeof a.clientId === 'string' && typeof a.filter === 'string' && sub.queue === sessionQueueName(a.clientId)) {
        this.setDurable(a.clientId, a.filter, true);
      }
    }
  }

  /**
   * aedes calls addSubscriptions once per accepted filter of a SUBSCRIBE, each time with the
   * packet's whole list (refused filters included): the changes for the filters the front-end
   * authorized so far.
   */
  changesForAdd(client: ClientLike, subs: AedesSubscription[], allowedPatterns: (client: ClientLike, filter: string) => string[] | undefined): FeedChange[] {
    const durable: FeedChange[] = [];
    for (const sub of subs) {
      let patterns: string[] | undefined;
      try {
        patterns = allowedPatterns(client, sub.topic);
      } catch (err) {
        this.logger.warn({ err, clientId: client.id, filter: sub.topic }, 'MQTT session filter cannot be mapped to the core; not queued');
      }
      if (!patterns) continue;
      if (this.setDurable(client.id, sub.topic, sub.qos > 0)) durable.push({ filter: sub.topic, qos: sub.qos, patterns });
    }
    return durable;
  }

  /** The changes for filters removed from a session. */
  changesForRemove(clientId: string, topics: string[]): FeedChange[] {
    const removed: FeedChange[] = [];
    for (const topic of topics) if (this.setDurable(clientId, topic, false)) removed.push({ filter: topic, qos: 0, patterns: [] });
    return removed;
  }

  /** Record whether a session filter should feed the session queue; true if that changed. */
  private setDurable(clientId: string, filter: string, on: boolean): boolean {
    let m = this.durable.get(clientId);
    if ((m?.get(filter) ?? false) === on) return false;
    if (!m) this.durable.set(clientId, (m = new Map()));
    if (on) m.set(filter, true);
    else m.delete(filter);
    if (m.size === 0) this.durable.delete(clientId);
    return true;
  }

  /** The session is discarded: forget its feeds (the queue and its subscriptions are deleted by discardQueue). */
  forget(clientId: string): void {
    this.durable.delete(clientId);
  }

  /** Delete the session queue (clean session), after the changes under way. */
  discardQueue(clientId: string): Promise<void> {
    return this.serialise(clientId, async () => {
      const queue = sessionQueueName(clientId);
      if (this.core.getQueue(queue)) {
        await this.core.deleteQueue(queue);
        this.logger.info({ clientId, queue }, 'MQTT persistent session discarded (clean session)');
      }
    });
  }

  /** Wait for session-queue changes under way (shutdown). */
  async settled(): Promise<void> {
    while (this.sessionOps.size > 0) await Promise.all([...this.sessionOps.values()]);
  }

  private serialise<T>(clientId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.sessionOps.get(clientId) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(() => undefined, () => undefined);
    this.sessionOps.set(clientId, tail);
    void tail.then(() => {
      if (this.sessionOps.get(clientId) === tail) this.sessionOps.delete(clientId);
    });
    return run;
  }

  /**
   * Make the session queue's durable subscriptions follow the filters' QoS: QoS 1/2 → one queue
   * subscription per allowed core pattern; QoS 0 or unsubscribed → none (removed by filter).
   */
  sync(clientId: string, changes: FeedChange[]): Promise<void> {
    const work = changes.filter((c) => !c.filter.startsWith(SHARE_PREFIX) && !isSysTopic(c.filter));
    if (work.length === 0) return Promise.resolve();
    return this.serialise(clientId, async () => {
      const queue = sessionQueueName(clientId);
      for (const { filter, qos, patterns } of work) {
        if (qos > 0) {
          for (const pattern of patterns) {
            await this.core.subscribeQueue({
              id: `mqtt-session:${queue}:${pattern}`, pattern, queue, attributes: { createdBy: 'mqtt', clientId, filter },
            });
          }
        } else {
          for (const s of this.core.listSubscriptions({ queue })) {
            if (!('live' in s) && s.attributes.filter === filter) await this.core.unsubscribe(s.id);
          }
        }
      }
    });
  }
}
