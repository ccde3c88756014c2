import { LitElement, type PropertyDeclarations, type PropertyValues } from 'lit';
import type { Clock } from '../../src/core/time.ts';
import { viewOf, type GraceView } from '../../src/core/view.ts';
import { systemClock } from '../../src/world/clock.ts';
import type { GraceState } from '../../src/core/schemas.ts';
import { loadPageHost, missingFile, SITE_OF, watchSite, type SiteHandle } from '../../src/world/client.ts';
import type { CustomProbeFn, SiteConfig, UsageProvider } from '../../src/world/probes/index.ts';
import { configFromAttributes } from './attributes.ts';
import { fire } from './events.ts';

/** The event through which an extension (or any host) feeds a site's state to elements with `external`. */
export const EXTERNAL_EVENT = 'zerto-billing-external-state';

/**
 * What every element bound to one site shares: the attributes naming the site and how it is checked, the
 * properties attributes cannot carry, the live handle on its state, and a clock-driven refresh.
 */
export abstract class SiteBoundElement extends LitElement {
  /** Lit's reactive properties, declared without decorators (which cost the page-load code a helper). */
  static override properties: PropertyDeclarations = {
    siteId: { attribute: 'site-id', reflect: true },
    siteName: { attribute: 'site-name' },
    mode: {},
    billingUrl: { attribute: 'billing-url' },
    zvmUrl: { attribute: 'zvm-url' },
    serviceUrl: { attribute: 'service-url' },
    protectedVms: { attribute: 'protected-vms' },
    interval: {},
    alertAfter: { attribute: 'alert-after' },
    graceDays: { attribute: 'grace-days' },
    timeout: {},
    usageAlertIds: { attribute: 'usage-alert-ids' },
    disconnectionAlertIds: { attribute: 'disconnection-alert-ids' },
    external: { type: Boolean },
    theme: { reflect: true },
    token: { attribute: false },
    getToken: { attribute: false },
    session: { attribute: false },
    probe: { attribute: false },
    usageProvider: { attribute: false },
    clock: { attribute: false },
  };

  static {
    // Internal reactive state, declared here rather than in `properties`, which documents attributes.
    for (const name of ['configError', 'discoveryError', 'handleVersion'])
      this.createProperty(name, { state: true });
  }

  /** The ZVM site identifier. */
  siteId: string | null = null;
  /** The site's display name. */
  siteName: string | null = null;
  /** How transmissions are checked: `zvm`, `direct`, `reachability`, `custom`, or `service` (read from the fleet service). */
  mode: string | null = null;
  /** The billing endpoint (direct mode) or host to reach (test connection). Default https://autologs.zerto.com. */
  billingUrl: string | null = null;
  /** The ZVM REST API base URL (zvm mode). */
  zvmUrl: string | null = null;
  /**
   * The fleet service's base URL (`mode="service"`): the state is read from the service, which watches the
   * ZVM for every console; `token` (or `getToken`) is then the service's API key.
   */
  serviceUrl: string | null = null;
  /** Protected VM count to report in direct mode when no ZVM gives one. */
  protectedVms: string | null = null;
  /** Time between attempts: 90s, 15m, 1h (default), 2d. */
  interval: string | null = null;
  /** Time without a successful transmission before the alert: default 24h. */
  alertAfter: string | null = null;
  /** Days from the first alert until VRA communication stops: default 15. */
  graceDays: string | null = null;
  /** Per-request timeout: default 10s. */
  timeout: string | null = null;
  /**
   * zvm mode: the help identifiers of the ZVM's usage alert (spaces or commas between them). Zerto does not
   * publish them; default `LIC0012 LIC0021` (its Warning-level billing alerts).
   */
  usageAlertIds: string | null = null;
  /** zvm mode: the help identifiers of the ZVM's disconnection alert; default `LIC0013 LIC0022` (Error level). */
  disconnectionAlertIds: string | null = null;

  /**
   * The state is fed from outside (the browser extension) through `zerto-billing-external-state` events on
   * the document, whose `detail` is the JSON text `{"state": …}`; the element then neither stores nor polls.
   */
  external = false;
  /** `light` (default), `dark`, or `auto` to follow the operating system. */
  theme: 'light' | 'dark' | 'auto' = 'light';
  /** Bearer token for the ZVM API or the billing endpoint. Never an attribute, never stored. */
  token: string | undefined;
  /**
   * Where the token comes from when it expires (Zerto 10's do): called before the first check, every four
   * minutes, before a test and after a refusal for credentials. Its result is never stored.
   */
  getToken: (() => string | Promise<string>) | undefined;
  /** `x-zerto-session` for older ZVMs. */
  session: string | undefined;
  /** The host's own probe (custom mode). */
  probe: CustomProbeFn | undefined;
  /** Supplies usage counts in direct mode. */
  usageProvider: UsageProvider | undefined;
  /** An injected clock (epoch ms); defaults to the system clock. */
  clock: Clock | undefined;

  /** Why the configuration cannot work, when it cannot. */
  protected configError: string | null = null;
  /** Why the site could not be identified from its ZVM (no `site-id` given), while it cannot. */
  protected discoveryError: string | null = null;
  protected handleVersion = 0;
  protected handle: SiteHandle | null = null;
  protected config: SiteConfig | null = null;
  private configKey = '';
  private timer: ReturnType<typeof setTimeout> | undefined;
  private discoverTimer: ReturnType<typeof setTimeout> | undefined;
  private reported = '';
  /** The settings whose site is being read from the ZVM. */
  private discovering = '';

  protected now(): number {
    return (this.clock ?? systemClock)();
  }

  /**
   * What whoever set the page up must fix, shown as a compact notice that is not a billing state: settings
   * that cannot work, a site that cannot be identified, a file of the library not deployed, a token source
   * that fails, a poller that could not start.
   */
  get setupProblem(): string | null {
    const h = this.handle;
    return (
      this.configError ??
      this.discoveryError ??
      h?.configProblem ??
      (h?.status === 'failed' ? h.problem : null)
    );
  }

  /** The site's state as the operator reads it now; null while loading or misconfigured. */
  get view(): GraceView | null {
    const s = this.handle?.state;
    return s ? viewOf(s, this.now()) : null;
  }

  /** Re-reads the clock and re-renders (call after moving an injected clock). */
  refresh(): void {
    this.handle?.wake();
    this.requestUpdate();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener(EXTERNAL_EVENT, this.onExternal);
    this.configKey = '';
    this.requestUpdate();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener(EXTERNAL_EVENT, this.onExternal);
    this.shown?.();
    this.handle?.close();
    this.handle = null;
    clearTimeout(this.timer);
    clearTimeout(this.discoverTimer);
  }

  /**
   * The first update waits (100 ms at most) for the stored state, so that the element renders once, with its
   * state, instead of an empty shell and a frame before it.
   */
  protected override async scheduleUpdate(): Promise<void> {
    if (!this.hasUpdated) {
      this.syncHandle();
      const first = this.handle?.firstRead;
      const limit = new Promise((r) => setTimeout(r, 100));
      if (first) await Promise.race([first, limit]);
      const more = this.beforeFirstUpdate();
      if (more) await Promise.race([more, limit]);
    }
    try {
      super.scheduleUpdate();
    } finally {
      this.shown?.();
    }
  }
  private shown?: (v?: unknown) => void;

  protected override willUpdate(changed: PropertyValues): void {
    super.willUpdate(changed);
    this.syncHandle();
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    this.scheduleRefresh();
  }

  /** What else the first render waits for, once the stored state is read (within the same 100 ms). */
  protected beforeFirstUpdate(): Promise<unknown> | null {
    return null;
  }

  /** How long until the text shown could change; subclasses shorten it. */
  protected refreshAfter(): number {
    return 60_000;
  }

  private onExternal = (e: Event): void => {
    const h = this.handle;
    if (this.external && h)
      void loadPageHost().then((host) => host.acceptExternal(h, (e as CustomEvent).detail));
  };

  private scheduleRefresh(): void {
    clearTimeout(this.timer);
    if (!this.isConnected || !this.handle) return;
    this.timer = setTimeout(() => this.requestUpdate(), Math.max(1000, this.refreshAfter()));
  }

  private syncHandle(): void {
    const parsed = configFromAttributes({
      siteId: this.siteId,
      siteName: this.siteName,
      mode: this.mode,
      billingUrl: this.billingUrl,
      zvmUrl: this.zvmUrl,
      serviceUrl: this.serviceUrl,
      protectedVms: this.protectedVms,
      interval: this.interval,
      alertAfter: this.alertAfter,
      graceDays: this.graceDays,
      timeout: this.timeout,
      usageAlertIds: this.usageAlertIds,
      disconnectionAlertIds: this.disconnectionAlertIds,
    });
    const key =
      JSON.stringify([parsed, this.token, this.session]) +
      String(!!this.probe) +
      String(!!this.clock) +
      String(!!this.getToken);
    if (key === this.configKey && (this.handle || this.configError || this.discovering === key)) return;
    this.configKey = key;
    // The handle replaced stops waiting for a paint of ours (then sees it is closed).
    this.shown?.();
    this.handle?.close();
    this.handle = null;
    clearTimeout(this.discoverTimer);
    this.discoveryError = null;
    this.discovering = '';
    if (!parsed.ok) {
      this.config = null;
      this.configError = parsed.error;
      this.report(parsed.error);
      return;
    }
    this.configError = null;
    let config = parsed.value;
    const service =
      this.mode === 'service' || (this.mode === null && this.serviceUrl) ? this.serviceUrl : null;
    if (this.siteId === null && config.mode === 'zvm' && config.zvmUrl && !service) {
      // No site-id: the ZVM names its site (GET /v1/localsite), once; the answer is remembered per ZVM.
      const known = rememberedSite(config.zvmUrl);
      if (!known) {
        this.config = null;
        if (this.isConnected) {
          this.discovering = key;
          void this.discover(config, key);
        }
        return;
      }
      config = { ...config, siteId: known };
    }
    this.config = config;
    if (!this.isConnected) return;
    const handle = watchSite({
      config,
      ...(this.getToken ? { getToken: () => this.getToken!() } : {}),
      ...(service ? { service: { url: service } } : {}),
      secrets: {
        ...(this.token ? { token: this.token } : {}),
        ...(this.session ? { session: this.session } : {}),
      },
      extras: {
        ...(this.probe ? { custom: this.probe } : {}),
        ...(this.usageProvider ? { usageProvider: this.usageProvider } : {}),
      },
      ...(this.clock ? { clock: this.clock } : {}),
      ...(this.external ? { passive: true } : {}),
      shown: new Promise((r) => (this.shown = r)),
    });
    this.handle = handle;
    handle.subscribe(() => {
      if (this.handle !== handle) return;
      this.handleVersion++;
      this.report(this.setupProblem ?? seenProblem(handle.state));
    });
  }

  /** Tells whoever can fix it, once per distinct problem: a `zerto-billing-config-error` event and the console. */
  private report(message: string | null): void {
    if (!message || message === this.reported) return;
    this.reported = message;
    fire(this, 'zerto-billing-config-error', { message });
    console.error(`<${this.localName}>: ${message}`);
  }

  private async discover(config: SiteConfig, key: string): Promise<void> {
    // A console sets the credentials just after the element is created: a task later, they are there.
    await new Promise((r) => setTimeout(r));
    const current = () => this.configKey === key && this.isConnected;
    if (!current()) return;
    const found = await loadPageHost()
      .then((host) => host.discoverSite(config, this, this.clock ?? systemClock))
      .catch(
        (err: unknown) =>
          ({ ok: false, message: missingFile('reading the site from the ZVM', err) }) as const,
      );
    if (!current()) return;
    if (found.ok) {
      // Remembered in the origin by page-host.ts; in this page only where the origin's storage is refused.
      if (!rememberedSite(config.zvmUrl!)) known.set(config.zvmUrl!, found.id);
      this.configKey = this.discovering = '';
      this.requestUpdate();
      return;
    }
    this.report((this.discoveryError = found.message));
    // Asked again in a minute: a ZVM starting up, credentials being fixed.
    this.discoverTimer = setTimeout(() => current() && void this.discover(config, key), 60_000);
  }
}

/** The sites ZVMs said they serve, found by this page (page-host.ts remembers them in the origin too). */
const known = new Map<string, string>();

/** The site a ZVM said it serves, remembered in this origin. */
function rememberedSite(zvmUrl: string): string | null {
  try {
    return localStorage.getItem(SITE_OF + zvmUrl) ?? known.get(zvmUrl) ?? null;
  } catch {
    return known.get(zvmUrl) ?? null;
  }
}

/**
 * A check's failure that only the page's setup can fix (CORS, credentials, settings), or any failure to see
 * the ZVM at all, as one line naming the host and, where it is, CORS.
 */
function seenProblem(s: GraceState | null): string | null {
  const r = s?.blind?.reason ?? s?.lastFailure;
  // Reachability mode cannot observe usage by design: its limit is not a setup problem.
  if (!r || r.kind === 'unobservable') return null;
  if (!(s?.blind || r.kind === 'cors' || r.kind === 'auth' || r.kind === 'misconfigured')) return null;
  return `${r.kind === 'cors' ? 'CORS: ' : ''}${r.detail ?? r.kind}`;
}
