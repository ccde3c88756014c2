/**
 * The usage protocol, version 1 (docs/protocol.md is written from this file): the one wire contract between
 * whatever sends usage (the banner in direct mode, the extension, the ZVM simulator) and whatever receives it
 * (the reference billing receiver). The report, its id, the period rule and the batch shape live here only.
 * zod/mini, so that the browser carries the same schema the receiver checks.
 */
import { z } from 'zod/mini';
import { preview, valueAt } from '../core/validation.ts';
import { VERSION } from '../version.ts';

export const PROTOCOL_VERSION = 1;
export const SUPPORTED_PROTOCOLS: readonly number[] = [PROTOCOL_VERSION];

/** Who sends: this package, at the version in package.json (a test holds the two equal). */
export const CLIENT = { name: 'zerto-billing-banner', version: VERSION } as const;

export const REPORT_ID_PATTERN = /^[A-Za-z0-9._:-]{8,128}$/;
/** The most reports one batch may carry. */
export const MAX_BATCH = 500;

const isoUtc = z.iso.datetime({ error: 'must be an ISO-8601 UTC time such as 2026-11-01T09:00:00Z' });
const count = z
  .number({ error: 'must be a number' })
  .check(z.int({ error: 'must be a whole number' }), z.gte(0, { error: 'must not be negative' }));
const text = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .check(z.maxLength(max, { error: `must be at most ${max} characters` }));
const nonEmpty = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .check(
      z.minLength(1, { error: 'must not be empty' }),
      z.maxLength(max, { error: `must be at most ${max} characters` }),
    );

export const ReportIdSchema = z.string({ error: 'must be a string' }).check(
  z.regex(REPORT_ID_PATTERN, {
    error: 'must be 8 to 128 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-"',
  }),
);

const PeriodSchema = z.object({ from: isoUtc, to: isoUtc }).check(
  z.refine((p) => Date.parse(p.to) > Date.parse(p.from), {
    error: 'must be after period.from (a period is [from, to), and not empty)',
    path: ['to'],
  }),
);

export const UsageReportSchema = z.object({
  protocol: z.literal(PROTOCOL_VERSION),
  reportId: ReportIdSchema,
  site: z.object({ id: nonEmpty(200), name: text(200) }),
  /** The time this report bills, `[from, to)`: see the period rule below. */
  period: PeriodSchema,
  /**
   * Set when nothing was watched between the end of the site's previous report and `period.from`: that time
   * is a gap, said as such, never filled with invented usage.
   */
  gapBefore: z.optional(z.object({ from: isoUtc, to: isoUtc })),
  generatedAt: isoUtc,
  usage: z.object({
    protectedVms: count,
    licenseType: z.optional(text(100)),
    sites: z.optional(
      z
        .array(z.object({ id: nonEmpty(200), name: text(200), protectedVms: count }), {
          error: 'must be an array',
        })
        .check(z.maxLength(10_000, { error: 'must list at most 10000 sites' })),
    ),
  }),
  client: z.object({ name: nonEmpty(100), version: text(100) }),
});
export type UsageReport = z.infer<typeof UsageReportSchema>;

/** What the receiver answers for a report it keeps (or kept already). */
export const AckSchema = z.object({
  status: z.enum(['accepted', 'duplicate']),
  reportId: z.string(),
  receivedAt: z.optional(z.string()),
});
export type Ack = z.infer<typeof AckSchema>;

/**
 * A batch: up to `MAX_BATCH` reports in one request to `POST /v1/usage/batch`. Each report is handled as if
 * posted alone (idempotent by report id) and gets its own answer, in order.
 */
export const BatchAnswerSchema = z.object({
  results: z.array(
    z.object({
      reportId: z.string(),
      status: z.enum(['accepted', 'duplicate', 'refused']),
      /** HTTP status the report would have had alone (201, 200, 400, 413, 422). */
      code: z.number(),
      error: z.optional(
        z.object({
          code: z.string(),
          message: z.string(),
          field: z.optional(z.string()),
          /** With `period-overlap`: the report that holds that time. */
          held: z.optional(
            z.object({ reportId: z.string(), period: z.object({ from: z.string(), to: z.string() }) }),
          ),
        }),
      ),
    }),
  ),
});
export type BatchAnswer = z.infer<typeof BatchAnswerSchema>;

/**
 * The period rule. A site's reports bill consecutive, half-open periods `[from, to)` that never overlap:
 * each starts where the site's previous queued or acknowledged report ended, whoever makes it (a schedule,
 * a manual test, another tab, the extension), so that summing a site's reports never bills an hour twice. A
 * receiver refuses a report whose period overlaps one it already holds for the same site.
 */
/** True when `outer` covers all of `inner` (both half-open). */
export function periodCovers(
  outer: { from: string; to: string },
  inner: { from: string; to: string },
): boolean {
  return Date.parse(outer.from) <= Date.parse(inner.from) && Date.parse(outer.to) >= Date.parse(inner.to);
}

export function periodsOverlap(a: { from: string; to: string }, b: { from: string; to: string }): boolean {
  return Date.parse(a.from) < Date.parse(b.to) && Date.parse(b.from) < Date.parse(a.to);
}

/** How long a site may go unwatched before the time in between is a gap rather than part of a period. */
export const GAP_AFTER_INTERVALS = 2;

/**
 * The period of a site's next report at `now`: from where its previous report ended, or one interval back
 * when it has none (or when the time since is a gap, nothing having watched it); null when the previous
 * report already reaches `now` (nothing new to bill: a clock turned back, or two attempts in one instant).
 */
export function nextPeriod(
  lastEnd: number | null,
  now: number,
  interval: number,
): { from: number; to: number; gapBefore?: { from: number; to: number } } | null {
  if (lastEnd === null) return { from: now - interval, to: now };
  if (now <= lastEnd) return null;
  if (now - lastEnd <= GAP_AFTER_INTERVALS * interval) return { from: lastEnd, to: now };
  return { from: now - interval, to: now, gapBefore: { from: lastEnd, to: now - interval } };
}

/** `GET /v1/sites/<siteId>/last-report`: the site's report whose period ends last at the receiver. */
export const LastReportSchema = z.object({
  siteId: z.string(),
  reportId: z.string(),
  period: z.object({ from: isoUtc, to: isoUtc }),
  receivedAt: z.optional(z.string()),
});

export type Validated<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

/**
 * Validates a parsed body as a version-1 report. Fields this version does not know are dropped (a newer
 * sender may add optional fields); a different `protocol` is refused with the versions supported.
 */
export function validateReport(body: unknown, prefix = ''): Validated<UsageReport> {
  const at = prefix || 'body';
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, field: at, message: `${at}: must be a JSON object (a usage report)` };
  }
  const protocol = (body as Record<string, unknown>).protocol;
  if (protocol !== PROTOCOL_VERSION) {
    const got = protocol === undefined ? 'it is missing' : `got ${JSON.stringify(protocol)}`;
    const field = prefix ? `${prefix}.protocol` : 'protocol';
    return {
      ok: false,
      field,
      message: `${field}: unsupported protocol version (${got}); this server supports: ${SUPPORTED_PROTOCOLS.join(', ')}`,
    };
  }
  return validate(UsageReportSchema, body, prefix);
}

/** Validates with a schema and turns the first issue into `{ field, message }`, the message naming all. */
export function validate<T>(schema: z.ZodMiniType<T>, input: unknown, prefix = ''): Validated<T> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const described = result.error.issues.map((issue) => {
    const field = [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || prefix || 'body';
    return { field, message: `${field}: ${issueMessage(issue, input)}` };
  });
  const first = described[0] ?? { field: prefix || 'body', message: 'invalid input' };
  return { ok: false, field: first.field, message: described.map((d) => d.message).join('; ') };
}

function issueMessage(issue: z.core.$ZodIssue, input: unknown): string {
  const got = valueAt(input, issue.path);
  if (issue.code === 'invalid_type' && got === undefined) return 'is required';
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
  return got === undefined || typeof got === 'object'
    ? issue.message
    : `${issue.message} (got ${preview(got)})`;
}
