/**
 * Consumer groups (KCL style): the members of a group share the stream's shards, each shard read
 * by exactly one member at a time, with durable per-shard checkpoints (store.putCheckpoint).
 *
 * - A shard is eligible when it is not finished for the group and all its parents are finished.
 *   A closed shard is finished once no record remains after the group's checkpoint (the members
 *   checkpointed its last record, or its records were trimmed, or it never had any).
 * - Eligible shards are spread evenly over the members, sticky: a rebalance moves as few as it can.
 * - A shard resumes after its checkpoint; without one, a root shard starts where the member asked
 *   ('first' by default) and a child shard starts at its beginning.
 * - When a member's reader reaches the end of a closed shard without having delivered anything
 *   (nothing to process), the group checkpoints the shard's end itself so its children can start.
 *
 * Membership operations are serialised per group; the group lives as long as its stream.
 */
import { BrokerError } from '../errors.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../../log.js';
import type { Store } from '../store.js';
import { isSeq } from './iterators.js';
import type { ShardState } from './shard-state.js';
import type { StreamReaderImpl } from './stream-reader.js';
import type { GroupMember, JoinGroupOptions, StreamRecordView, SubscribeOptions, SubscribeStart } from './types.js';

export interface GroupHost {
  readonly name: string;
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  allShards(): readonly ShardState[];
  shard(id: string): ShardState | undefined;
  watermark(): number;
  /** Highest sequence number assigned so far. */
  lastSeq(): number;
  readCommitted(shardId: string, fromSeq: number, limit: number): Promise<StreamRecordView[]>;
  openReader(opts: SubscribeOptions): StreamReaderImpl;
}

class Member implements GroupMember {
  readonly readers = new Map<string, StreamReaderImpl>();
  left = false;
  paused = false;

  constructor(private readonly owner: ConsumerGroup, readonly memberId: string, readonly opts: JoinGroupOptions) {}

  get group(): string {
    return this.owner.name;
  }

  get shards(): string[] {
    return [...this.readers.keys()].sort();
  }

  checkpoint(shardId: string, seq: number): Promise<void> {
    return this.owner.checkpoint(this, shardId, seq);
  }

  pause(): void {
    this.paused = true;
    for (const r of this.readers.values()) r.pause();
  }

  resume(): void {
    this.paused = false;
    for (const r of this.readers.values()) r.resume();
  }

  leave(): void {
    this.owner.leave(this);
  }
}

export class ConsumerGroup {
  /** Insertion order is join order. */
  private readonly members = new Map<string, Member>();
  private readonly checkpoints = new Map<string, number>();
  private readonly finished = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private loaded = false;
  private disposed = false;

  constructor(private readonly host: GroupHost, readonly name: string) {}

  get memberCount(): number {
    return this.members.size;
  }

  join(memberId: string, opts: JoinGroupOptions): Promise<GroupMember> {
    return this.serial(async () => {
      if (this.disposed) throw new BrokerError('STORE_CLOSED', `stream ${this.host.name} is closed`);
      if (this.members.has(memberId)) {
        throw new BrokerError('ALREADY_EXISTS', `member ${memberId} is already in group ${this.name} of stream ${this.host.name}`);
      }
      if (!this.loaded) {
        for (const cp of await this.host.store.loadCheckpoints(this.host.name, this.name)) this.checkpoints.set(cp.shardId, cp.seq);
        this.loaded = true;
      }
      const member = new Member(this, memberId, opts);
      this.members.set(memberId, member);
      await this.refresh();
      this.rebalance();
      this.host.logger.info({ stream: this.host.name, group: this.name, memberId, shards: member.shards }, 'consumer group member joined');
      return member;
    });
  }

  async checkpoint(member: Member, shardId: string, seq: number): Promise<void> {
    if (!isSeq(seq)) throw new BrokerError('INVALID_ARGUMENT', `checkpoint seq must be a non-negative integer, got ${String(seq)}`);
    if (seq > this.host.lastSeq()) throw new BrokerError('INVALID_ARGUMENT', `checkpoint seq ${seq} is beyond the last sequence number ${this.host.lastSeq()}`);
    if (member.left || !member.readers.has(shardId)) {
      throw new BrokerError('SHARD_INVALID', `shard ${shardId} is not assigned to member ${member.memberId} of group ${this.name}`);
    }
    await this.saveCheckpoint(shardId, seq);
  }

  leave(member: Member): void {
    if (member.left) return;
    member.left = true;
    for (const r of member.readers.values()) r.close();
    member.readers.clear();
    if (this.members.get(member.memberId) === member) this.members.delete(member.memberId);
    this.host.logger.info({ stream: this.host.name, group: this.name, memberId: member.memberId }, 'consumer group member left');
    this.background('rebalance after leave');
  }

  /** Shards were split/merged or records trimmed: re-check finished shards and rebalance. */
  shardsChanged(): void {
    if (this.members.size > 0) this.background('rebalance after shard change');
  }

  /** The stream is closing: stop every member's readers (no rebalance). */
  dispose(): void {
    this.disposed = true;
    for (const m of this.members.values()) {
      m.left = true;
      for (const r of m.readers.values()) r.close();
      m.readers.clear();
    }
    this.members.clear();
  }

  private async saveCheckpoint(shardId: string, seq: number): Promise<void> {
    const prev = this.checkpoints.get(shardId);
    if (prev !== undefined && seq <= prev) return;
    this.checkpoints.set(shardId, seq);
    await this.host.store.putCheckpoint({ stream: this.host.name, group: this.name, shardId, seq, updatedAt: this.host.clock.now() });
    const shard = this.host.shard(shardId);
    if (shard && !shard.open && !this.finished.has(shardId)) this.background('rebalance after checkpoint');
  }

  /** A member's reader delivered everything of a closed shard. */
  private shardEnded(member: Member, shardId: string, lastDelivered: number | null): void {
    if (lastDelivered !== null || member.left || !member.readers.has(shardId)) return;
    const endingSeq = this.host.shard(shardId)?.rec.endingSeq;
    if (endingSeq === null || endingSeq === undefined) return;
    this.saveCheckpoint(shardId, endingSeq).catch((err: unknown) => {
      this.host.logger.error({ err, stream: this.host.name, group: this.name, shardId }, 'could not checkpoint the end of an empty shard');
    });
  }

  /** Mark closed shards with no record left after the group's checkpoint as finished. */
  private async refresh(): Promise<void> {
    for (const s of this.host.allShards()) {
      const endingSeq = s.rec.endingSeq;
      if (endingSeq === null || this.finished.has(s.id)) continue;
      const cp = this.checkpoints.get(s.id) ?? s.rec.startingSeq - 1;
      if (cp >= endingSeq) {
        this.finished.add(s.id);
        continue;
      }
      if (this.host.watermark() < endingSeq) continue;
      const next = await this.host.readCommitted(s.id, cp + 1, 1);
      const first = next[0];
      if (first === undefined || first.seq > endingSeq) this.finished.add(s.id);
    }
  }

  private rebalance(): void {
    if (this.disposed) return;
    const members = [...this.members.values()];
    if (members.length === 0) return;
    const eligible = this.host.allShards()
      .filter((s) => !this.finished.has(s.id) && s.parents.every((p) => this.finished.has(p) || !this.host.shard(p)))
      .map((s) => s.id)
      .sort();
    const eligibleSet = new Set(eligible);
    const kept = new Map<Member, string[]>();
    for (const m of members) kept.set(m, m.shards.filter((id) => eligibleSet.has(id)));
    // Quotas: floor(n/m) each, the remainder to the members already holding the most (fewest moves).
    const base = Math.floor(eligible.length / members.length);
    let extra = eligible.length % members.length;
    const quota = new Map<Member, number>();
    for (const m of [...members].sort((a, b) => (kept.get(b)?.length ?? 0) - (kept.get(a)?.length ?? 0))) {
      quota.set(m, base + (extra > 0 ? 1 : 0));
      if (extra > 0) extra--;
    }
    const taken = new Set<string>();
    const target = new Map<Member, string[]>();
    for (const m of members) {
      const keep = (kept.get(m) ?? []).slice(0, quota.get(m) ?? 0);
      for (const id of keep) taken.add(id);
      target.set(m, keep);
    }
    const free = eligible.filter((id) => !taken.has(id));
    for (const m of members) {
      const t = target.get(m) ?? [];
      while (t.length < (quota.get(m) ?? 0) && free.length > 0) {
        const id = free.shift();
        if (id !== undefined) t.push(id);
      }
    }
    // Release everywhere before acquiring anywhere: no shard is ever read by two members at once.
    const before = new Map(members.map((m) => [m, m.shards.join(',')]));
    for (const m of members) {
      const t = new Set(target.get(m) ?? []);
      for (const [id, reader] of m.readers) {
        if (t.has(id)) continue;
        reader.close();
        m.readers.delete(id);
      }
    }
    for (const m of members) {
      for (const id of target.get(m) ?? []) if (!m.readers.has(id)) m.readers.set(id, this.openShardReader(m, id));
    }
    for (const m of members) {
      if (m.shards.join(',') === before.get(m)) continue;
      this.host.logger.debug({ stream: this.host.name, group: this.name, memberId: m.memberId, shards: m.shards }, 'consumer group assignment');
      try {
        m.opts.onAssignment?.(m.shards);
      } catch (err) {
        this.host.logger.error({ err, stream: this.host.name, group: this.name, memberId: m.memberId }, 'onAssignment threw');
      }
    }
  }

  private openShardReader(m: Member, shardId: string): StreamReaderImpl {
    const shard = this.host.shard(shardId);
    const cp = this.checkpoints.get(shardId);
    let start: SubscribeStart;
    if (cp !== undefined) start = { seq: cp + 1 };
    else if (shard && shard.parents.length > 0) start = 'first';
    else start = m.opts.start ?? 'first';
    const reader = this.host.openReader({
      start,
      shards: [shardId],
      onRecord: (r) => m.opts.onRecord(r),
      onShardEnd: (id, last) => this.shardEnded(m, id, last),
    });
    if (m.paused) reader.pause();
    return reader;
  }

  /** Run `fn` after every earlier group operation; the caller gets its result or error. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    // The chain only orders operations; `run`'s error is reported to its caller.
    this.chain = run.then(() => undefined, () => undefined);
    return run;
  }

  private background(what: string): void {
    this.chain = this.chain
      .then(async () => {
        if (this.disposed || this.members.size === 0) return;
        await this.refresh();
        this.rebalance();
      })
      .catch((err: unknown) => {
        this.host.logger.error({ err, stream: this.host.name, group: this.name }, `consumer group ${what} failed`);
      });
  }
}
