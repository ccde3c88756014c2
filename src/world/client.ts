import { parseGraceState, type Clock, type GraceState } from '../core/index.ts';
import { systemClock } from './clock.ts';
import { onState } from './poller/channel.ts';
import { Monitor, transmitOnce } from './poller/monitor.ts';
import type { FromWorker, ToWorker } from './poller/protocol.ts';
import { workerUrl } from './poller/worker-url.ts';
import {
  probeFor,
  type ProbeExtras,
  type ProbeResult,
  type SiteConfig,
  type SiteSecrets,
  type TestStep,
} from './probes/index.ts';
import { openBillingDb, requestPersistence, type Db } from './storage/db.ts';
import { readState } from './storage/repo.ts';

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
}

export type HandleStatus = 'loading' | 'ready' | 'damaged' | 'failed';

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
  readonly ready: Promise<void>;
  private readonly listeners = new Set<(h: SiteHandle) => void>();
  private readonly offState: () => void;
  private closed = false;
  private release: (() => void) | null = null;

  constructor(readonly options: WatchOptions) {
    this.offState = onState((s) => {
      if (s.site.id !== this.options.config.siteId || this.closed) return;
      if (this.state && s.latestSeen < this.state.latestSeen && s.phase === this.state.phase) return;
      this.state = s;
      if (this.status !== 'damaged') this.status = 'ready';
      this.emit();
    });
    this.ready = this.load();
  }

  get clock(): Clock {
    return this.options.clock ?? systemClock;
  }

  subscribe(listener: (h: SiteHandle) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** "Test usage transmission": runs in this tab, applies the outcome, and every tab hears it. */
  async test(onStep?: (s: TestStep) => void, signal?: AbortSignal): Promise<ProbeResult> {
    const db = await openBillingDb();
    const { result, state } = await transmitOnce({ db, clock: this.clock }, this.watched(), {
      ...(onStep ? { onStep } : {}),
      ...(signal ? { signal } : {}),
    });
    this.state = state;
    this.emit();
    return result;
  }

  /** "Test connection": can the billing host be reached at all? Changes no state. */
  async checkReachability(onStep?: (s: TestStep) => void): Promise<ProbeResult> {
    const db = await openBillingDb();
    return probeFor('reachability', db).transmit({
      config: { ...this.options.config, mode: 'reachability', retries: 0 },
      secrets: {},
      now: this.clock,
      ...(onStep ? { onStep } : {}),
    });
  }

  /** Takes a state pushed from elsewhere (validated); ignored unless it is this site's. */
  accept(input: unknown): boolean {
    const parsed = parseGraceState(input);
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

  /** Asks the poller to re-check now (after the clock was moved, for instance). */
  wake(): void {
    void hosts.wake(this.options);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.offState();
    this.listeners.clear();
    this.release?.();
  }

  private watched() {
    return {
      config: this.options.config,
      secrets: this.options.secrets ?? {},
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
    try {
      const db = await openBillingDb();
      const c = this.options.config;
      const read = await readState(db, { id: c.siteId, name: c.siteName }, c.policy, this.clock());
      if (this.closed) return;
      // A newer state may already have arrived on the channel while reading.
      if (read.status !== 'absent' && (!this.state || read.state.latestSeen >= this.state.latestSeen))
        this.state = read.state;
      this.status = read.status === 'damaged' ? 'damaged' : 'ready';
      this.problem = read.status === 'damaged' ? read.error : null;
      this.emit();
      if (!this.closed) this.release = await hosts.watch(this.options, db);
    } catch (err) {
      this.status = 'failed';
      this.problem = `storage unavailable: ${err instanceof Error ? err.message : String(err)}`;
      this.emit();
    }
  }
}

export function watchSite(options: WatchOptions): SiteHandle {
  void requestPersistence();
  return new SiteHandle(options);
}

/** Reads a state pushed from elsewhere (the extension's service worker, a test). */
export function acceptState(input: unknown): GraceState | null {
  const p = parseGraceState(input);
  return p.ok ? p.value : null;
}

/** Where this page's sites are polled: the origin's shared worker, or a monitor in this page. */
class Hosts {
  private worker: Promise<MessagePort | null> | null = null;
  private readonly monitors = new Map<Clock, Monitor>();
  private readonly refs = new Map<string, number>();

  async watch(o: WatchOptions, db: Db): Promise<() => void> {
    const id = o.config.siteId;
    this.refs.set(id, (this.refs.get(id) ?? 0) + 1);
    const port = this.needsPage(o) ? null : await this.connectWorker();
    const site = { config: o.config, secrets: o.secrets ?? {}, ...(o.extras ? { extras: o.extras } : {}) };
    if (port)
      port.postMessage({ type: 'watch', config: o.config, secrets: o.secrets ?? {} } satisfies ToWorker);
    else this.monitorFor(o.clock ?? systemClock, db).watch(site);
    return () => {
      const n = (this.refs.get(id) ?? 1) - 1;
      this.refs.set(id, n);
      if (n > 0) return;
      this.refs.delete(id);
      if (port) port.postMessage({ type: 'unwatch', siteId: id } satisfies ToWorker);
      else this.monitors.get(o.clock ?? systemClock)?.unwatch(id);
    };
  }

  async wake(o: WatchOptions): Promise<void> {
    const port = this.needsPage(o) ? null : await this.worker;
    if (port) port.postMessage({ type: 'wake', siteId: o.config.siteId } satisfies ToWorker);
    else this.monitors.get(o.clock ?? systemClock)?.wake(o.config.siteId);
  }

  /** The page's in-page monitors (tests read which sites this page leads). */
  get pageMonitors(): Monitor[] {
    return [...this.monitors.values()];
  }

  private needsPage(o: WatchOptions): boolean {
    return (
      o.preferWorker === false ||
      !!o.clock ||
      !!o.extras?.custom ||
      !!o.extras?.usageProvider ||
      o.config.mode === 'custom'
    );
  }

  private monitorFor(clock: Clock, db: Db): Monitor {
    let m = this.monitors.get(clock);
    if (!m) {
      m = new Monitor({ db, clock });
      this.monitors.set(clock, m);
    }
    return m;
  }

  /** Connects to the shared worker, or resolves null where the browser or the page's CSP does not allow it. */
  private connectWorker(): Promise<MessagePort | null> {
    this.worker ??= new Promise<MessagePort | null>((resolve) => {
      if (typeof SharedWorker === 'undefined') return resolve(null);
      let worker: SharedWorker;
      try {
        worker = new SharedWorker(trustedWorkerUrl(workerUrl()) as string, {
          type: 'module',
          name: 'zerto-billing-poller',
        });
      } catch {
        return resolve(null); // blocked synchronously (CSP, sandboxed frame): the page polls instead
      }
      const timer = setTimeout(() => resolve(null), 3000);
      worker.onerror = () => {
        clearTimeout(timer);
        resolve(null);
      };
      worker.port.onmessage = (e: MessageEvent) => {
        const msg = e.data as FromWorker;
        if (msg?.type === 'hello') {
          clearTimeout(timer);
          resolve(worker.port);
        } else if (msg?.type === 'error')
          console.error(`zerto-billing: poller refused a site: ${msg.message}`);
      };
      worker.port.start();
    });
    return this.worker;
  }
}

export const hosts = new Hosts();

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
