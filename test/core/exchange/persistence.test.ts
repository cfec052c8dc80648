/** Exchanges and bindings survive a restart (and so a failover) on both stores. */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { postgresSkipReason, type PostgresCluster } from '../../support/postgres-cluster.js';
import { postgresHarness, startPostgresCluster } from '../../store/postgres-helpers.js';
import { sqliteHarness } from '../../store/sqlite-helpers.js';
import { restartScenario } from './persistence-scenario.js';

describe('exchange persistence: SQLite', () => {
  it('durable exchanges and bindings survive a restart; transient ones vanish', async () => {
    const h = await sqliteHarness();
    try {
      await restartScenario(h);
    } finally {
      await h.cleanup();
    }
  });
});

const skip = postgresSkipReason();
let cluster: PostgresCluster | null = null;

if (skip) {
  describe.skip(`exchange persistence: PostgreSQL (${skip})`, () => { it('skipped', () => {}); });
} else {
  describe('exchange persistence: PostgreSQL', () => {
    beforeAll(async () => { cluster = await startPostgresCluster(); }, 120_000);
    afterAll(async () => { await cluster?.stop(); });
    it('durable exchanges and bindings survive a restart; transient ones vanish', async () => {
      const h = await postgresHarness(cluster!);
      try {
        await restartScenario(h);
      } finally {
        await h.cleanup();
      }
    });
  });
}
