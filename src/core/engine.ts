import { graceMs, type Policy } from './policy.ts';
import type { Resolution } from './kinds.ts';
import type { Alert, FailureReason, GraceState, Site, ZvmAlertNote } from './schemas.ts';
import { GRACE_STATE_VERSION } from './kinds.ts';
import { incoherence } from './coherence.ts';
import { clockStep, disconnect, evaluate, observeClock, openWarning, resolveActive } from './evaluate.ts';

export { CLOCK_TOLERANCE_MS, shiftTimes } from './evaluate.ts';

/**
 * The grace engine: one pure reducer per site. It touches no clock of its own; `now` is passed in.
 *
 * Two ways to know a site's phase:
 * - this console observes the transmissions (direct, custom): the engine runs the vendor's rule itself;
 * - the ZVM enforces (zvm mode, `authority`): its billing alerts ARE the state, and the engine only mirrors
 *   what it reports; it never opens, dates or escalates an alert of its own there.
 *
 * Clock jumps: a reading earlier than the latest seen moves every time of the site by the same step, so the
 * time left is unchanged (a clock turned back neither buys nor steals grace, nor silences an alert).
 */
export type GraceEvent =
  /** A usage transmission was acknowledged. */
  | { type: 'succeeded'; reportId?: string }
  /** A usage transmission attempt failed. */
  | { type: 'failed'; reason: FailureReason }
  /** Time passed; nothing else happened. */
  | { type: 'tick' }
  /**
   * The ZVM's own word (zvm mode), its times already in this site's frame: the TurnedOn of its active usage
   * alert and of its active disconnection alert (null when not listed; dismissed ones count), and its answer
   * to sendUsage when it was asked (`reason` when it answered Failed).
   */
  | {
      type: 'zvm';
      usageAlertAt: number | null;
      disconnectedAt: number | null;
      passed: boolean | null;
      skew: number;
      reason?: FailureReason;
      /** Its billing alerts as it words them, each with its identity (oldest first). */
      alerts?: ZvmAlertNote[];
      /** Help identifiers set for the site that the ZVM does not know. */
      unknownIds?: string[];
    }
  /** The state cannot be seen (the ZVM API unreadable, a probe that cannot run): never a billing signal. */
  | { type: 'blind'; reason: FailureReason }
  /** The policy, the site's display name or who enforces changed. A deadline already fixed does not move. */
  | { type: 'configure'; policy?: Policy; siteName?: string; authority?: boolean }
  /**
   * While a worker ran, the wall clock stepped `step` ms further than the monotonic clock: the clock set right
   * after it was seen turned back (every time moves with it), or else time that passed (a sleep). See
   * `clockStep`.
   */
  | { type: 'clock-step'; step: number };

export function createState(site: Site, policy: Policy, now: number, authority = false): GraceState {
  return {
    v: GRACE_STATE_VERSION,
    site: { ...site },
    policy: { ...policy },
    phase: 'unknown',
    authority,
    trackingSince: now,
    latestSeen: now,
    lastSuccessAt: null,
    lastAttemptAt: null,
    lastFailure: null,
    firstAlertAt: null,
    deadline: null,
    graceMs: null,
    disconnectedAt: null,
    alertSource: null,
    recoveredAt: null,
    policySince: now,
    zvm: null,
    blind: null,
    clockJumps: { count: 0, last: null, setBack: 0 },
    alerts: [],
  };
}

export function reduce(state: GraceState, event: GraceEvent, now: number): GraceState {
  // A step the monotonic clock did not confirm moves the frame before the new reading is taken in.
  const base = event.type === 'clock-step' ? clockStep(state, event.step, now) : state;
  const seen = observeClock(base, now);
  const t = seen.latestSeen;
  switch (event.type) {
    case 'succeeded':
      return succeed(evaluate(seen, t), t);
    case 'failed': {
      const s = { ...seen, lastAttemptAt: t, lastFailure: { ...event.reason }, blind: null };
      return evaluate(s, t);
    }
    case 'tick':
      return evaluate(seen, t);
    case 'blind':
      return evaluate(
        {
          ...seen,
          lastAttemptAt: t,
          blind: { since: seen.blind?.since ?? t, reason: { ...event.reason } },
        },
        t,
      );
    case 'zvm': {
      const next = withZvmWords(mirrorZvm({ ...seen, authority: true }, event, t), event.alerts);
      // Never a state the coherence rules refuse (it would be quarantined as damaged): the word alone, then.
      return incoherence(next) === null ? next : { ...seen, zvm: next.zvm, lastAttemptAt: t };
    }
    case 'configure':
      return configure(seen, event, t);
    case 'clock-step':
      return evaluate(seen, t);
  }
}

/** Back to ok, every active alert resolved; a recovery notice when it ended an alert. */
function succeed(s: GraceState, t: number, resolution: Resolution = 'usage-sent'): GraceState {
  const wasAlerting = s.phase === 'warning' || s.phase === 'disconnected';
  return {
    ...s,
    phase: 'ok',
    lastSuccessAt: t,
    lastAttemptAt: t,
    lastFailure: null,
    firstAlertAt: null,
    deadline: null,
    graceMs: null,
    disconnectedAt: null,
    alertSource: null,
    blind: null,
    recoveredAt: wasAlerting ? t : s.recoveredAt,
    alerts: resolveActive(s.alerts, t, resolution),
  };
}

/**
 * Mirrors the ZVM's word. Its disconnection alert: disconnected since its TurnedOn (never a new warning). Its
 * usage alert: warning from its TurnedOn, the deadline `TurnedOn + graceDays`. Neither, and the ZVM did not say
 * Failed: ok (the alerts were read; a ZVM clears them once usage got through). Neither, and Failed: not ok.
 *
 * An alert is the same alert by its identity on the ZVM (`key`: its identifier, else its TurnedOn on the ZVM's
 * clock), never by its time in this console's frame: a change of skew or of policy never re-opens it, and a
 * deadline once fixed never moves. The state written is always one the coherence rules accept.
 */
function mirrorZvm(state: GraceState, e: Extract<GraceEvent, { type: 'zvm' }>, t: number): GraceState {
  const keyOf = (notes: readonly ZvmAlertNote[] | undefined, kind: ZvmAlertNote['kind']) =>
    notes?.find((n) => n.kind === kind)?.key ?? null;
  const before = state.zvm;
  const word = {
    readAt: t,
    skew: e.skew,
    passed: e.passed,
    ...(e.alerts ? { alerts: e.alerts.slice(0, 10) } : {}),
    ...(e.unknownIds?.length ? { unknownIds: e.unknownIds.slice(0, 40) } : {}),
  };
  let s: GraceState = {
    ...state,
    zvm: word,
    blind: null,
    lastAttemptAt: t,
    lastFailure:
      e.passed === true
        ? null
        : (e.reason ?? (e.passed === false ? { kind: 'rejected' } : state.lastFailure)),
  };
  /**
   * Whether the alert this state mirrors is the one the ZVM lists now: `key` when both carry its identity (the
   * same alert, wherever its time lands in this frame), `time` when the record or the event has no identity and
   * its time is the same within the Date header's jitter, else no.
   */
  const same = (kind: ZvmAlertNote['kind'], at: number | null, now: number): 'key' | 'time' | null => {
    const was = keyOf(before?.alerts, kind);
    const is = keyOf(e.alerts, kind);
    if (was !== null && is !== null) return was === is ? 'key' : null;
    return near(at, now) ? 'time' : null;
  };
  // A ZVM clock a little ahead of this one must not date an alert in this frame's future.
  const usageAt = e.usageAlertAt === null ? null : Math.min(e.usageAlertAt, t);
  const offAt = e.disconnectedAt === null ? null : Math.min(e.disconnectedAt, t);
  const mirroring = s.alertSource === 'authority';
  if (offAt !== null) {
    if (s.phase === 'disconnected' && mirroring && same('disconnection', s.disconnectedAt, offAt))
      return atZvmTime(s, 'vra-disconnected', Math.max(offAt, s.firstAlertAt as number));
    // The usage alert it followed: the one this state mirrors (its grace stays), else the ZVM's usage alert if
    // it still lists it, else the rule's (one grace before the disconnection).
    const first = s.firstAlertAt;
    const deadline = s.deadline;
    const fixed = mirroring && first !== null && deadline !== null && first <= offAt;
    if (fixed && s.phase === 'disconnected') s = openWarning(clearMirror(s, t), first, 'authority', deadline);
    else if (!fixed)
      s = openWarning(
        clearMirror(s, t),
        usageAt !== null && usageAt <= offAt ? usageAt : offAt - graceMs(s.policy),
        'authority',
      );
    // Never before the alert it follows (a skew measured a second differently between two reads).
    return disconnect(s, Math.max(offAt, s.firstAlertAt as number));
  }
  if (usageAt !== null) {
    const known = s.phase === 'warning' && mirroring ? same('usage', s.firstAlertAt, usageAt) : null;
    if (known === 'key') return atZvmTime(s, 'usage-not-sent', usageAt);
    if (known === 'time') return s;
    return openWarning(clearMirror(s, t), usageAt, 'authority');
  }
  if (e.passed !== false) return succeed(s, t);
  // The ZVM said Failed and lists no billing alert (yet): not ok, and no alert of this console's own.
  return { ...clearMirror(s, t), phase: 'unknown' };
}

/**
 * The same ZVM alert, placed in this frame where the ZVM's clock puts it now. Its grace, its identity and its
 * history stay: a deadline is fixed on the ZVM's clock (TurnedOn + the grace recorded when it was first read),
 * which enforces it, so a policy change never moves it and neither does a step of this console's clock (a
 * step forward counted as time passed here, a skew measured anew): days left are the ZVM's.
 */
function atZvmTime(s: GraceState, kind: Alert['kind'], at: number): GraceState {
  const was = kind === 'usage-not-sent' ? s.firstAlertAt : s.disconnectedAt;
  if (was === null || near(was, at)) return s;
  const alerts = s.alerts.map((a) => (a.resolvedAt === null && a.kind === kind ? { ...a, turnedOn: at } : a));
  if (kind === 'vra-disconnected') return { ...s, disconnectedAt: at, alerts };
  const step = at - was;
  return { ...s, firstAlertAt: at, deadline: (s.deadline as number) + step, alerts };
}

/**
 * The ZVM's own description of an alert it lists, kept with the alert this state mirrors (once, when first
 * seen): Monitoring > Alerts and the history show the ZVM's words beside ours.
 */
function withZvmWords(s: GraceState, notes: readonly ZvmAlertNote[] | undefined): GraceState {
  if (!notes?.some((n) => n.description)) return s;
  const words = (kind: Alert['kind']) =>
    notes.find((n) => n.kind === (kind === 'usage-not-sent' ? 'usage' : 'disconnection'))?.description;
  let changed = false;
  const alerts = s.alerts.map((a) => {
    const w = a.resolvedAt === null ? words(a.kind) : undefined;
    if (!w || a.description.includes(ZVM_WORDS)) return a;
    changed = true;
    return { ...a, description: Array.from(`${a.description}${ZVM_WORDS}“${w}”`).slice(0, 2000).join('') };
  });
  return changed ? { ...s, alerts } : s;
}

/** What separates this console's words from the ZVM's own in an alert's description. */
export const ZVM_WORDS = ' — the ZVM: ';

/**
 * The same ZVM time, as read twice (records and events without the ZVM's alert identity): a skew measured
 * from a Date header of whole seconds jitters by a second or two, which must not re-open an alert the ZVM
 * never cleared.
 */
const SAME_TIME_MS = 2_000;
const near = (a: number | null, b: number) => a !== null && Math.abs(a - b) <= SAME_TIME_MS;

/** Ends whatever alert this state held, when the ZVM's word replaces it. */
function clearMirror(s: GraceState, t: number): GraceState {
  return {
    ...s,
    phase: 'unknown',
    firstAlertAt: null,
    deadline: null,
    graceMs: null,
    disconnectedAt: null,
    alertSource: null,
    alerts: resolveActive(s.alerts, t, 'cleared'),
  };
}

/**
 * A policy change never rewrites the past: the time before it is settled under the old policy (an alert or a
 * disconnection that was due stays), the new one dates no alert before the change, and a deadline already
 * fixed stays where it is.
 */
function configure(s0: GraceState, e: Extract<GraceEvent, { type: 'configure' }>, t: number): GraceState {
  let s = evaluate(s0, t);
  if (e.siteName !== undefined) s = { ...s, site: { ...s.site, name: e.siteName } };
  if (e.authority !== undefined && e.authority !== s.authority) {
    // Who enforces changed: what the previous one said is no longer this site's word.
    s = { ...clearMirror(s, t), authority: e.authority, zvm: null, blind: null, policySince: t };
  }
  if (e.policy && !samePolicy(e.policy, s.policy)) s = { ...s, policy: { ...e.policy }, policySince: t };
  return evaluate(s, t);
}

const samePolicy = (a: Policy, b: Policy) =>
  a.interval === b.interval && a.alertAfter === b.alertAfter && a.graceDays === b.graceDays;

/**
 * Re-opens an alert read from a damaged record at `at` with `deadline`, and disconnects it at that deadline
 * if it passed by `now` (salvage: a record that cannot be trusted keeps the earliest deadline it can prove).
 */
export function reopenAlert(
  s: GraceState,
  at: number,
  deadline: number,
  source: 'engine' | 'authority',
  now: number,
): GraceState {
  const opened = openWarning({ ...s, phase: 'unknown' }, at, source, deadline);
  return now >= deadline ? disconnect(opened, deadline) : opened;
}

export const activeAlerts = (s: GraceState): Alert[] => s.alerts.filter((a) => a.resolvedAt === null);
