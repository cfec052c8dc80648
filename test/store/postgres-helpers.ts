/**
 * PostgreSQL store test helpers: one throwaway cluster per test file (beforeAll), and a harness
 * per test on a fresh schema of that cluster (search_path in the URL), so tests are isolated
 * without paying for CREATE DATABASE each time.
 */
import pg from 'pg';
import { PostgresStore, type PostgresStoreOptions } from '../../src/store/postgres-store.js';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';

let counter = 0;

/** Run one statement on its own short-lived connection. */
export async function sql<R extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

export async function freshSchema(cluster: PostgresCluster): Promise<{ schema: string; url: string }> {
  const schema = `t_${process.pid}_${++counter}`;
  await sql(cluster.url, `CREATE SCHEMA ${schema}`);
  return { schema, url: cluster.urlFor('postgres', schema) };
}

/** A PostgresStore on a fresh schema, with reopen (close + new instance on the same schema) and cleanup. */
export async function postgresHarness(cluster: PostgresCluster, opts: Omit<PostgresStoreOptions, 'url'> = {}) {
  const { schema, url } = await freshSchema(cluster);
  let current = new PostgresStore({ ...opts, url });
  await current.open();
  return {
    url,
    schema,
    get store(): PostgresStore { return current; },
    reopen: async (): Promise<PostgresStore> => {
      await current.close();
      current = new PostgresStore({ ...opts, url });
      await current.open();
      return current;
    },
    cleanup: async (): Promise<void> => {
      await current.close();
      await sql(cluster.url, `DROP SCHEMA ${schema} CASCADE`);
    },
  };
}

export { startPostgresCluster, type PostgresCluster };
