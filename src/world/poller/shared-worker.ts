/// <reference lib="webworker" />
// The origin's one background poller: every tab connects to it and hands over the sites it shows.
import { systemClock } from '../clock.ts';
import { parseSiteConfig } from '../probes/index.ts';
import { openBillingDb, requestPersistence } from '../storage/db.ts';
import { Monitor } from './monitor.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

declare const self: SharedWorkerGlobalScope;

const monitor = openBillingDb().then((db) => new Monitor({ db, clock: systemClock }));
void requestPersistence();
/** Which ports watch which sites, so that a site stops being polled when its last tab is gone. */
const watchers = new Map<string, Set<MessagePort>>();

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
      port.postMessage({ type: 'error', message: parsed.error } satisfies FromWorker);
      return;
    }
    const id = parsed.value.siteId;
    const set = watchers.get(id) ?? new Set();
    set.add(port);
    watchers.set(id, set);
    m.watch({ config: parsed.value, secrets: { ...msg.secrets } });
  } else if (msg?.type === 'unwatch') {
    const set = watchers.get(msg.siteId);
    set?.delete(port);
    if (set && set.size === 0) {
      watchers.delete(msg.siteId);
      m.unwatch(msg.siteId);
    }
  } else if (msg?.type === 'wake') {
    m.wake(msg.siteId);
  }
}
