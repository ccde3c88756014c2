import { isTime, type FailureReason } from '../core/index.ts';
import { nextPeriod, REPORT_ID_PATTERN, type UsageReport } from '../protocol/usage.ts';
import type { Db, OutboxRecord } from './storage/db.ts';
import { MARK_TOLERANCE_MS, movedMark, periodFromKey, periodKey } from './storage/period-mark.ts';
import { reportDamage } from './storage/repo.ts';

// Usage reports are written here before they are sent and removed only when the server acknowledged them
// (or refused them for good: then they are set aside, shown and exported). A tab closed mid-send, a crash or
// an outage only delays a report; the server de-duplicates by report id, so resending is always safe.

const noteKey = (siteId: string) => `no-local-record:${siteId}`;

/** Where this database says a site's last queued or acknowledged period ends; null when it has no record. */
export async function periodEnd(db: Db, siteId: string): Promise<number | null> {
  const v = await db.get('meta', periodKey(siteId));
  return isTime(v) ? v : null;
}

/**
 * Found when this database had no record of a site whose reports the receiver holds (up to `receiverEnd`):
 * the browser is new to the site, or its stored data (the outbox with it) was cleared.
 */
export interface NoLocalRecord {
  at: number;
  receiverEnd: number;
}

/** A site's queued reports, oldest first (the `bySite` index: site, then creation time). */
const siteRange = (siteId: string) => IDBKeyRange.bound([siteId, -Infinity], [siteId, Infinity], true);

/** What `queueNext` found and did in its one transaction. */
export type Queued =
  /**
   * This database has no record of where the site's periods end, and the receiver was not asked (no
   * `receiverEnd` given): no report was written. Ask the receiver, then queue again with its answer.
   */
  | { ask: true }
  | {
      ask: false;
      /** The report queued; null when the last report already reaches `now` (nothing new to bill). */
      record: OutboxRecord | null;
      /** Where the site's last period ends, as this queueing left it (null: no record). */
      end: number | null;
      /**
       * The site's oldest queued reports, the new one included, up to `read` (none when `read` is 0), read in
       * the same transaction after the writes: the first page of the flush that follows (`flushBatched`).
       */
      first: OutboxRecord[];
    };

/**
 * Queues a site's next report under the period rule, in one transaction with the record of where the site's
 * last queued or acknowledged report ended: whichever tab, worker, extension or manual test makes a report,
 * periods follow each other and never overlap. The same transaction reads where the site's periods end and,
 * once the report is written, the first page of the site's queue: an attempt's queueing is one transaction.
 * The report is committed (`tx.done`) before this returns, so it is on disk before anything sends it.
 *
 * The mark follows the site's clock frame: one in this clock's future, or not a time, is settled first, in a
 * transaction of its own (see `settleMark`); a receiver's end in this clock's future is not believed.
 */
export async function queueNext(
  db: Db,
  site: { siteId: string; interval: number; endpoint: string },
  now: number,
  make: (period: { from: number; to: number; gapBefore?: { from: number; to: number } }) => UsageReport,
  opts: {
    /**
     * Where the receiver says the site's periods end (null: it holds none, or did not say), for a site this
     * database has no record of. Undefined: not asked yet (see `{ ask: true }`).
     */
    receiverEnd?: number | null;
    /** How many of the site's queued reports to read back after queueing (0: none). */
    read?: number;
  } = {},
): Promise<Queued> {
  const queued = await queueOnce(db, { site, now, make, opts, settled: false });
  if (queued !== 'unsettled') return queued;
  await settleMark(db, site, now);
  return (await queueOnce(db, { site, now, make, opts, settled: true })) as Queued;
}

/**
 * `queueNext`'s transaction. Unless `settled`, a mark in the clock's future or no time at all is left to
 * `settleMark` (`'unsettled'`, nothing written); once settled, what the mark says is believed.
 */
async function queueOnce(
  db: Db,
  q: {
    site: Parameters<typeof queueNext>[1];
    now: number;
    make: Parameters<typeof queueNext>[3];
    opts: NonNullable<Parameters<typeof queueNext>[4]>;
    settled: boolean;
  },
): Promise<Queued | 'unsettled'> {
  const { site, now, make, opts } = q;
  const tx = db.transaction(['outbox', 'meta'], 'readwrite');
  const meta = tx.objectStore('meta');
  const outbox = tx.objectStore('outbox');
  const endKey = periodKey(site.siteId);
  const last = await meta.get(endKey);
  if (!q.settled && last !== undefined && !(isTime(last) && last - now <= MARK_TOLERANCE_MS)) {
    await tx.done;
    return 'unsettled';
  }
  const known = isTime(last) ? last : null;
  if (known === null && opts.receiverEnd === undefined) {
    await tx.done;
    return { ask: true };
  }
  // A receiver's end in this clock's future is not believed either (the receiver holds what was sent).
  const told = opts.receiverEnd ?? null;
  const receiverEnd = told !== null && told - now <= MARK_TOLERANCE_MS ? told : null;
  const period = nextPeriod(known ?? receiverEnd, now, site.interval);
  // Built before anything is written: a report that cannot be built leaves the transaction empty.
  const report = period ? make(period) : null;
  // Every request is queued at once (the transaction runs them in order, the read last) and awaited together.
  const writes: Promise<unknown>[] = [];
  if (known === null && receiverEnd !== null) {
    // No record here of reports the receiver holds: new here, or this browser's storage was cleared.
    writes.push(meta.put({ at: now, receiverEnd } satisfies NoLocalRecord, noteKey(site.siteId)));
  }
  let record: OutboxRecord | null = null;
  if (period && report) {
    record = {
      reportId: report.reportId,
      siteId: site.siteId,
      endpoint: site.endpoint,
      body: report,
      createdAt: now,
      attempts: 0,
      lastError: null,
      refused: null,
    };
    writes.push(
      outbox.put(record),
      meta.put(period.to, endKey),
      meta.put(period.from, periodFromKey(site.siteId)),
    );
  }
  const read = opts.read ?? 0;
  const first = read > 0 ? outbox.index('bySite').getAll(siteRange(site.siteId), read) : Promise.resolve([]);
  const [page] = await Promise.all([first, tx.done, ...writes]);
  return { ask: false, record, end: period ? period.to : (known ?? receiverEnd), first: page };
}

/**
 * Settles a site's period mark that is in the clock's future at `now`, or is no time at all, in one
 * transaction with the site's stored state. While that state is ahead of `now` too (the clock was turned back
 * and no event has taken it in yet), the mark moves by the same step as the state's times will (`movedMark`;
 * `applyEvent` then finds it settled). Otherwise the mark is damaged: later than the site's own latest
 * reading, as a salvage believes no time after it, or not a time. It is then set aside (quarantine) and
 * reported, and not believed: the receiver says where the periods end.
 */
async function settleMark(db: Db, site: { siteId: string; interval: number }, now: number): Promise<void> {
  const tx = db.transaction(['meta', 'sites', 'quarantine'], 'readwrite');
  const meta = tx.objectStore('meta');
  const endKey = periodKey(site.siteId);
  const fromKey = periodFromKey(site.siteId);
  const [end, from, state] = await Promise.all([
    meta.get(endKey),
    meta.get(fromKey),
    tx.objectStore('sites').get(site.siteId) as Promise<{ latestSeen?: unknown } | undefined>,
  ]);
  const writes: Promise<unknown>[] = [];
  let error: string | null = null;
  if (end === undefined || (isTime(end) && end - now <= MARK_TOLERANCE_MS)) {
    // Settled meanwhile (by another context, or by the event that took in the clock's step).
  } else if (!isTime(end)) {
    error = `not a time (${describe(end)})`;
  } else {
    const seen = state?.latestSeen;
    if (isTime(seen) && seen - now > MARK_TOLERANCE_MS && end <= seen + MARK_TOLERANCE_MS) {
      // The site's clock was turned back and its state not yet moved: the mark moves by the same step.
      const moved = movedMark({ end, from: isTime(from) ? from : null }, now - seen, now, site.interval);
      if (moved) {
        writes.push(meta.put(moved.end, endKey));
        if (moved.from !== null) writes.push(meta.put(moved.from, fromKey));
      }
    } else {
      error =
        `${iso(end)}, later than this clock (${iso(now)}) and than the site's latest reading ` +
        `(${isTime(seen) ? iso(seen) : 'none stored'})`;
    }
  }
  if (error !== null) {
    writes.push(
      tx.objectStore('quarantine').add({ store: 'meta', key: endKey, value: end, error, at: now }),
      meta.delete(endKey),
      meta.delete(fromKey),
    );
  }
  await Promise.all([...writes, tx.done]);
  // Reported once the move is committed, so that what listeners are told is true.
  if (error !== null) reportDamage({ store: 'meta', key: endKey, error });
}

const iso = (t: number) => (isTime(t) ? new Date(t).toISOString() : String(t));

/** A stored value in a few words, for a damage report (never the whole of it). */
function describe(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'string') return `the text ${JSON.stringify(x.slice(0, 40))}`;
  if (typeof x === 'number') return `the number ${x}`;
  if (Array.isArray(x)) return 'a list';
  return `${typeof x === 'object' ? 'an object' : `a ${typeof x}`}`;
}

/**
 * Queues a site's next report under the period rule (see `queueNext`). Null when the last report already
 * reaches `now` (nothing new to bill).
 */
export async function enqueueNext(
  db: Db,
  site: { siteId: string; interval: number; endpoint: string },
  now: number,
  make: (period: { from: number; to: number; gapBefore?: { from: number; to: number } }) => UsageReport,
  /** Where the receiver says the site's periods end, for a site this database has no record of. */
  receiverEnd: number | null = null,
): Promise<OutboxRecord | null> {
  const queued = await queueNext(db, site, now, make, { receiverEnd });
  return queued.ask ? null : queued.record;
}

export async function pendingFor(db: Db, siteId: string, limit = 100): Promise<OutboxRecord[]> {
  const range = IDBKeyRange.bound([siteId, -Infinity], [siteId, Infinity]);
  return db.getAllFromIndex('outbox', 'bySite', range, limit);
}

export async function countPending(db: Db, siteId?: string): Promise<number> {
  if (!siteId) return db.count('outbox');
  return db.countFromIndex('outbox', 'bySite', IDBKeyRange.bound([siteId, -Infinity], [siteId, Infinity]));
}

/**
 * Why a queued record cannot be sent as it is; null when it can. Its report id is the Idempotency-Key and the
 * way the receiver's answer names it, its site and creation time place it in the site's queue (a record
 * without them is in no site's queue: nothing would ever send it), and its refusal is shown as stored. The
 * body itself is the receiver's to judge: one it refuses is set aside with the receiver's reason.
 */
export function outboxDamage(r: unknown): string | null {
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return `not a queued report (${describe(r)})`;
  const x = r as Record<string, unknown>;
  const bad = (field: string, what: string) =>
    x[field] === undefined ? `${field}: missing` : `${field}: not ${what} (${describe(x[field])})`;
  if (typeof x.reportId !== 'string' || !REPORT_ID_PATTERN.test(x.reportId))
    return bad('reportId', 'a report id of the protocol');
  if (typeof x.siteId !== 'string' || x.siteId === '') return bad('siteId', 'a site id');
  if (x.endpoint !== undefined && typeof x.endpoint !== 'string') return bad('endpoint', 'an address');
  if (!isTime(x.createdAt)) return bad('createdAt', 'a time');
  if (x.attempts !== undefined && !(Number.isInteger(x.attempts) && (x.attempts as number) >= 0))
    return bad('attempts', 'a count');
  if (x.lastError !== undefined && x.lastError !== null && typeof x.lastError !== 'string')
    return bad('lastError', 'a text');
  const f = x.refused as Record<string, unknown> | null | undefined;
  if (f !== undefined && f !== null) {
    if (typeof f !== 'object' || !isTime(f.at) || typeof f.reason !== 'string')
      return 'refused: not a refusal (a time and a reason)';
    const status = f.status;
    if (
      status !== null &&
      !(Number.isInteger(status) && (status as number) >= 100 && (status as number) < 600)
    )
      return `refused.status: not an HTTP status (${describe(status)})`;
  }
  if (x.body === null || typeof x.body !== 'object' || Array.isArray(x.body))
    return bad('body', 'a usage report');
  return null;
}

/** A key as the quarantine keeps it (text). */
const keyText = (key: IDBValidKey): string =>
  typeof key === 'string' || typeof key === 'number' ? String(key) : describe(key);

/**
 * Moves queued records that cannot be sent as they are (see `outboxDamage`) to the quarantine, checking each
 * again first (another context may have done it already): each is set aside once, and reported once the move
 * is committed. Returns the records moved.
 */
export async function setAsideDamaged(
  db: Db,
  keys: readonly IDBValidKey[],
  at: number,
): Promise<Array<{ key: string; error: string }>> {
  if (keys.length === 0) return [];
  const tx = db.transaction(['outbox', 'quarantine'], 'readwrite');
  const outbox = tx.objectStore('outbox');
  const moved: Array<{ key: string; error: string }> = [];
  const moves = keys.map(async (key) => {
    const value: unknown = await outbox.get(key as string);
    const error = value === undefined ? null : outboxDamage(value);
    if (error === null) return;
    moved.push({ key: keyText(key), error });
    await Promise.all([
      tx.objectStore('quarantine').add({ store: 'outbox', key: keyText(key), value, error, at }),
      outbox.delete(key as string),
    ]);
  });
  await Promise.all([...moves, tx.done]);
  for (const m of moved) reportDamage({ store: 'outbox', ...m });
  return moved;
}

/** Sets damaged records aside, reporting (never throwing) a failure to: they are left out either way. */
async function setAsideQuietly(db: Db, keys: readonly IDBValidKey[], at: number): Promise<void> {
  await setAsideDamaged(db, keys, at).catch((err: unknown) =>
    console.error(`zerto-billing: could not set damaged usage reports aside: ${String(err)}`),
  );
}

export type SendResult =
  { ok: true; reportId: string } | { ok: false; reason: FailureReason; retryable: boolean };

export interface FlushResult {
  acked: string[];
  /**
   * The failure that stopped the delivery to an endpoint (the server is unreachable, say): the current
   * endpoint's when it failed, else the first. The other endpoints' reports went on.
   */
  stoppedBy: FailureReason | null;
  /** Every endpoint whose delivery stopped at a failure worth retrying later, with that failure. */
  stopped: Array<{ endpoint: string; reason: FailureReason }>;
  /** Reports the server refused for good in this flush (set aside: kept, shown, never resent unchanged). */
  refused: Array<{ reportId: string; reason: FailureReason }>;
}

export const emptyFlush = (): FlushResult => ({ acked: [], stoppedBy: null, stopped: [], refused: [] });

/** Which endpoint a record goes to: its own, or (written by an older version, naming none) the current one. */
const endpointOf = (record: OutboxRecord, current: string | undefined): string =>
  record.endpoint || current || '';

/**
 * The order in which a site's endpoints are delivered to: the current one first (the report just made goes
 * there), then every other in queue order, each on its own: a dead old endpoint never holds up the others.
 */
const passesFor = (current: string | undefined): Array<(endpoint: string) => boolean> =>
  current === undefined ? [() => true] : [(e) => e === current, (e) => e !== current];

/** `stoppedBy` of a flush: the current endpoint's failure, else the first. */
const mainFailure = (stopped: FlushResult['stopped'], current: string | undefined): FailureReason | null =>
  (stopped.find((s) => s.endpoint === current) ?? stopped[0])?.reason ?? null;

/**
 * Sends a site's queued reports oldest first, one by one, each endpoint's on its own: the current endpoint's
 * first, then the others'. An endpoint stops at its first failure worth retrying later (no point hammering a
 * server that is down) while the others go on; a report refused for good is set aside with the server's reason
 * (never resent unchanged), and the rest go on. A record that cannot be sent as it is is set aside once.
 */
export async function flush(
  db: Db,
  siteId: string,
  send: (record: OutboxRecord) => Promise<SendResult>,
  opts: {
    batch?: number;
    signal?: AbortSignal;
    /** The clock a refusal is dated with (the poller's, which may be injected). */
    now?: () => number;
    /** Where reports go now: records naming no endpoint go there, and its reports go first. */
    current?: string;
    /** Only these endpoints (the others are delivered by someone else). */
    endpoints?: ReadonlySet<string>;
  } = {},
): Promise<FlushResult> {
  const now = opts.now ?? Date.now;
  const result = emptyFlush();
  const batch = opts.batch ?? 100;
  const blocked = new Set<string>();
  const damaged: IDBValidKey[] = [];
  for (const accept of passesFor(opts.current)) {
    let after = -Infinity;
    for (let done = false; !done;) {
      if (opts.signal?.aborted) break;
      const range = IDBKeyRange.bound([siteId, after], [siteId, Infinity], true);
      const records = await db.getAllFromIndex('outbox', 'bySite', range, batch);
      done = records.length < batch;
      for (const record of records) {
        if (opts.signal?.aborted) break;
        after = record.createdAt;
        const endpoint = endpointOf(record, opts.current);
        if (record.refused || !accept(endpoint) || blocked.has(endpoint)) continue;
        if (opts.endpoints && !opts.endpoints.has(endpoint)) continue;
        if (outboxDamage(record) !== null) {
          if (!damaged.includes(record.reportId)) damaged.push(record.reportId);
          continue;
        }
        const r = await send(record);
        if (r.ok) {
          await db.delete('outbox', record.reportId);
          result.acked.push(record.reportId);
          continue;
        }
        const lastError = `${r.reason.kind}${r.reason.status ? ` ${r.reason.status}` : ''}: ${r.reason.detail ?? ''}`;
        await db.put('outbox', {
          ...record,
          attempts: record.attempts + 1,
          lastError,
          refused: r.retryable ? null : { at: now(), status: r.reason.status ?? null, reason: lastError },
        });
        if (r.retryable) {
          // This endpoint waits for a later attempt; the others go on.
          blocked.add(endpoint);
          result.stopped.push({ endpoint, reason: r.reason });
          continue;
        }
        result.refused.push({ reportId: record.reportId, reason: r.reason });
      }
      // (A damaged record dated +Infinity ends the index: no range starts after it.)
      if (after === Infinity) break;
    }
  }
  await setAsideQuietly(db, damaged, now());
  result.stoppedBy = mainFailure(result.stopped, opts.current);
  return result;
}

export function newReportId(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** What a site has in the outbox: reports still to deliver (and since when), and reports set aside. */
export interface Backlog {
  siteId: string;
  waiting: number;
  /** When the oldest report still to deliver was made; null when none waits. */
  oldest: number | null;
  setAside: Array<{ reportId: string; at: number; status: number | null; reason: string }>;
  /** This database had no record of the site though the receiver held its reports (see NoLocalRecord). */
  noLocalRecord: NoLocalRecord | null;
}

/**
 * The outbox per site, for the sites overview, the extension's popup and the export. A record that cannot be
 * sent as it is (see `outboxDamage`) is set aside here, once (moved to the quarantine and reported), and left
 * out: whatever is stored, what this returns is well formed.
 */
export async function readBacklog(db: Db, opts: { now?: number } = {}): Promise<Map<string, Backlog>> {
  const out = new Map<string, Backlog>();
  const empty = (siteId: string): Backlog => ({
    siteId,
    waiting: 0,
    oldest: null,
    setAside: [],
    noLocalRecord: null,
  });
  const tx = db.transaction(['outbox', 'meta']);
  const notes = IDBKeyRange.bound(noteKey(''), `${noteKey('')}\uffff`);
  const [keys, records, noteKeys, noteValues] = await Promise.all([
    tx.objectStore('outbox').getAllKeys(),
    tx.objectStore('outbox').getAll(),
    tx.objectStore('meta').getAllKeys(notes),
    tx.objectStore('meta').getAll(notes),
    tx.done,
  ]);
  noteKeys.forEach((k, i) => {
    const v = noteValues[i] as Partial<NoLocalRecord> | null | undefined;
    if (!isTime(v?.at) || !isTime(v?.receiverEnd)) return;
    const siteId = String(k).slice(noteKey('').length);
    out.set(siteId, { ...empty(siteId), noLocalRecord: { at: v.at, receiverEnd: v.receiverEnd } });
  });
  const damaged: IDBValidKey[] = [];
  records.forEach((r, i) => {
    if (outboxDamage(r) !== null) {
      damaged.push(keys[i]!);
      return;
    }
    const b = out.get(r.siteId) ?? empty(r.siteId);
    if (r.refused) {
      b.setAside.push({
        reportId: r.reportId,
        at: r.refused.at,
        status: r.refused.status,
        reason: r.refused.reason,
      });
    } else {
      b.waiting++;
      b.oldest = b.oldest === null ? r.createdAt : Math.min(b.oldest, r.createdAt);
    }
    out.set(r.siteId, b);
  });
  await setAsideQuietly(db, damaged, opts.now ?? Date.now());
  return out;
}

/**
 * Delivers what nobody else will: the queued reports of sites this context does not watch (a site removed,
 * or switched to another mode) that have waited longer than `staleMs`, each to the endpoint it was queued
 * for. Whoever polls the origin sweeps (one context at a time, under a Web Lock where there is one); the
 * receiver de-duplicates, so a report another context sends at the same moment is counted once. A record that
 * cannot be sent as it is (in no site's queue, say) is set aside here, once.
 */
export async function sweepOutbox(
  db: Db,
  watched: ReadonlySet<string>,
  deliverSite: (siteId: string) => Promise<FlushResult>,
  opts: { now: number; staleMs: number; signal?: AbortSignal },
): Promise<FlushResult> {
  const total = emptyFlush();
  const sweep = async () => {
    const tx = db.transaction('outbox');
    const [keys, records] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll(), tx.done]);
    const damaged = keys.filter((_, i) => outboxDamage(records[i]) !== null);
    await setAsideQuietly(db, damaged, opts.now);
    const sites = new Set(
      records
        .filter(
          (r) =>
            outboxDamage(r) === null &&
            !r.refused &&
            !watched.has(r.siteId) &&
            opts.now - r.createdAt >= opts.staleMs,
        )
        .map((r) => r.siteId),
    );
    for (const siteId of sites) {
      if (opts.signal?.aborted) break;
      const r = await deliverSite(siteId);
      total.acked.push(...r.acked);
      total.refused.push(...r.refused);
      total.stopped.push(...r.stopped);
      total.stoppedBy ??= r.stoppedBy;
    }
  };
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (locks)
    await locks.request('zerto-billing:outbox-sweep', { ifAvailable: true }, (lock) =>
      lock ? sweep() : undefined,
    );
  else await sweep();
  return total;
}

/** At most this much JSON in one batch: well inside what a receiver takes (the reference one, 4 MiB). */
export const BATCH_BYTES = 2 * 1024 * 1024;

/** The longest prefix of `records` whose bodies fit in `bytes` (at least one record). */
function takeWithin(records: OutboxRecord[], bytes: number): OutboxRecord[] {
  // One record is taken whatever its size (the usual batch: the report just queued).
  if (records.length <= 1) return records;
  const encoder = new TextEncoder();
  let total = 0;
  for (let i = 0; i < records.length; i++) {
    // Bytes as sent (UTF-8), not characters: a site name in Japanese takes three times its length.
    total += encoder.encode(JSON.stringify(records[i]!.body)).byteLength + 1;
    if (total > bytes && i > 0) return records.slice(0, i);
  }
  return records;
}

/** One report's fate in a batch: acknowledged, or refused for good (to be set aside). */
export type BatchItem =
  { reportId: string; ok: true } | { reportId: string; ok: false; reason: FailureReason };

export type BatchResult =
  | { ok: true; items: BatchItem[] }
  /** The batch as a whole failed: `unsupported` when the receiver has no batch endpoint. */
  | { ok: false; reason: FailureReason; unsupported?: boolean };

/**
 * Takes over the removal of acknowledged reports from the outbox: the caller removes them in a transaction of
 * its own, which must commit soon (the poller's attempt stores it with the attempt, see `transmitOnce`), and
 * removes them on their own if that transaction fails. Until it commits, an acknowledged report stays queued:
 * a crash then resends it, which the receiver de-duplicates by report id (as after a crash before any removal).
 */
export type RemoveAcked = (reportIds: readonly string[]) => void;

/**
 * Sends a site's queued reports oldest first, in batches of reports queued for the same endpoint, each
 * endpoint's on its own: the current endpoint's first (the report just made goes there), then the others' in
 * queue order. Each acknowledged report is removed and each refused one set aside in one transaction per
 * batch. An endpoint whose batch fails as a whole stops there (worth retrying later) and the others go on: a
 * dead receiver at an old billing URL never holds up the reports for the current one. `unsupported` names the
 * endpoints without a batch endpoint, to be sent to one by one (`flush`). A record that cannot be sent as it
 * is (see `outboxDamage`) is set aside once.
 * `first` is the first page already read (by `queueNext`, with `limit` the batch size): it is not read again.
 * With `removeAcked`, the acknowledged reports of the last batch of each pass (when none of it is set aside)
 * are handed to it instead of being removed here; every other batch is removed as it is acknowledged.
 */
export async function flushBatched(
  db: Db,
  siteId: string,
  sendBatch: (records: OutboxRecord[]) => Promise<BatchResult>,
  opts: {
    size?: number;
    signal?: AbortSignal;
    first?: { records: OutboxRecord[]; limit: number };
    removeAcked?: RemoveAcked;
    /** The clock a refusal is dated with (the poller's, which may be injected). */
    now?: () => number;
    /** Where reports go now: records naming no endpoint go there, and its reports go first. */
    current?: string;
  } = {},
): Promise<FlushResult & { unsupported: string[] }> {
  const now = opts.now ?? Date.now;
  const result = { ...emptyFlush(), unsupported: [] as string[] };
  const maxSize = opts.size ?? 500;
  /** Endpoints this flush is done with: failed as a whole, or without a batch endpoint. */
  const blocked = new Set<string>();
  const damaged: IDBValidKey[] = [];
  const ep = (r: OutboxRecord) => endpointOf(r, opts.current);
  // A first page read with another limit would misjudge where the queue ends: then it is read again here.
  let first = opts.first?.limit === maxSize ? opts.first.records : undefined;
  /** Whether a pass left records to another (it saw one, or stopped before the end of the queue). */
  let others = true;
  for (const accept of passesFor(opts.current)) {
    if (!others) break;
    others = false;
    let size = maxSize;
    let after = -Infinity;
    for (;;) {
      if (opts.signal?.aborted) break;
      const range = IDBKeyRange.bound([siteId, after], [siteId, Infinity], true);
      const read =
        first && size === maxSize ? first : await db.getAllFromIndex('outbox', 'bySite', range, size);
      first = undefined;
      // A short page was the end of the queue: once it is all sent, there is nothing to read again for.
      const last = read.length < size;
      const page: OutboxRecord[] = [];
      for (const r of read) {
        if (outboxDamage(r) !== null) {
          if (!damaged.includes(r.reportId)) damaged.push(r.reportId);
        } else if (r.refused || blocked.has(ep(r))) continue;
        else if (accept(ep(r))) page.push(r);
        else others = true;
      }
      // Stopped before the end of the queue (a batch too large, say): the next pass reads it all again.
      if (!last) others = true;
      if (page.length === 0) {
        // Nothing of this pass in this page: move past it, or stop at the end.
        const end = read[read.length - 1]?.createdAt;
        if (last || end === undefined || end === Infinity) break;
        after = end;
        continue;
      }
      // The oldest reports queued for one endpoint (a site whose billing URL changed has two).
      const endpoint = ep(page[0]!);
      const cut = page.findIndex((r) => ep(r) !== endpoint);
      const batch = takeWithin((cut < 0 ? page : page.slice(0, cut)).slice(0, size), BATCH_BYTES);
      const sent = await sendBatch(batch);
      if (!sent.ok && sent.reason.status === 413 && batch.length > 1) {
        // Too large for this receiver: half as many next time, from the same place.
        size = Math.ceil(batch.length / 2);
        continue;
      }
      if (!sent.ok && sent.reason.status === 413) {
        // One report larger than the receiver takes: it never will; set aside, the rest go on.
        const lone = batch[0]!;
        const lastError = `http 413: ${sent.reason.detail ?? 'too large'}`;
        await db.put('outbox', {
          ...lone,
          attempts: lone.attempts + 1,
          lastError,
          refused: { at: now(), status: 413, reason: lastError },
        });
        result.refused.push({ reportId: lone.reportId, reason: sent.reason });
        after = lone.createdAt;
        continue;
      }
      if (!sent.ok) {
        // This endpoint is done for this attempt (down, or sent to one by one); the others go on, from the
        // same place of the queue.
        blocked.add(endpoint);
        if (sent.unsupported) result.unsupported.push(endpoint);
        else result.stopped.push({ endpoint, reason: sent.reason });
        continue;
      }
      // Taken: the size may grow again (it was halved only for the batch the receiver found too large).
      size = Math.min(maxSize, size * 2);
      const byId = new Map(batch.map((r) => [r.reportId, r]));
      const final = last && batch.length === page.length;
      if (final && opts.removeAcked) {
        const mine = sent.items.filter((item) => byId.has(item.reportId));
        if (mine.every((item) => item.ok)) {
          // Nothing to set aside: the removal goes to the caller's transaction (see `RemoveAcked`).
          const acked = [...new Set(mine.map((item) => item.reportId))];
          if (acked.length) opts.removeAcked(acked);
          result.acked.push(...acked);
          break;
        }
      }
      const tx = db.transaction('outbox', 'readwrite');
      const writes: Promise<unknown>[] = [];
      const done = new Set<string>();
      for (const item of sent.items) {
        const record = byId.get(item.reportId);
        if (!record || done.has(record.reportId)) continue;
        done.add(record.reportId);
        if (item.ok) {
          writes.push(tx.store.delete(record.reportId));
          result.acked.push(record.reportId);
        } else {
          const lastError = `${item.reason.kind}${item.reason.status ? ` ${item.reason.status}` : ''}: ${item.reason.detail ?? ''}`;
          writes.push(
            tx.store.put({
              ...record,
              attempts: record.attempts + 1,
              lastError,
              refused: { at: now(), status: item.reason.status ?? null, reason: lastError },
            }),
          );
          result.refused.push({ reportId: record.reportId, reason: item.reason });
        }
      }
      await Promise.all([...writes, tx.done]);
      if (final) break;
      after = batch[batch.length - 1]!.createdAt;
    }
  }
  await setAsideQuietly(db, damaged, now());
  result.stoppedBy = mainFailure(result.stopped, opts.current);
  return result;
}
