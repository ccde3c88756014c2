import { publishForgotten } from './poller/channel.ts';
import { openBillingDb, type Db } from './storage/db.ts';

// Forgetting a site removes what this browser remembers to show it (its grace state, transmission log, alerts
// and notes), never billing data: usage reports still in the outbox are delivered by the sweep of unwatched
// sites (see sweepUnwatched), and the usage history stays for the manual-billing export (pruned by age, as
// every site's is). A page or extension that still watches the site stores it again at its next check.

/** The meta store's keys name their site after the first colon (`period-end:<site>`, `no-local-record:<site>`). */
const siteOfMetaKey = (key: string): string | null => {
  const i = key.indexOf(':');
  return i < 0 ? null : key.slice(i + 1);
};

/**
 * The meta keys that keep the period rule (where the site's last period ends and began, see period-mark.ts):
 * kept while the site has reports in the outbox.
 */
const PERIOD_END = 'period-end:';
const PERIOD_KEYS = [PERIOD_END, 'period-from:'];
const keepsPeriod = (key: IDBValidKey) => PERIOD_KEYS.some((p) => String(key).startsWith(p));

export interface ForgetResult {
  siteId: string;
  /** What was removed: the stored state (0 or 1), transmission-log entries, alerts, and meta keys. */
  removed: { state: number; log: number; alerts: number; meta: number };
  /**
   * What was kept because it is billing data: reports waiting to be delivered, reports the receiver refused
   * (set aside, shown and exported), usage snapshots for the manual-billing export, and whether the end of
   * the site's last queued period was kept (it is while reports wait, so that a site watched again never
   * bills a period twice).
   */
  kept: { waiting: number; setAside: number; usage: number; periodEnd: boolean };
  /** Usage reports still waiting for delivery, kept (same as `kept.waiting`). */
  keptWaiting: number;
}

const bySite = (siteId: string) => IDBKeyRange.bound([siteId, -Infinity], [siteId, Infinity]);

/**
 * Removes, in one IndexedDB transaction, what this browser remembers of one site: its grace state,
 * transmission log, alerts and meta keys. Other sites' records are not touched. The site's usage reports in
 * the outbox (waiting or set aside) and its usage history are kept and counted in the answer. Every context
 * of the origin is told (`onForgotten`), so lists read their sites again.
 */
export async function forgetSite(siteId: string, opts: { db?: Db } = {}): Promise<ForgetResult> {
  if (typeof siteId !== 'string' || !siteId) throw new TypeError('forgetSite: a site id is required');
  const db = opts.db ?? (await openBillingDb());
  const tx = db.transaction(['sites', 'log', 'alerts', 'meta', 'outbox', 'usage'], 'readwrite');
  const [hadState, logKeys, alertKeys, metaKeys, queued, usage] = await Promise.all([
    tx.objectStore('sites').count(siteId),
    tx.objectStore('log').index('bySite').getAllKeys(bySite(siteId)),
    tx.objectStore('alerts').index('bySite').getAllKeys(siteId),
    tx.objectStore('meta').getAllKeys(),
    tx.objectStore('outbox').index('bySite').getAll(bySite(siteId)),
    tx.objectStore('usage').index('bySite').count(bySite(siteId)),
  ]);
  const setAside = queued.filter((r) => r.refused).length;
  const waiting = queued.length - setAside;
  const keepPeriodEnd = queued.length > 0;
  const metaOfSite = metaKeys.filter((k) => siteOfMetaKey(String(k)) === siteId);
  const removeMeta = metaOfSite.filter((k) => !(keepPeriodEnd && keepsPeriod(k)));
  await Promise.all([
    tx.objectStore('sites').delete(siteId),
    ...logKeys.map((k) => tx.objectStore('log').delete(k)),
    ...alertKeys.map((k) => tx.objectStore('alerts').delete(k)),
    ...removeMeta.map((k) => tx.objectStore('meta').delete(k)),
    tx.done,
  ]);
  publishForgotten(siteId);
  return {
    siteId,
    removed: { state: hadState, log: logKeys.length, alerts: alertKeys.length, meta: removeMeta.length },
    kept: {
      waiting,
      setAside,
      usage,
      periodEnd: metaOfSite.some((k) => String(k).startsWith(PERIOD_END)) && keepPeriodEnd,
    },
    keptWaiting: waiting,
  };
}
