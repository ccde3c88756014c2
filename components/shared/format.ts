import { formatRemaining, type Remaining } from '../../src/core/texts.ts';
import { afterPaint } from '../../src/world/after-paint.ts';

/** dateStyle cannot be combined with timeZoneName, so the parts are spelled out. */
export const DEADLINE_FORMAT: Intl.DateTimeFormatOptions = {
  weekday: 'long',
  year: 'numeric',
  month: 'long',
  day: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  timeZoneName: 'short',
};

/** What a time that is no time (a damaged record's) reads as, rather than an exception from Intl or Date. */
export const UNKNOWN_TIME = 'a time not known';

const isDate = (at: number) => typeof at === 'number' && Number.isFinite(at) && Math.abs(at) <= 8.64e15;
/** A span between two times of the Date range. */
const isSpan = (ms: number) => typeof ms === 'number' && Number.isFinite(ms) && Math.abs(ms) <= 2 * 8.64e15;

/** The time in UTC, exact and cheap; never throws. */
const utc = (at: number) => (isDate(at) ? new Date(at).toISOString() : UNKNOWN_TIME);

/** Dates in the operator's locale and time zone, with the zone named so nobody misreads the deadline. */
export function formatDeadline(at: number, locale?: string): string {
  if (!isDate(at)) return UNKNOWN_TIME;
  try {
    return new Intl.DateTimeFormat(locale, DEADLINE_FORMAT).format(at);
  } catch {
    return utc(at);
  }
}

/**
 * A page's first Intl date format costs some 30 ms (ICU loads its data), more than a frame. So that the
 * banner's first paint does not wait for it, the deadline is first written in UTC (exact, and cheap) and put in
 * the operator's locale and zone just after that paint; `onLocal` is called then, once.
 */
export function deadlineText(at: number, locale: string | undefined, onLocal: () => void): string {
  if (intlReady) return formatDeadline(at, locale);
  waiting.add(onLocal);
  if (waiting.size === 1) {
    const warm = () => {
      if (intlReady) return;
      formatDeadline(0, locale);
      intlReady = true;
      for (const cb of waiting) cb();
      waiting.clear();
    };
    // Once the main thread is idle after the frame that paints the banner (an idle period can come before
    // that frame: the 30 ms would then delay that paint).
    void afterPaint().then(warm);
  }
  return isDate(at) ? `${utc(at).slice(0, 16).replace('T', ' ')} UTC` : UNKNOWN_TIME;
}
let intlReady = false;
const waiting = new Set<() => void>();

export function formatDateTime(at: number, locale?: string): string {
  if (!isDate(at)) return UNKNOWN_TIME;
  try {
    return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(at);
  } catch {
    return utc(at);
  }
}

const rtfCache = new Map<string, Intl.RelativeTimeFormat>();
/**
 * "3 hours ago", "2 days ago" in the operator's language (the browser's where `locale` is no language tag).
 * A span that is no number (a damaged record's time) reads "at" and `UNKNOWN_TIME`: never an exception,
 * which would leave a list on its loading line.
 */
export function formatAgo(ms: number, locale?: string): string {
  if (!isSpan(ms)) return `at ${UNKNOWN_TIME}`;
  const key = locale ?? '';
  let rtf = rtfCache.get(key);
  if (!rtf) {
    try {
      rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
    } catch {
      rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
    }
    rtfCache.set(key, rtf);
  }
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return rtf.format(-minutes, 'minute');
  const hours = Math.round(minutes / 60);
  if (hours < 48) return rtf.format(-hours, 'hour');
  return rtf.format(-Math.round(hours / 24), 'day');
}

export const within = (r: Remaining): string => `within ${formatRemaining(r)}`;

/** A length of time, unsigned, in its largest sensible unit: "3 days", "2 hours", "12 minutes". */
export function formatSpan(ms: number): string {
  if (!isSpan(ms)) return UNKNOWN_TIME;
  const a = Math.abs(ms);
  const [n, unit] =
    a >= 2 * 86_400_000
      ? [a / 86_400_000, 'day']
      : a >= 7_200_000
        ? [a / 3_600_000, 'hour']
        : [a / 60_000, 'minute'];
  const r = Math.round(n);
  return `${r} ${unit}${r === 1 ? '' : 's'}`;
}
