/// <reference lib="webworker" />
// The origin's one background poller: every tab connects to it and hands over the sites it shows. It reads
// and validates the stored state, polls, and sends each tab every change of the sites it watches (its own
// checks and those other tabs publish), so that a page itself never opens storage or loads zod.
import { systemClock } from '../clock.ts';
import { parseSiteConfig } from '../probes/types.ts';
import { WORKER_PREFIX } from '../storage/config.ts';
import { openBillingDb, requestPersistence, storageConfig } from '../storage/db.ts';
import { readState } from '../storage/repo.ts';
import { onState } from './channel.ts';
import { Monitor, ruleOf } from './monitor.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

declare const self: SharedWorkerGlobalScope;

// Named after its database by the pages (client.ts): one worker per origin and database.
if (self.name.startsWith(WORKER_PREFIX) && self.name.length > WORKER_PREFIX.length)
  storageConfig.dbName = self.name.slice(WORKER_PREFIX.length);

const db = openBillingDb();
const monitor = db.then((d) => new Monitor({ db: d, clock: systemClock }));
void requestPersistence();
/** Which ports watch which sites, so that a site stops being polled when its last tab is gone. */
const watchers = new Map<string, Set<MessagePort>>();

// Every state of a watched site, validated on the channel or produced here, goes to the ports that watch it.
onState((state) => {
  for (const port of watchers.get(state.site.id) ?? [])
    port.postMessage({ type: 'state', siteId: state.site.id, state } satisfies FromWorker);
});

self.onconnect = (e: MessageEvent) => {
  const port = e.ports[0];
  if (!port) return;
  port.onmessage = (m: MessageEvent) => void handle(port, m.data as ToWorker);
  // Where the browser tells that a tab went away, stop polling the sites only it watched.
  port.addEventListener('close', () => {
    for (const siteId of [...watchers.keys()]) void handle(port, { type: 'unwatch', siteId });
  });
  port.start();
  port.postMessage({ type: 'hello' } satisfies FromWorker);
};

async function handle(port: MessagePort, msg: ToWorker): Promise<void> {
  const m = await monitor;
  if (msg?.type === 'watch') {
    const parsed = parseSiteConfig(msg.config);
    if (!parsed.ok) {
      const siteId = typeof msg.config?.siteId === 'string' ? msg.config.siteId : '';
      port.postMessage({ type: 'error', siteId, message: parsed.error } satisfies FromWorker);
      return;
    }
    const c = parsed.value;
    const set = watchers.get(c.siteId) ?? new Set();
    set.add(port);
    watchers.set(c.siteId, set);
    try {
      const read = await readState(await db, { id: c.siteId, name: c.siteName }, ruleOf(c), systemClock());
      port.postMessage({
        type: 'state',
        siteId: c.siteId,
        initial: true,
        state: read.status === 'absent' ? null : read.state,
        status: read.status === 'damaged' ? 'damaged' : 'ready',
        problem: read.status === 'damaged' ? read.error : null,
      } satisfies FromWorker);
    } catch (err) {
      const message = `storage unavailable: ${err instanceof Error ? err.message : String(err)}`;
      port.postMessage({ type: 'error', siteId: c.siteId, message } satisfies FromWorker);
    }
    m.watch({ config: c, secrets: { ...msg.secrets } });
  } else if (msg?.type === 'unwatch') {
    const set = watchers.get(msg.siteId);
    set?.delete(port);
    if (set && set.size === 0) {
      watchers.delete(msg.siteId);
      m.unwatch(msg.siteId);
    }
  } else if (msg?.type === 'secrets') {
    const token = msg.secrets?.token;
    const session = msg.secrets?.session;
    m.updateSecrets(
      msg.siteId,
      {
        ...(typeof token === 'string' ? { token } : {}),
        ...(typeof session === 'string' ? { session } : {}),
      },
      msg.recheck === true,
    );
  } else if (msg?.type === 'wake') {
    m.wake(msg.siteId);
  }
}
