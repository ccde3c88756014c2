/**
 * The fleet's database: PGlite (PostgreSQL compiled to WebAssembly) in a data folder by default, or a
 * PostgreSQL server (`DATABASE_URL`) shared by several instances, with the same versioned migrations. A site's
 * state, its attempt in the transmission log, its alert history and its transitions are written in one
 * transaction per attempt, so that a `kill -9` at any moment leaves either all of an attempt or none of it.
 * With a server, that transaction also checks that this instance still holds the site's lease (a fence): an
 * instance that lost a site cannot overwrite what its new holder wrote.
 */
import { openPglite, openServer, type Db, type Queryable } from './db.ts';
import { parseGraceState, type Alert, type GraceState } from '../src/core/index.ts';
import type { UsageSnapshotRecord } from '../src/export/index.ts';

/** Each migration runs once, in order, in its own transaction with its record in schema_migrations. */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'sites, transmissions, alerts, transitions',
    sql: `
      CREATE TABLE sites (
        id text PRIMARY KEY,
        state jsonb NOT NULL,
        runtime jsonb NOT NULL,
        updated_at bigint NOT NULL
      );
      CREATE TABLE transmissions (
        id bigserial PRIMARY KEY,
        site_id text NOT NULL,
        at bigint NOT NULL,
        result text NOT NULL CHECK (result IN ('passed', 'failed', 'cannot-see')),
        passed boolean,
        status text NOT NULL,
        reason_kind text,
        reason_detail text,
        trigger text NOT NULL
      );
      CREATE INDEX transmissions_by_site ON transmissions (site_id, at);
      CREATE TABLE alerts (
        id text PRIMARY KEY,
        site_id text NOT NULL,
        kind text NOT NULL,
        level text NOT NULL,
        turned_on bigint NOT NULL,
        resolved_at bigint,
        resolution text,
        description text NOT NULL
      );
      CREATE INDEX alerts_by_site ON alerts (site_id, turned_on);
      CREATE TABLE transitions (
        id bigserial PRIMARY KEY,
        site_id text NOT NULL,
        at bigint NOT NULL,
        from_status text,
        to_status text NOT NULL,
        deadline bigint
      );
      CREATE INDEX transitions_by_site ON transitions (site_id, at);
    `,
  },
  {
    version: 2,
    name: 'webhook outbox',
    sql: `
      CREATE TABLE webhook_outbox (
        id bigserial PRIMARY KEY,
        event_id text NOT NULL,
        webhook text NOT NULL,
        payload jsonb NOT NULL,
        created_at bigint NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        next_at bigint NOT NULL,
        delivered_at bigint,
        last_error text,
        UNIQUE (event_id, webhook)
      );
      CREATE INDEX webhook_outbox_due ON webhook_outbox (next_at) WHERE delivered_at IS NULL;
    `,
  },
  {
    version: 3,
    name: 'usage history',
    sql: `
      CREATE TABLE usage_history (
        id bigserial PRIMARY KEY,
        site_id text NOT NULL,
        site_name text NOT NULL,
        at bigint NOT NULL,
        protected_vms integer NOT NULL,
        license_type text,
        acknowledged_at bigint
      );
      CREATE INDEX usage_history_by_time ON usage_history (at, site_id);
    `,
  },
  {
    version: 4,
    name: 'instances and site leases',
    sql: `
      CREATE TABLE fleet_instances (
        id text PRIMARY KEY,
        name text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      );
      CREATE TABLE site_leases (
        site_id text PRIMARY KEY,
        owner text NOT NULL,
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX site_leases_by_owner ON site_leases (owner);
      ALTER TABLE transmissions ADD COLUMN instance text;
    `,
  },
  {
    version: 5,
    name: 'send-usage requests between instances',
    sql: `
      CREATE TABLE send_requests (
        id bigserial PRIMARY KEY,
        site_id text NOT NULL,
        asked_by text NOT NULL,
        asked_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        taken_by text,
        taken_at timestamptz,
        done_at timestamptz,
        result text,
        detail text,
        site jsonb
      );
      CREATE INDEX send_requests_open ON send_requests (site_id) WHERE done_at IS NULL;
    `,
  },
  {
    version: 6,
    name: 'calls of the ZVMs, stored before they are made',
    sql: `
      CREATE TABLE site_calls (
        site_id text PRIMARY KEY,
        called_at timestamptz NOT NULL,
        instance text
      );
    `,
  },
];

/** The channel instances sharing a server are told of send-usage requests on (`new`, `done:<id>`). */
export const SEND_CHANNEL = 'zerto_fleet_send';

/** A request not taken within this long is no longer run (its asker answered 504 or went away). */
const SEND_REQUEST_FRESH = '2 minutes';
/** How long a send-usage request stays in the table, answered or not. */
const SEND_REQUEST_KEPT = '1 hour';

/** A send-usage request's outcome, as the holder of the site's lease wrote it. */
export interface SendAnswer {
  result: string;
  detail: string | null;
  site: unknown;
}

/** The key of the advisory lock that lets one instance at a time migrate a shared database. */
const MIGRATION_LOCK = 7_312_004_016;

/** This instance lost the site's lease: its attempt is not written (the new holder's state stands). */
export class LeaseLost extends Error {
  constructor(readonly siteId: string) {
    super(`site ${siteId}: this instance no longer holds its lease`);
  }
}

/** A webhook post waiting in the outbox. */
export interface OutboxRow {
  id: number;
  eventId: string;
  webhook: string;
  payload: unknown;
  attempts: number;
}

/** What the service keeps about a site beside the engine's state. */
export interface Runtime {
  attempts: number;
  consecutiveFailures: number;
  lastResult: 'passed' | 'failed' | 'cannot-see' | null;
  lastResultAt: number | null;
  lastDetail: string | null;
  /**
   * The ZVM's licence as last read, and why it is likely the reason usage is not billed (a trial, NFR or
   * expired licence, or one that does not look like a Cloud licence); absent before the first reading.
   */
  licence?: { type: string | null; expiry: number | null; concern: string | null };
}

export const EMPTY_RUNTIME: Runtime = {
  attempts: 0,
  consecutiveFailures: 0,
  lastResult: null,
  lastResultAt: null,
  lastDetail: null,
};

export interface StoredSite {
  id: string;
  state: GraceState;
  runtime: Runtime;
}

export interface AttemptRecord {
  siteId: string;
  at: number;
  result: 'passed' | 'failed' | 'cannot-see';
  passed: boolean | null;
  status: string;
  reasonKind: string | null;
  reasonDetail: string | null;
  trigger: 'schedule' | 'operator';
  /** The instance that made the attempt (sharing a server), by name. */
  instance?: string | null;
}

export interface TransitionRecord {
  siteId: string;
  at: number;
  from: string | null;
  to: string;
  deadline: number | null;
}

export interface StoreOptions {
  /** PGlite's data folder (used without `databaseUrl`). */
  dataDir: string;
  /** A PostgreSQL server's connection URL: the store is shared with other instances. */
  databaseUrl?: string | undefined;
  log?: (line: string) => void;
}

export class Store {
  private constructor(private readonly db: Db) {}

  static async open(o: StoreOptions | string): Promise<Store> {
    const opts = typeof o === 'string' ? { dataDir: o } : o;
    const db = opts.databaseUrl
      ? await openServer(opts.databaseUrl, opts.log ?? (() => undefined))
      : await openPglite(opts.dataDir);
    const store = new Store(db);
    try {
      await store.migrate();
    } catch (e) {
      await db.close().catch(() => undefined);
      throw e;
    }
    return store;
  }

  /** `server` when shared with other instances (leases needed), `pglite` when this process is alone. */
  get kind(): Db['kind'] {
    return this.db.kind;
  }

  get where(): string {
    return this.db.where;
  }

  /**
   * Brings the schema up to date, one migration per transaction. Each transaction first takes an advisory
   * lock, so that instances starting together on one server migrate one after the other.
   */
  async migrate(): Promise<number> {
    const known = MIGRATIONS.at(-1)?.version ?? 0;
    for (;;) {
      const done = await this.db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
          version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
        const r = await tx.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
        const current = r.rows[0]?.v ?? 0;
        if (current > known) {
          throw new Error(
            `the database is at schema version ${current}, newer than this service knows (${known}): run a newer fleet service`,
          );
        }
        const next = MIGRATIONS.find((m) => m.version > current);
        if (!next) return true;
        await tx.exec(next.sql);
        await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
          next.version,
          next.name,
        ]);
        return false;
      });
      if (done) return known;
    }
  }

  async schemaVersion(): Promise<number> {
    const r = await this.db.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    return r.rows[0]?.v ?? 0;
  }

  /**
   * Every stored site (or those of `ids`); a state that fails validation is reported and left out (the site
   * starts afresh).
   */
  async loadSites(
    onDamage: (id: string, error: string) => void,
    ids?: readonly string[],
  ): Promise<Array<StoredSite & { updatedAt: number }>> {
    const r = await this.db.query<{ id: string; state: unknown; runtime: Runtime; updated_at: string }>(
      'SELECT id, state, runtime, updated_at FROM sites WHERE ($1::text[] IS NULL OR id = ANY($1::text[]))',
      [ids ? [...ids] : null],
    );
    const out: Array<StoredSite & { updatedAt: number }> = [];
    for (const row of r.rows) {
      const parsed = parseGraceState(row.state);
      if (!parsed.ok) {
        onDamage(row.id, parsed.error);
        continue;
      }
      out.push({
        id: row.id,
        state: parsed.value,
        runtime: { ...EMPTY_RUNTIME, ...row.runtime },
        updatedAt: Number(row.updated_at),
      });
    }
    return out;
  }

  /** One attempt, all or nothing: the state, the log line, the alerts that changed, the transition. */
  async recordAttempt(
    site: StoredSite,
    attempt: AttemptRecord | null,
    changedAlerts: readonly Alert[],
    transition: TransitionRecord | null,
    outbox: ReadonlyArray<{ eventId: string; webhook: string; payload: unknown }> = [],
    usage: UsageSnapshotRecord | null = null,
    /** With a shared server: the instance that must still hold the site's lease for this to be written. */
    fence: string | null = null,
  ): Promise<void> {
    await this.db.transaction(async (tx: Queryable) => {
      if (fence !== null) {
        // The lease row stays locked until this transaction ends: it cannot be taken over half-way.
        const held = await tx.query(
          `SELECT 1 FROM site_leases WHERE site_id = $1 AND owner = $2 AND expires_at > clock_timestamp()
           FOR UPDATE`,
          [site.id, fence],
        );
        if (held.rows.length === 0) throw new LeaseLost(site.id);
      }
      await tx.query(
        `INSERT INTO sites (id, state, runtime, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, runtime = EXCLUDED.runtime,
           updated_at = EXCLUDED.updated_at`,
        [site.id, JSON.stringify(site.state), JSON.stringify(site.runtime), Date.now()],
      );
      if (attempt) {
        await tx.query(
          `INSERT INTO transmissions (site_id, at, result, passed, status, reason_kind, reason_detail, trigger,
             instance)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            attempt.siteId,
            attempt.at,
            attempt.result,
            attempt.passed,
            attempt.status,
            attempt.reasonKind,
            attempt.reasonDetail,
            attempt.trigger,
            attempt.instance ?? null,
          ],
        );
      }
      for (const a of changedAlerts) {
        await tx.query(
          `INSERT INTO alerts (id, site_id, kind, level, turned_on, resolved_at, resolution, description)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (id) DO UPDATE SET resolved_at = EXCLUDED.resolved_at, resolution = EXCLUDED.resolution`,
          [a.id, site.id, a.kind, a.level, a.turnedOn, a.resolvedAt, a.resolution, a.description],
        );
      }
      if (transition) {
        await tx.query(
          'INSERT INTO transitions (site_id, at, from_status, to_status, deadline) VALUES ($1, $2, $3, $4, $5)',
          [transition.siteId, transition.at, transition.from, transition.to, transition.deadline],
        );
      }
      if (usage) {
        await tx.query(
          `INSERT INTO usage_history (site_id, site_name, at, protected_vms, license_type, acknowledged_at)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [
            usage.siteId,
            usage.siteName,
            usage.at,
            usage.protectedVms,
            usage.licenseType,
            usage.acknowledgedAt,
          ],
        );
      }
      for (const o of outbox) {
        await tx.query(
          `INSERT INTO webhook_outbox (event_id, webhook, payload, created_at, next_at)
           VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING`,
          [o.eventId, o.webhook, JSON.stringify(o.payload), Date.now()],
        );
      }
    });
  }

  /** The usage collected from some sites (or all) within a range, oldest first, as the export reads it. */
  async usage(from: number, to: number, siteIds?: readonly string[]): Promise<UsageSnapshotRecord[]> {
    const r = await this.db.query<{
      site_id: string;
      site_name: string;
      at: string;
      protected_vms: number;
      license_type: string | null;
      acknowledged_at: string | null;
    }>(
      `SELECT site_id, site_name, at, protected_vms, license_type, acknowledged_at FROM usage_history
       WHERE at >= $1 AND at <= $2 AND ($3::text[] IS NULL OR site_id = ANY($3::text[])) ORDER BY at, id`,
      [from, to, siteIds ? [...siteIds] : null],
    );
    return r.rows.map((x) => ({
      siteId: x.site_id,
      siteName: x.site_name,
      at: Number(x.at),
      protectedVms: x.protected_vms,
      licenseType: x.license_type,
      reportId: null,
      acknowledgedAt: x.acknowledged_at === null ? null : Number(x.acknowledged_at),
    }));
  }

  /** Drops usage older than the export can ask for. */
  async pruneUsage(before: number): Promise<void> {
    await this.db.query('DELETE FROM usage_history WHERE at < $1', [before]);
  }

  /**
   * Undelivered posts that are due, oldest first, each claimed for `claimMs` (its next try moved on), so that
   * two instances on one server do not post it both; one that dies mid-post leaves it to be retried then.
   * `webhook`: the posts of that receiver only; `except`: those of receivers not named (no longer configured).
   */
  async dueWebhooks(
    now: number,
    limit: number,
    claimMs = 60_000,
    only: { webhook?: string; except?: readonly string[] } = {},
  ): Promise<OutboxRow[]> {
    const r = await this.db.query<{
      id: string;
      event_id: string;
      webhook: string;
      payload: unknown;
      attempts: number;
    }>(
      `UPDATE webhook_outbox SET next_at = $3 WHERE id IN (
         SELECT id FROM webhook_outbox WHERE delivered_at IS NULL AND next_at <= $1
           AND ($4::text IS NULL OR webhook = $4) AND ($5::text[] IS NULL OR NOT webhook = ANY($5::text[]))
         ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING id, event_id, webhook, payload, attempts`,
      [now, limit, now + claimMs, only.webhook ?? null, only.except ? [...only.except] : null],
    );
    return r.rows
      .map((x) => ({
        id: Number(x.id),
        eventId: x.event_id,
        webhook: x.webhook,
        payload: x.payload,
        attempts: x.attempts,
      }))
      .sort((a, b) => a.id - b.id);
  }

  /** Gives claimed posts back, untried, to be tried at `nextAt` (their receiver is failing, or this instance stops). */
  async webhookRelease(ids: readonly number[], nextAt: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(
      'UPDATE webhook_outbox SET next_at = $2 WHERE id = ANY($1::bigint[]) AND delivered_at IS NULL',
      [[...ids], nextAt],
    );
  }

  async webhookDelivered(id: number, at: number): Promise<void> {
    await this.db.query(
      'UPDATE webhook_outbox SET delivered_at = $2, attempts = attempts + 1 WHERE id = $1',
      [id, at],
    );
  }

  async webhookFailed(id: number, nextAt: number, error: string): Promise<void> {
    await this.db.query(
      'UPDATE webhook_outbox SET attempts = attempts + 1, next_at = $2, last_error = $3 WHERE id = $1',
      [id, nextAt, error.slice(0, 500)],
    );
  }

  async webhookBacklog(): Promise<number> {
    const r = await this.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM webhook_outbox WHERE delivered_at IS NULL',
    );
    return r.rows[0]?.n ?? 0;
  }

  async transmissions(siteId: string, limit = 100): Promise<AttemptRecord[]> {
    const r = await this.db.query<{
      at: string;
      result: AttemptRecord['result'];
      passed: boolean | null;
      status: string;
      reason_kind: string | null;
      reason_detail: string | null;
      trigger: AttemptRecord['trigger'];
    }>(
      `SELECT at, result, passed, status, reason_kind, reason_detail, trigger FROM transmissions
       WHERE site_id = $1 ORDER BY id DESC LIMIT $2`,
      [siteId, limit],
    );
    return r.rows.map((x) => ({
      siteId,
      at: Number(x.at),
      result: x.result,
      passed: x.passed,
      status: x.status,
      reasonKind: x.reason_kind,
      reasonDetail: x.reason_detail,
      trigger: x.trigger,
    }));
  }

  async transmissionCount(siteId: string): Promise<number> {
    const r = await this.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM transmissions WHERE site_id = $1',
      [siteId],
    );
    return r.rows[0]?.n ?? 0;
  }

  async transitions(siteId: string, limit = 100): Promise<TransitionRecord[]> {
    const r = await this.db.query<{
      at: string;
      from_status: string | null;
      to_status: string;
      deadline: string | null;
    }>(
      'SELECT at, from_status, to_status, deadline FROM transitions WHERE site_id = $1 ORDER BY id DESC LIMIT $2',
      [siteId, limit],
    );
    return r.rows.map((x) => ({
      siteId,
      at: Number(x.at),
      from: x.from_status,
      to: x.to_status,
      deadline: x.deadline === null ? null : Number(x.deadline),
    }));
  }

  async alertHistory(siteId: string, limit = 200): Promise<Array<Omit<Alert, 'site'>>> {
    const r = await this.db.query<AlertRow>(
      `SELECT ${ALERT_COLUMNS} FROM alerts WHERE site_id = $1 ORDER BY turned_on DESC LIMIT $2`,
      [siteId, limit],
    );
    return r.rows.map(alertOf);
  }

  /** The billing alerts of these sites, active first, then the newest; at most `limit`. */
  async alertsOf(
    siteIds: readonly string[],
    limit: number,
  ): Promise<Array<Omit<Alert, 'site'> & { siteId: string }>> {
    if (siteIds.length === 0) return [];
    const r = await this.db.query<AlertRow>(
      `SELECT ${ALERT_COLUMNS} FROM alerts
       WHERE site_id = ANY($1::text[]) ORDER BY (resolved_at IS NOT NULL), turned_on DESC LIMIT $2`,
      [[...siteIds], limit],
    );
    return r.rows.map((x) => ({ siteId: x.site_id, ...alertOf(x) }));
  }

  /**
   * The last `days` days of every site's transmission log, in one query and a few rows a day: per site and
   * day (counted back from `now`), the latest attempt that sent usage and the latest that did not. "Cannot
   * see" attempts are no usage signal and are left out.
   */
  async recentDays(
    now: number,
    days: number,
    /** These sites only (all when absent). */
    siteIds?: readonly string[],
  ): Promise<Map<string, Array<{ at: number; ok: boolean }>>> {
    const r = await this.db.query<{ site_id: string; at: string; ok: boolean }>(
      `SELECT site_id, max(at) AS at, (result = 'passed') AS ok FROM transmissions
       WHERE at > $1::bigint AND at <= $2::bigint AND result <> 'cannot-see'
         AND ($3::text[] IS NULL OR site_id = ANY($3::text[]))
       GROUP BY site_id, ($2::bigint - at) / 86400000, (result = 'passed')
       ORDER BY at`,
      [now - days * 86_400_000, now, siteIds ? [...siteIds] : null],
    );
    const out = new Map<string, Array<{ at: number; ok: boolean }>>();
    for (const x of r.rows) {
      let list = out.get(x.site_id);
      if (!list) out.set(x.site_id, (list = []));
      list.push({ at: Number(x.at), ok: x.ok });
    }
    return out;
  }

  /**
   * One lease round of a shared server, in one transaction: this instance's heartbeat; its leases on the
   * sites it keeps renewed for `ttlMs`; those of `release` and of sites it no longer runs given up; then as
   * many free (or expired) sites of `wanted` taken as bring it to its fair share of the configured sites
   * among the live instances. Times are the database's, so that instances need not agree on a clock.
   */
  async leaseRound(o: {
    instance: string;
    name: string;
    ttlMs: number;
    wanted: readonly string[];
    release: readonly string[];
  }): Promise<{ held: string[]; live: number; share: number; owners: Map<string, string> }> {
    return this.db.transaction(async (tx) => {
      const ttl = `${Math.round(o.ttlMs)} milliseconds`;
      await tx.query(
        `INSERT INTO fleet_instances (id, name, expires_at) VALUES ($1, $2, clock_timestamp() + $3::interval)
         ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
        [o.instance, o.name, ttl],
      );
      await tx.query(`DELETE FROM fleet_instances WHERE expires_at < clock_timestamp() - interval '1 hour'`);
      const wanted = [...o.wanted];
      await tx.query(
        `DELETE FROM site_leases WHERE owner = $1 AND (site_id = ANY($2::text[]) OR NOT site_id = ANY($3::text[]))`,
        [o.instance, [...o.release], wanted],
      );
      const renewed = await tx.query<{ site_id: string }>(
        `UPDATE site_leases SET expires_at = clock_timestamp() + $2::interval WHERE owner = $1
         RETURNING site_id`,
        [o.instance, ttl],
      );
      const live = await tx.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM fleet_instances WHERE expires_at > clock_timestamp()',
      );
      const n = Math.max(1, live.rows[0]?.n ?? 1);
      const share = Math.ceil(wanted.length / n);
      const held = renewed.rows.map((r) => r.site_id);
      const room = share - held.length;
      if (room > 0) {
        // Free sites first in a random order, so that instances starting together do not collide on one.
        const taken = await tx.query<{ site_id: string }>(
          `INSERT INTO site_leases (site_id, owner, expires_at)
           SELECT id, $1, clock_timestamp() + $2::interval FROM unnest($3::text[]) AS w(id)
           WHERE NOT EXISTS (SELECT 1 FROM site_leases l WHERE l.site_id = w.id AND l.expires_at > clock_timestamp())
           ORDER BY random() LIMIT $4
           ON CONFLICT (site_id) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
             WHERE site_leases.expires_at <= clock_timestamp()
           RETURNING site_id`,
          [o.instance, ttl, wanted, room],
        );
        held.push(...taken.rows.map((r) => r.site_id));
      }
      const all = await tx.query<{ site_id: string; name: string }>(
        `SELECT l.site_id, coalesce(i.name, l.owner) AS name FROM site_leases l
         LEFT JOIN fleet_instances i ON i.id = l.owner WHERE l.expires_at > clock_timestamp()`,
      );
      return { held, live: n, share, owners: new Map(all.rows.map((r) => [r.site_id, r.name])) };
    });
  }

  /**
   * Notes that the site's ZVM is about to be called (an attempt starts), on the database's clock, before the
   * call: an instance that dies before its attempt is stored leaves this behind, and whoever reads the site
   * next waits out the interval from it. With a shared server, only while `fence` (this instance) holds the
   * site's lease: false when it does not (the ZVM must not be called).
   */
  async markCall(siteId: string, fence: string | null): Promise<boolean> {
    const r = await this.db.query(
      `INSERT INTO site_calls (site_id, called_at, instance)
       SELECT $1::text, clock_timestamp(), $2::text
       WHERE $2::text IS NULL OR EXISTS (
         SELECT 1 FROM site_leases WHERE site_id = $1 AND owner = $2 AND expires_at > clock_timestamp())
       ON CONFLICT (site_id) DO UPDATE SET called_at = EXCLUDED.called_at, instance = EXCLUDED.instance
       RETURNING 1`,
      [siteId, fence],
    );
    return r.rows.length > 0;
  }

  /** How long ago (ms, on the database's clock) each of these sites' ZVM was last called, where it ever was. */
  async lastCalls(ids: readonly string[]): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    const r = await this.db.query<{ site_id: string; ago: number }>(
      `SELECT site_id, (extract(epoch FROM clock_timestamp() - called_at) * 1000)::float8 AS ago
       FROM site_calls WHERE site_id = ANY($1::text[])`,
      [[...ids]],
    );
    return new Map(r.rows.map((x) => [x.site_id, Math.max(0, Number(x.ago))]));
  }

  /** Gives up some of this instance's leases (more than its share: another instance takes them). */
  async releaseLeases(instance: string, ids: readonly string[]): Promise<void> {
    await this.db.query('DELETE FROM site_leases WHERE owner = $1 AND site_id = ANY($2::text[])', [
      instance,
      [...ids],
    ]);
  }

  /** Gives up every lease of this instance and its heartbeat (a clean stop: others take over at once). */
  async leaveFleet(instance: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('DELETE FROM site_leases WHERE owner = $1', [instance]);
      await tx.query('DELETE FROM fleet_instances WHERE id = $1', [instance]);
    });
  }

  /**
   * Deletes the send-usage requests asked over an hour ago, answered or not (an asker reads its answer within a
   * minute, and a request is taken within SEND_REQUEST_FRESH or never). Apart from the lease round's
   * transaction, and skipping rows another instance is deleting: instances never wait on each other for it.
   */
  async pruneSends(): Promise<void> {
    await this.db.query(
      `DELETE FROM send_requests WHERE id IN (
         SELECT id FROM send_requests WHERE asked_at < clock_timestamp() - $1::interval FOR UPDATE SKIP LOCKED)`,
      [SEND_REQUEST_KEPT],
    );
  }

  /** Sharing a server: listens for send-usage requests and answers (null with PGlite). */
  async listenSends(onMessage: (payload: string) => void): Promise<(() => Promise<void>) | null> {
    if (!this.db.listen) return null;
    return this.db.listen(SEND_CHANNEL, onMessage);
  }

  /** Asks the holder of a site's lease to send its usage; the request's id. */
  async askSend(siteId: string, instance: string): Promise<number> {
    const r = await this.db.query<{ id: string }>(
      `WITH r AS (INSERT INTO send_requests (site_id, asked_by) VALUES ($1, $2) RETURNING id)
       SELECT id, pg_notify($3, 'new') FROM r`,
      [siteId, instance, SEND_CHANNEL],
    );
    return Number(r.rows[0]!.id);
  }

  /** The request's answer once done, or null while it is open. */
  async sendAnswer(id: number): Promise<SendAnswer | null> {
    const r = await this.db.query<{ result: string; detail: string | null; site: unknown }>(
      'SELECT result, detail, site FROM send_requests WHERE id = $1 AND done_at IS NOT NULL',
      [id],
    );
    return r.rows[0] ?? null;
  }

  /** The asker gives up: a request no instance has taken is not run any more. True when it was cancelled. */
  async cancelSend(id: number): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE send_requests SET done_at = clock_timestamp(), result = 'cancelled'
       WHERE id = $1 AND done_at IS NULL AND taken_by IS NULL RETURNING id`,
      [id],
    );
    return r.rows.length > 0;
  }

  /**
   * Takes the open requests of the sites whose lease this instance holds (including those another holder
   * took and did not finish: it lost the site or died), except those of `running` (under way here).
   */
  async takeSends(
    instance: string,
    running: readonly number[],
  ): Promise<Array<{ id: number; siteId: string }>> {
    const r = await this.db.query<{ id: string; site_id: string }>(
      `UPDATE send_requests SET taken_by = $1, taken_at = clock_timestamp() WHERE id IN (
         SELECT r.id FROM send_requests r JOIN site_leases l ON l.site_id = r.site_id
         WHERE r.done_at IS NULL AND l.owner = $1 AND l.expires_at > clock_timestamp()
           AND r.asked_at > clock_timestamp() - $3::interval AND NOT r.id = ANY($2::bigint[])
         ORDER BY r.id FOR UPDATE OF r SKIP LOCKED)
       RETURNING id, site_id`,
      [instance, [...running], SEND_REQUEST_FRESH],
    );
    return r.rows.map((x) => ({ id: Number(x.id), siteId: x.site_id })).sort((a, b) => a.id - b.id);
  }

  /** Gives a taken request back (this instance no longer reads the site): the next holder takes it. */
  async returnSend(id: number, instance: string): Promise<void> {
    await this.db.query(
      `UPDATE send_requests SET taken_by = NULL, taken_at = NULL WHERE id = $1 AND taken_by = $2 AND done_at IS NULL`,
      [id, instance],
    );
  }

  /** Writes a request's outcome and tells its asker. */
  async answerSend(id: number, instance: string, answer: SendAnswer): Promise<void> {
    await this.db.query(
      `WITH r AS (UPDATE send_requests SET done_at = clock_timestamp(), result = $3, detail = $4, site = $5
         WHERE id = $1 AND taken_by = $2 AND done_at IS NULL RETURNING id)
       SELECT pg_notify($6, 'done:' || id) FROM r`,
      [id, instance, answer.result, answer.detail, JSON.stringify(answer.site), SEND_CHANNEL],
    );
  }

  /** Whether any fresh request is open (then instances look for theirs every second). */
  async openSends(): Promise<boolean> {
    const r = await this.db.query(
      `SELECT 1 FROM send_requests WHERE done_at IS NULL AND asked_at > clock_timestamp() - $1::interval LIMIT 1`,
      [SEND_REQUEST_FRESH],
    );
    return r.rows.length > 0;
  }

  /** A trivial query: the database answers. */
  async ping(): Promise<boolean> {
    await this.db.query('SELECT 1');
    return true;
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/** An alert as the `alerts` table holds it. */
interface AlertRow {
  id: string;
  site_id: string;
  kind: Alert['kind'];
  level: Alert['level'];
  turned_on: string;
  resolved_at: string | null;
  resolution: Alert['resolution'];
  description: string;
}

const ALERT_COLUMNS = 'id, site_id, kind, level, turned_on, resolved_at, resolution, description';

function alertOf(x: Omit<AlertRow, 'site_id'>): Omit<Alert, 'site'> {
  return {
    id: x.id,
    kind: x.kind,
    level: x.level,
    turnedOn: Number(x.turned_on),
    resolvedAt: x.resolved_at === null ? null : Number(x.resolved_at),
    resolution: x.resolution,
    description: x.description,
  };
}
