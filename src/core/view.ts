import { settle } from './evaluate.ts';
import type { Phase } from './kinds.ts';
import type { Alert, ClockJump, FailureReason, GraceState, Site, ZvmWord } from './schemas.ts';
import type { Message, Remaining, Source } from './texts.ts';
import { DAY, HOUR, MINUTE } from './time.ts';

/** How long a recovery notice stays relevant after usage got through again. */
export const RECOVERY_NOTICE_MS = 24 * HOUR;
/** A skew between this clock and the ZVM's worth telling the operator about. */
export const SKEW_SHOWN_MS = 5 * MINUTE;
/** How long a clock jump stays on show. */
export const JUMP_SHOWN_MS = 7 * DAY;

/** Everything a surface (banner, badge, popup, sites row) needs, derived from a state and a time. */
export interface GraceView {
  site: Site;
  phase: Phase;
  /** Who says so: the ZVM's own alerts (zvm mode), or this console's observations and the vendor's rule. */
  source: Source;
  /** The time this view is for, in the site's frame. */
  at: number;
  deadline: number | null;
  firstAlertAt: number | null;
  /** When VRA communication stopped (disconnected only). */
  disconnectedAt: number | null;
  lastSuccessAt: number | null;
  lastAttemptAt: number | null;
  lastFailure: FailureReason | null;
  /** Milliseconds until the deadline, never negative; null when there is no deadline. */
  msLeft: number | null;
  /** Whole days as "within N days" reads: 15 right after the alert, 1 on the last day; null without a deadline. */
  daysLeft: number | null;
  /** Days, or hours on the last day. */
  remaining: Remaining | null;
  /** False once disconnected (by the ZVM's word in zvm mode; by the vendor's rule otherwise). */
  vraCommunicationAllowed: boolean;
  /** True for a while after a success ended a warning or a disconnection. */
  recovered: boolean;
  /** The state cannot be seen now: why, since when, and how old the last known state is. */
  blind: { since: number; reason: FailureReason; lastKnownAge: number | null } | null;
  /** Nothing confirmed the billing status for longer than one interval: since when. */
  unconfirmedSince: number | null;
  /** The ZVM's clock minus this one's, when it is large enough to matter; else null. */
  skew: number | null;
  /** The last clock jump, while it is recent. */
  clockJump: (ClockJump & { count: number }) | null;
  activeAlerts: Alert[];
  /**
   * zvm mode: the ZVM's last word as stored: the billing alerts it listed, in its own words, and the help
   * identifiers set for the site that it does not know (checked where they are shown: a first paint reads a
   * record no schema checked yet).
   */
  zvm: ZvmWord | null;
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
  const s = settle(state, now);
  const at = s.latestSeen;
  const source: Source = s.authority ? 'zvm' : 'console';
  const alerting = s.phase === 'warning' || s.phase === 'disconnected';
  const msLeft = s.deadline === null || !alerting ? null : Math.max(0, s.deadline - at);
  const daysLeft = msLeft === null ? null : Math.ceil(msLeft / DAY);
  const remaining = msLeft === null || msLeft === 0 || s.phase !== 'warning' ? null : remainingFrom(msLeft);
  const recovered = s.phase === 'ok' && s.recoveredAt !== null && at - s.recoveredAt < RECOVERY_NOTICE_MS;
  const blind = s.blind && {
    since: s.blind.since,
    reason: s.blind.reason,
    lastKnownAge: s.zvm ? at - s.zvm.readAt : null,
  };
  // Unconfirmed since the last confirmation, or since tracking began when nothing ever confirmed.
  const confirmedAt = s.lastSuccessAt ?? s.trackingSince;
  const unconfirmedSince = s.phase === 'unknown' && at - confirmedAt > s.policy.interval ? confirmedAt : null;
  const siteName = s.site.name;
  let message: Message | null = null;
  if (s.phase === 'warning' && msLeft === 0) message = { key: 'overdue', source, siteName };
  else if (s.phase === 'warning' && remaining)
    message = { key: 'usage-not-sent', source, siteName, remaining };
  else if (s.phase === 'disconnected') message = { key: 'vra-disconnected', source, siteName };
  else if (blind) message = { key: 'blind', source, siteName, reason: blind.reason };
  else if (recovered) message = { key: 'recovered', source, siteName };
  else if (unconfirmedSince !== null)
    message = { key: 'unconfirmed', source, siteName, reason: s.lastFailure, ever: s.lastSuccessAt !== null };
  const jump = s.clockJumps.last;
  return {
    site: s.site,
    phase: s.phase,
    source,
    at,
    deadline: alerting ? s.deadline : null,
    firstAlertAt: alerting ? s.firstAlertAt : null,
    disconnectedAt: s.disconnectedAt,
    lastSuccessAt: s.lastSuccessAt,
    lastAttemptAt: s.lastAttemptAt,
    lastFailure: s.lastFailure,
    msLeft,
    daysLeft,
    remaining,
    vraCommunicationAllowed: s.phase !== 'disconnected',
    recovered,
    blind,
    unconfirmedSince,
    skew: s.zvm && Math.abs(s.zvm.skew) >= SKEW_SHOWN_MS ? s.zvm.skew : null,
    clockJump: jump && at - jump.at < JUMP_SHOWN_MS ? { ...jump, count: s.clockJumps.count } : null,
    activeAlerts: s.alerts.filter((a) => a.resolvedAt === null),
    zvm: s.zvm,
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
