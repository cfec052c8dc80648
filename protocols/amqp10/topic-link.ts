/**
 * A non-durable topic receiver: a live subscription (messages published while the link is not
 * attached are not kept). The core offers each message synchronously; within the link credit it
 * is sent at once, otherwise held in a bounded per-link buffer until credit arrives. When the
 * buffer is full the offer is refused: the message is dropped for this subscriber and the core
 * counts it (topic stats `dropped`). Outcomes are accepted and ignored (nothing to redeliver).
 */
import type { Delivery, Sender } from 'rhea';
import type { LiveSubscription, TopicMessage } from '../../src/core/topic/topic-types.js';
import type { LinkContext } from './link-context.js';
import { toAmqp } from './message-out.js';
import { OutgoingLink } from './outgoing-link.js';

export class TopicLink extends OutgoingLink {
  private subscription: LiveSubscription | undefined;
  private readonly buffer: TopicMessage[] = [];

  constructor(sender: Sender, ctx: LinkContext, presettled: boolean, address: string) {
    super(sender, ctx, presettled, address);
  }

  /** Throws BrokerError (invalid pattern or filter policy): the caller refuses the attach. */
  start(pattern: string, filterPolicy: string | undefined): void {
    this.subscription = this.ctx.broker.subscribeLive(
      pattern,
      { offer: (m) => this.offer(m) },
      filterPolicy !== undefined ? { filterPolicy } : {},
    );
  }

  get dropped(): number {
    return this.subscription?.dropped ?? 0;
  }

  private offer(m: TopicMessage): boolean {
    if (this.stopped) return false;
    if (this.buffer.length === 0 && this.pumpable > 0) return this.send(m);
    if (this.buffer.length >= this.ctx.limits.liveBuffer) return false;
    this.buffer.push(m);
    return true;
  }

  private send(m: TopicMessage): boolean {
    return this.transfer(toAmqp(m.message, { now: Date.now(), to: this.address })) !== undefined;
  }

  private pump(): void {
    while (this.buffer.length > 0 && this.pumpable > 0 && !this.stopped) {
      if (!this.send(this.buffer.shift()!)) break;
    }
  }

  protected creditChanged(): void {
    this.pump();
  }

  protected deliverForDrain(): void {
    this.pump();
  }

  protected settleOutcome(_outcome: unknown, delivery: Delivery): void {
    this.settleLocally(delivery);
  }

  protected release(): void {
    this.subscription?.close();
    this.subscription = undefined;
    this.buffer.length = 0;
  }
}
