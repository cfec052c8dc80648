/**
 * Counters of a group-committing store (SqliteStore, PostgresStore) since construction, across
 * open/close cycles: each connection's group-commit counters are folded in when it closes, the
 * open connection's are added live; row changes are counted as batches commit.
 */
import type { GroupCommitStats } from './group-commit.js';

export interface StoreStats extends GroupCommitStats {
  /** Rows inserted, updated or deleted by committed batches (coalesced writes add nothing). */
  rowChanges: number;
}

export class StoreStatsTally {
  private rowChanges = 0;
  private base: GroupCommitStats = { commits: 0, operations: 0, failedBatches: 0 };

  /** A committed batch changed `n` rows. */
  addRowChanges(n: number): void {
    this.rowChanges += n;
  }

  /** Fold a closing connection's group-commit counters into the running totals. */
  retire(s: GroupCommitStats): void {
    this.base = {
      commits: this.base.commits + s.commits,
      operations: this.base.operations + s.operations,
      failedBatches: this.base.failedBatches + s.failedBatches,
    };
  }

  /** Totals so far, plus the open connection's counters (`live`; undefined when closed). */
  snapshot(live: GroupCommitStats | undefined): StoreStats {
    const s = live ?? { commits: 0, operations: 0, failedBatches: 0 };
    return {
      commits: this.base.commits + s.commits,
      operations: this.base.operations + s.operations,
      failedBatches: this.base.failedBatches + s.failedBatches,
      rowChanges: this.rowChanges,
    };
  }
}
