import { HELP_IDENTIFIERS } from '../../core/index.ts';
import { parseJson, request, statusReason, withRetries } from './http.ts';
import { Steps } from './steps.ts';
import type { Probe, ProbeContext, ProbeResult } from './types.ts';
import { AlertsSchema, authHeaders, endpoint, fetchJson, LocalSiteSchema, zvmUsage } from './usage.ts';
import type { z } from 'zod/mini';

const BILLING_HELP_IDS = new Set(Object.values(HELP_IDENTIFIERS));

/**
 * The console is (or fronts) a ZVM: it transmits and it enforces. Identity from /v1/localsite, usage from
 * /v1/license, the transmission through /v1/localsite/billing/sendUsage, and on failure the ZVM's own billing
 * alert from /v1/alerts, whose TurnedOn time is the one the deadline is counted from.
 */
export const zvmProbe: Probe = {
  mode: 'zvm',
  async transmit(ctx: ProbeContext): Promise<ProbeResult> {
    const steps = new Steps(ctx);
    const base = ctx.config.zvmUrl;
    if (!base) return steps.fail('collect', { kind: 'misconfigured', detail: 'no ZVM URL configured' });
    steps.running('collect', 'reading site and license from the ZVM');
    const site = await fetchJson(
      ctx,
      endpoint(base, 'v1/localsite'),
      { headers: authHeaders(ctx) },
      LocalSiteSchema,
      'localsite',
    );
    if (!site.ok) return steps.fail('collect', site.reason);
    const identity = { id: site.value.siteidentifier, name: site.value.sitename };
    const usage = await zvmUsage(ctx, base);
    if (!usage.ok) return steps.fail('collect', usage.reason, { site: identity });
    steps.set({
      id: 'collect',
      status: 'done',
      usage: usage.value,
      detail: `${usage.value.protectedVms} protected VMs`,
    });

    steps.running('reach', 'asking the ZVM to send usage to the billing server');
    // sendUsage is not retried blindly: the ZVM itself retries towards the billing server.
    const sent = await withRetries(
      () =>
        request(
          endpoint(base, 'v1/localsite/billing/sendUsage'),
          { method: 'POST', headers: authHeaders(ctx) },
          { timeoutMs: ctx.config.timeoutMs, signal: ctx.signal },
        ),
      { retries: Math.min(1, ctx.config.retries), windowMs: 30_000, signal: ctx.signal },
    );
    const extra = { site: identity, usage: usage.value };
    if (!sent.ok) return steps.fail('reach', sent.reason, extra);
    if (sent.status < 200 || sent.status > 299)
      return steps.fail('reach', statusReason(sent.status, `sendUsage: HTTP ${sent.status}`), extra);
    const answer = parseJson(sent.text);
    if (answer === 'Passed') {
      steps.set({ id: 'reach', status: 'done', detail: 'the ZVM reached the billing server' });
      steps.set({ id: 'ack', status: 'done', detail: 'the ZVM answered Passed' });
      return steps.succeed(usage.value, undefined, { site: identity });
    }
    if (answer !== 'Failed') {
      return steps.fail(
        'reach',
        { kind: 'bad-answer', detail: 'sendUsage answered neither "Passed" nor "Failed"' },
        extra,
      );
    }
    const authority = await authorityAlertAt(ctx, base);
    return steps.fail(
      'reach',
      { kind: 'rejected', detail: 'the ZVM could not send usage to the billing server (it answered Failed)' },
      { ...extra, ...(authority === undefined ? {} : { authorityAlertAt: authority }) },
    );
  },
};

/** The earliest TurnedOn of the ZVM's active billing alerts, if it reports any. */
async function authorityAlertAt(ctx: ProbeContext, base: string): Promise<number | undefined> {
  const r = await fetchJson(
    ctx,
    endpoint(base, 'v1/alerts'),
    { headers: authHeaders(ctx) },
    AlertsSchema as z.ZodMiniType<z.infer<typeof AlertsSchema>>,
    'alerts',
  );
  if (!r.ok) return undefined;
  let earliest: number | undefined;
  for (const a of r.value) {
    if (a.isdismissed || !BILLING_HELP_IDS.has(a.helpidentifier) || a.turnedon === undefined) continue;
    const t = typeof a.turnedon === 'number' ? a.turnedon : Date.parse(a.turnedon);
    if (Number.isFinite(t) && (earliest === undefined || t < earliest)) earliest = t;
  }
  return earliest;
}
