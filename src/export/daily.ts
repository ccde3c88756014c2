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
  /** The day has snapshots and none of them reached the billing server. */
  unsent: boolean;
  /** The day has no snapshot at all: a gap the billing team must see. */
  noData: boolean;
}

export interface DailyOptions {
  from: number;
  to: number;
  /** Sites that get rows even with no snapshot in the range (a site down the whole time is a gap too). */
  sites?: ReadonlyArray<{ id: string; name: string }>;
  /**
   * The operator-facing name of each site, by id: wins over the names stored with the snapshots (a site the
   * operator named is exported under that name). Adds no rows.
   */
  names?: ReadonlyMap<string, string>;
}

export const dayKey = (at: number): string => new Date(at).toISOString().slice(0, 10);
const dayStart = (at: number): number => Math.floor(at / DAY) * DAY;

/** Work between two chances to yield: the async callers pause here so a big export never blocks for long. */
export const CHUNK = 2000;

interface DayAcc {
  peak: number;
  n: number;
  acked: number;
}

/**
 * The one implementation behind `dailyPeaks` and `dailyPeaksChunked`: yields every CHUNK items of work. Days
 * are keyed by their index since the epoch (no date formatting per snapshot: it is the costly part).
 */
export function* dailyPeaksSteps(
  snapshots: readonly UsageSnapshotRecord[],
  o: DailyOptions,
  rows: DailyRow[],
): Generator<void, void, void> {
  const names = new Map<string, string>();
  for (const s of o.sites ?? []) names.set(s.id, s.name);
  const bySite = new Map<string, Map<number, DayAcc>>();
  for (let i = 0; i < snapshots.length; i++) {
    if (i % CHUNK === CHUNK - 1) yield;
    const s = snapshots[i]!;
    if (!(s.at >= o.from && s.at <= o.to)) continue;
    // The latest non-empty name wins (snapshots come oldest first): a renamed site shows its current name.
    if (s.siteName || !names.has(s.siteId)) names.set(s.siteId, s.siteName || names.get(s.siteId) || '');
    let days = bySite.get(s.siteId);
    if (!days) bySite.set(s.siteId, (days = new Map()));
    const d = Math.floor(s.at / DAY);
    const acc = days.get(d);
    const acked = s.acknowledgedAt !== null ? 1 : 0;
    if (acc) {
      if (s.protectedVms > acc.peak) acc.peak = s.protectedVms;
      acc.n++;
      acc.acked += acked;
    } else days.set(d, { peak: s.protectedVms, n: 1, acked });
  }
  for (const [id, name] of o.names ?? []) if (name && names.has(id)) names.set(id, name);
  const siteIds = [...names.keys()].sort();
  for (let t = dayStart(o.from); t <= o.to; t += DAY) {
    const date = dayKey(t);
    const d = t / DAY;
    for (const siteId of siteIds) {
      if (rows.length % CHUNK === CHUNK - 1) yield;
      const v = bySite.get(siteId)?.get(d);
      const status: DayStatus = !v
        ? 'no-data'
        : v.acked === v.n
          ? 'sent'
          : v.acked === 0
            ? 'unsent'
            : 'partially-sent';
      rows.push({
        date,
        siteId,
        siteName: names.get(siteId) ?? '',
        peakProtectedVms: v ? v.peak : null,
        snapshots: v?.n ?? 0,
        acknowledged: v?.acked ?? 0,
        status,
        unsent: status === 'unsent',
        noData: status === 'no-data',
      });
    }
  }
}

/**
 * One row per site per UTC day of the range (sites by id, days in order), with the day's peak protected VM
 * count. Days without any snapshot are listed too (the billing team must see gaps), and a day whose usage
 * never reached the billing server is marked, so that nothing owed or paid twice goes unnoticed.
 */
export function dailyPeaks(snapshots: readonly UsageSnapshotRecord[], o: DailyOptions): DailyRow[] {
  const rows: DailyRow[] = [];
  const steps = dailyPeaksSteps(snapshots, o, rows);
  while (!steps.next().done);
  return rows;
}

/** A macrotask, so that input and rendering get a turn (a MessageChannel is not throttled like setTimeout). */
export function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((r) => setTimeout(r, 0));
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

/** `dailyPeaks`, pausing for a macrotask every CHUNK items of work. */
export async function dailyPeaksChunked(
  snapshots: readonly UsageSnapshotRecord[],
  o: DailyOptions,
): Promise<DailyRow[]> {
  const rows: DailyRow[] = [];
  const steps = dailyPeaksSteps(snapshots, o, rows);
  while (!steps.next().done) await yieldToEventLoop();
  return rows;
}
