import { DAY } from '../../src/core/index.ts';
import { DAY_LEGEND, DAY_WORDS, describeStrip, dayText, type DayResult } from '../../src/core/texts.ts';

export { DAY_LEGEND, DAY_WORDS, describeStrip, dayText, type DayResult };

/** The mark inside a day of the strip, so that it is read by shape and text as well as by colour. */
export const DAY_MARKS: Readonly<Record<DayResult, string>> = {
  ok: '✓',
  fail: '✗',
  reached: '○',
  unreachable: '⊘',
  none: '·',
};

/**
 * Seven rolling days of transmission results, oldest first: usage sent when anything got through that day,
 * not sent when the attempts all failed, nothing when nothing was tried (no data is not the same as failure).
 * A site that only checks reachability (its log says "unobservable") has reachable and not-reachable days:
 * reachability is never a usage signal, so those days are neither "usage sent" nor a usage failure.
 */
export function dayStrip(
  log: ReadonlyArray<{ at: number; ok: boolean; kind?: string | null }>,
  now: number,
  days = 7,
): DayResult[] {
  const strip: DayResult[] = Array.from({ length: days }, () => 'none');
  const reachOnly = log.some((r) => r.kind === 'unobservable');
  const rank: Record<DayResult, number> = { none: 0, fail: 1, unreachable: 1, reached: 2, ok: 3 };
  for (const r of log) {
    const age = Math.floor((now - r.at) / DAY);
    if (age < 0 || age >= days) continue;
    const i = days - 1 - age;
    const d: DayResult = r.ok
      ? 'ok'
      : r.kind === 'unobservable'
        ? 'reached'
        : reachOnly
          ? 'unreachable'
          : 'fail';
    if (rank[d] > rank[strip[i]!]) strip[i] = d;
  }
  return strip;
}

/** The day each slot of a strip stands for (oldest first), in the operator's language: "6 days ago" … "today". */
export function stripDays(days: number, lang?: string): readonly string[] {
  // Made once per language and length: an Intl formatter per row of a 1,000-site list costs a frame.
  const key = `${lang ?? ''}|${days}`;
  let names = stripDayNames.get(key);
  if (!names) {
    let f: Intl.RelativeTimeFormat;
    try {
      f = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
    } catch {
      f = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
    }
    names = Array.from({ length: days }, (_, i) => f.format(-(days - 1 - i), 'day'));
    stripDayNames.set(key, names);
  }
  return names;
}
const stripDayNames = new Map<string, readonly string[]>();
