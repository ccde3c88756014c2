import { z } from 'zod/mini';
import { PolicySchema } from './policy.ts';

const text = (max: number) => z.string().check(z.maxLength(max));
const time = z.number().check(z.refine(Number.isFinite, 'must be a finite time in epoch milliseconds'));

/** A manager (ZVM), known to the vendor as a site. */
export const SiteSchema = z.object({
  id: z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(200)),
  name: text(200),
});
export type Site = z.infer<typeof SiteSchema>;

/** Why a transmission failed, classified so that the operator is told what to check. */
export const FAILURE_KINDS = [
  'timeout', // no answer within the attempt window
  'network', // connection refused, reset, name not resolved, CORS: the browser cannot tell which
  'proxy', // the proxy itself failed (only where the browser names it, i.e. the extension)
  'http', // an HTTP status outside 2xx; see `status`
  'auth', // 401 or 403: wrong or expired credentials
  'bad-answer', // an answer of the wrong shape: HTML, malformed JSON, missing fields, oversized
  'rejected', // the server answered properly that it did not accept the usage (ZVM `Failed`)
  'misconfigured', // the component's own settings cannot work (no endpoint, bad URL)
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

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

export const PHASES = ['unknown', 'ok', 'warning', 'disconnected'] as const;
export type Phase = (typeof PHASES)[number];

export const ALERT_KINDS = ['usage-not-sent', 'vra-disconnected'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

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

export const GRACE_STATE_VERSION = 1;

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
