import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite-store.js';

export function tempDir(prefix = 'interchange-store-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A SqliteStore on a fresh temp file, with reopen (close + new instance on the same file) and cleanup. */
export async function sqliteHarness(opts: Omit<SqliteStoreOptions, 'path'> = {}) {
  const tmp = tempDir();
  const path = join(tmp.dir, 'nested', 'broker.db');
  let current = new SqliteStore({ ...opts, path });
  await current.open();
  return {
    path,
    get store(): SqliteStore { return current; },
    reopen: async (): Promise<SqliteStore> => {
      await current.close();
      current = new SqliteStore({ ...opts, path });
      await current.open();
      return current;
    },
    cleanup: async (): Promise<void> => {
      await current.close();
      tmp.remove();
    },
  };
}
