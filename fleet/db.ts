/**
 * The two databases the store runs on, behind one small interface: PGlite (PostgreSQL in WebAssembly, in a
 * data folder; the default, one service instance) and a PostgreSQL server (`DATABASE_URL`, through `pg`;
 * several instances share the sites by leases). The schema, the migrations and every query are the same.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export interface Queryable {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
  /** Several statements, no parameters. */
  exec(text: string): Promise<void>;
}

export interface Db extends Queryable {
  /** `pglite` in a data folder, or `server` (a PostgreSQL server shared with other instances). */
  readonly kind: 'pglite' | 'server';
  /** Where it is, without credentials, for logs. */
  readonly where: string;
  transaction<R>(fn: (tx: Queryable) => Promise<R>): Promise<R>;
  /**
   * A server only: `LISTEN` on a channel through a connection of its own (reconnected after a loss; what is
   * notified meanwhile is missed, so callers poll as well). Resolves once listening; the result stops it.
   */
  listen?(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * PGlite's WebAssembly heap starts at `initialMemory` and grows as needed; PostgreSQL's own buffers are
 * set small (a fleet's tables are a few MB), which keeps the service's resident memory down.
 */
const PGLITE_SETTINGS = ['-c', 'shared_buffers=16MB', '-c', 'work_mem=2MB', '-c', 'temp_buffers=2MB'];

/** PGlite's own start parameters (kept: `startParams` replaces them), a static its types do not declare. */
function pgliteDefaults(): string[] {
  const own = (PGlite as unknown as { defaultStartParams?: string[] }).defaultStartParams;
  if (!Array.isArray(own))
    throw new Error('this PGlite has no defaultStartParams: check fleet/db.ts against it');
  return own;
}

/**
 * Creating a PGlite database (its initdb) grows the WebAssembly heap to some 600 MB, which a WebAssembly memory
 * never gives back. A new data folder is therefore created by a short-lived child process, and the service
 * opens the folder afresh: its own heap stays at what running the database needs.
 */
async function initPglite(dataDir: string): Promise<void> {
  const code = `
    const { PGlite } = await import(process.argv[1]);
    const db = await PGlite.create({ dataDir: process.argv[2], startParams: JSON.parse(process.argv[3]) });
    await db.close();
  `;
  const params = JSON.stringify([...pgliteDefaults(), ...PGLITE_SETTINGS]);
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', code, import.meta.resolve('@electric-sql/pglite'), dataDir, params],
      { timeout: 120_000 },
      (err, _stdout, stderr) =>
        err
          ? reject(new Error(`creating the database in ${dataDir} failed: ${stderr.trim() || err.message}`))
          : resolve(),
    );
  });
}

export async function openPglite(dataDir: string): Promise<Db> {
  // PostgreSQL's WebAssembly stays on V8's baseline compiler (Liftoff): optimised copies of its hot functions
  // cost some 40 MB of resident memory, for queries the fleet makes a few of per ZVM and interval. Set before
  // the module is compiled; ZERTO_FLEET_WASM_TIER_UP=1 keeps V8's default.
  if (process.env.ZERTO_FLEET_WASM_TIER_UP !== '1') setFlagsFromString('--liftoff-only');
  await mkdir(dataDir, { recursive: true });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initPglite(dataDir);
  const db = await PGlite.create({
    dataDir,
    startParams: [...pgliteDefaults(), ...PGLITE_SETTINGS],
  });
  return {
    kind: 'pglite',
    where: dataDir,
    query: (text, params) => db.query(text, params),
    exec: async (text) => void (await db.exec(text)),
    transaction: (fn) =>
      db.transaction((tx) =>
        fn({ query: (text, params) => tx.query(text, params), exec: async (t) => void (await tx.exec(t)) }),
      ),
    close: () => db.close(),
  };
}

export async function openServer(url: string, log: (line: string) => void): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 8,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    application_name: 'zerto-fleet',
  });
  // An idle client whose server went away must not take the process down; the next query reconnects.
  pool.on('error', (e) => log(`database: idle connection lost (${e.message})`));
  const client = await pool.connect();
  client.release();
  const query = async <T>(c: pg.Pool | pg.PoolClient, text: string, params?: unknown[]) => {
    const r = await c.query(text, params);
    return { rows: r.rows as T[] };
  };
  return {
    kind: 'server',
    where: redact(url),
    query: (text, params) => query(pool, text, params),
    exec: async (text) => void (await pool.query(text)),
    async transaction(fn) {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const out = await fn({
          query: (text, params) => query(c, text, params),
          exec: async (text) => void (await c.query(text)),
        });
        await c.query('COMMIT');
        return out;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        c.release();
      }
    },
    async listen(channel, onMessage) {
      let stopped = false;
      let client: pg.Client | null = null;
      let retry: NodeJS.Timeout | null = null;
      const retryLater = (why: string) => {
        if (stopped) return;
        log(`database: notifications (LISTEN ${channel}) lost (${why}); connecting again`);
        retry = setTimeout(() => void connect().catch((e: unknown) => retryLater(String(e))), 1000);
        retry.unref();
      };
      const connect = async (): Promise<void> => {
        const c = new pg.Client({ connectionString: url, application_name: 'zerto-fleet-listen' });
        const lost = (why: string) => {
          if (client !== c) return;
          client = null;
          void c.end().catch(() => undefined);
          retryLater(why);
        };
        c.on('error', (e) => lost(e.message));
        c.on('end', () => lost('ended'));
        c.on('notification', (m) => {
          if (m.channel === channel) onMessage(m.payload ?? '');
        });
        client = c;
        try {
          await c.connect();
          await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
        } catch (e) {
          if (client === c) client = null;
          await c.end().catch(() => undefined);
          throw e;
        }
      };
      await connect();
      return async () => {
        stopped = true;
        if (retry) clearTimeout(retry);
        const c = client;
        client = null;
        if (c) await c.end().catch(() => undefined);
      };
    },
    close: () => pool.end(),
  };
}

/** A connection URL with its password masked. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'DATABASE_URL (unparsable)';
  }
}
