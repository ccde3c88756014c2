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
import type { Db, LogRecord, StoreName, WriteTx } from './db.ts';
import { moveMarkIn } from './period-mark.ts';

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
 * Builds the safest state from a damaged (or older) record. No time later than the latest reading it shows
 * (and never later than now) is believed; tracking began by that reading at the latest. Of every deadline the record can prove (the recorded deadline, the
 * first alert plus the grace recorded with it or the policy's, the recorded disconnection), the earliest is
 * kept, so a damaged record never buys grace; without any, the alert comes when the earliest time it shows
 * says it is due. What cannot be read starts over as unknown, re-established by the next probe, never ok on
 * trust. Where the ZVM enforces, a passed deadline is not turned into a disconnection here unless the record
 * said so: that is the ZVM's word to give.
 */
export function salvageState(
  raw: unknown,
  site: Site,
  policy: Policy,
  now: number,
  authority = false,
): GraceState {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  // A record read later than now was written under a clock since turned back: its times move into this frame
  // by the same step, as a clock jump would move them (so a turned-back clock buys no grace here either).
  const recordedLatest = isTime(r.latestSeen) ? r.latestSeen : now;
  const shift = Math.min(0, now - recordedLatest);
  const latest = recordedLatest + shift;
  const at = (x: unknown): number | null => (isTime(x) ? x + shift : null);
  // A time after the record's own latest reading cannot have happened: it is not believed at all.
  const early = (x: unknown): number | null => {
    const t = at(x);
    return t !== null && t <= latest ? t : null;
  };
  const lastSuccessAt = early(r.lastSuccessAt);
  const trackingSince = Math.min(early(r.trackingSince) ?? latest, lastSuccessAt ?? latest);
  let s: GraceState = {
    ...createState(site, policy, trackingSince, authority),
    latestSeen: now,
    lastSuccessAt,
  };
  const first = early(r.firstAlertAt);
  const grace = isTime(r.graceMs) && r.graceMs >= GRACE_LIMITS_MS.min ? r.graceMs : null;
  const deadlines = [
    at(r.deadline),
    at(r.disconnectedAt),
    first === null ? null : first + graceMs(policy),
    first === null || grace === null ? null : first + grace,
  ].filter((t): t is number => t !== null);
  if (deadlines.length) {
    // Without a first alert that can be proved, no deadline is believed further out than a grace from now.
    let deadline = Math.min(...deadlines, ...(first === null ? [now + graceMs(policy)] : []));
    // The first alert: as recorded, but within the grace limits before that deadline and not after now.
    const from = Math.min(
      Math.max(first ?? deadline - graceMs(policy), deadline - GRACE_LIMITS_MS.max),
      deadline - GRACE_LIMITS_MS.min,
      now,
    );
    deadline = Math.min(deadline, from + GRACE_LIMITS_MS.max);
    const source = r.alertSource === 'authority' || authority ? 'authority' : 'engine';
    const said = r.phase === 'disconnected' || isTime(r.disconnectedAt);
    s = reopenAlert(s, from, deadline, source, !authority || said ? now : -Infinity);
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

/** The stores `applyEvent` writes (`meta`: the site's period mark moves with its other times). */
const STATE_STORES: StoreName[] = ['sites', 'alerts', 'quarantine', 'meta'];

/**
 * More writes that commit with an event's state (the transmission log, the usage snapshot): `stores` are
 * added to the transaction, and `write` runs in it once the new state is known. An attempt is then one
 * transaction, not three: all of it is stored, or none.
 */
export interface AlsoWrite {
  stores: readonly StoreName[];
  write: (tx: WriteTx, result: ApplyResult) => Promise<void>;
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
  also?: AlsoWrite,
): Promise<ApplyResult> {
  const stores = also ? [...new Set([...STATE_STORES, ...also.stores])] : STATE_STORES;
  const tx = db.transaction(stores, 'readwrite');
  try {
    const { result, written } = await applyIn(tx, site, rule, event, now);
    // The state's writes are queued, not yet done: the other writes are queued behind them (the transaction
    // runs its requests in order) and all of them awaited together, the commit with them.
    await Promise.all([written, also?.write(tx, result), tx.done]);
    return result;
  } catch (err) {
    // All or nothing: a write that failed (or threw before it was made) takes the state with it.
    tx.done.catch(() => undefined);
    try {
      tx.abort();
    } catch {
      /* already finished or aborted */
    }
    throw err;
  }
}

async function applyIn(
  tx: WriteTx,
  site: Site,
  rule: Policy | SiteRule,
  event: GraceEvent,
  now: number,
): Promise<{ result: ApplyResult; written: Promise<unknown> }> {
  const { policy, authority } = 'authority' in rule ? rule : { policy: rule, authority: false };
  const sites = tx.objectStore('sites');
  const raw = await sites.get(site.id);
  const at = isTime(now) ? now : Date.now();
  let before: GraceState | null = null;
  let base: GraceState;
  /** How far the site's times were moved before this event: a salvaged record read later than now. */
  let salvageStep = 0;
  if (raw === undefined) {
    base = createState(site, policy, at, authority);
  } else {
    const parsed = parseGraceState(raw);
    if (parsed.ok) {
      before = parsed.value;
      base = parsed.value;
    } else {
      const latest = (raw as { latestSeen?: unknown } | null)?.latestSeen;
      if (isTime(latest)) salvageStep = Math.min(0, at - latest);
      // A record of the previous version is not damaged, only older: it is carried over without a report.
      const older = (raw as { v?: unknown; rollbacks?: unknown } | null) ?? {};
      if (older.v !== 1 || older.rollbacks === undefined) {
        await tx
          .objectStore('quarantine')
          .add({ store: 'sites', key: site.id, value: raw, error: parsed.error, at });
        reportDamage({ store: 'sites', key: site.id, error: parsed.error });
      }
      base = salvageState(raw, site, policy, at, authority);
    }
  }
  const origin = base;
  if (
    policyDiffers(base.policy, policy) ||
    base.authority !== authority ||
    (site.name && site.name !== base.site.name)
  ) {
    base = reduce(base, { type: 'configure', policy, authority, siteName: site.name || base.site.name }, now);
  }
  const after = reduce(base, event, now);
  // How far this event moved the site's frame (a clock seen turned back moves every time by the step, and
  // counts it in `setBack`; a step forward that sets it right again counts it down).
  const step = salvageStep + (origin.clockJumps.setBack - after.clockJumps.setBack);
  // The writes are queued together, not one after another: the transaction commits them in order. The caller
  // awaits them (`written`), with whatever else it writes in the same transaction.
  const alerts = tx.objectStore('alerts');
  const written = Promise.all([
    sites.put(after, site.id),
    ...changedAlerts(before, after).map((a) => alerts.put(a, a.id)),
    // The period mark moves in the same step as the site's other times (see `movedMark`).
    moveMarkIn(tx.objectStore('meta'), site.id, step, after.latestSeen, after.policy.interval),
  ]);
  return { result: { before, after }, written };
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
  await appendLogIn(tx as unknown as WriteTx, record);
  await tx.done;
}

/** `appendLog` within a transaction the caller holds (one that has the `log` store). */
export async function appendLogIn(tx: WriteTx, record: Omit<LogRecord, 'id'>): Promise<void> {
  const log = tx.objectStore('log');
  const range = IDBKeyRange.bound([record.siteId, -Infinity], [record.siteId, Infinity]);
  const [, count] = await Promise.all([log.add(record as LogRecord), log.index('bySite').count(range)]);
  let excess = count - LOG_LIMIT;
  if (excess > 0) {
    let cursor = await log.index('bySite').openCursor(range);
    while (cursor && excess-- > 0) {
      await cursor.delete();
      cursor = await cursor.continue();
    }
  }
}

export async function readLog(db: Db, siteId: string, since = -Infinity): Promise<LogRecord[]> {
  return db.getAllFromIndex('log', 'bySite', IDBKeyRange.bound([siteId, since], [siteId, Infinity]));
}

/** Every site's stored state, validated; damaged ones are reported and left out (a read never repairs). */
export async function readAllStates(db: Db): Promise<GraceState[]> {
  return (await readAllStatesChecked(db)).states;
}

/**
 * Every site's stored state, validated, and the records that failed (reported, and left out: a read never
 * repairs; the site's next check sets its record aside and rebuilds it, see `applyEvent`), for a list that
 * says which records it could not show.
 */
export async function readAllStatesChecked(
  db: Db,
): Promise<{ states: GraceState[]; damaged: QuarantineDetail[] }> {
  const tx = db.transaction('sites');
  const [keys, values] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll()]);
  const states: GraceState[] = [];
  const damaged: QuarantineDetail[] = [];
  values.forEach((raw, i) => {
    const parsed = parseGraceState(raw);
    if (parsed.ok) states.push(parsed.value);
    else {
      const detail = { store: 'sites', key: String(keys[i]), error: parsed.error };
      damaged.push(detail);
      reportDamage(detail);
    }
  });
  return { states, damaged };
}

/** A record set aside in the quarantine, as a list shows it: which store and key, why, when, of which site. */
export interface SetAsideRecord {
  id: number;
  store: string;
  key: string;
  error: string;
  /** When it was set aside; null when the quarantine record itself does not say. */
  at: number | null;
  /** The site it belonged to, where it names one. */
  siteId: string | null;
}

const TEXT_SHOWN = 300;
const shown = (x: unknown): string => (typeof x === 'string' ? x : String(x ?? '')).slice(0, TEXT_SHOWN);

/** The quarantine record `value` (stored under `id`) as a list shows it, whatever it holds. */
function setAsideOf(id: unknown, value: unknown): SetAsideRecord {
  const q = (value && typeof value === 'object' ? value : {}) as Partial<
    Record<keyof QuarantineRecordShape, unknown>
  >;
  const store = shown(q.store);
  const key = shown(q.key);
  const inner = (q.value && typeof q.value === 'object' ? q.value : {}) as { siteId?: unknown };
  const siteId =
    store === 'sites'
      ? key
      : store === 'meta'
        ? key.includes(':')
          ? key.slice(key.indexOf(':') + 1)
          : null
        : typeof inner.siteId === 'string' && inner.siteId
          ? inner.siteId.slice(0, TEXT_SHOWN)
          : null;
  return {
    id: typeof id === 'number' ? id : NaN,
    store,
    key,
    error: shown(q.error),
    at: isTime(q.at) ? q.at : null,
    siteId: siteId || null,
  };
}

interface QuarantineRecordShape {
  store: string;
  key: string;
  value: unknown;
  error: string;
  at: number;
}

/**
 * The records most recently set aside (the quarantine, newest first), at most `limit`, and whether there are
 * more: what a list shows so that no damaged record is only reported on the console. `since`: only those set
 * aside since then (a quarantine record that does not say when is shown). Visits at most `VISIT_LIMIT`.
 */
export async function readSetAside(
  db: Db,
  opts: { limit?: number; since?: number } = {},
): Promise<{ records: SetAsideRecord[]; more: boolean }> {
  const limit = opts.limit ?? 10;
  const since = opts.since ?? -Infinity;
  const tx = db.transaction('quarantine');
  const records: SetAsideRecord[] = [];
  let more = false;
  let visited = 0;
  for (let c = await tx.store.openCursor(null, 'prev'); c; c = await c.continue()) {
    if (++visited > VISIT_LIMIT) break;
    const r = setAsideOf(c.primaryKey, c.value);
    if (r.at !== null && r.at < since) continue;
    if (records.length === limit) {
      more = true;
      break;
    }
    records.push(r);
  }
  await tx.done;
  return { records, more };
}

const VISIT_LIMIT = 500;
