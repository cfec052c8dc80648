/**
 * The SQL the PostgreSQL store runs. Writes are multi-row: each table's folded effects
 * (./batch.ts) go out as column arrays through UNNEST, so a batch of N puts or deletes is ONE
 * statement with a fixed text, prepared once per connection (named statements); puts into tables
 * with bodies use INSERT … VALUES instead (see valuesInsert). Reads are single statements.
 * Row shapes and their mapping to Store records: ./rows.ts.
 */
import type { PoolClient, QueryConfig } from 'pg';
import { Segment, TrimStep, type BatchState, type Row, type TableFold } from './batch.js';

type PgType = 'text' | 'float8' | 'bytea';

interface TableSpec {
  table: string;
  /** Columns in row order; the first `key` of them form the primary key. */
  cols: ReadonlyArray<readonly [string, PgType]>;
  key: number;
  /** What a put does when the key exists: replace the row, or keep the existing one (immutable rows). */
  onConflict: 'update' | 'nothing';
}

const spec = (table: string, key: number, onConflict: TableSpec['onConflict'], cols: Array<[string, PgType]>): TableSpec => ({ table, key, onConflict, cols });

export const TABLES = {
  destinations: spec('destinations', 2, 'update', [['kind', 'text'], ['name', 'text'], ['attributes', 'text'], ['created_at', 'float8']]),
  messages: spec('messages', 2, 'update', [
    ['queue', 'text'], ['seq', 'float8'], ['id', 'text'], ['body', 'bytea'], ['meta', 'text'],
    ['enqueued_at', 'float8'], ['available_at', 'float8'], ['receive_count', 'float8'],
  ]),
  dedup: spec('dedup', 2, 'update', [['scope', 'text'], ['dedup_id', 'text'], ['expires_at', 'float8'], ['message_id', 'text']]),
  subscriptions: spec('subscriptions', 1, 'update', [
    ['id', 'text'], ['pattern', 'text'], ['queue', 'text'], ['filter_policy', 'text'], ['created_at', 'float8'], ['attributes', 'text'],
  ]),
  retained: spec('retained', 1, 'update', [['topic', 'text'], ['id', 'text'], ['body', 'bytea'], ['meta', 'text'], ['published_at', 'float8']]),
  shards: spec('shards', 2, 'update', [
    ['stream', 'text'], ['shard_id', 'text'], ['parent_shard_id', 'text'], ['adjacent_parent_shard_id', 'text'],
    ['hash_key_start', 'text'], ['hash_key_end', 'text'], ['starting_seq', 'float8'], ['ending_seq', 'float8'], ['created_at', 'float8'],
  ]),
  records: spec('stream_records', 3, 'nothing', [
    ['stream', 'text'], ['shard_id', 'text'], ['seq', 'float8'], ['partition_key', 'text'], ['arrived_at', 'float8'], ['body', 'bytea'], ['meta', 'text'],
  ]),
  checkpoints: spec('checkpoints', 3, 'update', [['stream', 'text'], ['grp', 'text'], ['shard_id', 'text'], ['seq', 'float8'], ['updated_at', 'float8']]),
  state: spec('state', 2, 'update', [['namespace', 'text'], ['key', 'text'], ['value', 'bytea']]),
} as const satisfies Record<string, TableSpec>;

type TableName = keyof typeof TABLES;

const arrays = (cols: TableSpec['cols']) => cols.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ');

function upsertSql(s: TableSpec): string {
  return `INSERT INTO ${s.table} (${s.cols.map(([c]) => c).join(', ')}) SELECT * FROM unnest(${arrays(s.cols)}) ${conflictSql(s)}`;
}

/** ON CONFLICT clause of a put into `s`. */
function conflictSql(s: TableSpec): string {
  const names = s.cols.map(([c]) => c);
  const action = s.onConflict === 'nothing'
    ? 'DO NOTHING'
    : `DO UPDATE SET ${names.slice(s.key).map((c) => `${c} = excluded.${c}`).join(', ')}`;
  return `ON CONFLICT (${names.slice(0, s.key).join(', ')}) ${action}`;
}

/**
 * Tables with a bytea column are written with INSERT … VALUES (…), (…) and one parameter per
 * value: pg sends Buffer parameters in binary, while inside an array literal (UNNEST) each body
 * would travel hex-encoded and be parsed back by the server, about 1.7x slower for 1 KiB bodies.
 * The text depends on the row count, so these statements are unnamed (parsed per batch).
 */
const MAX_PARAMS = 65_535;

function valuesInsert(s: TableSpec, rows: Row[]): QueryConfig {
  const n = s.cols.length;
  const tuples = new Array<string>(rows.length);
  const values = new Array<unknown>(rows.length * n);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const ps = new Array<string>(n);
    for (let c = 0; c < n; c++) {
      const i = r * n + c;
      values[i] = row[c] ?? null;
      ps[c] = `$${i + 1}::${s.cols[c]![1]}`;
    }
    tuples[r] = `(${ps.join(', ')})`;
  }
  return { text: `INSERT INTO ${s.table} (${s.cols.map(([c]) => c).join(', ')}) VALUES ${tuples.join(', ')} ${conflictSql(s)}`, values };
}

const hasBytea = (s: TableSpec) => s.cols.some(([, t]) => t === 'bytea');

function deleteSql(s: TableSpec): string {
  const keyCols = s.cols.slice(0, s.key);
  const match = keyCols.map(([c]) => `t.${c} = d.${c}`).join(' AND ');
  return `DELETE FROM ${s.table} AS t USING unnest(${arrays(keyCols)}) AS d(${keyCols.map(([c]) => c).join(', ')}) WHERE ${match}`;
}

function purgeSql(s: TableSpec): string {
  return `DELETE FROM ${s.table} WHERE ${s.cols[0]![0]} = ANY($1::text[])`;
}

interface TableSql { upsert: string; del: string; purge: string }
const SQL = Object.fromEntries(
  Object.entries(TABLES).map(([name, s]) => [name, { upsert: upsertSql(s), del: deleteSql(s), purge: purgeSql(s) }]),
) as Record<TableName, TableSql>;

const WRITE = {
  receiveCounts: `UPDATE messages AS m SET receive_count = u.rc
    FROM unnest($1::text[], $2::float8[], $3::float8[]) AS u(queue, seq, rc) WHERE m.queue = u.queue AND m.seq = u.seq`,
  expireDedup: 'DELETE FROM dedup WHERE expires_at <= $1',
  purgeStreamSeq: 'DELETE FROM stream_seq WHERE stream = ANY($1::text[])',
  streamMax: `INSERT INTO stream_seq (stream, seq) SELECT * FROM unnest($1::text[], $2::float8[])
    ON CONFLICT (stream) DO UPDATE SET seq = GREATEST(stream_seq.seq, excluded.seq)`,
  trim: 'DELETE FROM stream_records WHERE stream = $1 AND arrived_at < $2',
};

/** Named (prepared once per connection) query. */
const q = (name: string, text: string, values: unknown[]): QueryConfig => ({ name: `ic_${name}`, text, values });

/** Column-major arrays of `rows` (the first `n` columns), as UNNEST wants them. */
function columns(rows: Row[], n: number): unknown[][] {
  const out: unknown[][] = Array.from({ length: n }, () => new Array<unknown>(rows.length));
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    for (let c = 0; c < n; c++) out[c]![r] = row[c] ?? null;
  }
  return out;
}

/** One statement of a batch; `onRowCount` receives how many rows it changed. */
export interface PlannedStatement {
  query: QueryConfig;
  onRowCount?: (n: number) => void;
}

/** Purges of one table (committed rows of whole queues / scopes / streams). */
function purgeTable(plan: PlannedStatement[], name: TableName, fold: TableFold): void {
  if (fold.purged.size > 0) plan.push({ query: q(`purge_${name}`, SQL[name].purge, [[...fold.purged]]) });
}

/** Keyed deletes and upserts of one table. */
function applyTable(plan: PlannedStatement[], name: TableName, fold: TableFold): void {
  if (fold.effects.size === 0) return;
  const s: TableSpec = TABLES[name];
  const dels: Row[] = [];
  const puts: Row[] = [];
  for (const e of fold.effects.values()) (e.del ? dels : puts).push(e.row);
  if (dels.length > 0) plan.push({ query: q(`delete_${name}`, SQL[name].del, columns(dels, s.key)) });
  if (puts.length === 0) return;
  if (!hasBytea(s)) {
    plan.push({ query: q(`upsert_${name}`, SQL[name].upsert, columns(puts, s.cols.length)) });
    return;
  }
  const perStatement = Math.floor(MAX_PARAMS / s.cols.length);
  for (let i = 0; i < puts.length; i += perStatement) plan.push({ query: valuesInsert(s, puts.slice(i, i + perStatement)) });
}

const ORDER: readonly TableName[] = ['destinations', 'messages', 'dedup', 'subscriptions', 'retained', 'shards', 'records', 'checkpoints', 'state'];

function planSegment(plan: PlannedStatement[], seg: Segment): void {
  // 1. whole-set deletes of committed rows
  if (seg.dedupExpire !== null) plan.push({ query: q('expire_dedup', WRITE.expireDedup, [seg.dedupExpire]) });
  for (const name of ORDER) purgeTable(plan, name, seg[name]);
  if (seg.streamSeqPurged.size > 0) plan.push({ query: q('purge_stream_seq', WRITE.purgeStreamSeq, [[...seg.streamSeqPurged]]) });
  // 2. keyed effects (distinct keys: order between tables and kinds does not matter)
  for (const name of ORDER) applyTable(plan, name, seg[name]);
  if (seg.receiveCounts.size > 0) {
    plan.push({ query: q('receive_counts', WRITE.receiveCounts, columns([...seg.receiveCounts.values()], 3)) });
  }
  if (seg.streamMax.size > 0) {
    plan.push({ query: q('stream_max', WRITE.streamMax, [[...seg.streamMax.keys()], [...seg.streamMax.values()]]) });
  }
}

/** The statements of a batch, in execution order (none of them depends on another's result). */
export function planBatch(state: BatchState): PlannedStatement[] {
  const plan: PlannedStatement[] = [];
  for (const step of state.steps) {
    if (step instanceof TrimStep) plan.push({ query: q('trim', WRITE.trim, [step.stream, step.olderThan]), onRowCount: (n) => { step.removed = n; } });
    else planSegment(plan, step);
  }
  return plan;
}

/** Run planned statements on `client` (inside the caller's transaction, or alone in autocommit). */
export async function runPlan(client: PoolClient, state: BatchState, plan: readonly PlannedStatement[]): Promise<void> {
  for (const st of plan) {
    const res = await client.query(st.query);
    const n = res.rowCount ?? 0;
    state.changes += n;
    st.onRowCount?.(n);
  }
}

const MSG_COLS = 'queue, seq, id, body, meta, enqueued_at, available_at, receive_count';
const SHARD_COLS = 'stream, shard_id, parent_shard_id, adjacent_parent_shard_id, hash_key_start, hash_key_end, starting_seq, ending_seq, created_at';
const RECORD_COLS = 'stream, shard_id, seq, partition_key, arrived_at, body, meta';

/** Reads: text keys are `COLLATE "C"` in the schema, so ORDER BY is byte order (as in SQLite). */
export const READ = {
  loadDestinations: 'SELECT kind, name, attributes, created_at FROM destinations ORDER BY kind, name',
  loadMessages: `SELECT ${MSG_COLS} FROM messages WHERE queue = $1 ORDER BY seq`,
  loadDedup: 'SELECT scope, dedup_id, expires_at, message_id FROM dedup WHERE scope = $1 ORDER BY dedup_id',
  loadSubscriptions: 'SELECT id, pattern, queue, filter_policy, created_at, attributes FROM subscriptions ORDER BY created_at, id',
  loadRetained: 'SELECT topic, id, body, meta, published_at FROM retained ORDER BY topic',
  loadShards: `SELECT ${SHARD_COLS} FROM shards WHERE stream = $1 ORDER BY starting_seq, shard_id`,
  readRecords: `SELECT ${RECORD_COLS} FROM stream_records WHERE stream = $1 AND shard_id = $2 AND seq >= $3 ORDER BY seq LIMIT $4`,
  seqAtTimestamp: 'SELECT min(seq) AS seq FROM stream_records WHERE stream = $1 AND shard_id = $2 AND arrived_at >= $3',
  maxStreamSeq: 'SELECT seq FROM stream_seq WHERE stream = $1',
  loadCheckpoints: 'SELECT stream, grp, shard_id, seq, updated_at FROM checkpoints WHERE stream = $1 AND grp = $2 ORDER BY shard_id',
  loadState: 'SELECT key, value FROM state WHERE namespace = $1 ORDER BY key',
} as const;

export type ReadName = keyof typeof READ;

export const readQuery = (name: ReadName, values: unknown[]): QueryConfig => q(`read_${name}`, READ[name], values);
