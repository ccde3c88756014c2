import { HELP_IDENTIFIERS, isTime, MINUTE, READING_LIMIT, type FailureReason } from '../../core/index.ts';
import { parseJson, request, statusReason, withRetries } from './http.ts';
import { Steps } from './steps.ts';
import type { Probe, ProbeContext, ProbeResult, ZvmReport } from './types.ts';
import { CONFIG_LIMITS } from './config.ts';
import { AlertsSchema, authHeaders, endpoint, fetchJson, LocalSiteSchema, zvmUsage } from './usage.ts';
import type { z } from 'zod/mini';

/** A skew under this is the Date header's one-second resolution and the request's latency, not a skew. */
export const SKEW_NOISE_MS = MINUTE;

/**
 * The ZVM's clock minus this one, from its `Date` header (whole seconds: its true time is half a second later on
 * average) and this clock's time in the middle of the request: whole seconds, and 0 under `SKEW_NOISE_MS` (or
 * without a header).
 */
export function skewOf(date: number | null, local: number): number {
  const measured = date === null ? 0 : date + 500 - local;
  return Math.abs(measured) < SKEW_NOISE_MS ? 0 : Math.round(measured / 1000) * 1000;
}

/**
 * The console is (or fronts) a ZVM: it transmits and it enforces, and its billing alerts ARE the state.
 * Identity from /v1/localsite, usage from /v1/license, the vendor's action through
 * /v1/localsite/billing/sendUsage, then the ZVM's billing alerts from /v1/alerts, always: their TurnedOn
 * times are the first alert and the disconnection, on the ZVM's clock (its skew measured from its `Date`).
 * When the ZVM API itself cannot be read the result is `blind`: this console cannot see, which is not a
 * billing alarm.
 */
export const zvmProbe: Probe = {
  mode: 'zvm',
  async transmit(ctx: ProbeContext): Promise<ProbeResult> {
    const steps = new Steps(ctx);
    const blind = { blind: true } as const;
    const base = ctx.config.zvmUrl;
    if (!base)
      return steps.fail('collect', { kind: 'misconfigured', detail: 'no ZVM URL configured' }, blind);
    steps.running('collect', `reading site and license from the ZVM at ${hostOf(base)}`);
    const site = await fetchJson(
      ctx,
      endpoint(base, 'v1/localsite'),
      { headers: authHeaders(ctx) },
      LocalSiteSchema,
      'localsite',
    );
    if (!site.ok) return steps.fail('collect', zvmReason(site.reason, base, ctx.where), blind);
    const identity = {
      id: site.value.siteidentifier,
      name: cut(site.value.sitename, CONFIG_LIMITS.nameLength),
    };
    const usage = await zvmUsage(ctx, base);
    if (!usage.ok)
      return steps.fail('collect', zvmReason(usage.reason, base, ctx.where), { ...blind, site: identity });
    steps.set({
      id: 'collect',
      status: 'done',
      usage: usage.value,
      detail: `${usage.value.protectedVms} protected VMs`,
    });
    const extra = { site: identity, usage: usage.value };

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
    // What sendUsage said: Passed, Failed, or nothing usable (no answer in time, an error status, another
    // shape). In every case the ZVM's alerts are read next: they are the state, and a ZVM that cannot reach the
    // billing host may well take longer to answer sendUsage than this console waits.
    const answer = sent.ok && sent.status >= 200 && sent.status <= 299 ? parseJson(sent.text) : undefined;
    const passed = answer === 'Passed' ? true : answer === 'Failed' ? false : null;
    const sendProblem: FailureReason | null =
      passed !== null
        ? null
        : !sent.ok
          ? sent.reason.kind === 'timeout'
            ? {
                kind: 'timeout',
                detail: `the ZVM did not answer sendUsage within ${ctx.config.timeoutMs / 1000} s`,
              }
            : zvmReason(sent.reason, base, ctx.where)
          : sent.status < 200 || sent.status > 299
            ? zvmReason(statusReason(sent.status, `sendUsage: HTTP ${sent.status}`), base, ctx.where)
            : { kind: 'bad-answer', detail: 'sendUsage answered neither "Passed" nor "Failed"' };

    const word = await readAlerts(ctx, base, passed);
    if (!word.ok) return steps.fail('reach', word.reason, { ...blind, ...extra });
    const zvm = word.report;
    if (passed === true) {
      steps.set({ id: 'reach', status: 'done', detail: 'the ZVM reached the billing server' });
      steps.set({ id: 'ack', status: 'done', detail: 'the ZVM answered Passed' });
      return steps.succeed(usage.value, undefined, { site: identity, zvm });
    }
    return steps.fail(
      'reach',
      sendProblem ?? {
        kind: 'rejected',
        detail:
          'the ZVM could not send usage to the billing server (it answered Failed): check that the ZVM reaches ' +
          'autologs.zerto.com on port 443 (directly or through its proxy) and that its license is valid',
      },
      { ...extra, zvm },
    );
  },
};

/**
 * The site a ZVM serves (GET /v1/localsite), for an element given a `zvm-url` and credentials but no
 * `site-id`: its identifier keys the site's records, its name is shown where the operator gave none.
 */
export async function discoverSite(
  ctx: ProbeContext,
): Promise<{ ok: true; id: string; name: string } | { ok: false; reason: FailureReason }> {
  const base = ctx.config.zvmUrl;
  if (!base) return { ok: false, reason: { kind: 'misconfigured', detail: 'no ZVM URL configured' } };
  const site = await fetchJson(
    ctx,
    endpoint(base, 'v1/localsite'),
    { headers: authHeaders(ctx) },
    LocalSiteSchema,
    'localsite',
  );
  if (!site.ok) return { ok: false, reason: zvmReason(site.reason, base, ctx.where) };
  const id = site.value.siteidentifier;
  if (id.length > CONFIG_LIMITS.idLength)
    return {
      ok: false,
      reason: {
        kind: 'bad-answer',
        detail: `localsite: a SiteIdentifier longer than ${CONFIG_LIMITS.idLength}`,
      },
    };
  return { ok: true, id, name: cut(site.value.sitename, CONFIG_LIMITS.nameLength) };
}

/** The ZVM's active billing alerts, their TurnedOn moved into this clock's frame. */
async function readAlerts(
  ctx: ProbeContext,
  base: string,
  passed: boolean | null,
): Promise<{ ok: true; report: ZvmReport } | { ok: false; reason: FailureReason }> {
  const started = ctx.now();
  const r = await fetchJson(
    ctx,
    endpoint(base, 'v1/alerts'),
    { headers: authHeaders(ctx) },
    AlertsSchema as z.ZodMiniType<z.infer<typeof AlertsSchema>>,
    'alerts',
  );
  if (!r.ok) return { ok: false, reason: zvmReason(r.reason, base, ctx.where) };
  const skew = skewOf(r.date ?? null, (started + ctx.now()) / 2);
  const word = billingAlerts(r.value, skew);
  return word.ok ? { ok: true, report: { ...word.times, passed, skew } } : word;
}

/**
 * The ZVM's active billing alerts (its answer to GET /v1/alerts, keys lower-cased and checked by
 * `AlertsSchema`), their TurnedOn moved into this clock's frame by `skew`. A dismissed alert still counts:
 * dismissing is not resolving. A billing alert whose TurnedOn cannot be used makes the whole answer unusable.
 */
export function billingAlerts(
  list: z.infer<typeof AlertsSchema>,
  skew: number,
):
  | { ok: true; times: { usageAlertAt: number | null; disconnectedAt: number | null } }
  | { ok: false; reason: FailureReason } {
  let usageAlertAt: number | null = null;
  let disconnectedAt: number | null = null;
  for (const a of list) {
    const kind =
      a.helpidentifier === HELP_IDENTIFIERS['usage-not-sent']
        ? 'usage'
        : a.helpidentifier === HELP_IDENTIFIERS['vra-disconnected']
          ? 'vra'
          : null;
    if (!kind) continue;
    const t = typeof a.turnedon === 'number' ? a.turnedon : Date.parse(a.turnedon ?? '');
    // Far enough inside the Date range that the deadline counted from it is a time too.
    if (!isTime(t) || !isTime(t - skew) || Math.abs(t - skew) > READING_LIMIT) {
      return {
        ok: false,
        reason: {
          kind: 'bad-answer',
          detail: `alerts: billing alert ${a.helpidentifier} has no usable TurnedOn time (got ${String(a.turnedon).slice(0, 40)})`,
        },
      };
    }
    const at = t - skew;
    if (kind === 'usage') usageAlertAt = usageAlertAt === null ? at : Math.min(usageAlertAt, at);
    else disconnectedAt = disconnectedAt === null ? at : Math.min(disconnectedAt, at);
  }
  return { ok: true, times: { usageAlertAt, disconnectedAt } };
}

/** A failure to read the ZVM, worded so that it names the ZVM (not the billing host) and what to check. */
function zvmReason(
  reason: FailureReason,
  base: string,
  where: ProbeContext['where'] = 'browser',
): FailureReason {
  const host = hostOf(base);
  const hint: Partial<Record<FailureReason['kind'], string>> =
    where === 'service'
      ? {
          auth: `the ZVM at ${host} refused the fleet service's credentials (check this ZVM's auth in the fleet config)`,
          network: `the ZVM at ${host}, from the fleet service (check its url in the fleet config, and that the ZVM is up)`,
          timeout: `the ZVM at ${host}`,
        }
      : {
          auth: `the ZVM at ${host} (give the element a valid token, or session for an older ZVM)`,
          network: `the ZVM at ${host}, from this browser (check the zvm-url, and that the ZVM is up)`,
          timeout: `the ZVM at ${host}`,
        };
  const detail = hint[reason.kind] ?? reason.detail;
  return { ...reason, ...(detail ? { detail: detail.slice(0, 500) } : {}) };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** At most `max` code points (a surrogate pair is never split). */
function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  return Array.from(s).slice(0, max).join('');
}
