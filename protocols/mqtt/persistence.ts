/**
 * aedes persistence backed by the Interchange core (no aedes-persistence at runtime).
 *
 * Where each piece of MQTT state lives (one module each; this class is aedes' persistence
 * contract over them):
 *  - retained messages: the core's retained store (Broker.publish(..., { retain }) / Broker.retained)
 *    — retained-store.ts;
 *  - persistent sessions (clean=false): the subscription list in broker.state('mqtt.sessions')
 *    — session-subscriptions.ts; every QoS 1/2 filter also has a durable core queue subscription
 *    into the session queue `mqtt.session.<client id>` (see sessionQueueName), so messages
 *    published on ANY protocol while the client is away are queued durably, visible in the admin
 *    API, and survive restarts — session-queue-feeds.ts;
 *  - inbound QoS 2 packet ids awaiting PUBREL: broker.state('mqtt.incoming') — incoming-qos2.ts;
 *  - outbound QoS 2 deliveries awaiting PUBCOMP (PUBREL sent): broker.state('mqtt.pubrel'), and
 *    the queue deliveries in flight — outgoing-deliveries.ts;
 *  - wills: broker.state('mqtt.wills') — will-store.ts.
 *
 * Messages that went through the core already (every client PUBLISH and will: the front-end
 * publishes them to the core in authorizePublish, before aedes acknowledges) are marked with
 * markRouted() (routed-marks.ts); storeRetained / outgoingEnqueueCombi then skip them because the
 * core did that work (retained store, durable session queues). Packets that did not go through
 * the core (programmatic aedes.publish, the aedes-persistence conformance suite) get the classic
 * behaviour: storeRetained publishes a retained message to the core; outgoing packets are kept
 * in memory per client, as aedes' in-memory persistence does.
 */
import type { Readable } from 'node:stream';
import type { Broker } from '../../src/core/broker.js';
import { isBrokerError } from '../../src/core/errors.js';
import type { Logger } from '../../src/log.js';
import type { AedesPacket, AedesSubscription, ClientLike } from './aedes-types.js';
import { IncomingQos2 } from './incoming-qos2.js';
import { OutgoingDeliveries, type TrackedDelivery } from './outgoing-deliveries.js';
import { RetainedStore } from './retained-store.js';
import { SessionQueueFeeds } from './session-queue-feeds.js';
import { type IndexedSub, SessionSubscriptions } from './session-subscriptions.js';
import { filterToCorePatterns } from './topic-names.js';
import { WillStore } from './will-store.js';

export { isRouted, markRouted, unmarkRouted } from './routed-marks.js';
export { SESSION_QUEUE_PREFIX, sessionQueueName } from './session-queue-feeds.js';
export type { TrackedDelivery } from './outgoing-deliveries.js';

export interface PersistenceHooks {
  /**
   * The core patterns the front-end authorized for this client's filter, or undefined if it did
   * not authorize it (aedes stores a SUBSCRIBE's whole list, refused filters included).
   */
  allowedPatterns(client: ClientLike, filter: string): string[] | undefined;
}

export class CorePersistence {
  /** The aedes instance (only its id is used, read at call time as aedes-persistence does). */
  private aedes: { id: string } = { id: '' };
  private destroyed = false;
  private readonly retainedStore: RetainedStore;
  private readonly sessions: SessionSubscriptions;
  private readonly feeds: SessionQueueFeeds;
  private readonly outgoing: OutgoingDeliveries;
  private readonly incoming: IncomingQos2;
  private readonly wills: WillStore;

  constructor(
    private readonly core: Broker,
    private readonly logger: Logger,
    private readonly hooks: PersistenceHooks = { allowedPatterns: (_c, filter) => filterToCorePatterns(filter) },
  ) {
    this.retainedStore = new RetainedStore(core, logger);
    this.sessions = new SessionSubscriptions(logger);
    this.feeds = new SessionQueueFeeds(core, logger);
    this.outgoing = new OutgoingDeliveries(logger);
    this.incoming = new IncomingQos2(logger);
    this.wills = new WillStore(logger, () => this.aedes.id);
  }

  /** Wills are kept (not deleted) while the front-end shuts down, so they fire after a restart if the client never returns. */
  get keepWills(): boolean {
    return this.wills.keep;
  }

  set keepWills(keep: boolean) {
    this.wills.keep = keep;
  }

  /** The aedes broker this persistence serves (the conformance suite reads it). */
  get broker(): { id: string } {
    return this.aedes;
  }

  async setup(aedes: { id: string }): Promise<void> {
    this.aedes = aedes;
    const [sessionsState, incomingState, pubrelState, willsState] = await Promise.all([
      this.core.state('mqtt.sessions'),
      this.core.state('mqtt.incoming'),
      this.core.state('mqtt.pubrel'),
      this.core.state('mqtt.wills'),
    ]);
    this.sessions.load(sessionsState);
    this.feeds.load();
    this.incoming.load(incomingState);
    this.outgoing.loadPubrels(pubrelState);
    this.wills.load(willsState);
    this.logger.info(
      { sessions: this.sessions.size, incoming: this.incoming.stateSize, pubrel: this.outgoing.pubrelStateSize, wills: this.wills.size },
      'MQTT persistence loaded',
    );
  }

  // ------------------------------------------------------------------ retained

  storeRetained(packet: AedesPacket): Promise<void> {
    return this.retainedStore.store(packet);
  }

  createRetainedStreamCombi(patterns: string[]): Readable {
    return this.retainedStore.stream(patterns);
  }

  createRetainedStream(pattern: string): Readable {
    return this.createRetainedStreamCombi([pattern]);
  }

  // ------------------------------------------------------------------ session subscriptions

  async addSubscriptions(client: ClientLike, subs: AedesSubscription[]): Promise<void> {
    const changed = this.sessions.add(client.id, subs);
    const durable = this.feeds.changesForAdd(client, subs, (c, filter) => this.hooks.allowedPatterns(c, filter));
    if (!changed && durable.length === 0) return;
    await Promise.all([changed ? this.sessions.save(client.id) : undefined, this.feeds.sync(client.id, durable)]);
  }

  async removeSubscriptions(client: ClientLike, topics: string[]): Promise<void> {
    const removed = this.sessions.remove(client.id, topics);
    if (!removed) return;
    const changes = this.feeds.changesForRemove(client.id, removed);
    await Promise.all([this.sessions.save(client.id), this.feeds.sync(client.id, changes)]);
  }

  async subscriptionsByClient(client: ClientLike): Promise<AedesSubscription[]> {
    return this.sessions.byClient(client.id);
  }

  async countOffline(): Promise<{ subsCount: number; clientsCount: number }> {
    return this.sessions.countOffline();
  }

  async subscriptionsByTopic(topic: string): Promise<IndexedSub[]> {
    return this.sessions.byTopic(topic);
  }

  async cleanSubscriptions(client: ClientLike): Promise<void> {
    this.feeds.forget(client.id); // the queue and its subscriptions are deleted below
    const work = this.sessions.clean(client.id);
    work.push(...this.outgoing.cleanPubrels(client.id));
    work.push(this.feeds.discardQueue(client.id));
    await Promise.all(work);
  }

  getClientList(topic: string): Readable {
    return this.sessions.clientList(topic);
  }

  /** The session's highest QoS for an MQTT topic over its non-shared QoS 1/2 filters; undefined if none matches. */
  sessionQos(clientId: string, topic: string): 1 | 2 | undefined {
    return this.sessions.sessionQos(clientId, topic);
  }

  /** The session's QoS 1/2 non-shared filters (fallback topic for foreign messages without a recorded topic). */
  sessionFiltersOf(clientId: string): string[] {
    return this.sessions.sessionFiltersOf(clientId);
  }

  /** Filters of every stored session (shared-group reference counting). */
  sessionFilters(): Iterable<[string, string]> {
    return this.sessions.sessionFilters();
  }

  hasSession(clientId: string): boolean {
    return this.sessions.has(clientId);
  }

  /** Wait for session-queue changes under way (shutdown). */
  settled(): Promise<void> {
    return this.feeds.settled();
  }

  // ------------------------------------------------------------------ outgoing

  /** Register a delivery made from a core queue (called just before client.deliverQoS). */
  track(client: ClientLike, messageId: number, delivery: TrackedDelivery): void {
    this.outgoing.track(client, messageId, delivery);
  }

  isTracked(client: ClientLike, messageId: number): boolean {
    return this.outgoing.isTracked(client, messageId);
  }

  /** Forget the deliveries of one consumer (closed: its unacked messages went back to the queue). */
  untrack(client: ClientLike, owner: object): void {
    this.outgoing.untrack(client, owner);
  }

  async outgoingEnqueue(sub: { clientId: string }, packet: AedesPacket): Promise<void> {
    this.outgoingEnqueueCombi([sub], packet);
  }

  outgoingEnqueueCombi(subs: Array<{ clientId: string }>, packet: AedesPacket): Promise<void> {
    return this.outgoing.enqueueCombi(subs, packet);
  }

  outgoingUpdate(client: ClientLike, packet: AedesPacket): Promise<void> {
    return this.outgoing.update(client, packet);
  }

  outgoingClearMessageId(client: ClientLike, packet: { messageId?: number } | number): Promise<AedesPacket | undefined> {
    return this.outgoing.clearMessageId(client, packet);
  }

  outgoingStream(client: ClientLike): Readable {
    return this.outgoing.stream(client);
  }

  // ------------------------------------------------------------------ incoming QoS 2

  /** Inbound QoS 2 packet ids of a client awaiting PUBREL. */
  incomingCount(clientId: string): number {
    return this.incoming.count(clientId);
  }

  hasIncoming(clientId: string, messageId: number): boolean {
    return this.incoming.has(clientId, messageId);
  }

  /** Record an inbound QoS 2 id without its packet (the message went to the core already). */
  markIncoming(clientId: string, messageId: number): Promise<void> {
    return this.incoming.mark(clientId, messageId);
  }

  incomingStorePacket(client: ClientLike, packet: AedesPacket): Promise<void> {
    return this.incoming.storePacket(client, packet);
  }

  incomingGetPacket(client: ClientLike, packet: { messageId?: number }): Promise<AedesPacket> {
    return this.incoming.getPacket(client, packet);
  }

  incomingDelPacket(client: ClientLike, packet: { messageId?: number }): Promise<void> {
    return this.incoming.delPacket(client, packet);
  }

  cleanIncoming(client: ClientLike): Promise<void> {
    return this.incoming.clean(client);
  }

  // ------------------------------------------------------------------ wills

  putWill(client: ClientLike, packet: AedesPacket): Promise<void> {
    return this.wills.put(client, packet);
  }

  getWill(client: ClientLike): Promise<AedesPacket | undefined> {
    return this.wills.get(client);
  }

  delWill(client: ClientLike): Promise<AedesPacket | undefined> {
    return this.wills.del(client);
  }

  streamWill(brokers: Record<string, unknown> = {}): Readable {
    return this.wills.stream(brokers);
  }

  async destroy(): Promise<void> {
    if (this.destroyed) throw new Error('destroyed called twice!');
    this.destroyed = true;
  }
}

export function isStoreFailure(err: unknown): boolean {
  return !isBrokerError(err) || err.status >= 500;
}
