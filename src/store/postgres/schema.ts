/**
 * PostgreSQL schema and migrations. Tables live in the first schema of the connection's
 * `search_path` (`public` by default; pick another with `?options=-c%20search_path%3Dmyschema`
 * in store.url). The version lives in the one-row table `interchange_schema`; migration N
 * (1-based) takes the database from version N-1 to N. Add migrations at the end; never edit a
 * released one.
 *
 * Every number column is `double precision`: the Store contract carries JavaScript numbers
 * (IEEE doubles), and float8 holds each of them exactly (integers up to 2^53 and any fraction),
 * the same domain SQLite's dynamic typing accepts. So no caller value can make a shared batch
 * fail on a type error. JSON documents are `text` (kept byte for byte, as the codec wrote them).
 */
import type { PoolClient } from 'pg';
import { BrokerError } from '../../core/errors.js';
import type { Logger } from '../../log.js';
import { upgradeMeta } from '../message-codec.js';

/** SQL text, or a JS step (data rewrites) run on the migrating client inside its transaction. */
type Migration = string | ((client: PoolClient, logger: Logger) => Promise<void>);

/** Tables whose rows carry a message meta column, with their primary keys. */
const META_TABLES = [
  { table: 'messages', key: ['queue', 'seq'] },
  { table: 'retained', key: ['topic'] },
  { table: 'stream_records', key: ['stream', 'shard_id', 'seq'] },
] as const;
const REWRITE_BATCH = 500;

/**
 * Rewrite every message meta that is not in the codec's current version (v1 rows written before
 * typed values) to the current version, walking each table in primary-key order. A row whose meta
 * cannot be decoded is left as it is and logged: reading it reports STORE_FAILED as before.
 */
async function rewriteMetaRows(client: PoolClient, logger: Logger): Promise<void> {
  for (const { table, key } of META_TABLES) {
    const cols = key.join(', ');
    const marks = key.map((_, i) => `$${i + 1}`).join(', ');
    let after: unknown[] | undefined;
    let rewritten = 0;
    for (;;) {
      const where = after === undefined ? '' : `WHERE (${cols}) > (${marks})`;
      const res = await client.query<Record<string, unknown> & { meta: string }>(
        `SELECT ${cols}, meta FROM ${table} ${where} ORDER BY ${cols} LIMIT ${REWRITE_BATCH}`, after ?? []);
      if (res.rows.length === 0) break;
      for (const row of res.rows) {
        const keyValues = key.map((k) => row[k]);
        after = keyValues;
        let next: string | undefined;
        try {
          next = upgradeMeta(row.meta);
        } catch (err) {
          logger.warn({ err, table, key: keyValues }, 'message meta not rewritten: it cannot be decoded');
          continue;
        }
        if (next === undefined) continue;
        const cond = key.map((k, i) => `${k} = $${i + 2}`).join(' AND ');
        await client.query(`UPDATE ${table} SET meta = $1 WHERE ${cond}`, [next, ...keyValues]);
        rewritten += 1;
      }
    }
    if (rewritten > 0) logger.info({ table, rows: rewritten }, 'message meta rewritten to the current version');
  }
}

export const MIGRATIONS: readonly Migration[] = [
  // 1: initial schema
  `
  CREATE TABLE destinations (
    kind        text COLLATE "C" NOT NULL,
    name        text COLLATE "C" NOT NULL,
    attributes  text NOT NULL,
    created_at  double precision NOT NULL,
    PRIMARY KEY (kind, name)
  );

  CREATE TABLE messages (
    queue          text COLLATE "C" NOT NULL,
    seq            double precision NOT NULL,
    id             text NOT NULL,
    body           bytea NOT NULL,
    meta           text NOT NULL,
    enqueued_at    double precision NOT NULL,
    available_at   double precision NOT NULL,
    receive_count  double precision NOT NULL,
    PRIMARY KEY (queue, seq)
  );

  CREATE TABLE dedup (
    scope       text COLLATE "C" NOT NULL,
    dedup_id    text COLLATE "C" NOT NULL,
    expires_at  double precision NOT NULL,
    message_id  text NOT NULL,
    PRIMARY KEY (scope, dedup_id)
  );
  CREATE INDEX dedup_expires ON dedup (expires_at);

  CREATE TABLE subscriptions (
    id             text COLLATE "C" PRIMARY KEY,
    pattern        text NOT NULL,
    queue          text NOT NULL,
    filter_policy  text,
    created_at     double precision NOT NULL,
    attributes     text NOT NULL
  );

  CREATE TABLE retained (
    topic         text COLLATE "C" PRIMARY KEY,
    id            text NOT NULL,
    body          bytea NOT NULL,
    meta          text NOT NULL,
    published_at  double precision NOT NULL
  );

  CREATE TABLE shards (
    stream                    text COLLATE "C" NOT NULL,
    shard_id                  text COLLATE "C" NOT NULL,
    parent_shard_id           text,
    adjacent_parent_shard_id  text,
    hash_key_start            text NOT NULL,
    hash_key_end              text NOT NULL,
    starting_seq              double precision NOT NULL,
    ending_seq                double precision,
    created_at                double precision NOT NULL,
    PRIMARY KEY (stream, shard_id)
  );

  CREATE TABLE stream_records (
    stream         text COLLATE "C" NOT NULL,
    shard_id       text COLLATE "C" NOT NULL,
    seq            double precision NOT NULL,
    partition_key  text NOT NULL,
    arrived_at     double precision NOT NULL,
    body           bytea NOT NULL,
    meta           text NOT NULL,
    PRIMARY KEY (stream, shard_id, seq)
  );
  -- Trim (per shard, arrived_at < t) and AT_TIMESTAMP lookups.
  CREATE INDEX stream_records_shard_time ON stream_records (stream, shard_id, arrived_at, seq);

  -- Highest seq ever appended per stream (survives trimming).
  CREATE TABLE stream_seq (
    stream  text COLLATE "C" PRIMARY KEY,
    seq     double precision NOT NULL
  );

  CREATE TABLE checkpoints (
    stream      text COLLATE "C" NOT NULL,
    grp         text COLLATE "C" NOT NULL,
    shard_id    text COLLATE "C" NOT NULL,
    seq         double precision NOT NULL,
    updated_at  double precision NOT NULL,
    PRIMARY KEY (stream, grp, shard_id)
  );

  CREATE TABLE state (
    namespace  text COLLATE "C" NOT NULL,
    key        text COLLATE "C" NOT NULL,
    value      bytea NOT NULL,
    PRIMARY KEY (namespace, key)
  );
  `,
  // 2: message meta rewritten to the codec's current version (introduced for v1 → v2: typed header values)
  rewriteMetaRows,
  // 3: the same again for v3 (protocol details move from x-amqp-* / x-mqtt-* headers to the protocol slot)
  rewriteMetaRows,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Transaction-level advisory lock key that serialises concurrent migrations ('interchange-migrate'). */
const MIGRATION_LOCK_KEY = '7236861923560873317';

/**
 * Bring the database to SCHEMA_VERSION in one transaction, holding an advisory lock so two
 * brokers opening a fresh database at once cannot both migrate. Refuses a database written by a
 * newer broker. Returns the version found before migrating.
 */
export async function migrate(client: PoolClient, logger: Logger): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS interchange_schema (
      only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
      version   integer NOT NULL
    )`);
    const res = await client.query<{ version: number }>('SELECT version FROM interchange_schema');
    const current = res.rows[0]?.version ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new BrokerError('STORE_FAILED', `database schema version ${current} is newer than this broker supports (${SCHEMA_VERSION})`);
    }
    for (let v = current; v < SCHEMA_VERSION; v++) {
      const step = MIGRATIONS[v]!;
      if (typeof step === 'string') await client.query(step);
      else await step(client, logger);
    }
    if (current !== SCHEMA_VERSION) {
      await client.query(`INSERT INTO interchange_schema (version) VALUES ($1)
        ON CONFLICT (only_row) DO UPDATE SET version = excluded.version`, [SCHEMA_VERSION]);
    }
    await client.query('COMMIT');
    if (current !== SCHEMA_VERSION) logger.info({ from: current, to: SCHEMA_VERSION }, 'store schema migrated');
    return current;
  } catch (err) {
    await client.query('ROLLBACK').catch((rbErr: unknown) => logger.error({ err: rbErr }, 'rollback of the schema migration failed'));
    throw err;
  }
}
