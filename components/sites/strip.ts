import { DAY } from '../../src/core/index.ts';

export type DayResult = 'ok' | 'fail' | 'none';

/**
 * Seven rolling days of transmission results, oldest first: green when anything got through that day, red
 * when attempts all failed, grey when nothing was tried (no data is not the same as failure).
 */
export function dayStrip(
  log: ReadonlyArray<{ at: number; ok: boolean }>,
  now: number,
  days = 7,
): DayResult[] {
  const strip: DayResult[] = Array.from({ length: days }, () => 'none');
  for (const r of log) {
    const age = Math.floor((now - r.at) / DAY);
    if (age < 0 || age >= days) continue;
    const i = days - 1 - age;
    if (r.ok) strip[i] = 'ok';
    else if (strip[i] === 'none') strip[i] = 'fail';
  }
  return strip;
}

export function describeStrip(strip: readonly DayResult[]): string {
  const n = (k: DayResult) => strip.filter((d) => d === k).length;
  return `Last ${strip.length} days: ${n('ok')} with usage sent, ${n('fail')} with failures only, ${n('none')} without data`;
}
