/**
 * A Store that keeps everything in process memory: nothing survives the process.
 * For brokers configured with `store: { type: memory }` (like ActiveMQ's persistent=false)
 * and for core unit tests. It honours the same contract as the durable stores.
 */
import { BrokerError } from '../core/errors.js';
import type { DestinationKind } from '../core/names.js';
import type {
  CheckpointRecord, DedupRecord, DestinationRecord, RetainedRecord, ShardRecord, Store,
  StoredMessage, StreamRecord, SubscriptionRecord,
} from '../core/store.js';

export class MemoryStore implements Store {
  readonly kind = 'memory';
  private closed = false;
  private destinations = new Map<string, DestinationRecord>();
  private messages = new Map<string, Map<number, StoredMessage>>();
  private dedup = new Map<string, Map<string, DedupRecord>>();
  private subscriptions = new Map<string, SubscriptionRecord>();
  private retained = new Map<string, RetainedRecord>();
  private shards = new Map<string, Map<string, ShardRecord>>();
  private records = new Map<string, StreamRecord[]>();
  private streamSeq = new Map<string, number>();
  private checkpoints = new Map<string, CheckpointRecord>();
  private state = new Map<string, Map<string, Buffer>>();

  async open(): Promise<void> {
    this.closed = false;
  }

  async flush(): Promise<void> {
    this.check();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private check(): void {
    if (this.closed) throw new BrokerError('STORE_CLOSED');
  }

  private write(fn: () => void): Promise<void> {
    try {
      this.check();
      fn();
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async loadDestinations(): Promise<DestinationRecord[]> {
    return [...this.destinations.values()].map((d) => ({ ...d, attributes: { ...d.attributes } }));
  }

  putDestination(rec: DestinationRecord): Promise<void> {
    return this.write(() => { this.destinations.set(`${rec.kind}:${rec.name}`, { ...rec, attributes: { ...rec.attributes } }); });
  }

  deleteDestination(kind: DestinationKind, name: string): Promise<void> {
    return this.write(() => {
      this.destinations.delete(`${kind}:${name}`);
      if (kind === 'queue') {
        this.messages.delete(name);
        this.dedup.delete(name); // queue dedup windows are scoped by the bare queue name
      }
      if (kind === 'topic') this.retained.delete(name);
      if (kind === 'stream') {
        this.shards.delete(name);
        this.records.delete(name);
        this.streamSeq.delete(name);
        for (const [k, c] of this.checkpoints) if (c.stream === name) this.checkpoints.delete(k);
      }
    });
  }

  async loadMessages(queue: string): Promise<StoredMessage[]> {
    const m = this.messages.get(queue);
    if (!m) return [];
    return [...m.values()].sort((a, b) => a.seq - b.seq).map((x) => ({ ...x }));
  }

  putMessage(msg: StoredMessage): Promise<void> {
    return this.write(() => {
      let m = this.messages.get(msg.queue);
      if (!m) this.messages.set(msg.queue, (m = new Map()));
      m.set(msg.seq, { ...msg });
    });
  }

  setReceiveCount(queue: string, seq: number, receiveCount: number): Promise<void> {
    return this.write(() => {
      const row = this.messages.get(queue)?.get(seq);
      if (row) row.receiveCount = receiveCount;
    });
  }

  deleteMessage(queue: string, seq: number): Promise<void> {
    return this.write(() => { this.messages.get(queue)?.delete(seq); });
  }

  purgeQueue(queue: string): Promise<void> {
    return this.write(() => { this.messages.delete(queue); });
  }

  async loadDedup(scope: string): Promise<DedupRecord[]> {
    return [...(this.dedup.get(scope)?.values() ?? [])].map((d) => ({ ...d }));
  }

  putDedup(rec: DedupRecord): Promise<void> {
    return this.write(() => {
      let m = this.dedup.get(rec.scope);
      if (!m) this.dedup.set(rec.scope, (m = new Map()));
      m.set(rec.dedupId, { ...rec });
    });
  }

  expireDedup(now: number): Promise<void> {
    return this.write(() => {
      for (const m of this.dedup.values()) for (const [k, d] of m) if (d.expiresAt <= now) m.delete(k);
    });
  }

  async loadSubscriptions(): Promise<SubscriptionRecord[]> {
    return [...this.subscriptions.values()].map((s) => ({ ...s, attributes: { ...s.attributes } }));
  }

  putSubscription(rec: SubscriptionRecord): Promise<void> {
    return this.write(() => { this.subscriptions.set(rec.id, { ...rec, attributes: { ...rec.attributes } }); });
  }

  deleteSubscription(id: string): Promise<void> {
    return this.write(() => { this.subscriptions.delete(id); });
  }

  async loadRetained(): Promise<RetainedRecord[]> {
    return [...this.retained.values()].map((r) => ({ ...r }));
  }

  putRetained(rec: RetainedRecord): Promise<void> {
    return this.write(() => { this.retained.set(rec.topic, { ...rec }); });
  }

  deleteRetained(topic: string): Promise<void> {
    return this.write(() => { this.retained.delete(topic); });
  }

  async loadShards(stream: string): Promise<ShardRecord[]> {
    return [...(this.shards.get(stream)?.values() ?? [])].map((s) => ({ ...s }));
  }

  putShard(rec: ShardRecord): Promise<void> {
    return this.write(() => {
      let m = this.shards.get(rec.stream);
      if (!m) this.shards.set(rec.stream, (m = new Map()));
      m.set(rec.shardId, { ...rec });
    });
  }

  appendRecord(rec: StreamRecord): Promise<void> {
    return this.write(() => {
      let list = this.records.get(rec.stream);
      if (!list) this.records.set(rec.stream, (list = []));
      list.push({ ...rec });
      this.streamSeq.set(rec.stream, Math.max(this.streamSeq.get(rec.stream) ?? 0, rec.seq));
    });
  }

  async readRecords(stream: string, shardId: string, fromSeq: number, limit: number): Promise<StreamRecord[]> {
    const out: StreamRecord[] = [];
    if (!(limit > 0)) return out;
    for (const r of this.records.get(stream) ?? []) {
      if (r.shardId === shardId && r.seq >= fromSeq) {
        out.push({ ...r });
        if (out.length >= limit) break;
      }
    }
    return out;
  }

  async seqAtTimestamp(stream: string, shardId: string, timestamp: number): Promise<number | null> {
    for (const r of this.records.get(stream) ?? []) {
      if (r.shardId === shardId && r.arrivedAt >= timestamp) return r.seq;
    }
    return null;
  }

  async maxStreamSeq(stream: string): Promise<number> {
    return this.streamSeq.get(stream) ?? 0;
  }

  async trimRecords(stream: string, olderThan: number): Promise<number> {
    this.check();
    const list = this.records.get(stream);
    if (!list) return 0;
    const kept = list.filter((r) => r.arrivedAt >= olderThan);
    this.records.set(stream, kept);
    return list.length - kept.length;
  }

  async loadCheckpoints(stream: string, group: string): Promise<CheckpointRecord[]> {
    return [...this.checkpoints.values()].filter((c) => c.stream === stream && c.group === group).map((c) => ({ ...c }));
  }

  putCheckpoint(rec: CheckpointRecord): Promise<void> {
    return this.write(() => { this.checkpoints.set(`${rec.stream}\u0000${rec.group}\u0000${rec.shardId}`, { ...rec }); });
  }

  async loadState(namespace: string): Promise<Array<{ key: string; value: Buffer }>> {
    return [...(this.state.get(namespace) ?? new Map<string, Buffer>()).entries()].map(([key, value]) => ({ key, value }));
  }

  putState(namespace: string, key: string, value: Buffer): Promise<void> {
    return this.write(() => {
      let m = this.state.get(namespace);
      if (!m) this.state.set(namespace, (m = new Map()));
      m.set(key, Buffer.from(value));
    });
  }

  deleteState(namespace: string, key: string): Promise<void> {
    return this.write(() => { this.state.get(namespace)?.delete(key); });
  }
}
