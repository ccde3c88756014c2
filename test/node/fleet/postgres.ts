// A throwaway PostgreSQL server for the fleet's server-mode tests: initdb into a temp folder, then `postgres`
// on a free loopback port, its socket in the same folder. Debian's `postgresql` package provides the binaries
// (.ci/run installs it); as root they run as the `postgres` user (initdb and postgres refuse root).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { sleep } from '../http-client.ts';
import { closedPort } from './harness.ts';

export interface PgServer {
  url: string;
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

/** Why the PostgreSQL tests cannot run here, or null when they can (the binaries' folder is found). */
export function postgresBin(): { dir: string } | { missing: string } {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (pgConfig.status === 0) candidates.push(pgConfig.stdout.trim());
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  }
  const dir = candidates.find((d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'postgres')));
  if (dir) return { dir };
  return {
    missing:
      "PostgreSQL server binaries (initdb, postgres) not found: install Debian's postgresql (apt-get install -y postgresql, as .ci/run does), or set PG_BIN to their folder; ZBB_SKIP_POSTGRES=1 skips these tests",
  };
}

/** As root: the postgres user's ids, to run initdb and postgres as (they refuse root). */
function postgresUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(
      'running as root, but there is no postgres user to run PostgreSQL as (install postgresql)',
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export async function startPostgres(): Promise<PgServer> {
  const found = postgresBin();
  if ('missing' in found) throw new Error(found.missing);
  const dir = await mkdtemp(join(tmpdir(), 'zbb-pg-'));
  const user = postgresUser();
  if (user) chownSync(dir, user.uid, user.gid);
  const as = user ? { uid: user.uid, gid: user.gid, cwd: dir } : {};
  await chmod(dir, 0o700);
  const data = join(dir, 'data');
  const r = spawnSync(
    join(found.dir, 'initdb'),
    ['-D', data, '-U', 'fleet', '--auth=trust', '-E', 'UTF8', '--no-sync'],
    { encoding: 'utf8', ...as },
  );
  if (r.status !== 0) throw new Error(`initdb failed: ${r.stderr || r.stdout}`);
  const port = await closedPort();
  const args = [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    '-c',
    'max_connections=50',
  ];
  const child: ChildProcess = spawn(join(found.dir, 'postgres'), args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...as,
  });
  let log = '';
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const url = `postgres://fleet@127.0.0.1:${port}/postgres`;
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      await pool.query('SELECT 1');
      break;
    } catch (e) {
      if (child.exitCode !== null || Date.now() > until) {
        child.kill('SIGKILL');
        throw new Error(`PostgreSQL did not start: ${String(e)}\n${log}`, { cause: e });
      }
      await sleep(100);
    }
  }
  return {
    url,
    async query<T>(text: string, params?: unknown[]) {
      return (await pool.query(text, params)).rows as T[];
    },
    async stop() {
      await pool.end().catch(() => undefined);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      // SIGINT: PostgreSQL's fast shutdown.
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      if (child.exitCode === null) await exited;
      clearTimeout(t);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
