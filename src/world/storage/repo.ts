import {
  createState,
  GRACE_LIMITS_MS,
  graceMs,
  isTime,
  reopenAlert,
  parseAlert,
  parseGraceState,
  reduce,
  type Alert,
  type GraceEvent,
  type GraceState,
  type Policy,
  type Site,
} from '../../core/index.ts';
import type { Db, LogRecord } from './db.ts';

/** How many transmission results are kept per site. */
export const LOG_LIMIT = 500;

export interface QuarantineDetail {
  store: string;
  key: string;
  error: string;
}

/** Damaged records are reported here (and on the console); listeners never see an exception. */
export const storageEvents = new EventTarget();

export function reportDamage(detail: QuarantineDetail): void {
  console.error(`zerto-billing: damaged ${detail.store} record "${detail.key}" set aside: ${detail.error}`);
  storageEvents.dispatchEvent(new CustomEvent('quarantine', { detail }));
}

/**
 * Builds the safest state from a damaged (or older) record: only times up to now are believed; an alert that
 * can be read is re-opened at its date with the earliest deadline that can be proved (the recorded one, never
 * later than the policy allows from the first alert); what cannot be read starts over as unknown, to be
 * re-established by the next probe, never shown as ok on trust.
 */
export function salvageState(
  raw: unknown,
  site: Site,
  policy: Policy,
  now: number,
  authority = false,
): GraceState {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const past = (x: unknown): number | null => (isTime(x) && x <= now ? x : null);
  const lastSuccessAt = past(r.lastSuccessAt);
  const trackingSince = Math.min(past(r.trackingSince) ?? now, lastSuccessAt ?? now);
  let s: GraceState = {
    ...createState(site, policy, trackingSince, authority),
    latestSeen: now,
    lastSuccessAt,
  };
  const recorded = isTime(r.deadline) ? r.deadline : null;
  const first =
    past(r.firstAlertAt) ?? (recorded === null ? null : Math.min(recorded - graceMs(policy), now));
  if (first !== null) {
    const limit = first + graceMs(policy);
    const deadline = recorded !== null && recorded >= first ? Math.min(recorded, limit) : limit;
    const source = r.alertSource === 'authority' ? 'authority' : 'engine';
    s = reopenAlert(s, first, Math.max(deadline, first + GRACE_LIMITS_MS.min), source, now);
  }
  return reduce(s, { type: 'tick' }, now);
}

export interface ApplyResult {
  before: GraceState | null;
  after: GraceState;
}

/** Who enforces, by mode: the ZVM in zvm mode; this console's own observations otherwise. */
export interface SiteRule {
  policy: Policy;
  authority: boolean;
}

/**
 * Applies one engine event to a site's stored state in a single IndexedDB transaction, so that every tab,
 * worker and the extension can apply events without losing each other's updates.
 */
export async function applyEvent(
  db: Db,
  site: Site,
  rule: Policy | SiteRule,
  event: GraceEvent,
  now: number,
): Promise<ApplyResult> {
  const { policy, authority } = 'authority' in rule ? rule : { policy: rule, authority: false };
  const tx = db.transaction(['sites', 'alerts', 'quarantine'], 'readwrite');
  const sites = tx.objectStore('sites');
  const raw = await sites.get(site.id);
  const at = isTime(now) ? now : Date.now();
  let before: GraceState | null = null;
  let base: GraceState;
  if (raw === undefined) {
    base = createState(site, policy, at, authority);
  } else {
    const parsed = parseGraceState(raw);
    if (parsed.ok) {
      before = parsed.value;
      base = parsed.value;
    } else {
      // A record of the previous version is not damaged, only older: it is carried over without a report.
      if ((raw as { v?: unknown } | null)?.v !== 1) {
        await tx
          .objectStore('quarantine')
          .add({ store: 'sites', key: site.id, value: raw, error: parsed.error, at });
        reportDamage({ store: 'sites', key: site.id, error: parsed.error });
      }
      base = salvageState(raw, site, policy, at, authority);
    }
  }
  if (
    policyDiffers(base.policy, policy) ||
    base.authority !== authority ||
    (site.name && site.name !== base.site.name)
  ) {
    base = reduce(base, { type: 'configure', policy, authority, siteName: site.name || base.site.name }, now);
  }
  const after = reduce(base, event, now);
  await sites.put(after, site.id);
  const alerts = tx.objectStore('alerts');
  for (const a of changedAlerts(before, after)) await alerts.put(a, a.id);
  await tx.done;
  return { before, after };
}

function policyDiffers(a: Policy, b: Policy): boolean {
  return a.interval !== b.interval || a.alertAfter !== b.alertAfter || a.graceDays !== b.graceDays;
}

function changedAlerts(before: GraceState | null, after: GraceState): Alert[] {
  const old = new Map(before?.alerts.map((a) => [a.id, a]) ?? []);
  return after.alerts.filter((a) => {
    const o = old.get(a.id);
    return !o || o.resolvedAt !== a.resolvedAt || o.turnedOn !== a.turnedOn;
  });
}

export type ReadResult =
  | { status: 'absent' }
  | { status: 'ok'; state: GraceState }
  | { status: 'damaged'; state: GraceState; error: string };

/**
 * Reads a site's state for display. A damaged record is quarantined and replaced by its salvage (in one
 * transaction, so two readers never both quarantine it); an absent one reads as absent (unknown), never ok.
 */
export async function readState(
  db: Db,
  site: Site,
  rule: Policy | SiteRule,
  now: number,
): Promise<ReadResult> {
  const raw = await db.get('sites', site.id);
  if (raw === undefined) return { status: 'absent' };
  const parsed = parseGraceState(raw);
  if (parsed.ok) return { status: 'ok', state: parsed.value };
  const { after } = await applyEvent(db, site, rule, { type: 'tick' }, now);
  return { status: 'damaged', state: after, error: parsed.error };
}

export async function readAlertHistory(db: Db, siteId?: string): Promise<Alert[]> {
  const raws = siteId ? await db.getAllFromIndex('alerts', 'bySite', siteId) : await db.getAll('alerts');
  const out: Alert[] = [];
  for (const raw of raws) {
    const parsed = parseAlert(raw);
    if (parsed.ok) out.push(parsed.value);
    else reportDamage({ store: 'alerts', key: String((raw as { id?: unknown })?.id), error: parsed.error });
  }
  return out.sort((a, b) => b.turnedOn - a.turnedOn);
}

export async function appendLog(db: Db, record: Omit<LogRecord, 'id'>): Promise<void> {
  const tx = db.transaction('log', 'readwrite');
  await tx.store.add(record as LogRecord);
  const range = IDBKeyRange.bound([record.siteId, -Infinity], [record.siteId, Infinity]);
  const count = await tx.store.index('bySite').count(range);
  let excess = count - LOG_LIMIT;
  if (excess > 0) {
    let cursor = await tx.store.index('bySite').openCursor(range);
    while (cursor && excess-- > 0) {
      await cursor.delete();
      cursor = await cursor.continue();
    }
  }
  await tx.done;
}

export async function readLog(db: Db, siteId: string, since = -Infinity): Promise<LogRecord[]> {
  return db.getAllFromIndex('log', 'bySite', IDBKeyRange.bound([siteId, since], [siteId, Infinity]));
}

/** Every site's stored state, validated; damaged ones are reported and left out (a read never repairs). */
export async function readAllStates(db: Db): Promise<GraceState[]> {
  const tx = db.transaction('sites');
  const [keys, values] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll()]);
  const out: GraceState[] = [];
  values.forEach((raw, i) => {
    const parsed = parseGraceState(raw);
    if (parsed.ok) out.push(parsed.value);
    else reportDamage({ store: 'sites', key: String(keys[i]), error: parsed.error });
  });
  return out;
}
