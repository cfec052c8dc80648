/**
 * Which push consumer gets the next message. Normally round-robin among the consumers with
 * capacity. With singleActiveConsumer (RabbitMQ x-single-active-consumer) only the consumer
 * attached first among those still attached is active: it gets every message (when it has
 * capacity; the others wait even if it has none), and when it goes away the next one in attach
 * order takes over, including its requeued unacked messages. Pull receives are not consumers
 * and are served as usual (RabbitMQ allows basic.get on such queues too).
 */
export interface RotationMember {
  hasCapacity(): boolean;
}

export class ConsumerRotation<C extends RotationMember> {
  private rr = 0;
  readonly members: C[] = [];

  add(c: C): void {
    this.members.push(c);
  }

  remove(c: C): void {
    const i = this.members.indexOf(c);
    if (i < 0) return;
    this.members.splice(i, 1);
    if (this.rr > i) this.rr -= 1;
  }

  /** Whether `c` may receive now under the single-active rule. */
  isActive(c: C, single: boolean): boolean {
    return !single || this.members[0] === c;
  }

  next(single: boolean): C | undefined {
    const members = this.members;
    if (single) {
      const first = members[0];
      return first !== undefined && first.hasCapacity() ? first : undefined;
    }
    const n = members.length;
    for (let i = 0; i < n; i++) {
      const idx = (this.rr + i) % n;
      const c = members[idx]!;
      if (c.hasCapacity()) {
        this.rr = (idx + 1) % n;
        return c;
      }
    }
    return undefined;
  }

  /** Take every member out (the queue is closing). */
  clear(): C[] {
    const all = this.members.splice(0);
    this.rr = 0;
    return all;
  }
}
