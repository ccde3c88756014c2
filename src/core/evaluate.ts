// The part of the grace engine that lets time pass: clock readings (and jumps), the alert when no
// transmission succeeded for `alertAfter`, the disconnection at the deadline. The banner's page-load code
// needs only this to read a stored state at the current time; the events (engine.ts) build on it.
import { graceMs } from './policy.ts';
import { isTime, MAX_TIME, type AlertKind, type Resolution } from './kinds.ts';
import type { Alert, GraceState } from './schemas.ts';
import { alertSummary } from './texts/summary.ts';

const MAX_ALERTS = 50;
/** Backward readings within this are the jitter of several contexts reading one clock, not a jump. */
export const CLOCK_TOLERANCE_MS = 5_000;
const MINUTE_MS = 60_000;
/**
 * Clock readings further out than this from the epoch are refused: a deadline (up to 365 days of grace and
 * 90 days of alertAfter later) must still be a time in the Date range.
 */
export const READING_LIMIT = MAX_TIME - 2 * 365 * 86_400_000;

const inRange = (t: number | null) => t === null || (isTime(t) && Math.abs(t) <= MAX_TIME);

/** Every time of a state within the Date range (a shift by a clock jump must not push one out). */
function timesInRange(s: GraceState): boolean {
  return (
    [
      s.trackingSince,
      s.latestSeen,
      s.lastSuccessAt,
      s.lastAttemptAt,
      s.firstAlertAt,
      s.deadline,
      s.disconnectedAt,
      s.recoveredAt,
      s.policySince,
      s.zvm?.readAt ?? null,
      s.blind?.since ?? null,
    ].every(inRange) && s.alerts.every((a) => inRange(a.turnedOn) && inRange(a.resolvedAt))
  );
}

/**
 * A step forward of the wall clock that the monotonic clock did not confirm, seen while a worker ran. Up to
 * what the clock was seen turned back, it is the clock being set right: every time moves with it (nothing is
 * stolen). Beyond that it counts as time that passed, as browsers outside Windows stop the monotonic clock
 * while the computer sleeps: moving the times by a sleep would buy a night of grace every time a laptop is
 * closed. Either way the step is recorded and shown.
 */
export function clockStep(state: GraceState, step: number, now: number): GraceState {
  if (!isTime(step / 2) || step <= 0) return state;
  // Only a step that matches what was turned back sets it right; any other (a sleep, say) is time that passed.
  // (The last turn back alone, or all that is owed.)
  const owed = state.clockJumps.setBack;
  const last = state.clockJumps.last;
  const candidates = [...(last && last.step < 0 ? [Math.min(-last.step, owed)] : []), owed];
  const back = candidates.find((c) => c > 0 && Math.abs(step - c) <= Math.max(5 * MINUTE_MS, c / 100)) ?? 0;
  const moved = back > 0 ? shiftTimes(state, back) : state;
  if (!timesInRange(moved)) return state;
  return {
    ...moved,
    clockJumps: {
      count: state.clockJumps.count + 1,
      last: { at: isTime(now) ? now : moved.latestSeen, step },
      setBack: state.clockJumps.setBack - back,
    },
  };
}

/** The state at `now`: the clock observed, then time let pass. */
export function settle(state: GraceState, now: number): GraceState {
  const s = observeClock(state, now);
  return evaluate(s, s.latestSeen);
}

/**
 * Keeps one frame of time per site. A reading earlier than the latest seen (beyond the jitter of several
 * readers) is a clock jump: every stored time moves by the same step, and the jump is recorded. A reading
 * that is no time at all, or outside the Date range, is ignored.
 */
export function observeClock(state: GraceState, now: number): GraceState {
  if (!isTime(now) || Math.abs(now) > READING_LIMIT) return state;
  if (now >= state.latestSeen) return { ...state, latestSeen: now };
  const step = now - state.latestSeen;
  if (-step <= CLOCK_TOLERANCE_MS) return state;
  const shifted = shiftTimes(state, step);
  // A reading that would move a stored time out of the Date range is no reading to trust.
  if (!timesInRange(shifted)) return state;
  return {
    ...shifted,
    clockJumps: {
      count: state.clockJumps.count + 1,
      last: { at: now, step },
      setBack: Math.min(MAX_TIME, state.clockJumps.setBack - step),
    },
  };
}

/** Every time of the site moved by `step` (the ZVM's skew moves the other way: its clock did not jump). */
export function shiftTimes(s: GraceState, step: number): GraceState {
  const m = (t: number | null) => (t === null ? null : t + step);
  return {
    ...s,
    trackingSince: s.trackingSince + step,
    latestSeen: s.latestSeen + step,
    lastSuccessAt: m(s.lastSuccessAt),
    lastAttemptAt: m(s.lastAttemptAt),
    firstAlertAt: m(s.firstAlertAt),
    deadline: m(s.deadline),
    disconnectedAt: m(s.disconnectedAt),
    recoveredAt: m(s.recoveredAt),
    policySince: s.policySince + step,
    zvm: s.zvm && { ...s.zvm, readAt: s.zvm.readAt + step, skew: s.zvm.skew - step },
    blind: s.blind && { ...s.blind, since: s.blind.since + step },
    alerts: s.alerts.map((a) => ({ ...a, turnedOn: a.turnedOn + step, resolvedAt: m(a.resolvedAt) })),
  };
}

/**
 * Lets time pass under this console's own rule: the alert when no transmission succeeded for `alertAfter`
 * (dated when that happened, never before the current policy took effect), the disconnection at the
 * deadline. Where the ZVM enforces, nothing happens here: only its word changes the phase.
 */
export function evaluate(state: GraceState, t: number): GraceState {
  if (state.authority) return state;
  let s = state;
  if (s.phase === 'unknown' || s.phase === 'ok') {
    const since = s.lastSuccessAt ?? s.trackingSince;
    const at = Math.max(since + s.policy.alertAfter, s.policySince);
    // A probe that cannot run sees nothing from the moment it went blind: it starts no countdown, and an ok
    // it can no longer confirm for alertAfter is not an ok any more. An alert due before that moment opens.
    if (s.blind && at >= s.blind.since) return s.phase === 'ok' && t >= at ? { ...s, phase: 'unknown' } : s;
    if (t < at) return s;
    s = openWarning(s, at, 'engine');
  }
  if (s.phase === 'warning' && s.deadline !== null && t >= s.deadline) s = disconnect(s, s.deadline);
  return s;
}

export function openWarning(
  s: GraceState,
  at: number,
  source: 'engine' | 'authority',
  deadline?: number,
): GraceState {
  const end = deadline ?? at + graceMs(s.policy);
  return {
    ...s,
    phase: 'warning',
    firstAlertAt: at,
    deadline: end,
    graceMs: end - at,
    disconnectedAt: null,
    alertSource: source,
    alerts: withAlert(s.alerts, makeAlert(s, 'usage-not-sent', at)),
  };
}

export function disconnect(s: GraceState, at: number): GraceState {
  const alerts = resolveActive(s.alerts, at, 'superseded', 'usage-not-sent');
  return {
    ...s,
    phase: 'disconnected',
    disconnectedAt: at,
    alerts: withAlert(alerts, makeAlert(s, 'vra-disconnected', at)),
  };
}

export function resolveActive(
  alerts: readonly Alert[],
  at: number,
  resolution: Resolution,
  kind?: AlertKind,
) {
  return alerts.map((a) =>
    a.resolvedAt === null && (kind === undefined || a.kind === kind)
      ? { ...a, resolvedAt: Math.max(at, a.turnedOn), resolution }
      : a,
  );
}

function makeAlert(s: GraceState, kind: AlertKind, at: number): Alert {
  return {
    id: `${s.site.id}:${kind}:${at}`,
    kind,
    level: kind === 'vra-disconnected' ? 'error' : 'warning',
    site: { ...s.site },
    description: alertSummary(kind, s.site.name, s.authority ? 'zvm' : 'console'),
    turnedOn: at,
    resolvedAt: null,
    resolution: null,
  };
}

/** Adds an alert; drops the oldest resolved ones past the bound (active ones are never dropped). */
export function withAlert(alerts: readonly Alert[], alert: Alert): Alert[] {
  const all = [...alerts.filter((a) => a.id !== alert.id), alert];
  let excess = all.length - MAX_ALERTS;
  if (excess <= 0) return all;
  return all.filter((a) => !(a.resolvedAt !== null && excess-- > 0));
}
