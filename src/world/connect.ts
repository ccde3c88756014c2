// What a watched site needs once the first paint is done, loaded then by client.ts: the link to the origin's
// shared poller worker (or the in-page poller where the worker cannot run), the renewal of a token from
// `getToken`, and the check that tells a missing file of the library from a worker a CSP forbids.
import { GRACE_STATE_VERSION } from '../core/kinds.ts';
import { loadPageHost, missingFile, TOKEN_REFRESH_MS, type SiteHandle, type WatchOptions } from './client.ts';
import type { FromWorker, ToWorker } from './poller/protocol.ts';
import { workerUrl } from './poller/worker-url.ts';
import { storageConfig, WORKER_PREFIX } from './storage/config.ts';
import { requestPersistence } from './storage/persist.ts';

/** Starts polling the handle's site: through the shared worker where it runs, else in this page. */
export async function connect(h: SiteHandle): Promise<void> {
  void requestPersistence();
  if (h.options.getToken) {
    await renewToken(h);
    h.tokenTimer = setInterval(() => void renewToken(h), TOKEN_REFRESH_MS);
  }
  if (h.isClosed) return;
  if (h.options.service) {
    const { followService } = await import('./service-feed.ts');
    if (!h.isClosed) h.release = followService(h);
    return;
  }
  const link = needsPage(h.options) ? null : await connectWorker();
  if (h.isClosed) return;
  if (link) {
    h.port = link.port;
    h.release = link.serve(h);
    return;
  }
  try {
    const host = await loadPageHost();
    if (h.isClosed) return;
    // A worker file not deployed is told once the page is known to poll in its place; where the page cannot
    // either (the file both need), the failure below is the one problem told.
    if (workerMissing) {
      h.configProblem = workerMissing;
      h.emitNow();
    }
    const release = await host.watchInPage(h);
    if (h.isClosed) release();
    else h.release = release;
  } catch (err) {
    h.fail(missingFile('the in-page poller', err));
  }
}

export async function renewToken(h: SiteHandle, retry = false): Promise<void> {
  const source = h.options.getToken;
  if (!source || h.isClosed) return;
  if (retry) {
    // A refusal asks at most twice a minute: a source that keeps giving a refused token is no storm.
    const now = Date.now();
    if (now - h.lastRetryAsk < 30_000) return;
    h.lastRetryAsk = now;
  }
  let token: string;
  try {
    token = await source();
    if (typeof token !== 'string' || token === '') throw new TypeError('it gave no token (an empty value)');
  } catch (err) {
    h.configProblem = `getToken() failed: ${err instanceof Error ? err.message : String(err)}`;
    h.emitNow();
    return;
  }
  if (h.configProblem?.startsWith('getToken()')) {
    h.configProblem = null;
    h.emitNow();
  }
  if (token === h.secrets.token || h.isClosed) return;
  h.secrets = { ...h.secrets, token };
  const siteId = h.options.config.siteId;
  if (h.port) {
    h.port.postMessage({
      type: 'secrets',
      siteId,
      secrets: h.secrets,
      recheck: retry,
    } satisfies ToWorker);
  } else if (h.release) {
    void loadPageHost().then((host) => host.updateSecretsInPage(h, retry));
  }
}

/** Sites whose state only the page has: its own clock, or a function that cannot be sent to a worker. */
function needsPage(o: WatchOptions): boolean {
  return (
    o.preferWorker === false ||
    !!o.clock ||
    !!o.extras?.custom ||
    !!o.extras?.usageProvider ||
    o.config.mode === 'custom'
  );
}

/** This page's connection to the origin's shared worker, and the handles it serves, by site. */
class WorkerLink {
  private readonly served = new Map<string, Set<SiteHandle>>();

  constructor(readonly port: MessagePort) {}

  serve(handle: SiteHandle): () => void {
    const id = handle.options.config.siteId;
    const set = this.served.get(id) ?? new Set();
    this.served.set(id, set);
    set.add(handle);
    // Sent for every handle: the worker answers each watch with the stored state, so a late one gets it too.
    this.port.postMessage({
      type: 'watch',
      config: handle.options.config,
      secrets: handle.watched().secrets,
    } satisfies ToWorker);
    return () => {
      set.delete(handle);
      if (set.size > 0) return;
      this.served.delete(id);
      this.port.postMessage({ type: 'unwatch', siteId: id } satisfies ToWorker);
    };
  }

  /**
   * The worker is this origin's own script and validates every state with the engine's zod schema before it
   * sends one; the page checks the envelope, so that a message of another shape is dropped, not rendered.
   */
  receive(data: unknown): void {
    const msg = data as FromWorker | null;
    if (msg?.type === 'hello') return;
    if (!msg || typeof msg !== 'object' || typeof msg.siteId !== 'string') {
      console.error('zerto-billing: ignored a poller message of an unknown shape');
      return;
    }
    const handles = this.served.get(msg.siteId) ?? new Set<SiteHandle>();
    if (msg.type === 'error') {
      console.error(`zerto-billing: the poller refused site ${msg.siteId}: ${msg.message}`);
      for (const h of handles) h.fail(msg.message);
      return;
    }
    if (msg.type !== 'state') return;
    const state = msg.state;
    if (
      state !== null &&
      (typeof state !== 'object' || state.v !== GRACE_STATE_VERSION || state.site?.id !== msg.siteId)
    ) {
      console.error('zerto-billing: ignored a poller state of an unknown shape');
      return;
    }
    for (const h of handles) {
      if (msg.initial) h.settle(state, msg.status, msg.problem);
      else if (state) h.receive(state);
    }
  }
}

const links = new Map<string, Promise<WorkerLink | null>>();
/** Set when the worker's file is not where the library expects it (the library deployed in part). */
let workerMissing: string | null = null;

/**
 * The worker's file, or a file it imports, answered 404 (or any error status): a deployment problem, named
 * with its address. The page polls by itself meanwhile, which the element says too.
 */
async function workerFileMissing(url: string): Promise<string | null> {
  const found = await import('./missing.ts').then((m) => m.firstMissing(url)).catch(() => null);
  // Not even asked (a CSP's connect-src), or every file there: not evidence of a missing file.
  if (!found) return null;
  const detail =
    `${found.message}: copy the whole dist/lib folder, chunks/ included, beside the script the page loads; ` +
    `this page checks billing usage by itself meanwhile`;
  return missingFile(
    "the poller's file",
    { notice: found.notice, message: detail },
    'Billing usage is checked by this page meanwhile.',
  );
}

/**
 * Connects to the shared worker of this origin and database, or resolves null where the browser or the
 * page's CSP does not allow it.
 */
function connectWorker(): Promise<WorkerLink | null> {
  const dbName = storageConfig.dbName;
  let link = links.get(dbName);
  if (link) return link;
  link = new Promise<WorkerLink | null>((resolve) => {
    if (typeof SharedWorker === 'undefined') return resolve(null);
    let w: SharedWorker;
    try {
      w = new SharedWorker(trustedWorkerUrl(workerUrl()) as string, {
        type: 'module',
        name: WORKER_PREFIX + dbName,
      });
    } catch {
      return resolve(null); // blocked synchronously (CSP, sandboxed frame): the page polls instead
    }
    const timer = setTimeout(() => resolve(null), 3000);
    w.onerror = () => {
      clearTimeout(timer);
      // A CSP refusal and a missing file look alike here; asking for the file tells them apart.
      // Told by each element it concerns (once, as any setup problem), not here as well.
      void workerFileMissing(workerUrl()).then((missing) => {
        workerMissing = missing;
        resolve(null);
      });
    };
    const linked = new WorkerLink(w.port);
    w.port.onmessage = (e: MessageEvent) => {
      if ((e.data as FromWorker | null)?.type === 'hello') {
        clearTimeout(timer);
        resolve(linked);
      }
      linked.receive(e.data);
    };
    w.port.start();
  });
  links.set(dbName, link);
  return link;
}

interface TrustedTypesLike {
  createPolicy(
    name: string,
    rules: { createScriptURL(url: string): string },
  ): { createScriptURL(url: string): unknown };
}

/**
 * Under `require-trusted-types-for 'script'` a worker URL must be a TrustedScriptURL. The policy vouches for
 * this one URL only; a page that does not allow the policy's name makes this throw, and the page polls itself.
 */
function trustedWorkerUrl(url: string): unknown {
  const tt = (globalThis as { trustedTypes?: TrustedTypesLike }).trustedTypes;
  if (!tt) return url;
  trustedPolicy ??= tt.createPolicy('zerto-billing-worker', {
    createScriptURL: (u) => {
      if (u !== url) throw new TypeError(`zerto-billing: refusing to vouch for ${u}`);
      return u;
    },
  });
  return trustedPolicy.createScriptURL(url);
}
let trustedPolicy: { createScriptURL(url: string): unknown } | undefined;
