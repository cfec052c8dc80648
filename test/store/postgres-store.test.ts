/** The shared Store conformance suite against PostgresStore on a throwaway cluster. */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { postgresSkipReason, type PostgresCluster } from '../support/postgres-cluster.js';
import { postgresHarness, startPostgresCluster } from './postgres-helpers.js';
import { storeContract } from './store-contract.js';

const skip = postgresSkipReason();
let cluster: PostgresCluster | null = null;

if (skip) {
  describe.skip(`Store contract: postgres (${skip})`, () => { it('skipped', () => {}); });
} else {
  beforeAll(async () => { cluster = await startPostgresCluster(); });
  afterAll(async () => { await cluster?.stop(); });
  storeContract('postgres', () => postgresHarness(cluster!));
}
