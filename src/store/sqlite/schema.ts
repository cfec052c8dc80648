/**
 * SQLite schema and migrations. The schema version lives in `PRAGMA user_version`;
 * migration N (1-based) takes a database from version N-1 to N inside one transaction.
 * A migration is SQL text or a JS step (for data rewrites). Add migrations at the end; never
 * edit a released one.
 */
import type Database from 'better-sqlite3';
import { BrokerError } from '../../core/errors.js';
import type { Logger } from '../../log.js';
import { upgradeMeta } from '../message-codec.js';

type Migration = string | ((db: Database.Database, logger: Logger) => void);

/** Tables whose rows carry a message meta column (all rowid tables). */
const META_TABLES = ['messages', 'retained', 'stream_records'] as const;
const REWRITE_BATCH = 500;

/**
 * Rewrite every message meta that is not in the codec's current version (v1 rows written before
 * typed values) to the current version. A row whose meta cannot be decoded is left as it is and
 * logged: reading it reports STORE_FAILED exactly as it did before the upgrade.
 */
function rewriteMetaRows(db: Database.Database, logger: Logger): void {
  for (const table of META_TABLES) {
    const select = db.prepare<[number, number], { r: number; meta: string }>(
      `SELECT rowid AS r, meta FROM ${table} WHERE rowid > ? ORDER BY rowid LIMIT ?`);
    const update = db.prepare<[string, number]>(`UPDATE ${table} SET meta = ? WHERE rowid = ?`);
    let after = 0;
    let rewritten = 0;
    for (;;) {
      const rows = select.all(after, REWRITE_BATCH);
      if (rows.length === 0) break;
      for (const row of rows) {
        after = row.r;
        let next: string | undefined;
        try {
          next = upgradeMeta(row.meta);
        } catch (err) {
          logger.warn({ err, table, rowid: row.r }, 'message meta not rewritten: it cannot be decoded');
          continue;
        }
        if (next !== undefined) {
          update.run(next, row.r);
          rewritten += 1;
        }
      }
    }
    if (rewritten > 0) logger.info({ table, rows: rewritten }, 'message meta rewritten to the current version');
  }
}

export const MIGRATIONS: readonly Migration[] = [
  // 1: initial schema
  `
  CREATE TABLE destinations (
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    attributes  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (kind, name)
  ) WITHOUT ROWID;

  -- Queue messages: rowid table (rows carry bodies), looked up by (queue, seq).
  CREATE TABLE messages (
    queue          TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    id             TEXT NOT NULL,
    body           BLOB NOT NULL,
    meta           TEXT NOT NULL,
    enqueued_at    INTEGER NOT NULL,
    available_at   INTEGER NOT NULL,
    receive_count  INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX messages_queue_seq ON messages (queue, seq);

  CREATE TABLE dedup (
    scope       TEXT NOT NULL,
    dedup_id    TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    message_id  TEXT NOT NULL,
    PRIMARY KEY (scope, dedup_id)
  ) WITHOUT ROWID;
  CREATE INDEX dedup_expires ON dedup (expires_at);

  CREATE TABLE subscriptions (
    id             TEXT PRIMARY KEY NOT NULL,
    pattern        TEXT NOT NULL,
    queue          TEXT NOT NULL,
    filter_policy  TEXT,
    created_at     INTEGER NOT NULL,
    attributes     TEXT NOT NULL
  );

  CREATE TABLE retained (
    topic         TEXT PRIMARY KEY NOT NULL,
    id            TEXT NOT NULL,
    body          BLOB NOT NULL,
    meta          TEXT NOT NULL,
    published_at  INTEGER NOT NULL
  );

  CREATE TABLE shards (
    stream                    TEXT NOT NULL,
    shard_id                  TEXT NOT NULL,
    parent_shard_id           TEXT,
    adjacent_parent_shard_id  TEXT,
    hash_key_start            TEXT NOT NULL,
    hash_key_end              TEXT NOT NULL,
    starting_seq              INTEGER NOT NULL,
    ending_seq                INTEGER,
    created_at                INTEGER NOT NULL,
    PRIMARY KEY (stream, shard_id)
  ) WITHOUT ROWID;

  CREATE TABLE stream_records (
    stream         TEXT NOT NULL,
    shard_id       TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    partition_key  TEXT NOT NULL,
    arrived_at     INTEGER NOT NULL,
    body           BLOB NOT NULL,
    meta           TEXT NOT NULL
  );
  CREATE UNIQUE INDEX stream_records_shard_seq ON stream_records (stream, shard_id, seq);
  -- Trim (per shard, arrived_at < t) and AT_TIMESTAMP lookups (covering: seq is in the index).
  CREATE INDEX stream_records_shard_time ON stream_records (stream, shard_id, arrived_at, seq);

  -- Highest seq ever appended per stream (survives trimming).
  CREATE TABLE stream_seq (
    stream  TEXT PRIMARY KEY NOT NULL,
    seq     INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE checkpoints (
    stream      TEXT NOT NULL,
    grp         TEXT NOT NULL,
    shard_id    TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (stream, grp, shard_id)
  ) WITHOUT ROWID;

  CREATE TABLE state (
    namespace  TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      BLOB NOT NULL,
    PRIMARY KEY (namespace, key)
  );
  `,
  // 2: message meta rewritten to the codec's current version (introduced for v1 → v2: typed header values)
  rewriteMetaRows,
  // 3: the same again for v3 (protocol details move from x-amqp-* / x-mqtt-* headers to the protocol slot)
  rewriteMetaRows,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Bring the database to SCHEMA_VERSION, in one IMMEDIATE transaction (so two processes opening a
 * fresh file at once cannot both migrate). Refuses a database written by a newer broker.
 */
export function migrate(db: Database.Database, logger: Logger): void {
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new BrokerError('STORE_FAILED', `database schema version ${current} is newer than this broker supports (${SCHEMA_VERSION})`);
    }
    for (let v = current; v < SCHEMA_VERSION; v++) {
      const step = MIGRATIONS[v]!;
      if (typeof step === 'string') db.exec(step);
      else step(db, logger);
    }
    if (current !== SCHEMA_VERSION) {
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      logger.info({ from: current, to: SCHEMA_VERSION }, 'store schema migrated');
    }
  }).immediate();
}
