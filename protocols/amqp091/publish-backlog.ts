/**
 * connection.blocked / unblocked (RabbitMQ's resource alarm, for clients that announce the
 * `connection.blocked` capability): the module counts publishes handed to the core and not yet
 * accepted (for persistent messages to durable queues: not yet committed). Past `highWater` the
 * store is falling behind: every connection that has published is sent connection.blocked and
 * stops being read; once the count is back under `lowWater` they get connection.unblocked and
 * are read again. Connections without the capability are only paused and resumed.
 */
export interface BlockableConnection {
  /** Block (reason) or unblock (undefined). */
  setBlocked(reason: string | undefined): void;
}

export class PublishBacklog {
  private inFlight = 0;
  private blocked = false;
  private readonly publishers = new Set<BlockableConnection>();

  constructor(private readonly highWater: number, private readonly lowWater = Math.floor(highWater / 2)) {}

  get isBlocked(): boolean {
    return this.blocked;
  }

  /** A connection published: it is blocked with the others while the backlog is high. */
  publisher(c: BlockableConnection): void {
    if (this.publishers.has(c)) return;
    this.publishers.add(c);
    if (this.blocked) c.setBlocked(this.reason());
  }

  forget(c: BlockableConnection): void {
    this.publishers.delete(c);
  }

  started(): void {
    this.inFlight += 1;
    if (!this.blocked && this.inFlight >= this.highWater) {
      this.blocked = true;
      const reason = this.reason();
      for (const c of this.publishers) c.setBlocked(reason);
    }
  }

  done(): void {
    this.inFlight -= 1;
    if (this.blocked && this.inFlight <= this.lowWater) {
      this.blocked = false;
      for (const c of this.publishers) c.setBlocked(undefined);
    }
  }

  private reason(): string {
    return `store backlog: ${this.inFlight} publishes waiting to be committed`;
  }
}
