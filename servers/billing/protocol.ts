/**
 * The usage protocol, version 1 (see docs/protocol.md): the report a sender posts to `POST /v1/usage`, and
 * the validation that names the first bad field.
 */
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;
export const SUPPORTED_PROTOCOLS: readonly number[] = [PROTOCOL_VERSION];

export const REPORT_ID_PATTERN = /^[A-Za-z0-9._:-]{8,128}$/;

const isoUtc = z.iso.datetime({ error: 'must be an ISO-8601 UTC time such as 2026-11-01T09:00:00Z' });
const count = z
  .number({ error: 'must be a number' })
  .int({ error: 'must be a whole number' })
  .min(0, { error: 'must not be negative' });
const text = (max: number) =>
  z.string({ error: 'must be a string' }).max(max, { error: `must be at most ${max} characters` });
const nonEmpty = (max: number) => text(max).min(1, { error: 'must not be empty' });

export const ReportIdSchema = z
  .string({ error: 'must be a string' })
  .regex(REPORT_ID_PATTERN, { error: 'must be 8 to 128 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-"' });

export const UsageReportSchema = z.object({
  protocol: z.literal(PROTOCOL_VERSION),
  reportId: ReportIdSchema,
  site: z.object({ id: nonEmpty(200), name: text(200) }),
  period: z.object({ from: isoUtc, to: isoUtc }).refine((p) => Date.parse(p.to) >= Date.parse(p.from), {
    error: 'must not be before period.from',
    path: ['to'],
  }),
  generatedAt: isoUtc,
  usage: z.object({
    protectedVms: count,
    licenseType: text(100).optional(),
    sites: z
      .array(z.object({ id: nonEmpty(200), name: text(200), protectedVms: count }), {
        error: 'must be an array',
      })
      .max(10_000, { error: 'must list at most 10000 sites' })
      .optional(),
  }),
  client: z.object({ name: nonEmpty(100), version: text(100) }),
});
export type UsageReport = z.infer<typeof UsageReportSchema>;

export type Validated<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

/**
 * Validates a parsed body as a version-1 report. Fields this version does not know are dropped (a newer
 * sender may add optional fields); a different `protocol` is refused with the versions supported.
 */
export function validateReport(body: unknown): Validated<UsageReport> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, field: 'body', message: 'body: must be a JSON object (a usage report)' };
  }
  const protocol = (body as Record<string, unknown>).protocol;
  if (protocol !== PROTOCOL_VERSION) {
    const got = protocol === undefined ? 'it is missing' : `got ${JSON.stringify(protocol)}`;
    return {
      ok: false,
      field: 'protocol',
      message: `protocol: unsupported protocol version (${got}); this server supports: ${SUPPORTED_PROTOCOLS.join(', ')}`,
    };
  }
  return validate(UsageReportSchema, body);
}

/** Validates with a schema and turns the first issue into `{ field, message }`, the message naming all. */
export function validate<T>(schema: z.ZodType<T>, input: unknown, prefix = ''): Validated<T> {
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

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function preview(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}
