// The rules a grace state must keep beyond its shape, in plain code: the zod schema (`parseGraceState`) and
// the page's predicate (`isGraceState`) both apply these, so that they accept exactly the same records. A
// record that breaks one of them could buy grace (a deadline a century out, a success dated after every
// reading) or hide an alert (`ok` beside an active alert), so it is refused and salvaged instead.
import { DAY } from './time.ts';
import { POLICY_LIMITS } from './policy.ts';
import type { GraceState } from './schemas.ts';

/** A string of at most `max` (and at least `min`) code points: how zod and a person count its length. */
export function textWithin(x: unknown, max: number, min = 0): x is string {
  if (typeof x !== 'string') return false;
  if (x.length <= max && x.length >= min) return true;
  if (x.length > 2 * max) return false;
  let n = 0;
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  for (const _ of x) n++;
  return n <= max && n >= min;
}

/** The grace an alert may carry: the policy's own limits, in milliseconds. */
export const GRACE_LIMITS_MS = {
  min: POLICY_LIMITS.graceDays.min * DAY,
  max: POLICY_LIMITS.graceDays.max * DAY,
} as const;

const alertingPhase = (p: string) => p === 'warning' || p === 'disconnected';

/**
 * Which rule a state of the right shape breaks, as a short code (`incoherenceText` words it; kept apart so that
 * the page-load code carries no message); null when it is coherent.
 */
export function incoherence(s: GraceState): string | null {
  if (s.policy.interval >= s.policy.alertAfter) return 'interval';
  const alerting = alertingPhase(s.phase);
  const { firstAlertAt, deadline, graceMs } = s;
  if (alerting) {
    if (firstAlertAt === null || deadline === null || graceMs === null) return 'dates';
    if (Math.abs(deadline - firstAlertAt - graceMs) > 1) return 'deadline';
    if (graceMs < GRACE_LIMITS_MS.min || graceMs > GRACE_LIMITS_MS.max) return 'grace';
  } else if (firstAlertAt !== null || deadline !== null || graceMs !== null) {
    return 'no-alert';
  }
  if (s.phase === 'disconnected') {
    if (s.disconnectedAt === null || s.disconnectedAt < (firstAlertAt as number)) return 'disconnected';
  } else if (s.disconnectedAt !== null) {
    return 'connected';
  }
  const times: Array<[string, number | null]> = [
    ['trackingSince', s.trackingSince],
    ['lastSuccessAt', s.lastSuccessAt],
    ['lastAttemptAt', s.lastAttemptAt],
    ['firstAlertAt', firstAlertAt],
    ['disconnectedAt', s.disconnectedAt],
    ['recoveredAt', s.recoveredAt],
    ['policySince', s.policySince],
    ['zvm.readAt', s.zvm?.readAt ?? null],
    ['blind.since', s.blind?.since ?? null],
  ];
  for (const [name, t] of times) {
    if (t !== null && t > s.latestSeen) return name;
  }
  let usage = 0;
  let vra = 0;
  for (const a of s.alerts) {
    if (a.turnedOn > s.latestSeen || (a.resolvedAt !== null && a.resolvedAt > s.latestSeen))
      return 'alert-dates';
    if ((a.resolvedAt === null) !== (a.resolution === null)) return 'resolution';
    if (a.resolvedAt === null) {
      if (a.kind === 'usage-not-sent') usage++;
      else vra++;
    }
  }
  const want = s.phase === 'warning' ? '10' : s.phase === 'disconnected' ? '01' : '00';
  if (`${usage}${vra}` !== want) return 'active';
  return null;
}
