import { z } from 'zod/mini';
import type { FailureReason } from '../../core/index.ts';
import { enqueue, flush, newReportId, type SendResult } from '../outbox.ts';
import type { Db, OutboxRecord } from '../storage/db.ts';
import { markAcknowledged } from '../usage-history.ts';
import { parseJson, request, statusReason, withRetries } from './http.ts';
import { Steps } from './steps.ts';
import type { Probe, ProbeContext, ProbeResult, UsageSnapshot } from './types.ts';
import { endpoint, zvmUsage, type JsonResult } from './usage.ts';

export const CLIENT = { name: 'zerto-billing-banner', version: '0.1.0' } as const;
export const PROTOCOL_VERSION = 1;

/** The usage report of protocol version 1 (docs/protocol.md). */
export interface UsageReport {
  protocol: 1;
  reportId: string;
  site: { id: string; name: string };
  period: { from: string; to: string };
  generatedAt: string;
  usage: UsageSnapshot;
  client: { name: string; version: string };
}

const AckSchema = z.object({
  status: z.enum(['accepted', 'duplicate']),
  reportId: z.string(),
  receivedAt: z.optional(z.string()),
});

export function buildReport(ctx: ProbeContext, usage: UsageSnapshot, reportId = newReportId()): UsageReport {
  const now = ctx.now();
  return {
    protocol: PROTOCOL_VERSION,
    reportId,
    site: { id: ctx.config.siteId, name: ctx.config.siteName },
    period: {
      from: new Date(now - ctx.config.policy.interval).toISOString(),
      to: new Date(now).toISOString(),
    },
    generatedAt: new Date(now).toISOString(),
    usage,
    client: { ...CLIENT },
  };
}

export type UsageProvider = () => Promise<UsageSnapshot> | UsageSnapshot;

/**
 * Builds a usage report, stores it in the outbox, then sends everything the site has queued to a billing
 * endpoint speaking the project's usage protocol, each report with its own Idempotency-Key.
 */
export function directProbe(db: Db, provider?: UsageProvider): Probe {
  return {
    mode: 'direct',
    async transmit(ctx: ProbeContext): Promise<ProbeResult> {
      const steps = new Steps(ctx);
      steps.running('collect', 'collecting usage');
      const usage = await collect(ctx, provider);
      // No count to report (no provider, a provider that fails, a ZVM that cannot be read for counts): this
      // console cannot check, which is a configuration to fix, not "usage not sent".
      if (!usage.ok) return steps.fail('collect', usage.reason, { blind: true });
      steps.set({
        id: 'collect',
        status: 'done',
        usage: usage.value,
        detail: `${usage.value.protectedVms} protected VMs`,
      });

      const report = buildReport(ctx, usage.value);
      const url = endpoint(ctx.config.billingUrl, 'v1/usage');
      await enqueue(db, {
        reportId: report.reportId,
        siteId: ctx.config.siteId,
        endpoint: url,
        body: report,
        createdAt: ctx.now(),
        attempts: 0,
        lastError: null,
      });

      steps.running('reach', `sending usage to ${new URL(url).host}`);
      let reached = false;
      const flushed = await flush(
        db,
        ctx.config.siteId,
        async (record) => {
          const r = await sendReport(ctx, url, record);
          if (r.answered && !reached) {
            reached = true;
            steps.set({ id: 'reach', status: 'done', detail: `${new URL(url).host} answered` });
          }
          return r.result;
        },
        { ...(ctx.signal ? { signal: ctx.signal } : {}) },
      );
      // Reports of earlier attempts that went through now: their usage snapshots count as sent.
      const late = flushed.acked.filter((id) => id !== report.reportId);
      if (late.length) {
        // The history only informs the export: failing to mark it must not fail a transmission that worked.
        await markAcknowledged(db, late, ctx.now(), { siteId: ctx.config.siteId }).catch((err: unknown) =>
          console.error(`zerto-billing: usage history not marked acknowledged: ${String(err)}`),
        );
      }
      const extra = { usage: usage.value, reportId: report.reportId };
      if (flushed.acked.includes(report.reportId)) {
        steps.set({
          id: 'ack',
          status: 'done',
          reportId: report.reportId,
          detail: `acknowledged as ${report.reportId}`,
        });
        return steps.succeed(usage.value, report.reportId, { reportId: report.reportId });
      }
      const reason: FailureReason = flushed.stoppedBy ??
        flushed.refused.find((x) => x.reportId === report.reportId)?.reason ?? {
          kind: 'timeout',
          detail: 'cancelled before the report was sent',
        };
      return steps.fail(reached ? 'ack' : 'reach', reason, extra);
    },
  };
}

async function collect(ctx: ProbeContext, provider?: UsageProvider): Promise<JsonResult<UsageSnapshot>> {
  if (provider) {
    try {
      const u = await provider();
      if (Number.isInteger(u?.protectedVms) && u.protectedVms >= 0) return { ok: true, value: u };
      return {
        ok: false,
        reason: { kind: 'bad-answer', detail: 'the usage provider returned no protectedVms count' },
      };
    } catch (err) {
      return {
        ok: false,
        reason: { kind: 'misconfigured', detail: `the usage provider threw: ${String(err)}`.slice(0, 300) },
      };
    }
  }
  if (ctx.config.zvmUrl) return zvmUsage(ctx, ctx.config.zvmUrl);
  if (ctx.config.protectedVms !== undefined)
    return { ok: true, value: { protectedVms: ctx.config.protectedVms } };
  return {
    ok: false,
    reason: {
      kind: 'misconfigured',
      detail: 'direct mode needs usage counts: a ZVM URL, protected-vms, or a usage provider',
    },
  };
}

async function sendReport(
  ctx: ProbeContext,
  endpoint: string,
  record: OutboxRecord,
): Promise<{ answered: boolean; result: SendResult }> {
  let answered = false;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    'idempotency-key': record.reportId,
  };
  if (ctx.secrets.token) headers.authorization = `Bearer ${ctx.secrets.token}`;
  const result = await withRetries<SendResult & { reason?: FailureReason }>(
    async () => {
      const r = await request(
        endpoint,
        { method: 'POST', headers, body: JSON.stringify(record.body) },
        { timeoutMs: ctx.config.timeoutMs, signal: ctx.signal },
      );
      if (!r.ok) return { ok: false, reason: r.reason, retryable: true };
      answered = true;
      if (r.status === 200 || r.status === 201) {
        const ack = AckSchema.safeParse(parseJson(r.text));
        if (ack.success && ack.data.reportId === record.reportId)
          return { ok: true, reportId: record.reportId };
        const html = /^\s*</.test(r.text);
        return {
          ok: false,
          retryable: true,
          reason: {
            kind: 'bad-answer',
            status: r.status,
            detail: html
              ? 'an HTML page instead of an acknowledgement (a proxy or captive portal?)'
              : 'the acknowledgement has the wrong shape',
          },
        };
      }
      const reason = statusReason(r.status, serverMessage(r.text) ?? `HTTP ${r.status}`);
      // A report the server refuses as invalid will never be accepted as it is: keep it, skip it.
      const forGood =
        r.status >= 400 &&
        r.status < 500 &&
        r.status !== 401 &&
        r.status !== 403 &&
        r.status !== 408 &&
        r.status !== 429;
      return { ok: false, reason, retryable: !forGood };
    },
    {
      retries: ctx.config.retries,
      windowMs: Math.min(ctx.config.policy.interval / 2, 60_000),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    },
  );
  return { answered, result };
}

function serverMessage(text: string): string | undefined {
  const body = parseJson(text) as { error?: { message?: unknown; field?: unknown } } | undefined;
  const m = body?.error?.message;
  if (typeof m !== 'string') return undefined;
  const field = typeof body?.error?.field === 'string' ? ` (${body.error.field})` : '';
  return `${m}${field}`.slice(0, 300);
}
