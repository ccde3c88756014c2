// The page's side of a watched site, as light as page-load code can be: what the first paint needs. It holds
// the site's state, read straight from storage, and hears every change. Reaching the poller (the origin's
// shared worker, or `page-host.ts` in the page where that cannot run), the token's renewal and the checks of
// a deployment load after the first paint (`connect.ts`); storage, zod validation, probes and polling live in
// the worker. Nothing here imports zod or idb, or makes a request.
import type { GraceState } from '../core/schemas.ts';
import type { Clock } from '../core/time.ts';
import { afterPaint } from './after-paint.ts';
import { systemClock } from './clock.ts';
import type * as Connect from './connect.ts';
import type * as PageHost from './page-host.ts';
import type { ToWorker } from './poller/protocol.ts';
import type { ProbeExtras, SiteConfig, SiteSecrets } from './probes/index.ts';
import { peekState } from './storage/peek.ts';

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
  /** The fleet service that watches this site (`mode="service"`): its state is read there, not polled here. */
  service?: { url: string };
  /** Settles once the element showed the stored state: the poller is reached after that paint, not during it. */
  shown?: Promise<unknown>;
}

/** How often a token from `getToken` is renewed while the site is watched (Zerto 10's tokens last 5 minutes). */
export const TOKEN_REFRESH_MS = 4 * 60_000;

export type HandleStatus = 'loading' | 'ready' | 'damaged' | 'failed';

/**
 * The file that made an `import()` fail (see missing.ts, loaded only then), or the failure as it was. Each
 * part loaded on demand is imported through it, so that a part of the library not deployed is named.
 */
export const locate = (err: unknown): Promise<unknown> =>
  import('./missing.ts').then(
    (m) => m.locate(err),
    () => err,
  );

/** The part that runs in the page when the worker cannot, and the on-demand actions: loaded once, lazily. */
export const loadPageHost = (): Promise<typeof PageHost> =>
  (pageHost ??= import('./page-host.ts').catch(async (err: unknown) => {
    throw await locate(err);
  }));
let pageHost: Promise<typeof PageHost> | undefined;
/** What reaches the poller, after the first paint (a failure is located where it is told, in `load`). */
const loadConnect = (): Promise<typeof Connect> => (connect ??= import('./connect.ts'));
let connect: Promise<typeof Connect> | undefined;

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
  /** Set by connect.ts: how this handle reaches its poller, and how it stops being served. @internal */
  release: (() => void) | null = null;
  /** @internal */ port: MessagePort | null = null;
  /** @internal */ secrets: SiteSecrets;
  /** @internal */ tokenTimer: ReturnType<typeof setInterval> | undefined;
  /** @internal */ lastRetryAsk = -Infinity;

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
    if (this.options.getToken && !this.closed) await (await loadConnect()).renewToken(this, retry);
  }

  /** @internal */
  emitNow(): void {
    this.emit();
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
    // A site the fleet service watches has no record here: its first paint comes from the service.
    const peeked = this.options.service ? null : await peekState(this.options.config.siteId);
    if (this.closed) return;
    if (peeked) this.settle(peeked, 'ready', null);
    this.firstReadDone();
    await this.options.shown;
    await afterPaint();
    if (this.closed) return;
    try {
      await (await loadConnect()).connect(this);
    } catch (err) {
      this.fail(missingFile('the connection to the poller', await locate(err)));
    }
  }
}

/** Where the origin remembers the site a ZVM serves (localStorage key prefix, then the ZVM's URL). */
export const SITE_OF = 'zerto-billing:site-of:';

/** A watched site's last check was refused for its credentials (HTTP 401 or 403). */
const refusedCredentials = (s: GraceState | null): boolean =>
  s?.blind?.reason.kind === 'auth' || s?.lastFailure?.kind === 'auth';

/**
 * What the operator reads for a problem that is a file of the library not deployed: which file, and what its
 * absence costs (the developer's detail is the problem itself).
 */
export const MISSING_FILES = new Map<string, string>();

/**
 * Why a part loaded on demand did not load, in words a developer can act on: a file that is not there (the
 * error from `locate`, naming its address) means the library was deployed in part (README: copy the whole
 * dist/lib folder).
 */
export function missingFile(what: string, err: unknown, cost = 'Billing usage cannot be checked.'): string {
  const e = err as { notice?: string; message?: string } | null;
  // Where no file could be named (a browser whose error names no URL), the browser's words say what failed.
  const problem = `${what} could not ${e?.notice ? 'be loaded' : 'start'}: ${e?.message ?? String(err)}`;
  if (e?.notice) MISSING_FILES.set(problem, `${e.notice} ${cost}`);
  return problem;
}

export function watchSite(options: WatchOptions): SiteHandle {
  return new SiteHandle(options);
}
