/**
 * Row shapes the PostgreSQL store's reads return (./statements.ts READ) and their mapping to Store
 * records. Numbers are double precision (JS numbers as they were written), bodies bytea (Buffer).
 * The shapes shared with SQLite live in ../row-mapping.ts; only the state table is PostgreSQL's own.
 */
export * from '../row-mapping.js';

export interface StateRow { key: string; value: Buffer }

export const toState = (r: StateRow): { key: string; value: Buffer } => ({ key: r.key, value: r.value });
