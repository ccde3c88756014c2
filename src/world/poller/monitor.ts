import { CLOCK_TOLERANCE_MS, DAY, type Clock, type GraceEvent, type GraceState } from '../../core/index.ts';
import type { SiteRule } from '../storage/repo.ts';
// Not the probes' index: that one imports every probe, and the worker loads only the probes its sites use.
import { loadSweep, probeFor, type ProbeExtras } from '../probes/load.ts';
import type { Probe, ProbeResult, SiteConfig, SiteSecrets, TestStep } from '../probes/types.ts';
import { sleep } from '../probes/http.ts';
import { systemClock } from '../clock.ts';
import type { Db, LogRecord, StoreName } from '../storage/db.ts';
import type { DirectContext } from '../probes/direct.ts';
import type { UsageSnapshotRecord } from '../../export/daily.ts';
import { appendLogIn, applyEvent, type AlsoWrite } from '../storage/repo.ts';
import { onState, publishState } from './channel.ts';
import { markAcknowledged, pruneUsageIn, recordUsageIn } from '../usage-history.ts';
import { dueAt, eventOf, nextCheck, ruleOf } from './schedule.ts';

// The pure rules live in schedule.ts; importers of the poller find them here too.
export { eventOf, ruleOf } from './schedule.ts';

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
  const probe = probeOf(db, site);
  // Reports the direct probe had acknowledged and left queued for this attempt's transaction to remove.
  const acked: string[] = [];
  const ctx: DirectContext = {
    config: site.config,
    secrets: site.secrets,
    now: clock,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onStep ? { onStep: opts.onStep } : {}),
    removeAcked: (ids) => acked.push(...ids),
  };
  let removed = false;
  try {
    const probed = await probe.transmit(ctx);
    const result = deps.explain ? await deps.explain(probed, site) : probed;
    const after = await recordOutcome(deps, site, result, acked);
    removed = true;
    (deps.publish ?? publishState)(after);
    return { result, state: after };
  } finally {
    // The attempt was not stored: the acknowledged reports are removed on their own (never sent again).
    if (!removed && acked.length) await removeFromOutbox(db, acked);
  }
}

/** The probes made for each database, by mode, with the host's functions they were made with. */
const probes = new WeakMap<Db, Map<string, { extras: ProbeExtras; probe: Probe }>>();

/**
 * A site's probe, made once per database, mode and host functions: its code (the direct mode's, say) is then
 * looked up once, not at every attempt. Probes keep no state of their own between attempts.
 */
function probeOf(db: Db, site: WatchedSite): Probe {
  const extras = site.extras ?? {};
  let byMode = probes.get(db);
  if (!byMode) probes.set(db, (byMode = new Map()));
  const made = byMode.get(site.config.mode);
  if (made && made.extras.custom === extras.custom && made.extras.usageProvider === extras.usageProvider)
    return made.probe;
  const probe = probeFor(site.config.mode, db, extras);
  byMode.set(site.config.mode, { extras: { ...extras }, probe });
  return probe;
}

/** Removes acknowledged reports from the outbox in one transaction; a failure is reported, never thrown. */
async function removeFromOutbox(db: Db, reportIds: readonly string[]): Promise<void> {
  try {
    const tx = db.transaction('outbox', 'readwrite');
    await Promise.all([...reportIds.map((id) => tx.store.delete(id)), tx.done]);
  } catch (err) {
    console.error(
      `zerto-billing: acknowledged reports left in the outbox (resent, counted once): ${String(err)}`,
    );
  }
}

/** Stores a probe's result: the engine event, the log line, the snapshot, and the `acked` reports' removal. */
async function recordOutcome(
  deps: MonitorDeps,
  site: WatchedSite,
  result: ProbeResult,
  acked: readonly string[],
): Promise<GraceState> {
  // The site's one name everywhere: the operator's `site-name` when given, else the ZVM's SiteName.
  const identity = { id: site.config.siteId, name: site.config.siteName || result.site?.name || '' };
  const event = eventOf(site.config, result);
  // The log says "usage sent" only for a transmission that was: never for a reachable host or a blind read.
  const sent = event.type === 'succeeded' || (event.type === 'zvm' && event.passed === true);
  const failure = event.type === 'blind' ? event.reason : result.outcome.ok ? null : result.outcome.reason;
  const log = (after: GraceState): Omit<LogRecord, 'id'> => ({
    siteId: site.config.siteId,
    at: after.latestSeen,
    ok: sent,
    kind: sent ? null : (failure?.kind ?? null),
    reportId: sent && result.outcome.ok ? (result.outcome.reportId ?? null) : null,
  });
  return recordAttempt(deps, identity, ruleOf(site.config), event, log, result, acked);
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
  // An empty outbox (every zvm site's, and a direct site's whose reports went through) has nothing to sweep:
  // the sweep's code, the direct mode's, is then not even loaded.
  if ((await db.count('outbox')) === 0) return [];
  const { deliver, sweepOutbox, usageEndpoint } = await loadSweep();
  const tokenFor = (url: string) =>
    sites.find((w) => w.config.mode === 'direct' && usageEndpoint(w.config.billingUrl) === url)?.secrets
      .token;
  const swept = await sweepOutbox(
    db,
    new Set(sites.map((w) => w.config.siteId)),
    (siteId) => {
      const opts = { timeoutMs: 10_000, retries: 1, windowMs: 30_000 };
      // Each endpoint of the site's reports on its own, with the token of a watched site sending there.
      return deliver(db, siteId, signal ? { ...opts, signal } : opts, undefined, undefined, {
        now: () => now,
        tokenFor,
      });
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
 * Stores an attempt in one transaction: the engine event, the transmission log line, the usage snapshot it
 * collected (for the history that manual billing is exported from, at the time the log uses: the clock,
 * never earlier than a time already seen), and the removal of the reports the direct probe saw acknowledged
 * (`acked`). A snapshot that cannot be stored is reported, never thrown: the grace state, the log and the
 * removal are stored without it (then in a transaction of their own) and still published.
 */
async function recordAttempt(
  deps: MonitorDeps,
  site: { id: string; name: string },
  rule: SiteRule,
  event: GraceEvent,
  log: (after: GraceState) => Omit<LogRecord, 'id'>,
  result: ProbeResult,
  acked: readonly string[] = [],
): Promise<GraceState> {
  const now = deps.clock();
  const snapshot = result.usage ? snapshotOf(site, result) : null;
  const unkept = (err: unknown) =>
    console.error(`zerto-billing: usage history of site "${site.id}" not updated: ${String(err)}`);
  const stores: StoreName[] = acked.length ? ['log', 'outbox'] : ['log'];
  const withLog = (also?: AlsoWrite['write']): AlsoWrite => ({
    stores: also ? [...stores, 'usage'] : stores,
    // Queued together, not one after another (the transaction runs them in order); any failure fails all.
    write: async (tx, r) => {
      const removals = acked.length ? acked.map((id) => tx.objectStore('outbox').delete(id)) : [];
      await Promise.all([appendLogIn(tx, log(r.after)), ...removals, also?.(tx, r)]);
    },
  });
  if (!snapshot) return (await applyEvent(deps.db, site, rule, event, now, withLog())).after;
  let pruned: number | null = null;
  try {
    const { after } = await applyEvent(
      deps.db,
      site,
      rule,
      event,
      now,
      withLog(async (tx, { after: s }) => {
        const at = s.latestSeen;
        // A malformed snapshot is refused here, which takes the transaction with it (see the catch below).
        await recordUsageIn(tx, snapshot(at));
        // abs: a clock moved back (the demo, a test) must not stop pruning for good.
        if (Math.abs(at - lastPrune) > DAY) {
          pruned = at;
          await pruneUsageIn(tx, at);
        }
      }),
    );
    if (pruned !== null) lastPrune = pruned;
    return after;
  } catch (err) {
    // The snapshot could not be stored: the state and the log are, without it, in a transaction of their own.
    unkept(err);
    return (await applyEvent(deps.db, site, rule, event, now, withLog())).after;
  }
}

function snapshotOf(
  site: { id: string; name: string },
  result: ProbeResult,
): (at: number) => UsageSnapshotRecord {
  const usage = result.usage!;
  const reportId = result.reportId ?? (result.outcome.ok ? (result.outcome.reportId ?? null) : null);
  return (at) => ({
    siteId: site.id,
    siteName: site.name,
    at,
    protectedVms: usage.protectedVms,
    licenseType: usage.licenseType ?? null,
    reportId,
    acknowledgedAt: result.outcome.ok ? at : null,
  });
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
    let memo: CheckMemo | undefined;
    let unheard = () => {};
    try {
      let last: { wall: number; mono: number } | null = null;
      // What a check remembers holds only until anyone (a test in this tab, another context) stores a state
      // of the site: every such state is published on the channel, and hearing one sends the next check back
      // to the store. Without the channel (another publisher), every check starts from the store.
      if (!this.deps.publish) {
        const m: CheckMemo = { state: null };
        memo = m;
        unheard = onState((s) => {
          if (s.site.id === id) m.state = null;
        });
      }
      while (!signal.aborted) {
        last = await this.noticeClockStep(entry.site, last);
        const force = entry.force === true;
        entry.force = false;
        const wait = await checkSite(this.deps, entry.site, signal, force, memo).catch((err: unknown) => {
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
      unheard();
      this.leading.delete(id);
    }
  }
}

/**
 * What a poller remembers of a site between its checks: the state its last check left. Where that state says
 * an attempt is due, the next check makes it without first storing the passing of time on its own: the
 * attempt's one transaction stores both (the engine lets the same time pass before applying the result).
 */
export interface CheckMemo {
  state: GraceState | null;
}

/**
 * One scheduled check of a site: lets time pass in the engine (publishing an escalation), attempts a
 * transmission if one is due, and returns the milliseconds until the next check is worth making. The page
 * poller loops on it; the extension's service worker calls it from chrome.alarms. `memo` (kept by a poller
 * across its checks) spares a check that is due its separate transaction; another context's attempt made
 * meanwhile costs at most one more attempt, which bills nothing twice (the period rule).
 */
export async function checkSite(
  deps: MonitorDeps,
  site: WatchedSite,
  signal?: AbortSignal,
  force = false,
  memo?: CheckMemo,
): Promise<number> {
  const { db, clock } = deps;
  const now = clock();
  const interval = site.config.policy.interval;
  const remembered = memo?.state?.site.id === site.config.siteId ? memo.state : null;
  // A clock turned back since (a reading earlier than the latest seen) is taken in first, alone: the site's
  // times and its period mark move together (see `applyEvent`) before an attempt bills from that mark.
  const known = remembered && remembered.latestSeen - now <= CLOCK_TOLERANCE_MS ? remembered : null;
  if (known && (force || now >= dueAt(known, now, interval))) {
    const { state } = await transmitOnce(deps, site, signal ? { signal } : {});
    if (memo) memo.state = state;
    return nextCheck(state, clock(), interval);
  }
  const identity = { id: site.config.siteId, name: site.config.siteName };
  const { before, after } = await applyEvent(db, identity, ruleOf(site.config), { type: 'tick' }, now);
  if (memo) memo.state = after;
  // An escalation, or a clock jump (every date moved, and the jump is shown): every tab hears it now.
  const jumped = before !== null && before.clockJumps.count !== after.clockJumps.count;
  if (before && (before.phase !== after.phase || jumped)) (deps.publish ?? publishState)(after);
  const due = dueAt(after, now, interval);
  if (force || now >= due) {
    const { state } = await transmitOnce(deps, site, signal ? { signal } : {});
    if (memo) memo.state = state;
    return nextCheck(state, clock(), interval);
  }
  return Math.min(due - now, nextCheck(after, now, interval));
}
