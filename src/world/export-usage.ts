import { buildExport, type ExportFile, type ExportFormat, type ExportRange } from '../export/index.ts';
import type { Db } from './storage/db.ts';
import { readUsage } from './usage-history.ts';
import { readBacklog } from './outbox.ts';

/**
 * Reads the usage history of some sites (or all) and builds the manual-billing file. A site asked for by id
 * that has no snapshot in the range still gets its rows, all marked no-data: a site down the whole time is
 * exactly what the billing team must see.
 */
export async function exportUsage(
  db: Db,
  o: {
    siteIds?: string[];
    /** Names for the asked-for sites, used when the history has none of theirs in the range. */
    siteNames?: Record<string, string>;
    range: ExportRange;
    format: ExportFormat;
    now: number;
  },
): Promise<ExportFile> {
  const snapshots = await readUsage(db, {
    ...(o.siteIds ? { siteIds: o.siteIds } : {}),
    from: o.range.from,
    to: o.range.to,
  });
  // Reports the billing server refused (set aside): their usage is in the file, with why it was refused.
  const setAside = new Map<string, { at: number; reason: string }>();
  for (const b of (await readBacklog(db)).values())
    for (const r of b.setAside) setAside.set(r.reportId, { at: r.at, reason: r.reason });
  const names = new Map<string, string>();
  for (const id of o.siteIds ?? []) names.set(id, o.siteNames?.[id] || id);
  for (const s of snapshots) if (s.siteName) names.set(s.siteId, s.siteName);
  return buildExport({
    snapshots,
    range: o.range,
    format: o.format,
    allSites: !o.siteIds,
    siteNames: [...names.values()],
    ...(o.siteIds ? { sites: o.siteIds.map((id) => ({ id, name: names.get(id) ?? id })) } : {}),
    now: o.now,
    setAside,
  });
}
