import { readSecrets, readSettings, STORAGE_KEYS, type SiteEntry } from '../shared/settings.ts';
import { STATUS_KEY } from '../shared/messages.ts';
import { checkAll, checkNow, ensureAlarms, refreshViews, transmitNow } from './checks.ts';
import { syncConsoles } from './consoles.ts';
import { connect, post, pushRelaySites } from './hub.ts';
import { forgetLiveExcept } from './credentials.ts';
import { forgetNotices } from './notify.ts';
import { applyProxy, attachWebRequest, rememberProxy } from './proxy.ts';
import { forget, problemsOf, runtime, setOffset, siteOfAlarm } from './runtime.ts';

/**
 * The service worker. Every listener is registered synchronously at the top level, so that the event that
 * woke a stopped worker is delivered to it; all state is read again from storage each time it starts.
 */

/** Background work whose failure is a bug worth seeing on the extension page, never an unhandled rejection. */
function task(p: Promise<unknown>): void {
  p.catch((err: unknown) => console.error('zerto-billing:', err));
}

let reconciling: Promise<void> = Promise.resolve();

/**
 * Brings alarms, content scripts, the proxy, the badge and the open pages in line with the settings. At a
 * start, a site without its alarm is checked at once; after a settings change the caller checks them.
 */
function reconcile(opts: { checkMissing: boolean } = { checkMissing: true }): Promise<void> {
  const run = async () => {
    const rt = await runtime();
    const proxy = await applyProxy(rt.settings);
    rememberProxy(rt.settings, proxy);
    const consoles = await syncConsoles(rt.settings);
    await chrome.storage.session.set({ [STATUS_KEY]: { proxy, consoles, problems: problemsOf(rt) } });
    await ensureAlarms(rt.settings.sites, opts.checkMissing);
    const ids = new Set(rt.settings.sites.map((s) => s.siteId));
    await forgetNotices(ids);
    await forgetLiveExcept(ids);
    await pushRelaySites();
    await refreshViews();
  };
  reconciling = reconciling.then(run, run);
  return reconciling;
}

const running = new Set<string>();

/**
 * "Test usage transmission", asked by the popup or by a console's banner through its relay: it runs here, in
 * the service worker, each step streamed to whoever asked as it happens.
 */
async function test(siteId: string, port: chrome.runtime.Port): Promise<void> {
  if (running.has(siteId)) {
    post(port, { type: 'busy', siteId, message: 'a test of this site is already running' });
    return;
  }
  running.add(siteId);
  try {
    const r = await transmitNow(siteId, { onStep: (step) => post(port, { type: 'step', siteId, step }) });
    if ('error' in r) post(port, { type: 'busy', siteId, message: r.error });
    else if (r.result) post(port, { type: 'result', siteId, result: r.result });
  } finally {
    running.delete(siteId);
  }
}

/**
 * The sites whose settings or credentials changed (or appeared): they transmit at once. `credentials`: the
 * last attempt was made with other credentials, so however recent it is, it says nothing of the new ones.
 */
function changedSites(
  changes: Record<string, chrome.storage.StorageChange>,
  now: readonly SiteEntry[],
  managedIds: ReadonlySet<string>,
): Map<string, { credentials: boolean }> {
  const s = changes[STORAGE_KEYS.settings];
  const before = s ? readSettings(s.oldValue).settings.sites : now;
  const c = changes[STORAGE_KEYS.secrets];
  const oldSecrets = c ? readSecrets(c.oldValue).sites : null;
  const newSecrets = c ? readSecrets(c.newValue).sites : null;
  const changed = new Map<string, { credentials: boolean }>();
  for (const e of now) {
    const old = before.find((b) => b.siteId === e.siteId);
    // A site set by policy does not change with the admin's own settings; its credentials may.
    const entryChanged = (!old || JSON.stringify(old) !== JSON.stringify(e)) && !managedIds.has(e.siteId);
    const credentials =
      !!oldSecrets && JSON.stringify(oldSecrets[e.siteId]) !== JSON.stringify(newSecrets?.[e.siteId]);
    if (entryChanged || credentials) changed.set(e.siteId, { credentials });
  }
  return changed;
}

chrome.storage.onChanged.addListener((changes, area) => {
  if (area !== 'local') return;
  const offset = changes[STORAGE_KEYS.clockOffset];
  if (offset) {
    // Time moved (diagnostics): every site is checked at the new time.
    setOffset(offset.newValue);
    task(checkAll());
  }
  if (changes[STORAGE_KEYS.settings] || changes[STORAGE_KEYS.secrets]) {
    forget();
    task(
      (async () => {
        await reconcile({ checkMissing: false });
        const rt = await runtime();
        const changed = changedSites(changes, rt.settings.sites, rt.managedIds);
        await Promise.all(
          rt.settings.sites.map((s) => {
            const c = changed.get(s.siteId);
            if (!c) return checkNow(s.siteId);
            // New credentials: an attempt now, however recent the last (0 still only reads a service site).
            return transmitNow(s.siteId, { unlessWithinMs: c.credentials ? 0 : 5000 });
          }),
        );
      })(),
    );
  }
});

/** The organisation's policy changed: its sites are watched (or dropped) at once, new ones checked now. */
async function onManagedChanged(): Promise<void> {
  const before = new Set((await runtime()).settings.sites.map((s) => JSON.stringify(s)));
  forget();
  await reconcile({ checkMissing: false });
  const rt = await runtime();
  await Promise.all(
    rt.settings.sites.map((s) =>
      before.has(JSON.stringify(s)) ? checkNow(s.siteId) : transmitNow(s.siteId, { unlessWithinMs: 5000 }),
    ),
  );
}

chrome.storage.onChanged.addListener((_changes, area) => {
  if (area === 'managed') task(onManagedChanged());
});

chrome.alarms.onAlarm.addListener((alarm) => {
  const siteId = siteOfAlarm(alarm.name);
  if (siteId) task(checkNow(siteId));
});

chrome.runtime.onConnect.addListener((port) => connect(port, { test }));

chrome.permissions.onAdded.addListener(() => {
  attachWebRequest();
  task(reconcile());
});
chrome.permissions.onRemoved.addListener(() => task(reconcile()));

chrome.notifications.onClicked.addListener((id) => {
  task(chrome.runtime.openOptionsPage().then(() => chrome.notifications.clear(id)));
});

chrome.runtime.onInstalled.addListener(() => task(reconcile()));
chrome.runtime.onStartup.addListener(() => task(reconcile()));

// Credentials are for this worker and the extension's pages only, never for content scripts.
task(chrome.storage.local.setAccessLevel({ accessLevel: 'TRUSTED_CONTEXTS' }).catch(() => undefined));
attachWebRequest();
// Each start: alarms, scripts and badge are checked against the settings (cheap when nothing changed).
task(reconcile());
