/**
 * Prometheus text exposition: per-destination depth and counters, connections per protocol,
 * store commit latency, process figures.
 */
import type { Broker } from '../core/broker.js';
import type { ConnectionRegistry } from '../server/connection-registry.js';
import type { Histogram } from './histogram.js';

export interface MetricsSources {
  broker: Broker;
  connections: ConnectionRegistry;
  storeCommitSeconds: Histogram;
  protocols: readonly string[];
}

type Sample = [labels: Record<string, string>, value: number];

function family(name: string, type: 'gauge' | 'counter', help: string, samples: Sample[]): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const [labels, value] of samples) {
    const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
    lines.push(`${name}${l ? `{${l}}` : ''} ${Number.isFinite(value) ? value : 0}`);
  }
  return lines.join('\n');
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function renderMetrics(src: MetricsSources): string {
  const { broker } = src;
  const queues = broker.listQueues().map((q) => [q.name, q.stats()] as const);
  const q = (pick: (s: (typeof queues)[number][1]) => number): Sample[] => queues.map(([name, s]) => [{ queue: name }, pick(s)]);
  const topics = broker.listTopics().map((t) => [t.name, broker.topicStats(t.name)] as const);
  const streams = broker.listStreams().map((s) => [s.name, s.stats()] as const);
  const open = src.connections.counts();
  const accepted = src.connections.acceptedTotals();
  const mem = process.memoryUsage();
  const parts = [
    family('interchange_queue_messages_visible', 'gauge', 'Messages available for delivery', q((s) => s.visible)),
    family('interchange_queue_messages_in_flight', 'gauge', 'Messages delivered and not yet acknowledged', q((s) => s.inFlight)),
    family('interchange_queue_messages_delayed', 'gauge', 'Messages not yet deliverable (delay)', q((s) => s.delayed)),
    family('interchange_queue_consumers', 'gauge', 'Push consumers attached', q((s) => s.consumers)),
    family('interchange_queue_enqueued_total', 'counter', 'Messages enqueued since start', q((s) => s.enqueued)),
    family('interchange_queue_dequeued_total', 'counter', 'Messages acknowledged or deleted since start', q((s) => s.dequeued)),
    family('interchange_queue_expired_total', 'counter', 'Messages dropped by TTL or retention since start', q((s) => s.expired)),
    family('interchange_queue_dead_lettered_total', 'counter', 'Messages moved to the dead-letter queue or exchange since start', q((s) => s.deadLettered)),
    family('interchange_queue_overflowed_total', 'counter', 'Messages dropped from the head by the max-length limit (no dead-letter target) since start', q((s) => s.overflowed)),
    family('interchange_queue_refused_total', 'counter', 'Sends refused by reject-publish overflow since start', q((s) => s.refused)),
    family('interchange_queue_delivery_limit_dropped_total', 'counter', 'Messages dropped past the delivery limit with no dead-letter target since start', q((s) => s.deliveryLimitDropped)),
    family('interchange_topic_published_total', 'counter', 'Messages published to the topic since start', topics.map(([name, s]) => [{ topic: name }, s.published])),
    family('interchange_topic_delivered_total', 'counter', 'Deliveries to subscriptions since start', topics.map(([name, s]) => [{ topic: name }, s.delivered])),
    family('interchange_topic_dropped_total', 'counter', 'Messages a live subscription could not take', topics.map(([name, s]) => [{ topic: name }, s.dropped])),
    family('interchange_topic_subscriptions', 'gauge', 'Subscriptions matching the topic', topics.map(([name, s]) => [{ topic: name }, s.subscriptions])),
    family('interchange_stream_shards_open', 'gauge', 'Open shards', streams.map(([name, s]) => [{ stream: name }, s.openShards])),
    family('interchange_stream_last_sequence', 'gauge', 'Last sequence number', streams.map(([name, s]) => [{ stream: name }, s.lastSeq])),
    family('interchange_stream_readers', 'gauge', 'Push readers attached', streams.map(([name, s]) => [{ stream: name }, s.readers])),
    family('interchange_connections', 'gauge', 'Open client connections', src.protocols.map((p) => [{ protocol: p }, open.get(p) ?? 0])),
    family('interchange_connections_accepted_total', 'counter', 'Client connections accepted since start', src.protocols.map((p) => [{ protocol: p }, accepted.get(p) ?? 0])),
    src.storeCommitSeconds.render('interchange_store_commit_seconds', 'Store group-commit latency'),
    family('process_resident_memory_bytes', 'gauge', 'Resident memory', [[{}, mem.rss]]),
    family('process_heap_used_bytes', 'gauge', 'V8 heap in use', [[{}, mem.heapUsed]]),
    family('process_uptime_seconds', 'gauge', 'Seconds since the broker started', [[{}, (Date.now() - broker.startedAt) / 1000]]),
  ];
  return `${parts.join('\n')}\n`;
}
