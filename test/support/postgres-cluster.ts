/**
 * A throwaway PostgreSQL cluster for tests: initdb into a temp directory, start it on a random
 * free port on 127.0.0.1 (unix socket in the temp directory), fsync on, trust authentication for
 * the local superuser `postgres`; `stop()` shuts it down (immediate mode) and removes everything.
 *
 * Binaries: $INTERCHANGE_PG_BINDIR, else the newest /usr/lib/postgresql/<version>/bin (Debian's
 * `postgresql` package). Missing binaries are an error ("PostgreSQL binaries not found: install
 * the postgresql package"); with INTERCHANGE_SKIP_POSTGRES=1 set, the postgres test files skip
 * themselves instead (see `postgresSkipReason`).
 *
 * initdb and postgres refuse to run as root: when the tests run as root, the data directory is
 * given to the `postgres` OS user and both run through `runuser -u postgres --`.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PG_MISSING = 'PostgreSQL binaries not found: install the postgresql package (or set INTERCHANGE_SKIP_POSTGRES=1 to skip the PostgreSQL tests)';

export interface PostgresCluster {
  /** Superuser connection URL to the `postgres` database. */
  url: string;
  port: number;
  /** URL of another database on the same cluster. */
  urlFor(database: string, searchPath?: string): string;
  /** Stop the server (`immediate`: like a crash, no checkpoint; WAL recovery on start) and start it again. */
  restart(mode?: 'immediate' | 'fast'): Promise<void>;
  stop(): Promise<void>;
}

/** The bin directory of an installed PostgreSQL server, or null. */
export function findPostgresBinDir(): string | null {
  const env = process.env.INTERCHANGE_PG_BINDIR;
  if (env) return existsSync(join(env, 'initdb')) ? env : null;
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')) && existsSync(join(base, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(base, versions[0]!, 'bin') : null;
}

/**
 * Non-null when the postgres tests should skip: only when INTERCHANGE_SKIP_POSTGRES=1 was set
 * explicitly. Without the variable, missing binaries make startPostgresCluster() throw, so the
 * tests fail loudly instead of passing silently.
 */
export function postgresSkipReason(): string | null {
  if (process.env.INTERCHANGE_SKIP_POSTGRES === '1') return 'INTERCHANGE_SKIP_POSTGRES=1';
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function asPostgres(bin: string, args: string[], timeout = 60_000): Promise<void> {
  const isRoot = process.getuid?.() === 0;
  const [cmd, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  try {
    await run(cmd, argv, { timeout, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } });
  } catch (err) {
    const e = err as Error & { stderr?: string; stdout?: string };
    throw new Error(`${bin} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
}

async function postgresUid(): Promise<{ uid: number; gid: number }> {
  const { stdout: uid } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bindir = findPostgresBinDir();
  if (!bindir) throw new Error(PG_MISSING);
  const dir = mkdtempSync(join(tmpdir(), 'interchange-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'postgres.log');
  if (process.getuid?.() === 0) {
    const { uid, gid } = await postgresUid();
    chownSync(dir, uid, gid);
  }
  let started = false;
  const pgCtl = join(bindir, 'pg_ctl');
  try {
    // --no-sync only speeds up initdb itself; the running server has fsync on.
    await asPostgres(join(bindir, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const port = await freePort();
    const opts = [
      `-p ${port}`, "-c listen_addresses=127.0.0.1", `-c unix_socket_directories=${dir}`, '-c fsync=on',
      '-c synchronous_commit=on', '-c max_connections=200', '-c shared_buffers=32MB', '-c log_min_messages=warning',
    ].join(' ');
    await asPostgres(pgCtl, ['-D', data, '-l', log, '-o', opts, '-w', '-t', '60', 'start']);
    started = true;
    const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
    return {
      url,
      port,
      urlFor: (database, searchPath) => {
        const u = `postgresql://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`;
        return searchPath ? `${u}?options=${encodeURIComponent(`-c search_path=${searchPath}`)}` : u;
      },
      restart: async (mode = 'immediate') => {
        await asPostgres(pgCtl, ['-D', data, '-m', mode, '-w', 'stop']);
        await asPostgres(pgCtl, ['-D', data, '-l', log, '-o', opts, '-w', '-t', '60', 'start']);
      },
      stop: async () => {
        try {
          await asPostgres(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    let serverLog = '';
    if (existsSync(log)) serverLog = readFileSync(log, 'utf8');
    if (started) await asPostgres(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not start a test PostgreSQL cluster: ${(err as Error).message}\n${serverLog}`, { cause: err });
  }
}
