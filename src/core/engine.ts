import { graceMs, type Policy } from './policy.ts';
import type { AlertKind } from './kinds.ts';
import type { Alert, FailureReason, GraceState, Site } from './schemas.ts';
import { GRACE_STATE_VERSION } from './kinds.ts';
import { alertDescription } from './texts.ts';

/**
 * The grace engine: one pure reducer per site. It touches no clock of its own; `now` is passed in, and a
 * reading earlier than the latest one seen counts as the latest (a clock turned back never extends grace).
 */
export type GraceEvent =
  /** A usage transmission was acknowledged. */
  | { type: 'succeeded'; reportId?: string }
  /** A usage transmission attempt failed. */
  | { type: 'failed'; reason: FailureReason }
  /** Time passed; nothing else happened. */
  | { type: 'tick' }
  /** The enforcing ZVM reported its own billing alert, turned on at `turnedOn`: its date wins. */
  | { type: 'authority-alert'; turnedOn: number }
  /** The policy or the site's display name changed. A deadline already fixed does not move. */
  | { type: 'configure'; policy?: Policy; siteName?: string };

const MAX_ALERTS = 50;

export function createState(site: Site, policy: Policy, now: number): GraceState {
  return {
    v: GRACE_STATE_VERSION,
    site: { ...site },
    policy: { ...policy },
    phase: 'unknown',
    trackingSince: now,
    latestSeen: now,
    lastSuccessAt: null,
    lastAttemptAt: null,
    lastFailure: null,
    firstAlertAt: null,
    deadline: null,
    alertSource: null,
    recoveredAt: null,
    rollbacks: { count: 0, last: null },
    alerts: [],
  };
}

export function reduce(state: GraceState, event: GraceEvent, now: number): GraceState {
  const seen = observeClock(state, now);
  const t = seen.latestSeen;
  switch (event.type) {
    case 'succeeded':
      return succeed(seen, t);
    case 'failed':
      return evaluate({ ...seen, lastAttemptAt: t, lastFailure: { ...event.reason } }, t);
    case 'tick':
      return evaluate(seen, t);
    case 'authority-alert':
      return adoptAuthority(seen, event.turnedOn, t);
    case 'configure':
      return evaluate(
        {
          ...seen,
          policy: event.policy ? { ...event.policy } : seen.policy,
          site: event.siteName === undefined ? seen.site : { ...seen.site, name: event.siteName },
        },
        t,
      );
  }
}

/** Keeps the latest reading; records a reading that went backwards (or was not a time at all). */
function observeClock(state: GraceState, now: number): GraceState {
  if (Number.isFinite(now) && now >= state.latestSeen) return { ...state, latestSeen: now };
  return {
    ...state,
    rollbacks: {
      count: state.rollbacks.count + 1,
      last: { reading: Number.isFinite(now) ? now : null, latest: state.latestSeen },
    },
  };
}

function evaluate(state: GraceState, t: number): GraceState {
  let s = state;
  if (s.phase === 'unknown' || s.phase === 'ok') {
    const since = s.lastSuccessAt ?? s.trackingSince;
    // The alert appears when the condition began, whether or not anything was polling at that moment.
    if (t - since < s.policy.alertAfter) return s;
    s = openWarning(s, since + s.policy.alertAfter, 'engine');
  }
  if (s.phase === 'warning' && s.deadline !== null && t >= s.deadline) s = disconnect(s);
  return s;
}

function openWarning(s: GraceState, at: number, source: 'engine' | 'authority'): GraceState {
  return {
    ...s,
    phase: 'warning',
    firstAlertAt: at,
    deadline: at + graceMs(s.policy),
    alertSource: source,
    alerts: withAlert(s.alerts, makeAlert(s, 'usage-not-sent', at)),
  };
}

function disconnect(s: GraceState): GraceState {
  const at = s.deadline as number;
  const alerts = s.alerts.map((a) =>
    a.resolvedAt === null && a.kind === 'usage-not-sent'
      ? { ...a, resolvedAt: at, resolution: 'superseded' as const }
      : a,
  );
  return { ...s, phase: 'disconnected', alerts: withAlert(alerts, makeAlert(s, 'vra-disconnected', at)) };
}

function succeed(s: GraceState, t: number): GraceState {
  const wasAlerting = s.phase === 'warning' || s.phase === 'disconnected';
  return {
    ...s,
    phase: 'ok',
    lastSuccessAt: t,
    lastAttemptAt: t,
    lastFailure: null,
    firstAlertAt: null,
    deadline: null,
    alertSource: null,
    recoveredAt: wasAlerting ? t : s.recoveredAt,
    alerts: s.alerts.map((a) =>
      a.resolvedAt === null ? { ...a, resolvedAt: t, resolution: 'usage-sent' as const } : a,
    ),
  };
}

/**
 * The ZVM enforces, so the date it reports is the date the operator must read. Alerts this engine had
 * opened on its own guess are replaced by ones dated from the ZVM's.
 */
function adoptAuthority(s: GraceState, turnedOn: number, t: number): GraceState {
  if (!Number.isFinite(turnedOn)) return evaluate(s, t);
  const at = Math.min(turnedOn, t);
  if (s.alertSource === 'authority' && s.firstAlertAt === at) return evaluate(s, t);
  const reset: GraceState = { ...s, phase: 'ok', alerts: s.alerts.filter((a) => a.resolvedAt !== null) };
  return evaluate(openWarning(reset, at, 'authority'), t);
}

function makeAlert(s: GraceState, kind: AlertKind, at: number): Alert {
  return {
    id: `${s.site.id}:${kind}:${at}`,
    kind,
    level: kind === 'vra-disconnected' ? 'error' : 'warning',
    site: { ...s.site },
    description: alertDescription(kind, s.site.name, s.policy.graceDays),
    turnedOn: at,
    resolvedAt: null,
    resolution: null,
  };
}

/** Adds an alert; drops the oldest resolved ones past the bound (active ones are never dropped). */
function withAlert(alerts: readonly Alert[], alert: Alert): Alert[] {
  const all = [...alerts, alert];
  let excess = all.length - MAX_ALERTS;
  if (excess <= 0) return all;
  return all.filter((a) => !(a.resolvedAt !== null && excess-- > 0));
}

export const activeAlerts = (s: GraceState): Alert[] => s.alerts.filter((a) => a.resolvedAt === null);
