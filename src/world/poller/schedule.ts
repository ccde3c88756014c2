// What an attempt means and when the next one is due: pure rules shared by every poller (the page's, the shared
// worker's, the extension's service worker's and the fleet service's). No storage, network or timers here.
import type { GraceEvent, GraceState } from '../../core/index.ts';
import type { ProbeResult, SiteConfig } from '../probes/types.ts';
import type { SiteRule } from '../storage/repo.ts';

/** Who enforces a site's rule: the ZVM in zvm mode, this console's own observations otherwise. */
export const ruleOf = (config: SiteConfig): SiteRule => ({
  policy: config.policy,
  authority: config.mode === 'zvm',
});

/**
 * What an attempt means for the engine. The ZVM's word is the state in zvm mode; an attempt that could not
 * see (the ZVM API unreadable, a probe that cannot run) is never "usage not sent"; a reachable billing host
 * is never "usage sent" (reachability mode observes no usage at all).
 */
export function eventOf(config: SiteConfig, result: ProbeResult): GraceEvent {
  const { outcome } = result;
  if (result.zvm) {
    return {
      type: 'zvm',
      ...result.zvm,
      ...(outcome.ok ? {} : { reason: outcome.reason }),
    };
  }
  if (config.mode === 'reachability') {
    return {
      type: 'blind',
      reason: outcome.ok
        ? {
            kind: 'unobservable',
            detail:
              'this console only checks that the billing host can be reached from this browser (it can); it cannot see whether usage is sent',
          }
        : outcome.reason,
    };
  }
  if (outcome.ok) return { type: 'succeeded', ...(outcome.reportId ? { reportId: outcome.reportId } : {}) };
  if (result.blind || outcome.reason.kind === 'misconfigured')
    return { type: 'blind', reason: outcome.reason };
  return { type: 'failed', reason: outcome.reason };
}

/**
 * When the next attempt is due: an interval after the last one, and, where the ZVM enforces, at its
 * deadline too, so that its disconnection is read when it happens rather than up to an interval later.
 */
export function dueAt(s: GraceState, now: number, interval: number): number {
  if (s.lastAttemptAt === null) return now;
  const next = s.lastAttemptAt + interval;
  if (!(s.authority && s.phase === 'warning' && s.deadline !== null)) return next;
  // At the ZVM's deadline, and every minute past it until the ZVM reports its disconnection (its clock may
  // run a little behind the one this console counts on).
  if (s.lastAttemptAt < s.deadline) return Math.min(next, s.deadline);
  return Math.min(next, s.lastAttemptAt + OVERDUE_READ_MS);
}

/** How often the ZVM is read once its deadline passed without its word of disconnection. */
export const OVERDUE_READ_MS = 60_000;

/**
 * The earlier of the next attempt and the next escalation still ahead (the alert appearing, the deadline).
 * A moment already past is no reason to wake: the next attempt covers it (a loop on a past moment would spin).
 */
export function nextCheck(s: GraceState, now: number, interval: number): number {
  const ahead = [dueAt(s, now, interval)];
  if (s.phase === 'warning' && s.deadline !== null) ahead.push(s.deadline);
  if (s.phase === 'ok' && s.lastSuccessAt !== null) ahead.push(s.lastSuccessAt + s.policy.alertAfter);
  const future = ahead.filter((t) => t > now);
  return future.length ? Math.min(...future) - now : interval;
}
