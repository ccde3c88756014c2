import type { FailureReason } from '../../core/index.ts';
import {
  AckSchema,
  BatchAnswerSchema,
  CLIENT,
  LastReportSchema,
  MAX_BATCH,
  periodCovers,
  PROTOCOL_VERSION,
  type UsageReport,
} from '../../protocol/usage.ts';
import {
  flush,
  flushBatched,
  newReportId,
  queueNext,
  type BatchItem,
  type BatchResult,
  type FlushResult,
  type RemoveAcked,
  type SendResult,
} from '../outbox.ts';
import type { Db, OutboxRecord } from '../storage/db.ts';
import { MARK_TOLERANCE_MS } from '../storage/period-mark.ts';
import { markAcknowledged } from '../usage-history.ts';
import { parseJson, request, sleep, statusReason, withRetries } from './http.ts';
import { Steps } from './steps.ts';
import type { Probe, ProbeContext, ProbeResult, UsageSnapshot } from './types.ts';
import { endpoint, zvmUsage, type JsonResult } from './usage.ts';

/**
 * A report of `usage` for `period` (the period rule: see src/protocol/usage.ts), in the one wire contract.
 */
export function buildReport(
  ctx: ProbeContext,
  usage: UsageSnapshot,
  period: { from: number; to: number; gapBefore?: { from: number; to: number } },
  reportId = newReportId(),
): UsageReport {
  const iso = (t: number) => new Date(t).toISOString();
  return {
    protocol: PROTOCOL_VERSION,
    reportId,
    site: { id: ctx.config.siteId, name: ctx.config.siteName },
    period: { from: iso(period.from), to: iso(period.to) },
    ...(period.gapBefore
      ? { gapBefore: { from: iso(period.gapBefore.from), to: iso(period.gapBefore.to) } }
      : {}),
    generatedAt: iso(ctx.now()),
    usage: {
      protectedVms: usage.protectedVms,
      ...(usage.licenseType === undefined ? {} : { licenseType: usage.licenseType }),
      ...(usage.sites === undefined ? {} : { sites: usage.sites }),
    },
    client: { ...CLIENT },
  };
}

// What the poller's sweep of unwatched sites' reports needs, loaded with the direct mode's code (see
// `sweepUnwatched` in ../poller/monitor.ts).
export { sweepOutbox } from '../outbox.ts';

/** Where a site's usage reports go: `v1/usage` under its billing endpoint. */
export const usageEndpoint = (billingUrl: string): string => endpoint(billingUrl, 'v1/usage');

export type UsageProvider = () => Promise<UsageSnapshot> | UsageSnapshot;

/**
 * What the poller gives the direct probe beside the context every probe gets: `removeAcked` takes over the
 * removal of the acknowledged reports of the attempt's last batch, which the poller stores in the attempt's
 * own transaction (see `RemoveAcked` and `transmitOnce`). Without it (a direct call), the probe removes them.
 */
export interface DirectContext extends ProbeContext {
  removeAcked?: RemoveAcked;
}

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

      const url = usageEndpoint(ctx.config.billingUrl);
      const host = new URL(url).host;
      const site = { siteId: ctx.config.siteId, interval: ctx.config.policy.interval, endpoint: url };
      const make = (period: Parameters<typeof buildReport>[2]) => buildReport(ctx, usage.value, period);
      // The next period under the period rule (none when the last report already reaches now), queued, and
      // the site's queue read back for the flush: one transaction.
      let receiverEnd: number | null | undefined;
      const queue = () =>
        queueNext(db, site, ctx.now(), make, {
          ...(receiverEnd === undefined ? {} : { receiverEnd }),
          read: MAX_BATCH,
        });
      let queued = await queue();
      if (queued.ask) {
        // No record here of the site's periods: the receiver says where they end, if it holds any.
        receiverEnd = await receiverLastEnd(ctx);
        queued = await queue();
      }
      // The site's last period ends at this very instant or just after it (another context's report, or a mark
      // moved with a clock turned back): this clock passes it within moments, and the report covers from there.
      if (!queued.ask && !queued.record && queued.end !== null && (await clockPast(ctx, queued.end)))
        queued = await queue();
      const reportId = queued.ask ? null : (queued.record?.reportId ?? null);

      steps.running('reach', `sending usage to ${host}`);
      let reached = false;
      const removeAcked = (ctx as DirectContext).removeAcked;
      const flushed = await deliver(
        db,
        ctx.config.siteId,
        sendOptions(ctx),
        () => {
          if (reached) return;
          reached = true;
          steps.set({ id: 'reach', status: 'done', detail: `${host} answered` });
        },
        url,
        {
          now: ctx.now,
          ...(queued.ask ? {} : { first: { records: queued.first, limit: MAX_BATCH } }),
          ...(removeAcked ? { removeAcked } : {}),
        },
      );
      // Reports of earlier attempts that went through now: their usage snapshots count as sent.
      const late = flushed.acked.filter((id) => id !== reportId);
      if (late.length) {
        // The history only informs the export: failing to mark it must not fail a transmission that worked.
        await markAcknowledged(db, late, ctx.now(), { siteId: ctx.config.siteId }).catch((err: unknown) =>
          console.error(`zerto-billing: usage history not marked acknowledged: ${String(err)}`),
        );
      }
      const extra = { usage: usage.value, ...(reportId ? { reportId } : {}) };
      if (reportId && flushed.acked.includes(reportId)) {
        steps.set({ id: 'ack', status: 'done', reportId, detail: `acknowledged as ${reportId}` });
        return steps.succeed(usage.value, reportId, { reportId });
      }
      if (!reportId) {
        // Nothing new to bill: this attempt sent no usage of its own, which is never "sent" (a clock that reads
        // inside the site's last period, or one that does not move). The next attempt bills from that end.
        if (!reached) steps.set({ id: 'reach', status: 'done', detail: 'nothing new to send' });
        const end = queued.ask ? null : queued.end;
        return steps.fail('ack', {
          kind: 'rejected',
          detail:
            `nothing new to bill: the site's last usage report already reaches ${isoOf(end)}, and this ` +
            `console's clock reads ${isoOf(ctx.now())}; no report was sent`,
        });
      }
      const reason: FailureReason = flushed.stoppedBy ??
        flushed.refused.find((x) => x.reportId === reportId)?.reason ?? {
          kind: 'timeout',
          detail: 'cancelled before the report was sent',
        };
      return steps.fail(reached ? 'ack' : 'reach', reason, extra);
    },
  };
}

const isoOf = (t: number | null) =>
  t !== null && Number.isFinite(t) ? new Date(t).toISOString() : 'an unknown time';

/**
 * Whether the probe's clock is past `end`, waiting for it in real time when it reads at most
 * `MARK_TOLERANCE_MS` before it (a millisecond, usually); false when it does not get there (an injected clock
 * that stands still, `end` further out).
 */
async function clockPast(ctx: ProbeContext, end: number): Promise<boolean> {
  const ahead = end - ctx.now();
  if (ahead < 0) return true;
  if (!(ahead <= MARK_TOLERANCE_MS)) return false;
  const until = performance.now() + ahead + 50;
  while (ctx.now() <= end) {
    if (performance.now() > until || ctx.signal?.aborted) return false;
    await sleep(Math.min(20, Math.max(1, end - ctx.now() + 1)), ctx.signal);
  }
  return true;
}

const RECEIVER_CHECK_MS = 2000;

/** Where the receiver's reports of the site end (`GET /v1/sites/<id>/last-report`); null if none, or unknown. */
async function receiverLastEnd(ctx: ProbeContext): Promise<number | null> {
  const url = endpoint(
    ctx.config.billingUrl,
    `v1/sites/${encodeURIComponent(ctx.config.siteId)}/last-report`,
  );
  const headers: Record<string, string> = { accept: 'application/json' };
  if (ctx.secrets.token) headers.authorization = `Bearer ${ctx.secrets.token}`;
  // Short: the report waits for this answer before it is queued, and a receiver that does not answer soon
  // will not take the report either (its period then starts from nothing here, and an overlap is covered).
  const timeoutMs = Math.min(ctx.config.timeoutMs, RECEIVER_CHECK_MS);
  const r = await request(url, { headers }, { timeoutMs, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  if (!r.ok || r.status !== 200) return null;
  const last = LastReportSchema.safeParse(parseJson(r.text));
  const end = last.success ? Date.parse(last.data.period.to) : NaN;
  return Number.isFinite(end) ? end : null;
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

/** How one queued report is sent: timeouts and retries, and the bearer token where the endpoint needs one. */
export interface SendOptions {
  timeoutMs: number;
  retries: number;
  /** The whole window for one report's tries. */
  windowMs: number;
  token?: string;
  signal?: AbortSignal;
}

export const sendOptions = (ctx: ProbeContext): SendOptions => ({
  timeoutMs: ctx.config.timeoutMs,
  retries: ctx.config.retries,
  windowMs: Math.min(ctx.config.policy.interval / 2, 60_000),
  ...(ctx.secrets.token ? { token: ctx.secrets.token } : {}),
  ...(ctx.signal ? { signal: ctx.signal } : {}),
});

/**
 * Delivers a site's queued reports, in batches where the receiver takes them (`POST /v1/usage/batch`), one by
 * one where it does not, each endpoint's on its own (the current one first: a dead receiver at an old billing
 * URL never holds up the reports for the current one). `answered` is called once a receiver answered anything.
 * The token goes only where it belongs: by default to the current endpoint's origin (`fallback`), or where
 * `tokenFor` says.
 */
export async function deliver(
  db: Db,
  siteId: string,
  opts: SendOptions,
  answered: () => void = () => {},
  /** Where reports go now: a record that names no endpoint (written by an older version) goes there too. */
  fallback = '',
  /** The first page of the queue already read, and who removes the acknowledged ones (see `flushBatched`). */
  more: {
    first?: { records: OutboxRecord[]; limit: number };
    removeAcked?: RemoveAcked;
    /** The clock a refusal is dated with. */
    now?: () => number;
    /** The token for each endpoint (none: no Authorization header). */
    tokenFor?: (endpoint: string) => string | undefined;
  } = {},
): Promise<FlushResult> {
  const { tokenFor: given, ...flushOpts } = more;
  const signal = opts.signal ? { signal: opts.signal } : {};
  const clock = more.now ? { now: more.now } : {};
  const current = fallback ? { current: fallback } : {};
  const tokenFor =
    given ?? ((endpoint: string) => (!fallback || sameOrigin(endpoint, fallback) ? opts.token : undefined));
  const optsFor = (endpoint: string): SendOptions => {
    const token = tokenFor(endpoint);
    const rest = { ...opts };
    delete rest.token;
    return token ? { ...rest, token } : rest;
  };
  const batched = await flushBatched(
    db,
    siteId,
    async (records) => {
      const endpoint = records[0]!.endpoint || fallback;
      const r = await sendBatch(endpoint, records, optsFor(endpoint));
      if (r.answered) answered();
      return r.result;
    },
    { size: MAX_BATCH, ...signal, ...flushOpts, ...current },
  );
  if (batched.unsupported.length === 0) return batched;
  // Receivers without the batch endpoint: their reports one by one.
  const single = await flush(
    db,
    siteId,
    async (record) => {
      const endpoint = record.endpoint || fallback;
      const r = await sendReport(endpoint, record, optsFor(endpoint));
      if (r.answered) answered();
      return r.result;
    },
    { ...signal, ...clock, ...current, endpoints: new Set(batched.unsupported) },
  );
  const stopped = [...batched.stopped, ...single.stopped];
  return {
    acked: [...batched.acked, ...single.acked],
    refused: [...batched.refused, ...single.refused],
    stopped,
    stoppedBy: (stopped.find((s) => s.endpoint === fallback) ?? stopped[0])?.reason ?? null,
  };
}

/** Whether two addresses share an origin (scheme, host and port): the same receiver's credentials. */
function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/** Posts queued reports to `<endpoint>/batch` and reads the answer of each (see `flushBatched`). */
export async function sendBatch(
  endpoint: string,
  records: OutboxRecord[],
  opts: SendOptions,
): Promise<{ answered: boolean; result: BatchResult }> {
  let answered = false;
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const body = JSON.stringify({ protocol: PROTOCOL_VERSION, reports: records.map((r) => r.body) });
  const byId = new Map(records.map((r) => [r.reportId, r]));
  const result = await withRetries<BatchResult & { reason?: FailureReason }>(
    async () => {
      const res = await request(
        `${endpoint.replace(/\/+$/, '')}/batch`,
        { method: 'POST', headers, body },
        { timeoutMs: opts.timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) },
      );
      if (!res.ok) return { ok: false, reason: res.reason };
      answered = true;
      if (res.status === 404 || res.status === 405)
        return { ok: false, unsupported: true, reason: statusReason(res.status, 'no batch endpoint') };
      if (res.status !== 200)
        return {
          ok: false,
          reason: statusReason(res.status, serverMessage(res.text) ?? `HTTP ${res.status}`),
        };
      const answer = BatchAnswerSchema.safeParse(parseJson(res.text));
      if (!answer.success) return { ok: false, reason: wrongAnswer(res.text, res.status) };
      const results = answer.data.results;
      const inOrder = results.length === records.length;
      return {
        ok: true,
        items: results.flatMap((x, i): BatchItem[] => {
          // An acknowledgement counts only for the report it names. A refusal that names none of them (a body
          // whose report id the receiver could not read) is the report in its place: answers come in order.
          const record = byId.get(x.reportId) ?? (x.status === 'refused' && inOrder ? records[i] : undefined);
          if (!record) return [];
          if (x.status !== 'refused' || covered(record, x.error)) return [{ reportId: x.reportId, ok: true }];
          return [
            {
              reportId: record.reportId,
              ok: false,
              reason: statusReason(x.code, x.error ? x.error.message : `HTTP ${x.code}`),
            },
          ];
        }),
      };
    },
    { retries: opts.retries, windowMs: opts.windowMs, ...(opts.signal ? { signal: opts.signal } : {}) },
  );
  return { answered, result };
}

/** An answer that is no acknowledgement: an HTML page (a proxy or captive portal?) or the wrong shape. */
function wrongAnswer(text: string, status: number): FailureReason {
  return {
    kind: 'bad-answer',
    status,
    detail: /^\s*</.test(text)
      ? 'an HTML page instead of an acknowledgement (a proxy or captive portal?)'
      : 'the acknowledgement has the wrong shape',
  };
}

/** Posts one queued report to its endpoint and classifies the answer (see `flush` for what follows). */
export async function sendReport(
  endpoint: string,
  record: OutboxRecord,
  opts: SendOptions,
): Promise<{ answered: boolean; result: SendResult }> {
  let answered = false;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    'idempotency-key': record.reportId,
  };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const result = await withRetries<SendResult & { reason?: FailureReason }>(
    async () => {
      const r = await request(
        endpoint,
        { method: 'POST', headers, body: JSON.stringify(record.body) },
        { timeoutMs: opts.timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) },
      );
      if (!r.ok) return { ok: false, reason: r.reason, retryable: true };
      answered = true;
      if (r.status === 200 || r.status === 201) {
        const ack = AckSchema.safeParse(parseJson(r.text));
        if (ack.success && ack.data.reportId === record.reportId)
          return { ok: true, reportId: record.reportId };
        return { ok: false, retryable: true, reason: wrongAnswer(r.text, r.status) };
      }
      if (r.status === 422 && covered(record, (parseJson(r.text) as { error?: unknown } | undefined)?.error))
        return { ok: true, reportId: record.reportId };
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
      retries: opts.retries,
      windowMs: opts.windowMs,
      ...(opts.signal ? { signal: opts.signal } : {}),
    },
  );
  return { answered, result };
}

/**
 * A report refused because another report of the site already holds ALL of its time (another sender: a second
 * browser, the extension) is covered: that time is billed, nothing is resent. A partial overlap is not: the
 * report is set aside (shown, and its usage is in the manual-billing export).
 */
function covered(record: OutboxRecord | undefined, error: unknown): boolean {
  const e = error as { code?: unknown; held?: { period?: { from?: unknown; to?: unknown } } } | undefined;
  const held = e?.held?.period;
  const mine = (record?.body as { period?: { from?: unknown; to?: unknown } } | undefined)?.period;
  if (e?.code !== 'period-overlap' || !held || !mine) return false;
  if (typeof held.from !== 'string' || typeof held.to !== 'string') return false;
  if (typeof mine.from !== 'string' || typeof mine.to !== 'string') return false;
  return periodCovers({ from: held.from, to: held.to }, { from: mine.from, to: mine.to });
}

function serverMessage(text: string): string | undefined {
  const body = parseJson(text) as { error?: { message?: unknown; field?: unknown } } | undefined;
  const m = body?.error?.message;
  if (typeof m !== 'string') return undefined;
  const field = typeof body?.error?.field === 'string' ? ` (${body.error.field})` : '';
  return `${m}${field}`.slice(0, 300);
}
