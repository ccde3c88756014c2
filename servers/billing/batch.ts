/**
 * `POST /v1/usage/batch`: up to MAX_BATCH reports in one request, each judged as if posted alone to
 * `POST /v1/usage` (validated, idempotent by report id, the period rule) and answered in order; the accepted
 * ones are stored with one write and one fsync.
 */
import {
  MAX_BATCH,
  PROTOCOL_VERSION,
  validateReport,
  type BatchAnswer,
  type UsageReport,
} from './protocol.ts';
import type { PutResult, ReportStore } from './store.ts';

export type BatchOutcome =
  { ok: true; answer: BatchAnswer } | { ok: false; status: 400; field: string; message: string };

export async function receiveBatch(
  store: ReportStore,
  body: unknown,
  now: Date,
  /** The single report's body limit: a report larger than it is refused in a batch as it would be alone. */
  maxReportBytes = Infinity,
): Promise<BatchOutcome> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return {
      ok: false,
      status: 400,
      field: 'body',
      message: 'body: must be a JSON object ({ protocol, reports })',
    };
  }
  const b = body as Record<string, unknown>;
  if (b.protocol !== PROTOCOL_VERSION) {
    return {
      ok: false,
      status: 400,
      field: 'protocol',
      message: `protocol: unsupported protocol version (got ${JSON.stringify(b.protocol ?? null)}); this server supports: ${PROTOCOL_VERSION}`,
    };
  }
  const reports = b.reports;
  if (!Array.isArray(reports) || reports.length === 0 || reports.length > MAX_BATCH) {
    return {
      ok: false,
      status: 400,
      field: 'reports',
      message: `reports: must be an array of 1 to ${MAX_BATCH} usage reports`,
    };
  }
  const results: BatchAnswer['results'] = new Array(reports.length);
  const valid: Array<{ i: number; report: UsageReport }> = [];
  reports.forEach((r, i) => {
    const id = (r as { reportId?: unknown } | null)?.reportId;
    if (Buffer.byteLength(JSON.stringify(r)) > maxReportBytes) {
      results[i] = {
        reportId: typeof id === 'string' ? id.slice(0, 128) : '',
        status: 'refused',
        code: 413,
        error: {
          code: 'too-large',
          field: `reports.${i}`,
          message: `reports.${i}: larger than ${maxReportBytes} bytes`,
        },
      };
      return;
    }
    const v = validateReport(r, `reports.${i}`);
    if (v.ok) valid.push({ i, report: v.value });
    else {
      results[i] = {
        reportId: typeof id === 'string' ? id.slice(0, 128) : '',
        status: 'refused',
        code: 400,
        error: { code: 'invalid', field: v.field, message: v.message },
      };
    }
  });
  const put = await store.putMany(
    valid.map((v) => v.report),
    now,
  );
  valid.forEach(({ i, report }, k) => {
    results[i] = answerFor(report, put[k]!);
  });
  return { ok: true, answer: { results } };
}

function answerFor(report: UsageReport, r: PutResult): BatchAnswer['results'][number] {
  const reportId = report.reportId;
  switch (r.kind) {
    case 'accepted':
      return { reportId, status: 'accepted', code: 201 };
    case 'duplicate':
      return { reportId, status: 'duplicate', code: 200 };
    case 'conflict':
      return {
        reportId,
        status: 'refused',
        code: 422,
        error: {
          code: 'idempotency-key-reused',
          field: 'reportId',
          message: `reportId: report ${reportId} was already received with different content`,
        },
      };
    case 'overlap':
      return {
        reportId,
        status: 'refused',
        code: 422,
        error: {
          code: 'period-overlap',
          field: 'period',
          message: overlapMessage(report, r.stored.report),
          held: { reportId: r.stored.report.reportId, period: r.stored.report.period },
        },
      };
  }
}

/** The 422 message of the period rule, naming both reports and both periods. */
export function overlapMessage(report: UsageReport, held: UsageReport): string {
  return (
    `period: report ${report.reportId} (${report.period.from} to ${report.period.to}) overlaps report ` +
    `${held.reportId} (${held.period.from} to ${held.period.to}) already received for site ${report.site.id}; ` +
    `a site's reports must cover consecutive periods that never overlap`
  );
}
