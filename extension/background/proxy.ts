import type { ProbeResult } from '../../src/world/probes/index.ts';
import type { WatchedSite } from '../../src/world/poller/monitor.ts';
import type { WorkerStatus } from '../shared/messages.ts';
import {
  buildPac,
  otherHostsFrom,
  proxyTarget,
  reasonFromNetError,
  type ProxyValue,
} from '../shared/proxy.ts';
import { STORAGE_KEYS, type Settings } from '../shared/settings.ts';
import { runtime } from './runtime.ts';

/**
 * Transmissions follow the browser's proxy settings, like any request of this browser. Optionally, the
 * billing host alone goes through a proxy the admin names: a PAC script set through chrome.proxy (an optional
 * permission) that answers for every other host what the browser's own setting did. Proxy credentials are
 * answered through chrome.webRequest.onAuthRequired, and chrome.webRequest.onErrorOccurred tells the test
 * action what a fetch cannot: that the proxy, DNS or a certificate failed.
 */

/**
 * The billing hosts this extension itself sends to (in zvm mode the ZVM transmits, not the browser; in service
 * mode the fleet service has the ZVM transmit).
 */
export function billingHosts(settings: Settings): string[] {
  const hosts = new Set<string>();
  for (const s of settings.sites) {
    if (s.mode === 'zvm' || s.mode === 'service') continue;
    try {
      hosts.add(new URL(s.billingUrl).hostname);
    } catch {
      /* an invalid URL is refused by the options page; nothing to route */
    }
  }
  return [...hosts].sort();
}

export type ProxyState = WorkerStatus['proxy'];

export async function applyProxy(settings: Settings): Promise<ProxyState> {
  if (!chrome.proxy?.settings) {
    return settings.proxy.enabled
      ? {
          status: 'blocked',
          reason: 'the proxy permission is not granted: save the proxy settings again to allow it',
        }
      : { status: 'off' };
  }
  const current = await chrome.proxy.settings.get({ incognito: false });
  const ours = current.levelOfControl === 'controlled_by_this_extension';
  const hosts = billingHosts(settings);
  if (!settings.proxy.enabled || !settings.proxy.host || hosts.length === 0) {
    // Clearing hands control back to whatever was set before: nothing of ours is left behind.
    if (ours) await chrome.proxy.settings.clear({ scope: 'regular' });
    return { status: 'off' };
  }
  if (!ours && current.levelOfControl !== 'controllable_by_this_extension')
    return {
      status: 'blocked',
      reason:
        current.levelOfControl === 'not_controllable'
          ? 'a policy of this browser sets the proxy: ask the administrator of the browser'
          : 'another extension controls the proxy settings',
    };
  let underlying: ProxyValue | null;
  if (ours) {
    const got = await chrome.storage.local.get(STORAGE_KEYS.proxyUnderlying);
    underlying = (got[STORAGE_KEYS.proxyUnderlying] as ProxyValue | undefined) ?? null;
  } else {
    underlying = (current.value as ProxyValue | undefined) ?? null;
    await chrome.storage.local.set({ [STORAGE_KEYS.proxyUnderlying]: underlying });
  }
  const others = otherHostsFrom(underlying);
  const pac = buildPac(hosts, settings.proxy, others);
  const value = current.value as ProxyValue | undefined;
  if (!ours || value?.mode !== 'pac_script' || value.pacScript?.data !== pac) {
    await chrome.proxy.settings.set({
      value: { mode: 'pac_script', pacScript: { data: pac, mandatory: false } },
      scope: 'regular',
    });
  }
  return { status: 'on', pac, others: others.summary, exact: others.exact };
}

// ---- chrome.webRequest (optional): proxy credentials, and the browser's own error codes. ----

interface NetError {
  at: number;
  url: string;
  error: string;
}
const recentErrors: NetError[] = [];
const authAnswered = new Map<string, number>();
let attached = false;
const ownOrigin = () => chrome.runtime.getURL('').replace(/\/$/, '');

/** Attaches the listeners when the permissions are there (at start, and when they are granted). */
export function attachWebRequest(): void {
  if (attached || !chrome.webRequest?.onErrorOccurred) return;
  attached = true;
  chrome.webRequest.onErrorOccurred.addListener(
    (d) => {
      if (d.tabId !== -1 || d.initiator !== ownOrigin()) return;
      recentErrors.push({ at: Date.now(), url: d.url, error: d.error });
      if (recentErrors.length > 50) recentErrors.shift();
    },
    { urls: ['<all_urls>'] },
  );
  chrome.webRequest.onCompleted.addListener((d) => authAnswered.delete(d.requestId), {
    urls: ['<all_urls>'],
  });
  try {
    chrome.webRequest.onAuthRequired.addListener(onAuthRequired, { urls: ['<all_urls>'] }, ['asyncBlocking']);
  } catch {
    // Without webRequestAuthProvider the listener cannot answer; proxy credentials then go unanswered and
    // the test action names the failure as a proxy one.
  }
}

function onAuthRequired(
  details: chrome.webRequest.OnAuthRequiredDetails,
  callback?: (response: chrome.webRequest.BlockingResponse) => void,
): undefined {
  const answer = (r: chrome.webRequest.BlockingResponse) => callback?.(r);
  if (!details.isProxy) {
    answer({});
    return;
  }
  void runtime().then(
    (rt) => {
      const p = rt.settings.proxy;
      const creds = rt.secrets.proxy;
      const challenger = details.challenger;
      const ourProxy =
        p.enabled &&
        challenger &&
        challenger.host === p.host.replace(/^\[|\]$/g, '') &&
        challenger.port === p.port;
      if (!ourProxy || !creds) return answer({});
      // Answer once per request: credentials the proxy refused are not sent again in a loop.
      const n = authAnswered.get(details.requestId) ?? 0;
      authAnswered.set(details.requestId, n + 1);
      if (n > 0) return answer({ cancel: true });
      answer({ authCredentials: { username: creds.username, password: creds.password } });
    },
    () => answer({}),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Names a failed transmission from the browser's own error code when fetch could only say "failed":
 * `proxy` for a proxy that failed, `network` with the exact cause (name not resolved, certificate refused),
 * `timeout` for a timed-out connection.
 */
export async function explainFailure(result: ProbeResult, site: WatchedSite): Promise<ProbeResult> {
  const o = result.outcome;
  if (o.ok || (o.reason.kind !== 'network' && o.reason.kind !== 'timeout') || !attached) return result;
  const c = site.config;
  const hosts = new Set<string>();
  for (const u of [c.billingUrl, c.zvmUrl]) {
    try {
      if (u) hosts.add(new URL(u).host);
    } catch {
      /* not a URL: nothing to match */
    }
  }
  const since = Date.now() - 2 * c.timeoutMs * (c.retries + 1) - 10_000;
  const find = () =>
    recentErrors
      .filter((e) => e.at >= since && hosts.has(safeHost(e.url)))
      .map((e) => ({ e, reason: reasonFromNetError(e.error, safeHost(e.url), viaProxy(e.url)) }))
      .filter((x) => x.reason !== null)
      .pop();
  // The error event and the fetch rejection race each other: give the event a moment to arrive.
  let hit = find();
  for (let i = 0; !hit && i < 6; i++) {
    await sleep(50);
    hit = find();
  }
  if (!hit?.reason) return result;
  const reason = hit.reason;
  return {
    ...result,
    outcome: { ...o, reason },
    steps: result.steps.map((s) =>
      s.status === 'failed' ? { ...s, reason, detail: reason.detail ?? s.detail } : s,
    ),
  };
}

function viaProxy(url: string): string | null {
  const p = proxySettingsCache;
  if (!p?.enabled) return null;
  return p.hosts.includes(safeHostname(url)) ? p.target : null;
}

function safeHostname(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

/** What explainFailure needs to know of the proxy without awaiting storage. */
let proxySettingsCache: { enabled: boolean; hosts: string[]; target: string } | null = null;
export function rememberProxy(settings: Settings, state: ProxyState): void {
  proxySettingsCache = {
    enabled: state.status === 'on',
    hosts: billingHosts(settings),
    target: proxyTarget(settings.proxy),
  };
}
