import { viewOf, type GraceState } from '../../src/core/index.ts';
import { readAllStates } from '../../src/world/storage/repo.ts';
import { readBacklog, type Backlog } from '../../src/world/outbox.ts';
import {
  PORTS,
  type FromPopup,
  type FromRelay,
  type SiteSummary,
  type ToPopup,
  type ToRelay,
} from '../shared/messages.ts';
import { sitesForUrl } from './consoles.ts';
import { serviceProblems } from './service.ts';
import { evictionText, readEviction } from './store-mark.ts';
import { clock, db, problemsOf, runtime } from './runtime.ts';

/**
 * The live side of the worker: the popups and the console relays connected by runtime ports, each told of
 * every state change as it is stored. A port lives only as long as this worker instance; the relay and the
 * popup connect again when it is gone, and are sent everything afresh.
 */
const popups = new Set<chrome.runtime.Port>();
const relays = new Map<chrome.runtime.Port, Set<string>>();

export interface PopupHandlers {
  test(siteId: string, port: chrome.runtime.Port): Promise<void>;
}

const own = (port: chrome.runtime.Port) => port.sender?.id === chrome.runtime.id;
const isExtensionPage = (port: chrome.runtime.Port) =>
  !!port.sender?.url?.startsWith(chrome.runtime.getURL(''));

export function connect(port: chrome.runtime.Port, handlers: PopupHandlers): void {
  if (!own(port)) return port.disconnect();
  if (port.name === PORTS.popup && isExtensionPage(port)) {
    popups.add(port);
    port.onDisconnect.addListener(() => popups.delete(port));
    port.onMessage.addListener((msg: FromPopup) => {
      if (msg?.type === 'test' && typeof msg.siteId === 'string') void handlers.test(msg.siteId, port);
      else if (msg?.type === 'refresh') void sendSites(port);
    });
    void sendSites(port);
    return;
  }
  if (port.name === PORTS.relay && !isExtensionPage(port)) {
    relays.set(port, new Set());
    port.onDisconnect.addListener(() => relays.delete(port));
    // A banner's test runs here, for a site that page shows, never one it merely names.
    port.onMessage.addListener((msg: FromRelay) => {
      if (msg?.type === 'test' && typeof msg.siteId === 'string' && relays.get(port)?.has(msg.siteId))
        void handlers.test(msg.siteId, port);
    });
    void sendRelaySites(port);
    return;
  }
  port.disconnect();
}

export function post(port: chrome.runtime.Port, msg: ToPopup | ToRelay): void {
  try {
    port.postMessage(msg);
  } catch {
    // The page went away between the check and the post: nothing to tell.
    popups.delete(port);
    relays.delete(port);
  }
}

export async function summaries(): Promise<Extract<ToPopup, { type: 'sites' }>> {
  const [rt, d] = await Promise.all([runtime(), db()]);
  const [states, backlog, unread] = await Promise.all([readAllStates(d), readBacklog(d), serviceProblems()]);
  const now = clock();
  const sites: SiteSummary[] = rt.settings.sites.map((entry) => {
    const s = states.find((st) => st.site.id === entry.siteId);
    // A service site's address is the service's: the test action and its advice are about that host.
    let billingHost = (entry.mode === 'service' ? entry.serviceUrl : undefined) ?? entry.billingUrl;
    try {
      billingHost = new URL(billingHost).host;
    } catch {
      /* shown as written */
    }
    return {
      siteId: entry.siteId,
      siteName: entry.siteName || s?.site.name || '',
      mode: entry.mode,
      billingHost,
      view: s ? viewOf(s, now) : null,
      lastAttemptAt: s?.lastAttemptAt ?? null,
      lastFailure: s?.lastFailure ?? null,
      backlog: backlogOf(backlog.get(entry.siteId)),
      problem: entry.mode === 'service' ? (unread.get(entry.siteId) ?? null) : null,
    };
  });
  return {
    type: 'sites',
    at: now,
    sites,
    problems: problemsOf(rt),
    storage: evictionText(await readEviction(), now),
  };
}

/** What the popup shows of a site's outbox (counts, the oldest, and the reason of one set-aside report). */
function backlogOf(b: Backlog | undefined): SiteSummary['backlog'] {
  return {
    waiting: b?.waiting ?? 0,
    oldest: b?.oldest ?? null,
    setAside: b?.setAside.length ?? 0,
    setAsideReason: b?.setAside[0]?.reason ?? null,
  };
}

async function sendSites(port: chrome.runtime.Port): Promise<void> {
  post(port, await summaries());
}

/** Tells every popup the sites as they are now. */
export async function pushSummaries(): Promise<void> {
  if (popups.size === 0) return;
  const msg = await summaries();
  for (const p of popups) post(p, msg);
}

const stateMessage = (s: GraceState): ToRelay => ({
  type: 'state',
  siteId: s.site.id,
  json: JSON.stringify({ state: s }),
});

/** Tells a relay which banners its page gets, then each one's state. */
async function sendRelaySites(port: chrome.runtime.Port): Promise<void> {
  const rt = await runtime();
  const sites = sitesForUrl(rt.settings, port.sender?.url);
  relays.set(port, new Set(sites.map((s) => s.siteId)));
  post(port, { type: 'sites', sites });
  if (!sites.length) return;
  const states = await readAllStates(await db());
  for (const s of states) if (relays.get(port)?.has(s.site.id)) post(port, stateMessage(s));
}

/** After the settings changed: every console page is told its banners again. */
export async function pushRelaySites(): Promise<void> {
  await Promise.all([...relays.keys()].map((p) => sendRelaySites(p)));
}

/** A site's state changed: every console page showing it hears it now. */
export function pushState(state: GraceState): void {
  const msg = stateMessage(state);
  for (const [port, ids] of relays) if (ids.has(state.site.id)) post(port, msg);
}
