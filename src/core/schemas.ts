import { z } from 'zod/mini';
import { textWithin } from './coherence.ts';
import { ALERT_KINDS, FAILURE_KINDS, GRACE_STATE_VERSION, isTime, PHASES, RESOLUTIONS } from './kinds.ts';
import { policyError, policyFieldError, type Policy } from './policy.ts';

/** Counted in code points by the same rule the page's predicate applies. */
const text = (max: number, min = 0) =>
  z
    .string()
    .check(
      z.refine(
        (x) => textWithin(x, max, min),
        min ? `must be ${min} to ${max} characters` : `must be at most ${max} characters`,
      ),
    );
const time = z
  .number()
  .check(z.refine(isTime, 'must be a time in epoch milliseconds within the Date range (±8.64e15)'));
/** A clock step or a skew: a difference of two times. */
const span = z.number().check(z.refine((n) => isTime(n / 2), 'must be a finite difference of two times'));

/** A policy field checked by the same rule `parsePolicy` applies (one message, naming the field). */
function bounded(field: keyof Policy) {
  const message = policyFieldError(field, NaN)!;
  return z.number({ error: message }).check(
    z.refine((n) => policyFieldError(field, n) === null, {
      error: (issue) => policyFieldError(field, issue.input) ?? message,
      abort: true,
    }),
  );
}

export const PolicySchema = z
  .object({
    interval: bounded('interval'),
    alertAfter: bounded('alertAfter'),
    graceDays: bounded('graceDays'),
  })
  .check(
    z.refine((p) => policyError(p) === null, {
      error: (issue) => policyError(issue.input as Policy) ?? 'interval must be shorter than alertAfter',
      path: ['interval'],
    }),
  );

/** A manager (ZVM), known to the vendor as a site. */
export const SiteSchema = z.object({
  id: text(200, 1),
  name: text(200),
});
export type Site = z.infer<typeof SiteSchema>;

export const FailureReasonSchema = z.object({
  kind: z.enum(FAILURE_KINDS),
  status: z.optional(z.number().check(z.int())),
  detail: z.optional(text(500)),
});
export type FailureReason = z.infer<typeof FailureReasonSchema>;

export const OutcomeSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), at: time, reportId: z.optional(text(200)) }),
  z.object({ ok: z.literal(false), at: time, reason: FailureReasonSchema }),
]);
export type Outcome = z.infer<typeof OutcomeSchema>;

export const AlertSchema = z.object({
  id: text(300),
  kind: z.enum(ALERT_KINDS),
  level: z.enum(['warning', 'error']),
  site: SiteSchema,
  /** The text as it read when the alert turned on (history); an active alert is shown with live words. */
  description: text(2000),
  turnedOn: time,
  resolvedAt: z.nullable(time),
  /**
   * `usage-sent` when a transmission succeeded; `superseded` when the disconnection alert replaced it;
   * `cleared` when the ZVM stopped listing it without a transmission seen to pass.
   */
  resolution: z.nullable(z.enum(RESOLUTIONS)),
});
export type Alert = z.infer<typeof AlertSchema>;

/** A step of the wall clock seen by this site: `step` ms (negative when it went back), seen at `at`. */
export const ClockJumpSchema = z.object({ at: time, step: span });
export type ClockJump = z.infer<typeof ClockJumpSchema>;

/**
 * One billing alert as the ZVM listed it: its identity (`link.identifier`, else its TurnedOn on the ZVM's
 * clock), which alert it is, whether a setting named its help identifier, and the ZVM's own description.
 */
export const ZvmAlertNoteSchema = z.object({
  key: text(300, 1),
  kind: z.enum(['usage', 'disconnection']),
  recognised: z.boolean(),
  helpIdentifier: z.nullable(text(60)),
  description: z.nullable(text(1000)),
});
export type ZvmAlertNote = z.infer<typeof ZvmAlertNoteSchema>;

/** The last time the ZVM's own word was read (zvm mode): its clock's skew and its last transmission. */
export const ZvmWordSchema = z.object({
  /** When it was read, in this site's frame. */
  readAt: time,
  /** The ZVM's clock minus this one's, measured from its `Date` header (0 when within a minute or unknown). */
  skew: span,
  /** What the ZVM answered to the last sendUsage it was asked for; null when it did not say (or was not asked). */
  passed: z.nullable(z.boolean()),
  /**
   * The billing alerts it listed, as it words them (at most 10, oldest first); absent in older records. What
   * is damaged here is dropped, never a reason to refuse the record (the page-load predicate does not read it:
   * whoever shows it checks it with `isZvmNote`).
   */
  alerts: z.catch(z.optional(z.array(ZvmAlertNoteSchema).check(z.maxLength(10))), undefined),
  /** Help identifiers set for this site that the ZVM says it does not know (a setup problem); dropped if damaged. */
  unknownIds: z.catch(z.optional(z.array(text(40, 1)).check(z.maxLength(40))), undefined),
});
export type ZvmWord = z.infer<typeof ZvmWordSchema>;

/** Why the state cannot be seen now (the ZVM API unreadable, a probe that cannot run), and since when. */
export const BlindSchema = z.object({ since: time, reason: FailureReasonSchema });
export type Blind = z.infer<typeof BlindSchema>;

export const GraceStateSchema = z.object({
  v: z.literal(GRACE_STATE_VERSION),
  site: SiteSchema,
  policy: PolicySchema,
  phase: z.enum(PHASES),
  /** The enforcing ZVM is the authority (zvm mode): its alerts are the state, this engine only mirrors them. */
  authority: z.boolean(),
  /** When this state began to be tracked: the alert clock starts here when nothing ever succeeded. */
  trackingSince: time,
  /** The latest clock reading seen; a reading earlier than it moves every time of the site (a clock jump). */
  latestSeen: time,
  lastSuccessAt: z.nullable(time),
  lastAttemptAt: z.nullable(time),
  lastFailure: z.nullable(FailureReasonSchema),
  firstAlertAt: z.nullable(time),
  /** `firstAlertAt + graceMs`, fixed when the alert first appears; never moved later. */
  deadline: z.nullable(time),
  /** The grace recorded when the alert opened. */
  graceMs: z.nullable(z.number().check(z.refine(isTime, 'must be a finite number of milliseconds'))),
  /** When VRA communication stopped (the deadline, or the ZVM's disconnection alert). */
  disconnectedAt: z.nullable(time),
  /** Where the first-alert time came from: this engine, or the ZVM that enforces. */
  alertSource: z.nullable(z.enum(['engine', 'authority'])),
  recoveredAt: z.nullable(time),
  /** When the current policy took effect: no alert of this policy is dated before it. */
  policySince: time,
  zvm: z.nullable(ZvmWordSchema),
  blind: z.nullable(BlindSchema),
  /**
   * The clock jumps seen: how many, the last one, and `setBack`, how far the clock was seen turned back and
   * not yet seen set right (a step forward the monotonic clock does not confirm repays it).
   */
  clockJumps: z.object({
    count: z.number().check(z.int(), z.gte(0)),
    last: z.nullable(ClockJumpSchema),
    setBack: z.number().check(z.refine((n) => isTime(n) && n >= 0, 'must be a time span of 0 or more')),
  }),
  /** Active alerts first, then the most recent resolved ones (bounded; full history lives in storage). */
  alerts: z.array(AlertSchema).check(z.maxLength(50)),
});
export type GraceState = z.infer<typeof GraceStateSchema>;
