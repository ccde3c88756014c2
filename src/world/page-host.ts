// What runs in the page only when it must, loaded on demand by client.ts: the poller for sites the shared
// worker cannot serve (an injected clock, a custom probe, a CSP that forbids the worker), the test actions,
// and the check of states fed from outside. Here live storage (idb), zod and the probes.
import { parseGraceState } from '../core/state.ts';
import type { Clock } from '../core/time.ts';
import type { Parsed } from '../core/validation.ts';
import type { GraceState } from '../core/schemas.ts';
import type { SiteHandle } from './client.ts';
import { onState } from './poller/channel.ts';
import { Monitor, ruleOf, transmitOnce, type WatchedSite } from './poller/monitor.ts';
import {
  probeFor,
  type ProbeResult,
  type SiteConfig,
  type SiteSecrets,
  type TestStep,
} from './probes/index.ts';
import { discoverSite as readLocalSite } from './probes/zvm.ts';
import { openBillingDb, type Db } from './storage/db.ts';
import { readState } from './storage/repo.ts';

const monitors = new Map<Clock, Monitor>();
const refs = new Map<string, number>();

/** The page's in-page monitors (tests read which sites this page leads). */
export const pageMonitors = (): Monitor[] => [...monitors.values()];

function monitorFor(clock: Clock, db: Db): Monitor {
  let m = monitors.get(clock);
  if (!m) {
    m = new Monitor({ db, clock });
    monitors.set(clock, m);
  }
  return m;
}

/**
 * Reads the site's stored state (validated; a damaged record is quarantined and salvaged), hears every change
 * on the origin's channel, and polls the site from this page under the origin-wide Web Lock election.
 */
export async function watchInPage(handle: SiteHandle): Promise<() => void> {
  const offState = onState((s) => handle.receive(s));
  const c = handle.options.config;
  let db: Db;
  try {
    db = await openBillingDb();
    const read = await readState(db, { id: c.siteId, name: c.siteName }, ruleOf(c), handle.clock());
    handle.settle(
      read.status === 'absent' ? null : read.state,
      read.status === 'damaged' ? 'damaged' : 'ready',
      read.status === 'damaged' ? read.error : null,
    );
  } catch (err) {
    handle.fail(`storage unavailable: ${err instanceof Error ? err.message : String(err)}`);
    return offState;
  }
  if (handle.isClosed) return offState;
  const id = c.siteId;
  refs.set(id, (refs.get(id) ?? 0) + 1);
  const monitor = monitorFor(handle.clock, db);
  monitor.watch(handle.watched() as WatchedSite);
  return () => {
    offState();
    const n = (refs.get(id) ?? 1) - 1;
    refs.set(id, n);
    if (n > 0) return;
    refs.delete(id);
    monitor.unwatch(id);
  };
}

export function updateSecretsInPage(handle: SiteHandle, recheck: boolean): void {
  monitors.get(handle.clock)?.updateSecrets(handle.options.config.siteId, handle.watched().secrets, recheck);
}

export function wakeInPage(handle: SiteHandle): void {
  monitors.get(handle.clock)?.wake(handle.options.config.siteId);
}

export async function testTransmission(
  clock: Clock,
  site: WatchedSite,
  onStep?: (s: TestStep) => void,
  signal?: AbortSignal,
): Promise<{ result: ProbeResult; state: GraceState }> {
  const db = await openBillingDb();
  return transmitOnce({ db, clock }, site, { ...(onStep ? { onStep } : {}), ...(signal ? { signal } : {}) });
}

export async function checkReachability(
  config: SiteConfig,
  clock: Clock,
  onStep?: (s: TestStep) => void,
): Promise<ProbeResult> {
  const db = await openBillingDb();
  return probeFor('reachability', db).transmit({
    config: { ...config, mode: 'reachability', retries: 0 },
    secrets: {},
    now: clock,
    ...(onStep ? { onStep } : {}),
  });
}

export function parseExternalState(input: unknown): Parsed<GraceState> {
  return parseGraceState(input);
}

/** Reads the site a ZVM serves, for an element that names its ZVM but not its site. */
export async function discoverSite(
  config: SiteConfig,
  secrets: SiteSecrets,
  clock: Clock,
): Promise<{ ok: true; id: string; name: string } | { ok: false; message: string }> {
  const found = await readLocalSite({ config: { ...config, retries: 0 }, secrets, now: clock });
  if (found.ok) return found;
  const r = found.reason;
  const message =
    `no site-id given, and the site could not be read from the ZVM (GET /v1/localsite): ` +
    `${r.kind === 'cors' ? 'CORS: ' : ''}${r.detail ?? r.kind}` +
    (r.kind === 'auth' && !secrets.token && !secrets.session
      ? ' (no token, getToken or session is set)'
      : '');
  return { ok: false, message };
}
