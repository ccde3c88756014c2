import { DAY } from '../core/index.ts';

/** One usage snapshot as kept in the usage history. */
export interface UsageSnapshotRecord {
  siteId: string;
  siteName: string;
  /** When the usage was collected (epoch ms). */
  at: number;
  protectedVms: number;
  licenseType: string | null;
  reportId: string | null;
  /** When the billing server acknowledged it; null when it never was. */
  acknowledgedAt: number | null;
}

export type DayStatus = 'sent' | 'partially-sent' | 'unsent' | 'no-data';

export interface DailyRow {
  /** The UTC day, YYYY-MM-DD. */
  date: string;
  siteId: string;
  siteName: string;
  /** That day's highest protected VM count: the billable high-water mark (null with no data). */
  peakProtectedVms: number | null;
  snapshots: number;
  acknowledged: number;
  status: DayStatus;
}

export const dayKey = (at: number): string => new Date(at).toISOString().slice(0, 10);
const dayStart = (at: number): number => Math.floor(at / DAY) * DAY;

/**
 * One row per site per UTC day of the range, with the day's peak protected VM count. Days without any
 * snapshot are listed too (the billing team must see gaps), and a day whose usage never reached the billing
 * server is marked, so that nothing owed or paid twice goes unnoticed.
 */
export function dailyPeaks(
  snapshots: readonly UsageSnapshotRecord[],
  range: { from: number; to: number },
): DailyRow[] {
  const sites = new Map<string, string>();
  const byKey = new Map<string, { peak: number; n: number; acked: number }>();
  for (const s of snapshots) {
    if (s.at < range.from || s.at > range.to) continue;
    if (!sites.has(s.siteId) || s.siteName) sites.set(s.siteId, s.siteName || sites.get(s.siteId) || '');
    const key = `${s.siteId}\u0000${dayKey(s.at)}`;
    const cur = byKey.get(key) ?? { peak: 0, n: 0, acked: 0 };
    cur.peak = Math.max(cur.peak, s.protectedVms);
    cur.n++;
    if (s.acknowledgedAt !== null) cur.acked++;
    byKey.set(key, cur);
  }
  const rows: DailyRow[] = [];
  const siteIds = [...sites.keys()].sort();
  for (let d = dayStart(range.from); d <= range.to; d += DAY) {
    const date = dayKey(d);
    for (const siteId of siteIds) {
      const v = byKey.get(`${siteId}\u0000${date}`);
      rows.push({
        date,
        siteId,
        siteName: sites.get(siteId) ?? '',
        peakProtectedVms: v ? v.peak : null,
        snapshots: v?.n ?? 0,
        acknowledged: v?.acked ?? 0,
        status: !v ? 'no-data' : v.acked === v.n ? 'sent' : v.acked === 0 ? 'unsent' : 'partially-sent',
      });
    }
  }
  return rows;
}
