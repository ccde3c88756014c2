import { viewOf, type GraceState } from '../../src/core/index.ts';
import {
  checkSite,
  lockName,
  ruleOf,
  sweepUnwatched,
  SWEEP_EVERY_MS,
  transmitOnce,
  type MonitorDeps,
  type WatchedSite,
} from '../../src/world/poller/monitor.ts';
import type { ProbeResult, TestStep } from '../../src/world/probes/index.ts';
import { readAllStates, readState } from '../../src/world/storage/repo.ts';
import { MIN_ALARM_MS, type SiteEntry } from '../shared/settings.ts';
import { badgeFor, showBadge } from './badge.ts';
import { zvmAttempt } from './credentials.ts';
import { checkStoreMark } from './store-mark.ts';
import { pushState, pushSummaries } from './hub.ts';
import { notifyTransition } from './notify.ts';
import { explainFailure } from './proxy.ts';
import { alarmName, clock, db, runtime, watched, type Runtime, type ServiceWatch } from './runtime.ts';
import { readService, sendUsageThroughService, SERVICE_READ_MS } from './service.ts';

/**
 * The schedule: one chrome.alarms alarm per site, each check set from the answer of the engine's
 * `checkSite` (the earlier of the next attempt and the next escalation), never sooner than Chrome's 30-second
 * alarm minimum. Nothing that matters is held in memory: the state is in IndexedDB, the schedule in
 * chrome.alarms, what was notified in chrome.storage.
 */

/** Longest wait between two checks, so that the badge's day count and a moved clock are noticed. */
const MAX_WAIT_MS = 6 * 60 * 60 * 1000;

async function deps(): Promise<MonitorDeps> {
  return { db: await db(), clock, publish: onPublished, explain: explainFailure };
}

/**
 * One attempt's site and its monitor: a zvm site signs in with the token or session of the moment (obtained
 * from its login and renewed by ./credentials.ts), and a refusal is retried once with a fresh one and named.
 */
async function prepare(
  rt: Runtime,
  site: WatchedSite,
  onStep?: (s: TestStep) => void,
): Promise<{ deps: MonitorDeps; site: WatchedSite }> {
  const d = await deps();
  if (site.config.mode !== 'zvm') return { deps: d, site };
  const a = await zvmAttempt(site, rt.secrets.sites[site.config.siteId], clock, onStep);
  return {
    deps: { ...d, explain: async (r, s) => explainFailure(await a.explain(r, s), s) },
    site: a.site,
  };
}

/** Every stored change: console pages and popups hear it, a transition is notified once. */
function onPublished(state: GraceState): void {
  pushState(state);
  void notifyTransition(state, clock()).catch((err: unknown) =>
    console.error('zerto-billing: could not show a notification', err),
  );
}

/** One site at a time, whichever of the alarm, the test action or a settings change asks. */
function withSiteLock<T>(siteId: string, fn: () => Promise<T>): Promise<T> {
  return navigator.locks.request(lockName(siteId), fn);
}

export function nextDelay(ms: number): number {
  return Math.max(MIN_ALARM_MS, Math.min(Number.isFinite(ms) ? ms : MAX_WAIT_MS, MAX_WAIT_MS));
}

async function schedule(siteId: string, waitMs: number): Promise<void> {
  await chrome.alarms.create(alarmName(siteId), { when: Date.now() + nextDelay(waitMs) });
}

/** The scheduled check of one site (an alarm fired, the clock moved, the worker started). */
export async function checkNow(siteId: string): Promise<void> {
  const rt = await runtime();
  const entry = rt.settings.sites.find((s) => s.siteId === siteId);
  if (!entry) {
    await chrome.alarms.clear(alarmName(siteId));
    return;
  }
  const w = watched(rt, entry);
  if ('error' in w) {
    await chrome.alarms.clear(alarmName(siteId));
    return;
  }
  if ('service' in w) return readServiceNow(w.service, rt.settings.policy.interval);
  const d = await deps();
  await checkStoreMark(d.db, clock()).catch((err: unknown) =>
    console.error('zerto-billing: the storage mark could not be read', err),
  );
  const wait = await withSiteLock(siteId, async () => {
    try {
      const p = await prepare(rt, w.site);
      return await checkSite(p.deps, p.site);
    } catch (err) {
      console.error(`zerto-billing: the check of site ${siteId} failed unexpectedly`, err);
      return w.site.config.policy.interval;
    }
  });
  await schedule(siteId, wait);
  await sweepNow(rt);
  await checkStoreMark(d.db, clock(), true).catch((err: unknown) =>
    console.error('zerto-billing: the storage mark could not be written', err),
  );
  await refreshViews();
}

/**
 * The scheduled read of a site the fleet service watches: its state, as the service has it now. Read at the
 * schedule's interval, at least every few minutes (a read is one small request), so the badge follows the
 * service closely.
 */
async function readServiceNow(w: ServiceWatch, interval: number): Promise<void> {
  const d = await db();
  await withSiteLock(w.site.siteId, () =>
    readService(w, d, onPublished).catch((err: unknown) =>
      console.error(`zerto-billing: the read of site ${w.site.siteId} from the fleet service failed`, err),
    ),
  );
  await schedule(w.site.siteId, Math.min(interval, SERVICE_READ_MS));
  await refreshViews();
}

let lastSweep = -Infinity;

/**
 * Now and then, the reports of sites no longer watched (removed, or switched to another mode) are still
 * delivered, each to the endpoint it was queued for.
 */
async function sweepNow(rt: Awaited<ReturnType<typeof runtime>>): Promise<void> {
  if (Date.now() - lastSweep < SWEEP_EVERY_MS) return;
  lastSweep = Date.now();
  const sites = rt.settings.sites.flatMap((entry) => {
    const w = watched(rt, entry);
    return 'site' in w ? [w.site] : [];
  });
  await sweepUnwatched((await deps()).db, sites, clock()).catch((err: unknown) =>
    console.error('zerto-billing: the outbox sweep failed', err),
  );
}

/**
 * A transmission now, whatever the schedule says (a site added or changed, the test action). `unlessWithinMs`
 * skips it when the site was attempted that recently (the worker's own start may have just done it). A site
 * the fleet service watches is only read again when its settings changed (`unlessWithinMs`: no one asked to
 * send anything); the test action asks the service to have the ZVM send its usage.
 */
export async function transmitNow(
  siteId: string,
  opts: { onStep?: (s: TestStep) => void; unlessWithinMs?: number } = {},
): Promise<{ result: ProbeResult | null } | { error: string }> {
  const rt = await runtime();
  const entry = rt.settings.sites.find((s) => s.siteId === siteId);
  if (!entry) return { error: `site ${siteId} is not watched any more` };
  const w = watched(rt, entry);
  if ('error' in w) return { error: w.error };
  if ('service' in w) {
    if (opts.unlessWithinMs !== undefined) {
      await readServiceNow(w.service, rt.settings.policy.interval);
      return { result: null };
    }
    const service = w.service;
    const r = await withSiteLock(siteId, async () =>
      sendUsageThroughService(service, await db(), onPublished, clock(), opts.onStep),
    );
    await refreshViews();
    return r;
  }
  const d = await deps();
  await checkStoreMark(d.db, clock()).catch((err: unknown) =>
    console.error('zerto-billing: the storage mark could not be read', err),
  );
  const { result, wait } = await withSiteLock(siteId, async () => {
    const p = await prepare(rt, w.site, opts.onStep);
    if (opts.unlessWithinMs) {
      const c = w.site.config;
      const read = await readState(d.db, { id: c.siteId, name: c.siteName }, ruleOf(c), clock());
      const last = read.status === 'absent' ? null : read.state.lastAttemptAt;
      if (last !== null && clock() - last < opts.unlessWithinMs)
        return { result: null, wait: await checkSite(p.deps, p.site) };
    }
    const { result } = await transmitOnce(p.deps, p.site, opts.onStep ? { onStep: opts.onStep } : {});
    // Just attempted, so this only asks the engine when the next check is due.
    return { result, wait: await checkSite(p.deps, p.site) };
  });
  await schedule(siteId, wait);
  await checkStoreMark(d.db, clock(), true).catch((err: unknown) =>
    console.error('zerto-billing: the storage mark could not be written', err),
  );
  await refreshViews();
  return { result };
}

export async function checkAll(): Promise<void> {
  const rt = await runtime();
  await Promise.all(rt.settings.sites.map((s) => checkNow(s.siteId)));
}

/** Makes sure every watched site has its alarm (a fresh install, or alarms lost with a browser restart). */
export async function ensureAlarms(sites: readonly SiteEntry[], checkMissing: boolean): Promise<void> {
  const alarms = await chrome.alarms.getAll();
  const wanted = new Set(sites.map((s) => alarmName(s.siteId)));
  for (const a of alarms)
    if (a.name.startsWith('site:') && !wanted.has(a.name)) await chrome.alarms.clear(a.name);
  if (!checkMissing) return;
  const have = new Set(alarms.map((a) => a.name));
  await Promise.all(sites.filter((s) => !have.has(alarmName(s.siteId))).map((s) => checkNow(s.siteId)));
}

/** Badge and popups, from the stored states read at the current clock. */
export async function refreshViews(): Promise<void> {
  const [rt, d] = await Promise.all([runtime(), db()]);
  const states = await readAllStates(d);
  const now = clock();
  const ids = new Set(rt.settings.sites.map((s) => s.siteId));
  const views = states.filter((s) => ids.has(s.site.id)).map((s) => viewOf(s, now));
  const seen = new Set(views.map((v) => v.site.id));
  const unchecked = rt.settings.sites.filter((s) => !seen.has(s.siteId)).map((s) => s.siteName || s.siteId);
  await showBadge(badgeFor(views, unchecked));
  await pushSummaries();
}
