import { z } from 'zod/mini';
import { DAY, parseWith } from '../core/index.ts';
import type { UsageSnapshotRecord } from '../export/index.ts';
import type { Db } from './storage/db.ts';
import { reportDamage } from './storage/repo.ts';

/** How long usage snapshots are kept for manual billing, by default. */
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

export async function recordUsage(db: Db, snapshot: UsageSnapshotRecord): Promise<void> {
  await db.add('usage', { ...snapshot });
}

/** Marks the snapshot sent with `reportId` as acknowledged (a report from the outbox, sent late). */
export async function markAcknowledged(db: Db, reportIds: readonly string[], at: number): Promise<void> {
  if (reportIds.length === 0) return;
  const wanted = new Set(reportIds);
  const tx = db.transaction('usage', 'readwrite');
  // Recent first: an acknowledged report is almost always one of the last ones.
  let cursor = await tx.store.index('byAt').openCursor(null, 'prev');
  while (cursor && wanted.size > 0) {
    const v = cursor.value as { reportId?: unknown; acknowledgedAt?: unknown };
    if (typeof v.reportId === 'string' && wanted.has(v.reportId)) {
      wanted.delete(v.reportId);
      if (v.acknowledgedAt === null) await cursor.update({ ...v, acknowledgedAt: at });
    }
    cursor = await cursor.continue();
  }
  await tx.done;
}

/** Snapshots in a time range (all sites, or some), validated; damaged records are quarantined and reported. */
export async function readUsage(
  db: Db,
  q: { siteIds?: readonly string[]; from: number; to: number },
): Promise<UsageSnapshotRecord[]> {
  const tx = db.transaction(['usage', 'quarantine'], 'readwrite');
  const raws: Array<{ key: number; value: unknown }> = [];
  if (q.siteIds) {
    for (const siteId of q.siteIds) {
      let c = await tx
        .objectStore('usage')
        .index('bySite')
        .openCursor(IDBKeyRange.bound([siteId, q.from], [siteId, q.to]));
      for (; c; c = await c.continue()) raws.push({ key: c.primaryKey, value: c.value });
    }
  } else {
    let c = await tx.objectStore('usage').index('byAt').openCursor(IDBKeyRange.bound(q.from, q.to));
    for (; c; c = await c.continue()) raws.push({ key: c.primaryKey, value: c.value });
  }
  const out: UsageSnapshotRecord[] = [];
  for (const { key, value } of raws) {
    const parsed = parseWith(SnapshotSchema, 'usage', value);
    if (parsed.ok) {
      const v = parsed.value;
      out.push({
        siteId: v.siteId,
        siteName: v.siteName,
        at: v.at,
        protectedVms: v.protectedVms,
        licenseType: v.licenseType,
        reportId: v.reportId,
        acknowledgedAt: v.acknowledgedAt,
      });
      continue;
    }
    // Set aside, never silently dropped: the quarantine keeps the record and why.
    await tx
      .objectStore('quarantine')
      .add({ store: 'usage', key: String(key), value, error: parsed.error, at: Date.now() });
    await tx.objectStore('usage').delete(key);
    reportDamage({ store: 'usage', key: String(key), error: parsed.error });
  }
  await tx.done;
  return out.sort((a, b) => a.at - b.at);
}

/** Drops snapshots older than the limit; returns how many. */
export async function pruneUsage(db: Db, now: number, maxAgeDays = USAGE_MAX_AGE_DAYS): Promise<number> {
  const tx = db.transaction('usage', 'readwrite');
  let n = 0;
  let c = await tx.store.index('byAt').openCursor(IDBKeyRange.upperBound(now - maxAgeDays * DAY, true));
  for (; c; c = await c.continue()) {
    await c.delete();
    n++;
  }
  await tx.done;
  return n;
}
