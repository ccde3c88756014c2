import { z } from 'zod/mini';
import { DAY, parseWith } from '../core/index.ts';
import { CHUNK, yieldToEventLoop, type UsageSnapshotRecord } from '../export/daily.ts';
import type { Db, WriteTx } from './storage/db.ts';
import { reportDamage } from './storage/repo.ts';

/** How long usage snapshots are kept for manual billing, by default (the export covers at most 400 days). */
export const USAGE_MAX_AGE_DAYS = 400;

const time = z.number().check(z.refine(Number.isFinite, 'must be a finite time'));
const SnapshotSchema = z.object({
  id: z.optional(z.number()),
  siteId: z.string().check(z.minLength(1)),
  siteName: z.string(),
  at: time,
  protectedVms: z.number().check(z.int(), z.gte(0)),
  licenseType: z.nullable(z.string()),
  reportId: z.nullable(z.string()),
  acknowledgedAt: z.nullable(time),
});

const toRecord = (v: z.infer<typeof SnapshotSchema>): UsageSnapshotRecord => ({
  siteId: v.siteId,
  siteName: v.siteName,
  at: v.at,
  protectedVms: v.protectedVms,
  licenseType: v.licenseType,
  reportId: v.reportId,
  acknowledgedAt: v.acknowledgedAt,
});

/** Adds one snapshot to the history. A malformed one is refused here, so bad data never gets in. */
export async function recordUsage(db: Db, snapshot: UsageSnapshotRecord): Promise<void> {
  await db.add('usage', validSnapshot(snapshot));
}

/**
 * `recordUsage` within a transaction the caller holds (one that has the `usage` store), so that a snapshot
 * is stored with the attempt that collected it. Throws, writing nothing, for a malformed snapshot.
 */
export async function recordUsageIn(tx: WriteTx, snapshot: UsageSnapshotRecord): Promise<void> {
  await tx.objectStore('usage').add(validSnapshot(snapshot));
}

function validSnapshot(snapshot: UsageSnapshotRecord): UsageSnapshotRecord {
  const parsed = parseWith(SnapshotSchema, 'usage', snapshot);
  if (!parsed.ok) throw new Error(`zerto-billing: usage snapshot not recorded: ${parsed.error}`);
  return toRecord(parsed.value);
}

/**
 * Marks the snapshots sent as these reports acknowledged (reports from the outbox that went through late).
 * Walks newest first, as an acknowledged report is almost always a recent one, and only that site's
 * snapshots when the site is given.
 */
export async function markAcknowledged(
  db: Db,
  reportIds: string | readonly string[],
  at: number,
  opts: { siteId?: string } = {},
): Promise<number> {
  const wanted = new Set(typeof reportIds === 'string' ? [reportIds] : reportIds);
  if (wanted.size === 0) return 0;
  const tx = db.transaction('usage', 'readwrite');
  const range = opts.siteId ? IDBKeyRange.bound([opts.siteId, -Infinity], [opts.siteId, Infinity]) : null;
  let marked = 0;
  const mark = (v: { reportId?: unknown; acknowledgedAt?: unknown }): Promise<unknown> | null => {
    if (typeof v.reportId !== 'string' || !wanted.has(v.reportId)) return null;
    wanted.delete(v.reportId);
    if (v.acknowledgedAt !== null) return null;
    marked++;
    return tx.store.put({ ...(v as object), acknowledgedAt: at } as never);
  };
  if (wanted.size <= FEW) {
    // A few reports (the usual case: the one just sent): newest first, stopping once all are found.
    let cursor = range
      ? await tx.store.index('bySite').openCursor(range, 'prev')
      : await tx.store.index('byAt').openCursor(null, 'prev');
    while (cursor && wanted.size > 0) {
      const put = mark(cursor.value as { reportId?: unknown; acknowledgedAt?: unknown });
      if (put) await put;
      cursor = await cursor.continue();
    }
  } else {
    // Many (a long outage's backlog delivered at once): read and write in pages, each page's writes awaited
    // before the next read, so that no single task clones thousands of records on the page's thread.
    const index = range ? tx.store.index('bySite') : tx.store.index('byAt');
    let from: IDBValidKey | null = null;
    const seen = new Set<unknown>();
    for (;;) {
      const lower: IDBValidKey = from ?? (opts.siteId ? [opts.siteId, -Infinity] : -Infinity);
      const upper: IDBValidKey = opts.siteId ? [opts.siteId, Infinity] : Infinity;
      const page = (await index.getAll(IDBKeyRange.bound(lower, upper), PAGE)) as Array<
        Record<string, unknown>
      >;
      const writes: Promise<unknown>[] = [];
      for (const v of page) {
        if (seen.has(v.id)) continue;
        seen.add(v.id);
        const put = mark(v);
        if (put) writes.push(put);
      }
      await Promise.all(writes);
      const last = page[page.length - 1];
      // The next page starts at the last key read (inclusive: records with the same time are not skipped).
      if (page.length < PAGE || wanted.size === 0 || !last) break;
      const next: IDBValidKey = opts.siteId ? [opts.siteId, last.at as number] : (last.at as number);
      if (from !== null && indexedDB.cmp(next, from) === 0) break;
      from = next;
    }
  }
  await tx.done;
  return marked;
}

/** Up to this many reports are looked for with a cursor; more are matched page by page. */
const FEW = 20;
const PAGE = 500;

/** A week of snapshots per read: small enough that no single read or parse blocks the page for long. */
const WINDOW = 7 * DAY;

/**
 * Snapshots in a time range (both ends included), of some sites or all, oldest first, validated. A damaged
 * record is moved to the quarantine and reported (console and `storageEvents`), never thrown. Reads a week at
 * a time in short read-only transactions, pausing between them, so a long history neither blocks the page
 * nor holds up the poller's writes.
 */
export async function readUsage(
  db: Db,
  q: { siteIds?: readonly string[]; from: number; to: number },
): Promise<UsageSnapshotRecord[]> {
  const siteIds = q.siteIds ? [...new Set(q.siteIds)] : null;
  const bounds = await extent(db, siteIds, q.from, q.to);
  const out: UsageSnapshotRecord[] = [];
  if (!bounds) return out;
  const damaged: number[] = [];
  for (let w = bounds.first; w <= bounds.last; w += WINDOW) {
    const last = w + WINDOW > bounds.last;
    const end = last ? bounds.last : w + WINDOW;
    const tx = db.transaction('usage');
    const sources = siteIds
      ? siteIds.map((id) => ({
          index: tx.store.index('bySite'),
          range: IDBKeyRange.bound([id, w], [id, end], false, !last),
        }))
      : [{ index: tx.store.index('byAt'), range: IDBKeyRange.bound(w, end, false, !last) }];
    const read = await Promise.all(
      sources.map(async (s) => {
        const [keys, values] = await Promise.all([s.index.getAllKeys(s.range), s.index.getAll(s.range)]);
        return { keys, values };
      }),
    );
    await tx.done;
    const batch: UsageSnapshotRecord[] = [];
    let n = 0;
    for (const { keys, values } of read) {
      for (let i = 0; i < values.length; i++) {
        if (++n % CHUNK === 0) await yieldToEventLoop();
        const parsed = parseWith(SnapshotSchema, 'usage', values[i]);
        if (parsed.ok) batch.push(toRecord(parsed.value));
        else damaged.push(keys[i]!);
      }
    }
    // One site per window is already in time order; several are merged here, a week at a time.
    if (read.length > 1) batch.sort((a, b) => a.at - b.at);
    for (const s of batch) out.push(s);
    await yieldToEventLoop();
  }
  if (damaged.length) await quarantine(db, damaged);
  return out;
}

/** The first and last snapshot times within the range, so that reading never walks empty years. */
async function extent(
  db: Db,
  siteIds: readonly string[] | null,
  from: number,
  to: number,
): Promise<{ first: number; last: number } | null> {
  if (!(from <= to)) return null;
  const tx = db.transaction('usage');
  let first = Infinity;
  let last = -Infinity;
  const ends = async (index: 'bySite' | 'byAt', range: IDBKeyRange) => {
    const lo = await tx.store.index(index).openKeyCursor(range, 'next');
    const hi = await tx.store.index(index).openKeyCursor(range, 'prev');
    const at = (k: unknown) => (Array.isArray(k) ? (k[1] as number) : (k as number));
    if (lo) first = Math.min(first, at(lo.key));
    if (hi) last = Math.max(last, at(hi.key));
  };
  if (siteIds) {
    for (const id of siteIds) await ends('bySite', IDBKeyRange.bound([id, from], [id, to]));
  } else await ends('byAt', IDBKeyRange.bound(from, to));
  await tx.done;
  return first <= last ? { first, last } : null;
}

/** Moves damaged records aside, checking each again first (another tab may have done it already). */
async function quarantine(db: Db, keys: readonly number[]): Promise<void> {
  const tx = db.transaction(['usage', 'quarantine'], 'readwrite');
  const moved: Array<{ key: string; error: string }> = [];
  for (const key of keys) {
    const value = await tx.objectStore('usage').get(key);
    if (value === undefined) continue;
    const parsed = parseWith(SnapshotSchema, 'usage', value);
    if (parsed.ok) continue;
    await tx
      .objectStore('quarantine')
      .add({ store: 'usage', key: String(key), value, error: parsed.error, at: Date.now() });
    await tx.objectStore('usage').delete(key);
    moved.push({ key: String(key), error: parsed.error });
  }
  await tx.done;
  // Reported once the move is committed, so that what listeners are told is true.
  for (const m of moved) reportDamage({ store: 'usage', ...m });
}

/** Drops snapshots older than the limit; returns how many. Reads keys only, so it stays cheap. */
export async function pruneUsage(db: Db, now: number, maxAgeDays = USAGE_MAX_AGE_DAYS): Promise<number> {
  const tx = db.transaction('usage', 'readwrite');
  const n = await pruneUsageIn(tx as unknown as WriteTx, now, maxAgeDays);
  await tx.done;
  return n;
}

/** `pruneUsage` within a transaction the caller holds (one that has the `usage` store). */
export async function pruneUsageIn(
  tx: WriteTx,
  now: number,
  maxAgeDays = USAGE_MAX_AGE_DAYS,
): Promise<number> {
  if (!(maxAgeDays > 0))
    throw new RangeError(`maxAgeDays must be a positive number of days (got ${maxAgeDays})`);
  const usage = tx.objectStore('usage');
  let n = 0;
  let c = await usage.index('byAt').openKeyCursor(IDBKeyRange.upperBound(now - maxAgeDays * DAY, true));
  for (; c; c = await c.continue()) {
    await usage.delete(c.primaryKey);
    n++;
  }
  return n;
}
