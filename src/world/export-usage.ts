import { buildExport, type ExportFile, type ExportRange } from '../export/index.ts';
import type { Db } from './storage/db.ts';
import { readUsage } from './usage-history.ts';

/** Reads the usage history of some sites (or all) and builds the manual-billing file. */
export async function exportUsage(
  db: Db,
  o: { siteIds?: string[]; range: ExportRange; format: 'csv' | 'json'; now: number },
): Promise<ExportFile> {
  const snapshots = await readUsage(db, {
    ...(o.siteIds ? { siteIds: o.siteIds } : {}),
    from: o.range.from,
    to: o.range.to,
  });
  const names = new Map<string, string>();
  for (const s of snapshots) names.set(s.siteId, s.siteName || s.siteId);
  for (const id of o.siteIds ?? []) if (!names.has(id)) names.set(id, id);
  return buildExport({
    snapshots,
    range: o.range,
    format: o.format,
    allSites: !o.siteIds,
    siteNames: [...names.values()],
    now: o.now,
  });
}
