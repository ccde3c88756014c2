import { reduce } from './engine.ts';
import type { Phase } from './kinds.ts';
import type { Alert, GraceState, Site } from './schemas.ts';
import type { Message, Remaining } from './texts.ts';
import { DAY, HOUR } from './time.ts';

/** How long a recovery notice stays relevant after usage got through again. */
export const RECOVERY_NOTICE_MS = 24 * HOUR;

/** Everything a surface (banner, badge, popup, sites row) needs, derived from a state and a time. */
export interface GraceView {
  site: Site;
  phase: Phase;
  /** The time this view is for: the reading given, or the latest seen if the clock went back. */
  at: number;
  deadline: number | null;
  firstAlertAt: number | null;
  lastSuccessAt: number | null;
  /** Milliseconds until the deadline, never negative; null when there is no deadline. */
  msLeft: number | null;
  /** Whole days as "within N days" reads: 15 right after the alert, 1 on the last day; null without a deadline. */
  daysLeft: number | null;
  /** Days, or hours on the last day. */
  remaining: Remaining | null;
  vraCommunicationAllowed: boolean;
  /** True for a while after a success ended a warning or a disconnection. */
  recovered: boolean;
  activeAlerts: Alert[];
  /** What the banner says, as data; null when there is nothing to say. */
  message: Message | null;
}

export function remainingFrom(msLeft: number): Remaining {
  return msLeft >= DAY
    ? { unit: 'days', value: Math.ceil(msLeft / DAY) }
    : { unit: 'hours', value: Math.max(1, Math.ceil(msLeft / HOUR)) };
}

export function viewOf(state: GraceState, now: number): GraceView {
  // Evaluating at `now` means a stored state that is days old still reads right (and escalates).
  const s = reduce(state, { type: 'tick' }, now);
  const at = s.latestSeen;
  const msLeft = s.deadline === null ? null : Math.max(0, s.deadline - at);
  const alerting = s.phase === 'warning' || s.phase === 'disconnected';
  const daysLeft = msLeft === null || !alerting ? null : Math.ceil(msLeft / DAY);
  const remaining = msLeft === null || s.phase !== 'warning' ? null : remainingFrom(msLeft);
  const recovered = s.phase === 'ok' && s.recoveredAt !== null && at - s.recoveredAt < RECOVERY_NOTICE_MS;
  let message: Message | null = null;
  if (s.phase === 'warning' && remaining)
    message = { key: 'usage-not-sent', siteName: s.site.name, remaining };
  else if (s.phase === 'disconnected') message = { key: 'vra-disconnected', siteName: s.site.name };
  else if (recovered) message = { key: 'recovered', siteName: s.site.name };
  return {
    site: s.site,
    phase: s.phase,
    at,
    deadline: alerting ? s.deadline : null,
    firstAlertAt: alerting ? s.firstAlertAt : null,
    lastSuccessAt: s.lastSuccessAt,
    msLeft: alerting ? msLeft : null,
    daysLeft,
    remaining,
    vraCommunicationAllowed: s.phase !== 'disconnected',
    recovered,
    activeAlerts: s.alerts.filter((a) => a.resolvedAt === null),
    message,
  };
}

/** Orders views most urgent first: disconnected, then warning by time left, then unknown, then ok. */
export function byUrgency(a: GraceView, b: GraceView): number {
  const rank = (v: GraceView) => ({ disconnected: 0, warning: 1, unknown: 2, ok: 3 })[v.phase];
  return (
    rank(a) - rank(b) ||
    (a.msLeft ?? Infinity) - (b.msLeft ?? Infinity) ||
    a.site.name.localeCompare(b.site.name)
  );
}
