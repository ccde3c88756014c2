import { z } from 'zod/mini';
import { ALERT_KINDS, FAILURE_KINDS, GRACE_STATE_VERSION, PHASES } from './kinds.ts';
import { policyFieldError, type Policy } from './policy.ts';

const text = (max: number) => z.string().check(z.maxLength(max));
const time = z.number().check(z.refine(Number.isFinite, 'must be a finite time in epoch milliseconds'));

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

export const PolicySchema = z.object({
  interval: bounded('interval'),
  alertAfter: bounded('alertAfter'),
  graceDays: bounded('graceDays'),
});

/** A manager (ZVM), known to the vendor as a site. */
export const SiteSchema = z.object({
  id: z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(200)),
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
  /** What the operator reads, fixed when the alert turned on. */
  description: text(2000),
  turnedOn: time,
  resolvedAt: z.nullable(time),
  /** `usage-sent` when a transmission succeeded; `superseded` when the disconnection alert replaced it. */
  resolution: z.nullable(z.enum(['usage-sent', 'superseded'])),
});
export type Alert = z.infer<typeof AlertSchema>;

/** `reading` is null when the clock gave no usable time at all (NaN, Infinity). */
export const ClockRollbackSchema = z.object({ reading: z.nullable(time), latest: time });
export type ClockRollback = z.infer<typeof ClockRollbackSchema>;

export const GraceStateSchema = z.object({
  v: z.literal(GRACE_STATE_VERSION),
  site: SiteSchema,
  policy: PolicySchema,
  phase: z.enum(PHASES),
  /** When this state began to be tracked: the alert clock starts here when nothing ever succeeded. */
  trackingSince: time,
  /** The latest clock reading seen; earlier readings count as this one. */
  latestSeen: time,
  lastSuccessAt: z.nullable(time),
  lastAttemptAt: z.nullable(time),
  lastFailure: z.nullable(FailureReasonSchema),
  firstAlertAt: z.nullable(time),
  /** `firstAlertAt + graceDays`, fixed when the alert first appears. */
  deadline: z.nullable(time),
  /** Where the first-alert time came from: this engine, or the ZVM that enforces. */
  alertSource: z.nullable(z.enum(['engine', 'authority'])),
  recoveredAt: z.nullable(time),
  rollbacks: z.object({ count: z.number().check(z.int(), z.gte(0)), last: z.nullable(ClockRollbackSchema) }),
  /** Active alerts first, then the most recent resolved ones (bounded; full history lives in storage). */
  alerts: z.array(AlertSchema).check(z.maxLength(50)),
});
export type GraceState = z.infer<typeof GraceStateSchema>;
