// Where a site's last queued or acknowledged usage period ends (the period rule, src/protocol/usage.ts), kept in
// the meta store beside the site's grace state, and how it follows the site's clock frame. Apart from outbox.ts
// so that the storage of grace states (repo.ts) moves it in the same transaction as the state's other times.
import { CLOCK_TOLERANCE_MS, isTime } from '../../core/index.ts';

/** The end of the site's last period (epoch ms). */
export const periodKey = (siteId: string): string => `period-end:${siteId}`;
/** Where that last period began: tells a report made while the clock was ahead from one that holds now. */
export const periodFromKey = (siteId: string): string => `period-from:${siteId}`;

/** A site's period mark as stored: the end of its last period, and its start when it was recorded. */
export interface PeriodMark {
  end: number;
  /** Null for a mark written before the start was kept. */
  from: number | null;
}

/**
 * The mark after the site's clock frame moved by `step` (negative: the clock was seen turned back) at the
 * reading `now`; null when it stays. A mark whose whole last period lies ahead of `now` (a report made while
 * the clock was ahead) moves with the site's other times, as `shiftTimes` moves them, so that the next report
 * covers the time since it in this frame rather than nothing until the clock catches up (a year, for a clock
 * that was a year ahead). A mark whose last period holds `now` stays: moving it would bill that time twice,
 * and the clock passes it within one period. A step forward never moves it: the mark is a time on the wire,
 * and a later one would leave the time in between unbilled.
 */
export function movedMark(mark: PeriodMark, step: number, now: number, interval: number): PeriodMark | null {
  if (!(step < 0) || !isTime(step) || !isTime(now)) return null;
  if (mark.end <= now) return null;
  // Older marks kept no start: a period is at most two intervals long (see nextPeriod).
  const from = mark.from ?? mark.end - 2 * interval;
  if (from <= now) return null;
  const end = mark.end + step;
  if (!isTime(end)) return null;
  return { end, from: mark.from === null ? null : mark.from + step };
}

/** How far ahead of a reading a mark may be without being in that clock's future (several readers' jitter). */
export const MARK_TOLERANCE_MS = CLOCK_TOLERANCE_MS;

/** The stores a transaction moving a mark needs. */
type MetaStore = {
  get(key: string): Promise<unknown>;
  put(value: unknown, key: string): Promise<unknown>;
};

/**
 * Moves a site's mark within a transaction the caller holds (with the `meta` store), when its clock frame moved
 * by `step` at `now` (see `movedMark`). Queues its writes and resolves once they are made.
 */
export async function moveMarkIn(
  meta: MetaStore,
  siteId: string,
  step: number,
  now: number,
  interval: number,
): Promise<void> {
  if (!(step < 0)) return;
  const [end, from] = await Promise.all([meta.get(periodKey(siteId)), meta.get(periodFromKey(siteId))]);
  if (!isTime(end)) return;
  const moved = movedMark({ end, from: isTime(from) ? from : null }, step, now, interval);
  if (!moved) return;
  await Promise.all([
    meta.put(moved.end, periodKey(siteId)),
    ...(moved.from === null ? [] : [meta.put(moved.from, periodFromKey(siteId))]),
  ]);
}
