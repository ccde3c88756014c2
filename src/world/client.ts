// The page's side of a watched site, as light as page-load code can be. It holds the site's state, hears
// every change, and leaves the heavy work (storage, zod validation, probes, polling) to the origin's shared
// worker, or, where that cannot run (a CSP without `worker-src`, an injected clock, a custom probe), to
// `page-host.ts`, which is loaded on demand. Nothing here imports zod or idb, or makes a request.
import type { GraceState } from '../core/schemas.ts';
import { GRACE_STATE_VERSION } from '../core/kinds.ts';
import type { Clock } from '../core/time.ts';
import { systemClock } from './clock.ts';
import type * as PageHost from './page-host.ts';
import type { FromWorker, ToWorker } from './poller/protocol.ts';
import { workerUrl } from './poller/worker-url.ts';
import type { ProbeExtras, ProbeResult, SiteConfig, SiteSecrets, TestStep } from './probes/index.ts';
import { storageConfig, WORKER_PREFIX } from './storage/config.ts';
import { peekState } from './storage/peek.ts';
import { requestPersistence } from './storage/persist.ts';

export interface WatchOptions {
  config: SiteConfig;
  secrets?: SiteSecrets;
  extras?: ProbeExtras;
  /** An injected clock (tests, the demo): such a site is polled in the page, where the clock lives. */
  clock?: Clock;
  /** Try the origin's shared worker first (default true). */
  preferWorker?: boolean;
  /** The state comes from elsewhere (the extension's service worker) through `accept`: no storage, no polling. */
  passive?: boolean;
  /**
   * The host's token source (Zerto 10 tokens expire): asked before watching, every `TOKEN_REFRESH_MS` while
   * watched, before a test, and at once when a check was refused for its credentials.
   */
  getToken?: () => string | Promise<string>;
}

/** How often a token from `getToken` is renewed while the site is watched (Zerto 10's tokens last 5 minutes). */
export const TOKEN_REFRESH_MS = 4 * 60_000;

export type HandleStatus = 'loading' | 'ready' | 'damaged' | 'failed';

/** The part that runs in the page when the worker cannot, and the on-demand actions: loaded once, lazily. */
export const loadPageHost = (): Promise<typeof PageHost> => (pageHost ??= import('./page-host.ts'));
let pageHost: Promise<typeof PageHost> | undefined;

/**
 * The page's view of one site: the stored state read at once, every later change heard live (from this tab,
 * other tabs, or the shared worker), and the on-demand actions. The polling itself happens wherever this
 * origin's poller runs.
 */
export class SiteHandle {
  state: GraceState | null = null;
  status: HandleStatus = 'loading';
  /** Why the stored state could not be used as it was (damaged, or storage unavailable). */
  problem: string | null = null;
  /** What the page's developer must fix (a token source that fails, a file of the library not deployed). */
  configProblem: string | null = null;
  readonly ready: Promise<void>;
  /** Settles once the stored state was read for the first paint (or there is none to read). */
  readonly firstRead: Promise<void>;
  private firstReadDone!: () => void;
  private readonly listeners = new Set<(h: SiteHandle) => void>();
  private closed = false;
  private release: (() => void) | null = null;
  private port: MessagePort | null = null;
  private secrets: SiteSecrets;
  private tokenTimer: ReturnType<typeof setInterval> | undefined;
  private lastRetryAsk = -Infinity;

  constructor(readonly options: WatchOptions) {
    this.secrets = { ...options.secrets };
    this.firstRead = new Promise((resolve) => (this.firstReadDone = resolve));
    this.ready = this.load().finally(() => this.firstReadDone());
  }

  get clock(): Clock {
    return this.options.clock ?? systemClock;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  subscribe(listener: (h: SiteHandle) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** "Test usage transmission": runs in this tab, applies the outcome, and every tab hears it. */
  async test(onStep?: (s: TestStep) => void, signal?: AbortSignal): Promise<ProbeResult> {
    await this.renewToken();
    const host = await loadPageHost();
    const { result, state } = await host.testTransmission(this.clock, this.watched(), onStep, signal);
    this.state = state;
    this.emit();
    return result;
  }

  /** "Test connection": can the billing host be reached at all? Changes no state. */
  async checkReachability(onStep?: (s: TestStep) => void): Promise<ProbeResult> {
    const host = await loadPageHost();
    return host.checkReachability(this.options.config, this.clock, onStep);
  }

  /** Takes a state pushed from elsewhere, validated by the engine's schema; ignored unless it is this site's. */
  async accept(input: unknown): Promise<boolean> {
    const host = await loadPageHost();
    const parsed = host.parseExternalState(input);
    if (!parsed.ok) {
      console.error(`zerto-billing: ignored an external state: ${parsed.error}`);
      return false;
    }
    if (parsed.value.site.id !== this.options.config.siteId || this.closed) return false;
    this.state = parsed.value;
    this.status = 'ready';
    this.emit();
    return true;
  }

  /** A later state heard from the poller; an older one of the same phase (a slow message) is ignored. */
  receive(s: GraceState): void {
    if (this.closed || s.site.id !== this.options.config.siteId) return;
    // After a clock turned back every time of the site is earlier: a newer state then has more jumps.
    const cur = this.state;
    const older =
      s.latestSeen < (cur?.latestSeen ?? -Infinity) && s.clockJumps.count === cur?.clockJumps.count;
    if (cur && older && s.phase === cur.phase) return;
    if (refusedCredentials(s) && !refusedCredentials(cur)) void this.renewToken(true);
    this.state = s;
    if (this.status !== 'damaged') this.status = 'ready';
    this.emit();
  }

  /** The stored state, read when watching began; a state heard meanwhile wins when it is newer. */
  settle(stored: GraceState | null, status: HandleStatus, problem: string | null): void {
    if (this.closed) return;
    const cur = this.state;
    if (
      stored &&
      (!cur || stored.latestSeen >= cur.latestSeen || stored.clockJumps.count > cur.clockJumps.count)
    )
      this.state = stored;
    this.status = status;
    this.problem = problem;
    this.emit();
  }

  fail(problem: string): void {
    if (this.closed) return;
    this.status = 'failed';
    this.problem = problem;
    this.emit();
  }

  /** Asks the poller to re-check now (after the clock was moved, for instance). */
  wake(): void {
    if (this.port)
      this.port.postMessage({ type: 'wake', siteId: this.options.config.siteId } satisfies ToWorker);
    else if (this.release) void loadPageHost().then((h) => h.wakeInPage(this));
  }

  /**
   * Asks `getToken` for the current token and, when it changed, hands it to the poller (from its next check;
   * `retry` checks again at once, after a refusal for credentials). A throwing source is a visible problem.
   */
  async renewToken(retry = false): Promise<void> {
    const source = this.options.getToken;
    if (!source || this.closed) return;
    if (retry) {
      // A refusal asks at most twice a minute: a source that keeps giving a refused token is no storm.
      const now = Date.now();
      if (now - this.lastRetryAsk < 30_000) return;
      this.lastRetryAsk = now;
    }
    let token: string;
    try {
      token = await source();
      if (typeof token !== 'string' || token === '') throw new TypeError('it gave no token (an empty value)');
    } catch (err) {
      this.configProblem = `getToken() failed: ${err instanceof Error ? err.message : String(err)}`;
      this.emit();
      return;
    }
    if (this.configProblem?.startsWith('getToken()')) {
      this.configProblem = null;
      this.emit();
    }
    if (token === this.secrets.token || this.closed) return;
    this.secrets = { ...this.secrets, token };
    const siteId = this.options.config.siteId;
    if (this.port) {
      this.port.postMessage({
        type: 'secrets',
        siteId,
        secrets: this.secrets,
        recheck: retry,
      } satisfies ToWorker);
    } else if (this.release) {
      void loadPageHost().then((h) => h.updateSecretsInPage(this, retry));
    }
  }

  close(): void {
    if (this.closed) return;
    clearInterval(this.tokenTimer);
    this.closed = true;
    this.listeners.clear();
    this.release?.();
  }

  watched(): { config: SiteConfig; secrets: SiteSecrets; extras?: ProbeExtras } {
    return {
      config: this.options.config,
      secrets: this.secrets,
      ...(this.options.extras ? { extras: this.options.extras } : {}),
    };
  }

  private emit(): void {
    for (const l of this.listeners) {
      try {
        l(this);
      } catch (err) {
        console.error('zerto-billing: a state listener threw', err);
      }
    }
  }

  private async load(): Promise<void> {
    if (this.options.passive) return;
    // The first paint comes from storage directly (a few ms); the poller is reached after it, so that its
    // start does not compete with that paint, and its validated state follows.
    const peeked = await peekState(this.options.config.siteId);
    if (this.closed) return;
    if (peeked) this.settle(peeked, 'ready', null);
    this.firstReadDone();
    await afterPaint();
    if (this.closed) return;
    void requestPersistence();
    if (this.options.getToken) {
      await this.renewToken();
      this.tokenTimer = setInterval(() => void this.renewToken(), TOKEN_REFRESH_MS);
    }
    if (this.closed) return;
    const link = needsPage(this.options) ? null : await connectWorker();
    if (this.closed) return;
    if (!link && workerMissing) {
      this.configProblem = workerMissing;
      this.emit();
    }
    if (link) {
      this.port = link.port;
      this.release = link.serve(this);
      return;
    }
    try {
      const host = await loadPageHost();
      if (this.closed) return;
      const release = await host.watchInPage(this);
      if (this.closed) release();
      else this.release = release;
    } catch (err) {
      this.fail(missingFile('the in-page poller', err));
    }
  }
}

/** A watched site's last check was refused for its credentials (HTTP 401 or 403). */
const refusedCredentials = (s: GraceState | null): boolean =>
  s?.blind?.reason.kind === 'auth' || s?.lastFailure?.kind === 'auth';

/**
 * Why a part loaded on demand did not load, in words a developer can act on: a file that is not there means
 * the library was deployed in part (its `chunks/` folder must sit beside the file the script tag loads).
 */
export function missingFile(what: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return /dynamically imported module|Failed to fetch|Importing a module script failed|error loading/i.test(
    message,
  )
    ? `${what} could not be loaded (${message.replace(/^.*?: /, '')}): copy the whole dist/lib folder, chunks/ included, beside the script the page loads`
    : `${what} could not start: ${message}`;
}

/** Resolves once the main thread is idle after the next frame (at the latest after 200 ms). */
const afterPaint = (): Promise<void> =>
  new Promise((resolve) => {
    if (typeof requestIdleCallback === 'function') requestIdleCallback(() => resolve(), { timeout: 200 });
    else setTimeout(resolve, 16);
  });

export function watchSite(options: WatchOptions): SiteHandle {
  return new SiteHandle(options);
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

/** The worker's file answered 404 (or any error status): a deployment problem, named with its address. */
async function workerFileMissing(url: string): Promise<string | null> {
  try {
    const r = await fetch(url, { method: 'HEAD', cache: 'no-store' });
    if (r.ok) return null;
    return (
      `the poller's file ${url} answered HTTP ${r.status}: copy the whole dist/lib folder (its chunks/ and ` +
      `assets/ with it) beside the script the page loads; this page polls by itself meanwhile`
    );
  } catch {
    return null; // not even asked (a CSP's connect-src): not evidence of a missing file
  }
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
      void workerFileMissing(workerUrl()).then((missing) => {
        if (missing) {
          workerMissing = missing;
          console.error(`zerto-billing: ${missing}`);
        }
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
