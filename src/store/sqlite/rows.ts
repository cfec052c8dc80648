/** Row shapes of the SQLite tables and their mapping to Store records: all shared with PostgreSQL. */
export * from '../row-mapping.js';
