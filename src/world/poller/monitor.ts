import { DAY, type Clock, type GraceEvent, type GraceState } from '../../core/index.ts';
import type { SiteRule } from '../storage/repo.ts';
import {
  probeFor,
  type ProbeExtras,
  type ProbeResult,
  type SiteConfig,
  type SiteSecrets,
  type TestStep,
} from '../probes/index.ts';
import { sleep } from '../probes/http.ts';
import { systemClock } from '../clock.ts';
import type { Db } from '../storage/db.ts';
import { appendLog, applyEvent } from '../storage/repo.ts';
import { publishState } from './channel.ts';
import { markAcknowledged, pruneUsage, recordUsage } from '../usage-history.ts';
import { sweepOutbox } from '../outbox.ts';
import { deliver } from '../probes/direct.ts';
import { endpoint } from '../probes/usage.ts';

export interface WatchedSite {
  config: SiteConfig;
  secrets: SiteSecrets;
  extras?: ProbeExtras;
}

export interface MonitorDeps {
  db: Db;
  clock: Clock;
  /** Called after every persisted change (defaults to the origin's BroadcastChannel). */
  publish?: (state: GraceState) => void;
  /** Longest sleep between checks, so that a suspended machine or a moved clock is noticed soon. */
  maxWaitMs?: number;
  /**
   * Names a failure better before it is recorded, where the context sees more than fetch does (the
   * extension reads the browser's own error codes: proxy failed, name not resolved, certificate refused).
   */
  explain?: (result: ProbeResult, site: WatchedSite) => ProbeResult | Promise<ProbeResult>;
}

/** A step of the wall clock beyond the monotonic clock's, between two checks, worth recording. */
export const CLOCK_STEP_MS = 5 * 60_000;

export const lockName = (siteId: string): string => `zerto-billing:poll:${siteId}`;

/**
 * One transmission attempt for a site, start to end: probe, engine event, transmission log, broadcast.
 * The poller calls it on schedule; the "test usage transmission" action calls it on demand.
 */
export async function transmitOnce(
  deps: MonitorDeps,
  site: WatchedSite,
  opts: { onStep?: (s: TestStep) => void; signal?: AbortSignal } = {},
): Promise<{ result: ProbeResult; state: GraceState }> {
  const { db, clock } = deps;
  const probe = probeFor(site.config.mode, db, site.extras);
  const probed = await probe.transmit({
    config: site.config,
    secrets: site.secrets,
    now: clock,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onStep ? { onStep: opts.onStep } : {}),
  });
  const result = deps.explain ? await deps.explain(probed, site) : probed;
  // The site's one name everywhere: the operator's `site-name` when given, else the ZVM's SiteName.
  const identity = { id: site.config.siteId, name: site.config.siteName || result.site?.name || '' };
  const event = eventOf(site.config, result);
  const { after } = await applyEvent(db, identity, ruleOf(site.config), event, clock());
  // The log says "usage sent" only for a transmission that was: never for a reachable host or a blind read.
  const sent = event.type === 'succeeded' || (event.type === 'zvm' && event.passed === true);
  const failure = event.type === 'blind' ? event.reason : result.outcome.ok ? null : result.outcome.reason;
  await appendLog(db, {
    siteId: site.config.siteId,
    at: after.latestSeen,
    ok: sent,
    kind: sent ? null : (failure?.kind ?? null),
    reportId: sent && result.outcome.ok ? (result.outcome.reportId ?? null) : null,
  });
  if (result.usage) await keepUsage(deps, identity, result, after.latestSeen);
  (deps.publish ?? publishState)(after);
  return { result, state: after };
}

/** Who enforces a site's rule: the ZVM in zvm mode, this console's own observations otherwise. */
export const ruleOf = (config: SiteConfig): SiteRule => ({
  policy: config.policy,
  authority: config.mode === 'zvm',
});

/**
 * What an attempt means for the engine. The ZVM's word is the state in zvm mode; an attempt that could not
 * see (the ZVM API unreadable, a probe that cannot run) is never "usage not sent"; a reachable billing host
 * is never "usage sent" (reachability mode observes no usage at all).
 */
export function eventOf(config: SiteConfig, result: ProbeResult): GraceEvent {
  const { outcome } = result;
  if (result.zvm) {
    return {
      type: 'zvm',
      ...result.zvm,
      ...(outcome.ok ? {} : { reason: outcome.reason }),
    };
  }
  if (config.mode === 'reachability') {
    return {
      type: 'blind',
      reason: outcome.ok
        ? {
            kind: 'unobservable',
            detail:
              'this console only checks that the billing host can be reached from this browser (it can); it cannot see whether usage is sent',
          }
        : outcome.reason,
    };
  }
  if (outcome.ok) return { type: 'succeeded', ...(outcome.reportId ? { reportId: outcome.reportId } : {}) };
  if (result.blind || outcome.reason.kind === 'misconfigured')
    return { type: 'blind', reason: outcome.reason };
  return { type: 'failed', reason: outcome.reason };
}

/** How often a poller sweeps the outbox for reports nobody else will deliver, and how stale they must be. */
export const SWEEP_EVERY_MS = 10 * 60_000;
export const SWEEP_STALE_MS = 60 * 60_000;

/**
 * Delivers the stale queued reports of sites none of `sites` is (a site removed or switched to another mode):
 * each to the endpoint it was queued for, with the token of a watched site that sends to the same endpoint.
 */
export async function sweepUnwatched(
  db: Db,
  sites: readonly WatchedSite[],
  now: number,
  signal?: AbortSignal,
): Promise<string[]> {
  const tokenFor = (url: string) =>
    sites.find((w) => w.config.mode === 'direct' && endpoint(w.config.billingUrl, 'v1/usage') === url)
      ?.secrets.token;
  const swept = await sweepOutbox(
    db,
    new Set(sites.map((w) => w.config.siteId)),
    (siteId, url) => {
      const token = tokenFor(url);
      const opts = { timeoutMs: 10_000, retries: 1, windowMs: 30_000, ...(token ? { token } : {}) };
      return deliver(db, siteId, signal ? { ...opts, signal } : opts);
    },
    { now, staleMs: SWEEP_STALE_MS, ...(signal ? { signal } : {}) },
  );
  if (swept.acked.length)
    await markAcknowledged(db, swept.acked, now).catch((err: unknown) =>
      console.error(`zerto-billing: usage history not marked acknowledged: ${String(err)}`),
    );
  return swept.acked;
}

/** Once a day per context is plenty to keep the usage history bounded by age. */
let lastPrune = -Infinity;

/**
 * Every usage snapshot collected goes into the history that manual billing is exported from, at the time the
 * log uses (the clock, never earlier than a time already seen). A failure here is reported, never thrown:
 * the grace state is already stored and must still be published.
 */
async function keepUsage(
  deps: MonitorDeps,
  site: { id: string; name: string },
  result: ProbeResult,
  at: number,
): Promise<void> {
  const usage = result.usage!;
  const reportId = result.reportId ?? (result.outcome.ok ? (result.outcome.reportId ?? null) : null);
  try {
    await recordUsage(deps.db, {
      siteId: site.id,
      siteName: site.name,
      at,
      protectedVms: usage.protectedVms,
      licenseType: usage.licenseType ?? null,
      reportId,
      acknowledgedAt: result.outcome.ok ? at : null,
    });
    // abs: a clock moved back (the demo, a test) must not stop pruning for good.
    if (Math.abs(at - lastPrune) > DAY) {
      lastPrune = at;
      await pruneUsage(deps.db, at);
    }
  } catch (err) {
    console.error(`zerto-billing: usage history of site "${site.id}" not updated: ${String(err)}`);
  }
}

/**
 * Polls the sites it is given, each only while it holds that site's Web Lock: however many tabs, workers
 * or elements watch a site, exactly one polls it, and when that one goes away the lock (and the polling)
 * passes to the next in line.
 */
export class Monitor {
  private readonly sites = new Map<
    string,
    { site: WatchedSite; stop: AbortController; wake: () => void; force?: boolean }
  >();
  private readonly deps: MonitorDeps;
  /** Sites whose lock this monitor holds (for tests and diagnostics). */
  readonly leading = new Set<string>();

  constructor(deps: MonitorDeps) {
    this.deps = deps;
  }

  watch(site: WatchedSite): void {
    const id = site.config.siteId;
    const existing = this.sites.get(id);
    if (existing) {
      existing.site = site;
      existing.wake();
      return;
    }
    const stop = new AbortController();
    const entry = { site, stop, wake: () => {} };
    this.sites.set(id, entry);
    const run = () => this.lead(id, stop.signal, entry);
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    if (locks) {
      locks.request(lockName(id), { signal: stop.signal }, run).catch(() => {
        /* aborted while waiting for the lock: nothing to do */
      });
    } else {
      // Without Web Locks (an insecure context) this context polls on its own: better twice than never.
      void run();
    }
  }

  /**
   * New credentials (a refreshed token) for a watched site, used from its next check; `recheck` makes that
   * check now, transmission included (the last one was refused for the credentials replaced).
   */
  updateSecrets(siteId: string, secrets: WatchedSite['secrets'], recheck = false): void {
    const e = this.sites.get(siteId);
    if (!e) return;
    e.site = { ...e.site, secrets };
    if (recheck) {
      e.force = true;
      e.wake();
    }
  }

  unwatch(siteId: string): void {
    this.sites.get(siteId)?.stop.abort();
    this.sites.delete(siteId);
  }

  /** Re-checks now (the clock moved, the config changed, a tab asked). */
  wake(siteId?: string): void {
    for (const [id, e] of this.sites) if (!siteId || id === siteId) e.wake();
  }

  stop(): void {
    for (const id of [...this.sites.keys()]) this.unwatch(id);
  }

  private lastSweep = -Infinity;

  /** Now and then, the reports of sites nobody watches any more (see `sweepUnwatched`). */
  private async maybeSweep(signal: AbortSignal): Promise<void> {
    const t = performance.now();
    if (t - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = t;
    const sites = [...this.sites.values()].map((e) => e.site);
    await sweepUnwatched(this.deps.db, sites, this.deps.clock(), signal).catch((err: unknown) =>
      console.error('zerto-billing: the outbox sweep failed', err),
    );
  }

  /**
   * A step of the wall clock that the monotonic clock does not confirm, seen between two checks of this
   * loop, is recorded on the site (only with the system clock: an injected clock is moved on purpose).
   */
  private async noticeClockStep(
    site: WatchedSite,
    last: { wall: number; mono: number } | null,
  ): Promise<{ wall: number; mono: number }> {
    const now = { wall: this.deps.clock(), mono: performance.now() };
    if (last && this.deps.clock === systemClock) {
      const step = now.wall - last.wall - (now.mono - last.mono);
      if (Math.abs(step) >= CLOCK_STEP_MS && step > 0) {
        const identity = { id: site.config.siteId, name: site.config.siteName };
        await applyEvent(this.deps.db, identity, ruleOf(site.config), { type: 'clock-step', step }, now.wall)
          .then(({ after }) => (this.deps.publish ?? publishState)(after))
          .catch((err: unknown) => console.error('zerto-billing: a clock step was not recorded', err));
      }
    }
    return now;
  }

  private async lead(
    id: string,
    signal: AbortSignal,
    entry: { site: WatchedSite; wake: () => void; force?: boolean },
  ): Promise<void> {
    this.leading.add(id);
    try {
      let last: { wall: number; mono: number } | null = null;
      while (!signal.aborted) {
        last = await this.noticeClockStep(entry.site, last);
        const force = entry.force === true;
        entry.force = false;
        const wait = await checkSite(this.deps, entry.site, signal, force).catch((err: unknown) => {
          console.error('zerto-billing: poll failed unexpectedly', err);
          return entry.site.config.policy.interval;
        });
        if (signal.aborted) break;
        await this.maybeSweep(signal);
        const waker = new AbortController();
        entry.wake = () => waker.abort();
        if (entry.force) continue; // asked for while this check ran (new credentials): now, not later
        const cap = this.deps.maxWaitMs ?? 60_000;
        // A clock that gives no time (NaN) must not make this loop spin: it waits as long as allowed then.
        const ms = Number.isFinite(wait) ? Math.max(50, Math.min(wait, cap)) : cap;
        await sleep(ms, AbortSignal.any([signal, waker.signal]));
      }
    } finally {
      this.leading.delete(id);
    }
  }
}

/**
 * One scheduled check of a site: lets time pass in the engine (publishing an escalation), attempts a
 * transmission if one is due, and returns the milliseconds until the next check is worth making. The page
 * poller loops on it; the extension's service worker calls it from chrome.alarms.
 */
export async function checkSite(
  deps: MonitorDeps,
  site: WatchedSite,
  signal?: AbortSignal,
  force = false,
): Promise<number> {
  const { db, clock } = deps;
  const now = clock();
  const identity = { id: site.config.siteId, name: site.config.siteName };
  const { before, after } = await applyEvent(db, identity, ruleOf(site.config), { type: 'tick' }, now);
  // An escalation, or a clock jump (every date moved, and the jump is shown): every tab hears it now.
  const jumped = before !== null && before.clockJumps.count !== after.clockJumps.count;
  if (before && (before.phase !== after.phase || jumped)) (deps.publish ?? publishState)(after);
  const interval = site.config.policy.interval;
  const due = dueAt(after, now, interval);
  if (force || now >= due) {
    const { state } = await transmitOnce(deps, site, signal ? { signal } : {});
    return nextCheck(state, clock(), interval);
  }
  return Math.min(due - now, nextCheck(after, now, interval));
}

/**
 * When the next attempt is due: an interval after the last one, and, where the ZVM enforces, at its
 * deadline too, so that its disconnection is read when it happens rather than up to an interval later.
 */
function dueAt(s: GraceState, now: number, interval: number): number {
  if (s.lastAttemptAt === null) return now;
  const next = s.lastAttemptAt + interval;
  if (!(s.authority && s.phase === 'warning' && s.deadline !== null)) return next;
  // At the ZVM's deadline, and every minute past it until the ZVM reports its disconnection (its clock may
  // run a little behind the one this console counts on).
  if (s.lastAttemptAt < s.deadline) return Math.min(next, s.deadline);
  return Math.min(next, s.lastAttemptAt + OVERDUE_READ_MS);
}

/** How often the ZVM is read once its deadline passed without its word of disconnection. */
const OVERDUE_READ_MS = 60_000;

/**
 * The earlier of the next attempt and the next escalation still ahead (the alert appearing, the deadline).
 * A moment already past is no reason to wake: the next attempt covers it (a loop on a past moment would spin).
 */
function nextCheck(s: GraceState, now: number, interval: number): number {
  const ahead = [dueAt(s, now, interval)];
  if (s.phase === 'warning' && s.deadline !== null) ahead.push(s.deadline);
  if (s.phase === 'ok' && s.lastSuccessAt !== null) ahead.push(s.lastSuccessAt + s.policy.alertAfter);
  const future = ahead.filter((t) => t > now);
  return future.length ? Math.min(...future) - now : interval;
}
