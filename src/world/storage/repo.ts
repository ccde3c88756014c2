import {
  createState,
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

const finite = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/**
 * Builds the safest state from a damaged record: whatever deadline can still be read is kept (so a damaged
 * record never buys extra grace); what cannot be read starts over as unknown, to be re-established by the
 * next probe, never shown as ok on trust.
 */
export function salvageState(raw: unknown, site: Site, policy: Policy, now: number): GraceState {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const lastSuccessAt = finite(r.lastSuccessAt);
  const trackingSince = Math.min(finite(r.trackingSince) ?? now, lastSuccessAt ?? now, now);
  const latestSeen = Math.max(finite(r.latestSeen) ?? now, now);
  let s: GraceState = { ...createState(site, policy, trackingSince), latestSeen: trackingSince };
  if (lastSuccessAt !== null) s = { ...reduce(s, { type: 'succeeded' }, lastSuccessAt), phase: 'unknown' };
  const firstAlertAt = finite(r.firstAlertAt);
  const deadline = finite(r.deadline);
  if (firstAlertAt !== null && deadline !== null && deadline >= firstAlertAt) {
    // Re-open the alert at its old date, keeping the old deadline even if the policy now says otherwise.
    s = reduce({ ...s, phase: 'ok' }, { type: 'authority-alert', turnedOn: firstAlertAt }, firstAlertAt);
    s = { ...s, alertSource: r.alertSource === 'authority' ? 'authority' : 'engine', deadline };
  }
  return reduce(s, { type: 'tick' }, latestSeen);
}

export interface ApplyResult {
  before: GraceState | null;
  after: GraceState;
}

/**
 * Applies one engine event to a site's stored state in a single IndexedDB transaction, so that every tab,
 * worker and the extension can apply events without losing each other's updates.
 */
export async function applyEvent(
  db: Db,
  site: Site,
  policy: Policy,
  event: GraceEvent,
  now: number,
): Promise<ApplyResult> {
  const tx = db.transaction(['sites', 'alerts', 'meta', 'quarantine'], 'readwrite');
  const sites = tx.objectStore('sites');
  const raw = await sites.get(site.id);
  const metaLatest = finite(await tx.objectStore('meta').get('latestSeen'));
  const seen = Math.max(now, metaLatest ?? now);
  let before: GraceState | null = null;
  let base: GraceState;
  if (raw === undefined) {
    base = createState(site, policy, Number.isFinite(seen) ? seen : Date.now());
  } else {
    const parsed = parseGraceState(raw);
    if (parsed.ok) {
      before = parsed.value;
      base = parsed.value;
    } else {
      await tx
        .objectStore('quarantine')
        .add({ store: 'sites', key: site.id, value: raw, error: parsed.error, at: seen });
      reportDamage({ store: 'sites', key: site.id, error: parsed.error });
      base = salvageState(raw, site, policy, seen);
    }
  }
  if (policyDiffers(base.policy, policy) || (site.name && site.name !== base.site.name)) {
    base = reduce(base, { type: 'configure', policy, siteName: site.name || base.site.name }, now);
  }
  const after = reduce(base, event, now);
  await sites.put(after, site.id);
  const alerts = tx.objectStore('alerts');
  for (const a of changedAlerts(before, after)) await alerts.put(a, a.id);
  if (after.latestSeen > (metaLatest ?? -Infinity))
    await tx.objectStore('meta').put(after.latestSeen, 'latestSeen');
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
export async function readState(db: Db, site: Site, policy: Policy, now: number): Promise<ReadResult> {
  const raw = await db.get('sites', site.id);
  if (raw === undefined) return { status: 'absent' };
  const parsed = parseGraceState(raw);
  if (parsed.ok) return { status: 'ok', state: parsed.value };
  const { after } = await applyEvent(db, site, policy, { type: 'tick' }, now);
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
