import { MINUTE, isTime, READING_LIMIT, type FailureReason, type ZvmAlertNote } from '../../core/index.ts';
import {
  licenceConcern,
  readAlerts,
  readHelpIds,
  readLocalSite,
  readSendUsage,
  readServerTime,
  unknownHelpIds,
  ZVM_LIMITS,
  ZVM_PATHS,
  type SendUsageAnswer,
  type ZvmBillingAlert,
  type ZvmRead,
} from '../../protocol/zvm.ts';
import { request, sleep, statusReason, withRetries } from './http.ts';
import { Steps } from './steps.ts';
import { billingIdsOf, CONFIG_LIMITS } from './types.ts';
import type { Probe, ProbeContext, ProbeResult, UsageSnapshot, ZvmReport } from './types.ts';
import { authHeaders, endpoint, fetchZvm, pathOf, zvmUsage } from './usage.ts';

/** A skew under this is the Date header's one-second resolution and the request's latency, not a skew. */
export const SKEW_NOISE_MS = MINUTE;

/**
 * The ZVM's clock minus this one, from its `Date` header (whole seconds: its true time is half a second later on
 * average) and this clock's time in the middle of the request: whole seconds, and 0 under `SKEW_NOISE_MS` (or
 * without a header).
 */
export function skewOf(date: number | null, local: number, precise = false): number {
  const measured = date === null ? 0 : date + (precise ? 0 : 500) - local;
  return Math.abs(measured) < SKEW_NOISE_MS ? 0 : Math.round(measured / 1000) * 1000;
}

/**
 * The console is (or fronts) a ZVM: it transmits and it enforces, and its billing alerts ARE the state. Usage
 * and the licence from /v1/license, the vendor's action through /v1/localsite/billing/sendUsage, then the
 * ZVM's billing alerts from /v1/alerts, always (read again after a moment when sendUsage said only that it
 * took the request and an alert is still listed): their TurnedOn times are the first alert and the
 * disconnection, on the ZVM's clock (/v1/serverDateTime/serverDateTimeUtc, else its `Date` header). The site
 * is known by its configured id: /v1/localsite is read only to discover it (`discoverSite`). When the ZVM API
 * itself cannot be read the result is `blind`: this console cannot see, which is not a billing alarm.
 */
export const zvmProbe: Probe = {
  mode: 'zvm',
  async transmit(ctx: ProbeContext): Promise<ProbeResult> {
    const steps = new Steps(ctx);
    const base = ctx.config.zvmUrl;
    if (!base)
      return steps.fail('collect', { kind: 'misconfigured', detail: 'no ZVM URL configured' }, BLIND);
    const usage = await collect(ctx, steps, base);
    if (!usage.ok) return usage.result;
    const named = usage.value.sites?.find((s) => s.id === ctx.config.siteId)?.name;
    const extra = { usage: usage.value, ...(named ? { site: { id: ctx.config.siteId, name: named } } : {}) };

    steps.running('reach', 'asking the ZVM to send usage to the billing server');
    const sent = await sendUsage(ctx, base);
    const word = await readAfterSend(ctx, steps, base, sent);
    steps.set({ id: 'reach', ...reachStep(sent) });
    if (!word.ok) return steps.fail('ack', zvmReason(word.reason, base, ctx.where), { ...BLIND, ...extra });
    return conclude(steps, { sent, word, concern: usage.concern, extra });
  },
};

const BLIND = { blind: true } as const;

/** Usage counts and the licence (GET /v1/license), with the licence's likely billing concern. */
async function collect(
  ctx: ProbeContext,
  steps: Steps,
  base: string,
): Promise<{ ok: true; value: UsageSnapshot; concern: string | null } | { ok: false; result: ProbeResult }> {
  steps.running('collect', `reading usage and the licence from the ZVM at ${hostOf(base)}`);
  const usage = await zvmUsage(ctx, base);
  if (!usage.ok)
    return { ok: false, result: steps.fail('collect', zvmReason(usage.reason, base, ctx.where), BLIND) };
  const u = usage.value;
  const concern = licenceConcern({ type: u.licenseType ?? null, expiry: u.licenseExpiry ?? null }, ctx.now());
  const expiry =
    u.licenseExpiry === undefined ? '' : `, expiring ${new Date(u.licenseExpiry).toISOString().slice(0, 10)}`;
  steps.set({
    id: 'collect',
    status: 'done',
    usage: u,
    detail: `${u.protectedVms} protected VMs${u.licenseType ? `, licence ${u.licenseType}` : ''}${expiry}${
      concern ? ` (${concern})` : ''
    }`,
  });
  return { ok: true, value: u, concern };
}

/**
 * The ZVM's billing alerts after sendUsage. Zerto 10 answers only that it took the request: an alert still
 * listed then may be one it is about to clear, so it is read again after `alertsDelayMs`.
 */
async function readAfterSend(ctx: ProbeContext, steps: Steps, base: string, sent: Sent): Promise<Word> {
  const ids = billingIdsOf(ctx.config);
  steps.running('ack', "reading the ZVM's billing alerts");
  let word = await readWord(ctx, base, ids);
  if (word.ok && sent.answer?.result === 'accepted' && word.billing.length > 0) {
    const delay = ctx.config.alertsDelayMs ?? CONFIG_LIMITS.alertsDelayMs.default;
    steps.running(
      'ack',
      `the ZVM accepted the request; reading its billing alerts again in ${delay / 1000} s`,
    );
    await sleep(delay, ctx.signal);
    word = await readWord(ctx, base, ids);
  }
  if (!word.ok) return word;
  // The help identifiers it knows, once per attempt (not at each read of its alerts).
  const known = await quiet(ctx, endpoint(base, ZVM_PATHS.helpIdentifiers), readHelpIds);
  return { ...word, unknownIds: known ? unknownHelpIds(ids, known, ids.explicit) : [] };
}

/**
 * What the ZVM's word means for this attempt: ok when it lists no billing alert and did not answer Failed;
 * otherwise the alert it lists, in its own words, with the identifier to add for one no setting names.
 */
function conclude(
  steps: Steps,
  a: {
    sent: Sent;
    word: Extract<Word, { ok: true }>;
    concern: string | null;
    extra: Pick<ProbeResult, 'usage' | 'site'>;
  },
): ProbeResult {
  const { sent, word } = a;
  const usageAlert = word.billing.find((x) => x.kind === 'usage') ?? null;
  const offAlert = word.billing.find((x) => x.kind === 'disconnection') ?? null;
  const said = sent.answer?.result;
  const passed =
    said === 'failed' ? false : said === 'passed' || (said && !usageAlert && !offAlert) ? true : null;
  const zvm: ZvmReport = {
    ...reportOf(word.billing, word.skew, passed),
    ...(word.unknownIds.length ? { unknownIds: word.unknownIds } : {}),
  };
  const extra = { ...a.extra, zvm };
  if (!usageAlert && !offAlert && passed !== false) {
    const clear =
      said === 'passed'
        ? 'the ZVM answered Passed and lists no billing alert'
        : 'the ZVM lists no billing alert: usage is getting through';
    steps.set({ id: 'ack', status: 'done', detail: clear + unknownNote(word.unknownIds) });
    return steps.succeed(a.extra.usage, undefined, extra);
  }
  // sendUsage's own failure (no answer in time, an error status) is the cause to name; else the ZVM's word.
  return steps.fail(
    'ack',
    sent.problem ?? { kind: 'rejected', detail: notSent({ ...a, usageAlert, offAlert }) },
    extra,
  );
}

/** Why usage is not getting through, in the ZVM's words: the identifier to add first (the rest may be cut). */
function notSent(a: {
  sent: Sent;
  word: Extract<Word, { ok: true }>;
  concern: string | null;
  usageAlert: ZvmBillingAlert | null;
  offAlert: ZvmBillingAlert | null;
}): string {
  const unnamed = a.word.billing.find((x) => !x.recognised);
  const hint = unnamed
    ? `The ZVM's alert ${unnamed.helpIdentifier ?? '(no help identifier)'} looks like a billing alert that no setting names: add its help identifier to the ${unnamed.kind} alert identifiers. `
    : '';
  const words = (x: ZvmBillingAlert) => (x.description ? ` ("${x.description.slice(0, 120)}")` : '');
  const why = a.offAlert
    ? `the ZVM lists its disconnection alert${words(a.offAlert)}: it stopped communicating with its VRAs`
    : a.usageAlert
      ? `the ZVM still lists its usage alert${words(a.usageAlert)}, turned on ${new Date(a.usageAlert.turnedOn).toISOString()}`
      : 'the ZVM answered Failed: it could not send usage to the billing server';
  const said = a.sent.answer?.result;
  const answered =
    said === 'accepted'
      ? 'the ZVM accepted the request; '
      : said === 'failed'
        ? 'the ZVM answered Failed; '
        : '';
  return `${hint}${answered}${why}. Check that the ZVM reaches its billing server (Zerto's is autologs.zerto.com on port 443, directly or through the ZVM's proxy)${
    a.concern ? `; ${a.concern}` : ''
  }.`.slice(0, 500);
}

/**
 * A setup problem beside the result: help identifiers set for the site that the ZVM says it does not know (its
 * billing alerts could then be missed without a word).
 */
const unknownNote = (ids: readonly string[]): string =>
  ids.length
    ? `; but the ZVM does not know the billing alert identifier${ids.length > 1 ? 's' : ''} ${ids.join(', ')} set for this site: check usage-alert-ids and disconnection-alert-ids`
    : '';

/** What sendUsage said, or why it said nothing usable. Never retried blindly: the ZVM retries on its own. */
type Sent = { answer: SendUsageAnswer | null; problem: FailureReason | null };

async function sendUsage(ctx: ProbeContext, base: string): Promise<Sent> {
  const url = endpoint(base, ZVM_PATHS.sendUsage);
  const sent = await withRetries(
    () =>
      request(
        url,
        { method: 'POST', headers: authHeaders(ctx) },
        { timeoutMs: ctx.config.timeoutMs, signal: ctx.signal },
      ),
    { retries: Math.min(1, ctx.config.retries), windowMs: 30_000, signal: ctx.signal },
  );
  if (!sent.ok)
    return {
      answer: null,
      problem:
        sent.reason.kind === 'timeout'
          ? {
              kind: 'timeout',
              detail: `the ZVM did not answer sendUsage within ${ctx.config.timeoutMs / 1000} s`,
            }
          : zvmReason(sent.reason, base, ctx.where),
    };
  if (sent.status < 200 || sent.status > 299)
    return {
      answer: null,
      problem: zvmReason(
        statusReason(sent.status, `sendUsage: HTTP ${sent.status} from ${pathOf(url)}`),
        base,
        ctx.where,
      ),
    };
  return { answer: readSendUsage(sent.text), problem: null };
}

function reachStep(sent: Sent) {
  if (sent.answer?.result === 'passed')
    return { status: 'done' as const, detail: 'the ZVM answered Passed: it reached the billing server' };
  if (sent.answer?.result === 'failed')
    return {
      status: 'failed' as const,
      detail: 'the ZVM answered Failed: it could not reach the billing server',
    };
  if (sent.answer)
    return {
      status: 'done' as const,
      detail: 'the ZVM accepted the request (it answers no result: its billing alerts tell)',
    };
  return {
    status: 'failed' as const,
    detail: `sendUsage did not answer usably: ${sent.problem?.detail ?? sent.problem?.kind ?? 'no answer'}`,
  };
}

type Word =
  | { ok: true; billing: ZvmBillingAlert[]; skew: number; unknownIds: string[] }
  | { ok: false; reason: FailureReason };

/**
 * The ZVM's billing alerts, and its clock's skew: from its UTC clock where it answers (no exposed `Date`
 * header needed across origins), else from the `Date` header of the alerts' answer. A billing alert whose
 * TurnedOn lands outside what this console can count with makes the reading unusable.
 */
async function readWord(
  ctx: ProbeContext,
  base: string,
  ids: ReturnType<typeof billingIdsOf>,
): Promise<Word> {
  const clock = await serverClock(ctx, base);
  const started = ctx.now();
  const r = await fetchZvm(ctx, endpoint(base, ZVM_PATHS.alerts), (json) => readAlerts(json, ids), 'alerts');
  if (!r.ok) return r;
  const skew = clock ?? skewOf(r.date ?? null, (started + ctx.now()) / 2);
  const bad = unusable(r.value.billing, skew);
  if (bad) return { ok: false, reason: bad };
  return { ok: true, billing: r.value.billing, skew, unknownIds: [] };
}

/**
 * A billing alert whose TurnedOn, moved into this clock's frame by `skew`, lands outside what this console can
 * count with: the reading cannot be used (it would start or hide a countdown).
 */
export function unusable(billing: readonly ZvmBillingAlert[], skew: number): FailureReason | null {
  for (const a of billing) {
    const t = a.turnedOn - skew;
    if (!isTime(t) || Math.abs(t) > READING_LIMIT)
      return {
        kind: 'bad-answer',
        detail: `alerts: billing alert ${a.helpIdentifier ?? '(no help identifier)'} has a TurnedOn this console cannot count from`,
      };
  }
  return null;
}

/**
 * The ZVM's word for the engine: the TurnedOn of its earliest usage alert and of its disconnection alert in
 * this clock's frame (less `skew`), every billing alert as it words it, and what it said of the transmission.
 */
export function reportOf(
  billing: readonly ZvmBillingAlert[],
  skew: number,
  passed: boolean | null,
): ZvmReport {
  const usage = billing.find((a) => a.kind === 'usage') ?? null;
  const off = billing.find((a) => a.kind === 'disconnection') ?? null;
  return {
    usageAlertAt: usage && usage.turnedOn - skew,
    disconnectedAt: off && off.turnedOn - skew,
    passed,
    skew,
    alerts: billing.slice(0, ZVM_LIMITS.billingAlerts).map(noteOf),
  };
}

/** The ZVM's clock minus this one from /v1/serverDateTime/serverDateTimeUtc; null where it does not answer. */
async function serverClock(ctx: ProbeContext, base: string): Promise<number | null> {
  const started = ctx.now();
  const r = await request(
    endpoint(base, ZVM_PATHS.serverTimeUtc),
    { headers: authHeaders(ctx) },
    { timeoutMs: ctx.config.timeoutMs, signal: ctx.signal, maxBytes: 1024 },
  );
  if (!r.ok || r.status < 200 || r.status > 299) return null;
  const t = readServerTime(r.text);
  return t.ok ? skewOf(t.ms, (started + ctx.now()) / 2, true) : null;
}

/** A best-effort read: one try, its answer or null (an older ZVM without the route, a refusal, a timeout). */
async function quiet<T>(
  ctx: ProbeContext,
  url: string,
  read: (json: unknown) => ZvmRead<T>,
): Promise<T | null> {
  const r = await fetchZvm({ ...ctx, config: { ...ctx.config, retries: 0 } }, url, read, 'zvm');
  return r.ok ? r.value : null;
}

const noteOf = (a: ZvmBillingAlert): ZvmAlertNote => ({
  key: a.key.slice(0, 300) || 'alert',
  kind: a.kind,
  recognised: a.recognised,
  helpIdentifier: a.helpIdentifier,
  description: a.description,
});

/**
 * The site a ZVM serves (GET /v1/localsite), for an element given a `zvm-url` and credentials but no
 * `site-id`: its identifier (`SiteIdentifier`, or Zerto 10's `link.identifier`) keys the site's records, its
 * name is shown where the operator gave none.
 */
export async function discoverSite(
  ctx: ProbeContext,
): Promise<{ ok: true; id: string; name: string } | { ok: false; reason: FailureReason }> {
  const base = ctx.config.zvmUrl;
  if (!base) return { ok: false, reason: { kind: 'misconfigured', detail: 'no ZVM URL configured' } };
  const site = await fetchZvm(ctx, endpoint(base, ZVM_PATHS.localSite), readLocalSite, 'localsite');
  if (!site.ok) return { ok: false, reason: zvmReason(site.reason, base, ctx.where) };
  const id = site.value.id;
  if (!id)
    return {
      ok: false,
      reason: {
        kind: 'bad-answer',
        detail:
          'localsite: the ZVM names no site identifier (neither SiteIdentifier nor link.identifier): give site-id',
      },
    };
  return { ok: true, id: id.slice(0, CONFIG_LIMITS.idLength), name: site.value.name ?? '' };
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
          network: `the fleet service could not connect to the ZVM at ${host} (check its url in the fleet config, and that the ZVM is up)`,
          timeout: `the ZVM at ${host} did not answer in time`,
        }
      : {
          auth: `the ZVM at ${host} refused the credentials: give the element a valid token (getToken), or a session for a Windows ZVM`,
          network: `this browser could not connect to the ZVM at ${host}: check the zvm-url, and that the ZVM is up`,
          timeout: `the ZVM at ${host} did not answer in time`,
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
