import { buildExport, type ExportFile, type ExportFormat, type ExportRange } from '../export/index.ts';
import type { Db } from './storage/db.ts';
import { readAllStates } from './storage/repo.ts';
import { readUsage } from './usage-history.ts';
import { readBacklog } from './outbox.ts';

/**
 * Reads the usage history of some sites (or all) and builds the manual-billing file. A site asked for by id
 * that has no snapshot in the range still gets its rows, all marked no-data: a site down the whole time is
 * exactly what the billing team must see.
 *
 * Each row's `site_name` is the name the operator reads, never the id: the name given (`siteNames`: the
 * operator's own), else the latest name stored with the site's usage, else the name its stored state knows;
 * empty only when no name is known at all (the id is in its own column).
 */
export async function exportUsage(
  db: Db,
  o: {
    siteIds?: string[];
    /** The operator-facing names of the asked-for sites: they win over the names stored with the usage. */
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
  // A damaged state is reported by the read and left out: its site is then named by its usage alone.
  for (const st of await readAllStates(db)) if (st.site.name) names.set(st.site.id, st.site.name);
  for (const s of snapshots) if (s.siteName) names.set(s.siteId, s.siteName);
  for (const [id, name] of Object.entries(o.siteNames ?? {})) if (name) names.set(id, name);
  const nameOf = (id: string) => names.get(id) ?? '';
  return buildExport({
    snapshots,
    range: o.range,
    format: o.format,
    allSites: !o.siteIds,
    // The file is named after the site's name, or its id when it has none.
    siteNames: (o.siteIds ?? []).map((id) => nameOf(id) || id),
    ...(o.siteIds ? { sites: o.siteIds.map((id) => ({ id, name: nameOf(id) })) } : {}),
    names,
    now: o.now,
    setAside,
  });
}
