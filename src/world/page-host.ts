// What runs in the page only when it must, loaded on demand by client.ts: the poller for sites the shared
// worker cannot serve (an injected clock, a custom probe, a CSP that forbids the worker), the test actions,
// and the check of states fed from outside. Here live storage (idb), zod and the probes.
import { parseGraceState } from '../core/state.ts';
import type { Clock } from '../core/time.ts';
import type { Parsed } from '../core/validation.ts';
import type { GraceState } from '../core/schemas.ts';
import { SITE_OF, type SiteHandle } from './client.ts';
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

/** "Test usage transmission" of a watched site: runs in this tab, applies the outcome, every tab hears it. */
export async function testSite(
  h: SiteHandle,
  onStep?: (s: TestStep) => void,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  await h.renewToken();
  if (h.options.service) {
    const { sendUsageThroughService } = await import('./service-feed.ts');
    return sendUsageThroughService(h, h.clock());
  }
  const { result, state } = await testTransmission(h.clock, h.watched(), onStep, signal);
  h.state = state;
  h.emitNow();
  return result;
}

/** "Test connection": can the billing host be reached at all from this browser? Changes no state. */
export function reachSite(h: SiteHandle, onStep?: (s: TestStep) => void): Promise<ProbeResult> {
  return checkReachability(h.options.config, h.clock, onStep);
}

/**
 * Takes a state pushed from elsewhere (an extension's relay: the text `{"state": …}`, the only kind of value
 * that crosses from its isolated world), validated by the engine's schema; ignored unless it is this site's.
 */
export function acceptExternal(h: SiteHandle, detail: unknown): boolean {
  let input: unknown;
  try {
    input = (
      typeof detail === 'string'
        ? (JSON.parse(detail) as { state?: unknown })
        : (detail as { state?: unknown })
    )?.state;
  } catch {
    console.error('zerto-billing: ignored an external state that is not JSON');
    return false;
  }
  const parsed = parseExternalState(input);
  if (!parsed.ok) {
    console.error(`zerto-billing: ignored an external state: ${parsed.error}`);
    return false;
  }
  if (parsed.value.site.id !== h.options.config.siteId || h.isClosed) return false;
  h.state = parsed.value;
  h.status = 'ready';
  h.emitNow();
  return true;
}

export function parseExternalState(input: unknown): Parsed<GraceState> {
  return parseGraceState(input);
}

/**
 * Reads the site a ZVM serves, for an element that names its ZVM but not its site, with the element's
 * credentials (a token from `getToken` when it has one), and remembers it in the origin.
 */
export async function discoverSite(
  config: SiteConfig,
  from: {
    token?: string | undefined;
    session?: string | undefined;
    getToken?: (() => string | Promise<string>) | undefined;
  },
  clock: Clock,
): Promise<{ ok: true; id: string } | { ok: false; message: string }> {
  let token: string | undefined;
  try {
    token = from.getToken ? await from.getToken() : from.token;
  } catch (err) {
    return { ok: false, message: `getToken() failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  const secrets: SiteSecrets = {
    ...(token ? { token } : {}),
    ...(from.session ? { session: from.session } : {}),
  };
  const found = await readLocalSite({ config: { ...config, retries: 0 }, secrets, now: clock });
  if (found.ok) {
    try {
      localStorage.setItem(SITE_OF + config.zvmUrl, found.id);
    } catch {
      /* no storage for it (a sandboxed frame): the page asks again next time */
    }
    return { ok: true, id: found.id };
  }
  const r = found.reason;
  const message =
    `no site-id given, and the site could not be read from the ZVM (GET /v1/localsite): ` +
    `${r.kind === 'cors' ? 'CORS: ' : ''}${r.detail ?? r.kind}` +
    (r.kind === 'auth' && !secrets.token && !secrets.session
      ? '; no token, getToken or session is set on the element'
      : '');
  return { ok: false, message };
}
