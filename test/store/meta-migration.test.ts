/**
 * Schema migrations 2 and 3 (message meta rewritten to the current version): a database written
 * by an older broker version (schema version 1 with v1 meta JSON, or schema version 2 with v2 meta,
 * in messages, retained and stream_records) is built by hand, opened by the current store, and
 * must read back identical messages (protocol details that older versions kept as x-amqp-* /
 * x-mqtt-* headers now in the protocol slot) with every row rewritten to the current version.
 * Runs against SQLite and, where PostgreSQL is available, PostgreSQL.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMessage, type Message } from '../../src/core/message.js';
import type { Store } from '../../src/core/store.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { MIGRATIONS as PG_MIGRATIONS } from '../../src/store/postgres/schema.js';
import { META_VERSION } from '../../src/store/message-codec.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../../src/store/sqlite/schema.js';
import { postgresSkipReason, type PostgresCluster } from '../support/postgres-cluster.js';
import { freshSchema, sql, startPostgresCluster } from './postgres-helpers.js';
import { tempDir } from './sqlite-helpers.js';

/** v1 meta rows exactly as the previous version wrote them, and the messages they stand for. */
const V1_ROWS: Array<{ meta: string; body: Buffer; message: Message }> = [
  {
    meta: '{"v":1,"p":{"messageId":"app-1","priority":7,"timestamp":1700000000123,"userId":"alice"},"h":{"s":"text é ✓","i":42,"f":-1.5,"t":true,"nul":null,"nan":{"$num":"NaN"},"neg0":{"$num":"-0"}},"t":1,"g":"g1","d":"d1","k":"pk"}',
    body: Buffer.from([0, 1, 2, 255]),
    message: createMessage(Buffer.from([0, 1, 2, 255]), {
      properties: { messageId: 'app-1', priority: 7, timestamp: 1700000000123, userId: 'alice' },
      headers: { s: 'text é ✓', i: 42, f: -1.5, t: true, nul: null, nan: Number.NaN, neg0: -0 },
      persistent: false, groupId: 'g1', dedupId: 'd1', partitionKey: 'pk',
    }),
  },
  { meta: '{"v":1}', body: Buffer.from('plain'), message: createMessage('plain') },
  {
    // AMQP 1.0 details as the previous version kept them: headers, moved into the protocol slot
    meta: '{"v":1,"h":{"x-amqp-body":"string","k":"v","x-amqp-message-id-type":"ulong"},"p":{"messageId":"42"}}',
    body: Buffer.from('hello'),
    message: createMessage('hello', {
      headers: { k: 'v' }, properties: { messageId: '42' }, protocol: { amqp10: { bodyKind: 'string', messageIdType: 'ulong' } },
    }),
  },
  {
    meta: '{"v":1,"h":{"x-mqtt-publish-qos":1,"x-mqtt-topic":"a/b.c"}}',
    body: Buffer.from('mqtt'),
    message: createMessage('mqtt', { protocol: { mqtt: { publishQos: 1, topic: 'a/b.c' } } }),
  },
];

async function expectIdentical(store: Store): Promise<void> {
  const msgs = await store.loadMessages('q');
  expect(msgs.map((m) => m.message)).toEqual(V1_ROWS.map((r) => r.message));
  expect(Object.is(msgs[0]!.message.headers.neg0, -0)).toBe(true);
  const retained = await store.loadRetained();
  expect(retained.map((r) => r.message)).toEqual(V1_ROWS.map((r) => r.message));
  const records = await store.readRecords('s', 'shard-0', 0, 10);
  expect(records.map((r) => r.message)).toEqual(V1_ROWS.map((r) => r.message));
}

function expectAllV2(metas: string[]): void {
  expect(metas).toHaveLength(V1_ROWS.length * 3);
  for (const m of metas) expect(m === `{"v":${META_VERSION}}` || m.startsWith(`{"v":${META_VERSION},`)).toBe(true);
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** v2 meta rows (typed values, but protocol details still as headers), and what they stand for. */
const V2_ROWS: Array<{ meta: string; body: Buffer; message: Message }> = [
  {
    meta: '{"v":2,"h":{"x-amqp-body":"amqp-value","l":{"type":"long","value":"-9223372036854775808"},"x-amqp-correlation-id-type":"uuid"}}',
    body: Buffer.from([0x00, 0x53, 0x77, 0x40]),
    message: createMessage(Buffer.from([0x00, 0x53, 0x77, 0x40]), {
      headers: { l: { type: 'long', value: -(2n ** 63n) } }, protocol: { amqp10: { bodyKind: 'amqp-value', correlationIdType: 'uuid' } },
    }),
  },
  { meta: '{"v":2,"h":{"x-mqtt-publish-qos":2,"x-mqtt-topic":"t"}}', body: Buffer.from('q2'), message: createMessage('q2', { protocol: { mqtt: { publishQos: 2, topic: 't' } } }) },
  { meta: '{"v":2}', body: Buffer.from('p'), message: createMessage('p') },
];

describe('meta migration v2 → current: SQLite', () => {
  it('moves the protocol details of v2 rows into the protocol slot', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.remove);
    const path = join(tmp.dir, 'v2.db');
    const db = new Database(path);
    db.exec(SQLITE_MIGRATIONS[0] as string);
    db.pragma('user_version = 2');
    V2_ROWS.forEach((r, i) => {
      db.prepare('INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run('q', i + 1, `ID:${i}`, r.body, r.meta, 1, 1, 0);
    });
    db.close();
    const store = new SqliteStore({ path });
    await store.open();
    cleanups.push(() => store.close());
    expect((await store.loadMessages('q')).map((m) => m.message)).toEqual(V2_ROWS.map((r) => r.message));
    const check = new Database(path, { readonly: true });
    const metas = check.prepare('SELECT meta FROM messages').pluck().all() as string[];
    check.close();
    for (const m of metas) expect(m === `{"v":${META_VERSION}}` || m.startsWith(`{"v":${META_VERSION},`)).toBe(true);
    expect(metas[1]).toBe(`{"v":${META_VERSION},"x":{"mqtt":{"publishQos":2,"topic":"t"}}}`);
  });
});

describe('meta migration v1 → current: SQLite', () => {
  it('reads identical messages back after the upgrade and rewrites every row', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.remove);
    const path = join(tmp.dir, 'v1.db');
    const db = new Database(path);
    db.exec(SQLITE_MIGRATIONS[0] as string);
    db.pragma('user_version = 1');
    V1_ROWS.forEach((r, i) => {
      db.prepare('INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run('q', i + 1, `ID:${i}`, r.body, r.meta, 1, 1, 0);
      db.prepare('INSERT INTO retained VALUES (?, ?, ?, ?, ?)').run(`t.${i}`, `ID:r${i}`, r.body, r.meta, 1);
      db.prepare('INSERT INTO stream_records VALUES (?, ?, ?, ?, ?, ?, ?)').run('s', 'shard-0', i + 1, 'pk', 1, r.body, r.meta);
    });
    // One corrupt row: left as it is (logged), so the upgrade itself still succeeds.
    db.prepare('INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run('bad', 1, 'ID:bad', Buffer.alloc(0), '{"v":1,"h":{"a":{"$num":"1"}}}', 1, 1, 0);
    db.close();

    const store = new SqliteStore({ path });
    await store.open();
    cleanups.push(() => store.close());
    expect(store.settings().schemaVersion).toBe(SQLITE_MIGRATIONS.length);
    await expectIdentical(store);

    const check = new Database(path, { readonly: true });
    const metas = [
      ...check.prepare("SELECT meta FROM messages WHERE queue = 'q'").pluck().all(),
      ...check.prepare('SELECT meta FROM retained').pluck().all(),
      ...check.prepare('SELECT meta FROM stream_records').pluck().all(),
    ] as string[];
    expect(check.prepare("SELECT meta FROM messages WHERE queue = 'bad'").pluck().get()).toBe('{"v":1,"h":{"a":{"$num":"1"}}}');
    check.close();
    expectAllV2(metas);
  });
});

const skip = postgresSkipReason();
let cluster: PostgresCluster;

describe.skipIf(skip !== null)('meta migration v1 → current: PostgreSQL', () => {
  beforeAll(async () => { cluster = await startPostgresCluster(); });
  afterAll(async () => { await cluster?.stop(); });

  it('reads identical messages back after the upgrade and rewrites every row', async () => {
    const { schema, url } = await freshSchema(cluster);
    cleanups.push(async () => { await sql(cluster.url, `DROP SCHEMA ${schema} CASCADE`); });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(PG_MIGRATIONS[0] as string);
      await client.query(`CREATE TABLE interchange_schema (
        only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
        version   integer NOT NULL)`);
      await client.query('INSERT INTO interchange_schema (version) VALUES (1)');
      for (const [i, r] of V1_ROWS.entries()) {
        await client.query('INSERT INTO messages VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', ['q', i + 1, `ID:${i}`, r.body, r.meta, 1, 1, 0]);
        await client.query('INSERT INTO retained VALUES ($1, $2, $3, $4, $5)', [`t.${i}`, `ID:r${i}`, r.body, r.meta, 1]);
        await client.query('INSERT INTO stream_records VALUES ($1, $2, $3, $4, $5, $6, $7)', ['s', 'shard-0', i + 1, 'pk', 1, r.body, r.meta]);
      }
    } finally {
      await client.end();
    }

    const store = new PostgresStore({ url });
    await store.open();
    cleanups.push(() => store.close());
    expect(store.settings().schemaVersion).toBe(PG_MIGRATIONS.length);
    expect(await sql(url, 'SELECT version FROM interchange_schema')).toEqual([{ version: PG_MIGRATIONS.length }]);
    await expectIdentical(store);
    const rows = await sql<{ meta: string }>(url, `SELECT meta FROM messages UNION ALL SELECT meta FROM retained UNION ALL SELECT meta FROM stream_records`);
    expectAllV2(rows.map((r) => r.meta));
  });
});
