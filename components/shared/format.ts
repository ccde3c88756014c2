import { formatRemaining, type Remaining } from '../../src/core/texts.ts';

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

/** Dates in the operator's locale and time zone, with the zone named so nobody misreads the deadline. */
export function formatDeadline(at: number, locale?: string): string {
  try {
    return new Intl.DateTimeFormat(locale, DEADLINE_FORMAT).format(at);
  } catch {
    return new Date(at).toISOString();
  }
}

export function formatDateTime(at: number, locale?: string): string {
  try {
    return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(at);
  } catch {
    return new Date(at).toISOString();
  }
}

const rtfCache = new Map<string, Intl.RelativeTimeFormat>();
/** "3 hours ago", "2 days ago" in the operator's language. */
export function formatAgo(ms: number, locale?: string): string {
  const key = locale ?? '';
  let rtf = rtfCache.get(key);
  if (!rtf) {
    rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
    rtfCache.set(key, rtf);
  }
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return rtf.format(-minutes, 'minute');
  const hours = Math.round(minutes / 60);
  if (hours < 48) return rtf.format(-hours, 'hour');
  return rtf.format(-Math.round(hours / 24), 'day');
}

export const within = (r: Remaining): string => `within ${formatRemaining(r)}`;
