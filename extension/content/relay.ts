/**
 * The isolated-world relay in a console page: places one `<zerto-billing-banner external>` per site at the
 * top of `body` and passes each state the service worker sends on as a `zerto-billing-external-state` event
 * (its detail is text, the only kind of value that crosses from this world to the page's). A banner's "Test
 * usage transmission" comes here as a `zerto-billing-test-request` and runs in the service worker, out of
 * reach of the console's CSP and CORS; its steps and result go back as `zerto-billing-test-progress`. It
 * touches nothing else in the page.
 */
import {
  OWN_ATTRIBUTE,
  PORTS,
  READY_EVENT,
  type BannerSite,
  type FromRelay,
  type ToRelay,
} from '../shared/messages.ts';

/** The element's event names (components/shared/), repeated to keep Lit out of this script. */
const EXTERNAL_EVENT = 'zerto-billing-external-state';
const TEST_REQUEST_EVENT = 'zerto-billing-test-request';
const TEST_PROGRESS_EVENT = 'zerto-billing-test-progress';
const TAG = 'zerto-billing-banner';

const latest = new Map<string, string>();
let sites: BannerSite[] = [];

function own(): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>(`${TAG}[${OWN_ATTRIBUTE}]`)];
}

function setAttr(el: HTMLElement, name: string, value: string | undefined): void {
  if (value === undefined || value === '') el.removeAttribute(name);
  else if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

function place(): void {
  const body = document.body;
  if (!body) return;
  const wanted = new Set(sites.map((s) => s.siteId));
  for (const el of own()) if (!wanted.has(el.getAttribute('site-id') ?? '')) el.remove();
  let previous: HTMLElement | null = null;
  for (const s of sites) {
    let el: HTMLElement | undefined = own().find((e) => e.getAttribute('site-id') === s.siteId);
    if (!el) {
      el = document.createElement(TAG);
      el.setAttribute(OWN_ATTRIBUTE, '');
      el.setAttribute('external', '');
    }
    setAttr(el, 'site-id', s.siteId);
    setAttr(el, 'site-name', s.siteName);
    setAttr(el, 'mode', s.mode);
    setAttr(el, 'billing-url', s.billingUrl);
    setAttr(el, 'zvm-url', s.zvmUrl);
    setAttr(el, 'service-url', s.serviceUrl);
    if (!el.isConnected) {
      if (previous) previous.after(el);
      else body.prepend(el);
    }
    previous = el;
  }
  // A banner just placed renders in a moment; it takes its state after that.
  setTimeout(dispatchAll, 0);
}

function dispatch(json: string): void {
  document.dispatchEvent(new CustomEvent(EXTERNAL_EVENT, { detail: json }));
}

function dispatchAll(): void {
  for (const s of sites) {
    const json = latest.get(s.siteId);
    if (json) dispatch(json);
  }
}

function onMessage(msg: ToRelay): void {
  if (msg?.type === 'sites' && Array.isArray(msg.sites)) {
    sites = msg.sites;
    for (const id of [...latest.keys()]) if (!sites.some((s) => s.siteId === id)) latest.delete(id);
    place();
  } else if (msg?.type === 'state' && typeof msg.json === 'string') {
    latest.set(msg.siteId, msg.json);
    dispatch(msg.json);
  } else if (msg?.type === 'step' || msg?.type === 'result' || msg?.type === 'busy') {
    const detail =
      msg.type === 'step'
        ? { siteId: msg.siteId, step: msg.step }
        : msg.type === 'result'
          ? { siteId: msg.siteId, result: msg.result }
          : { siteId: msg.siteId, busy: msg.message };
    document.dispatchEvent(new CustomEvent(TEST_PROGRESS_EVENT, { detail: JSON.stringify(detail) }));
  }
}

let waiting = false;
let current: chrome.runtime.Port | null = null;

/** A banner of this extension asks for its usage test: the service worker runs it. */
document.addEventListener(TEST_REQUEST_EVENT, (e) => {
  const el = e.target;
  if (!(el instanceof HTMLElement) || !el.hasAttribute(OWN_ATTRIBUTE) || !current) return;
  let siteId: unknown;
  try {
    siteId = (JSON.parse(String((e as CustomEvent<unknown>).detail)) as { siteId?: unknown }).siteId;
  } catch {
    return;
  }
  if (typeof siteId !== 'string' || !sites.some((s) => s.siteId === siteId)) return;
  e.preventDefault();
  current.postMessage({ type: 'test', siteId } satisfies FromRelay);
});

function connect(): void {
  waiting = false;
  let port: chrome.runtime.Port;
  try {
    port = chrome.runtime.connect({ name: PORTS.relay });
  } catch {
    // The extension was updated or removed: its banners would only show a stale state.
    for (const el of own()) el.remove();
    return;
  }
  current = port;
  port.onMessage.addListener(onMessage);
  port.onDisconnect.addListener(() => {
    void chrome.runtime.lastError;
    if (current === port) current = null;
    // The worker stopped (it does after a while idle): connect again, which starts it, once the page is seen.
    if (document.visibilityState === 'visible') setTimeout(connect, 1000);
    else waiting = true;
  });
}

document.addEventListener('visibilitychange', () => {
  if (waiting && document.visibilityState === 'visible') connect();
});
document.addEventListener(READY_EVENT, dispatchAll);
connect();
