// In-page seeding and export harness: what the script-tag build does not expose (writing a stored state,
// filling the outbox and the usage history, calling the manual-billing export). Built from the library's
// sources with the library's Vite settings by bench/browser.ts and served as /bench/harness.js; it uses the
// default database name, so the built elements of the same browser context read what it wrote.
import { exportModule } from 'virtual:zbb-bench-export';
import { DAY, DEFAULT_POLICY, HOUR, type Policy } from '../../src/core/index.ts';
import type { UsageSnapshotRecord as Snapshot } from '../../src/export/daily.ts';
import { buildReport, parseSiteConfig } from '../../src/world/probes/index.ts';
import { openBillingDb } from '../../src/world/storage/db.ts';
import { applyEvent } from '../../src/world/storage/repo.ts';

/** A raw view of the database, for stores that may not exist in every version of the schema. */
interface RawDb {
  objectStoreNames: DOMStringList;
  transaction(
    store: string,
    mode: 'readwrite',
  ): { objectStore(name: string): { put(v: unknown): unknown }; done: Promise<void> };
}

const raw = async (): Promise<RawDb> => (await openBillingDb()) as unknown as RawDb;

/**
 * Stores a warning: the last success `lastSuccessAgo` before `now`, the last (failed) attempt `lastAttemptAgo`
 * before `now`. Returns the stored phase.
 */
export async function seedWarning(o: {
  site: { id: string; name: string };
  now: number;
  lastSuccessAgo: number;
  lastAttemptAgo: number;
  policy?: Policy;
}): Promise<string> {
  const db = await openBillingDb();
  const policy = o.policy ?? DEFAULT_POLICY;
  await applyEvent(db, o.site, policy, { type: 'succeeded' }, o.now - o.lastSuccessAgo);
  const { after } = await applyEvent(
    db,
    o.site,
    policy,
    { type: 'failed', reason: { kind: 'network', detail: 'seeded by the bench' } },
    o.now - o.lastAttemptAgo,
  );
  return after.phase;
}

/**
 * Queues `count` usage reports of one site, one per `interval` up to `now` (an outage that long), in one
 * transaction, each with its usage snapshot not yet acknowledged when the schema has a usage history.
 */
export async function seedOutbox(o: {
  site: { id: string; name: string };
  billingUrl: string;
  count: number;
  now: number;
  interval: number;
}): Promise<{ outbox: number; usage: number }> {
  const config = parseSiteConfig({
    siteId: o.site.id,
    siteName: o.site.name,
    mode: 'direct',
    billingUrl: o.billingUrl,
    protectedVms: 40,
    policy: { ...DEFAULT_POLICY, interval: o.interval },
  });
  if (!config.ok) throw new Error(config.error);
  const endpoint = new URL('v1/usage', o.billingUrl.endsWith('/') ? o.billingUrl : `${o.billingUrl}/`).href;
  const db = await raw();
  const withUsage = db.objectStoreNames.contains('usage');
  const tx = db.transaction('outbox', 'readwrite');
  const tu = withUsage ? db.transaction('usage', 'readwrite') : null;
  for (let i = 0; i < o.count; i++) {
    const at = o.now - (o.count - i) * o.interval;
    const protectedVms = 40 + (i % 7);
    // Consecutive periods, as the period rule makes them.
    const period = { from: at - o.interval, to: at };
    const report = buildReport(
      { config: config.value, secrets: {}, now: () => at },
      { protectedVms },
      period,
    );
    void tx.objectStore('outbox').put({
      reportId: report.reportId,
      siteId: o.site.id,
      endpoint,
      body: report,
      createdAt: at,
      attempts: 1,
      lastError: 'network: seeded outage',
    });
    if (tu) {
      const snapshot: Snapshot = {
        siteId: o.site.id,
        siteName: o.site.name,
        at,
        protectedVms,
        licenseType: null,
        reportId: report.reportId,
        acknowledgedAt: null,
      };
      void tu.objectStore('usage').put(snapshot);
    }
  }
  await Promise.all([tx.done, tu?.done]);
  return { outbox: o.count, usage: tu ? o.count : 0 };
}

/** Fills the usage history: `sites` sites, one snapshot a day each for `days` days up to `now`. */
export async function seedUsage(o: { sites: number; days: number; now: number }): Promise<number> {
  const db = await raw();
  if (!db.objectStoreNames.contains('usage')) return 0;
  const tx = db.transaction('usage', 'readwrite');
  const today = Math.floor(o.now / DAY) * DAY;
  let n = 0;
  for (let d = 0; d < o.days; d++) {
    const at = today - d * DAY + 12 * HOUR;
    for (let s = 0; s < o.sites; s++) {
      const acked = (d + s) % 11 !== 0;
      const snapshot: Snapshot = {
        siteId: `zvm-${String(s).padStart(3, '0')}`,
        siteName: `Site ${s}`,
        at: Math.min(at, o.now),
        protectedVms: 20 + ((s * 7 + d) % 300),
        licenseType: 'Enterprise',
        reportId: `r-${s}-${d}`,
        acknowledgedAt: acked ? Math.min(at, o.now) + 1000 : null,
      };
      void tx.objectStore('usage').put(snapshot);
      n++;
    }
  }
  await tx.done;
  return n;
}

/** Whether the manual-billing export (src/world/export-usage.ts) was there when the bench was built. */
export function exportAvailable(): boolean {
  return typeof exportModule?.exportUsage === 'function';
}

/** Runs the manual-billing export of every site over the `days` days up to `now`: its wall time and output. */
export async function runExport(o: {
  days: number;
  now: number;
  format: 'csv' | 'json';
}): Promise<{ ms: number; rows: number | null; bytes: number | null }> {
  const exportUsage = exportModule?.exportUsage as
    ((db: unknown, q: unknown) => Promise<{ rows?: number; bytes?: Uint8Array }>) | undefined;
  if (!exportUsage) throw new Error('the export is not available');
  const db = await openBillingDb();
  const to = Math.floor(o.now / DAY) * DAY + DAY - 1;
  const range = { from: to + 1 - o.days * DAY, to };
  const t0 = performance.now();
  const file = await exportUsage(db, { range, format: o.format, now: o.now });
  const ms = performance.now() - t0;
  return { ms, rows: file.rows ?? null, bytes: file.bytes?.byteLength ?? null };
}
