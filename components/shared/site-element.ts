import { LitElement, type PropertyValues } from 'lit';
import { property, state } from 'lit/decorators.js';
import type { Clock } from '../../src/core/time.ts';
import { viewOf, type GraceView } from '../../src/core/view.ts';
import { systemClock } from '../../src/world/clock.ts';
import { watchSite, type SiteHandle } from '../../src/world/client.ts';
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
  /** The ZVM site identifier. */
  @property({ attribute: 'site-id', reflect: true }) siteId: string | null = null;
  /** The site's display name. */
  @property({ attribute: 'site-name' }) siteName: string | null = null;
  /** How transmissions are checked: `zvm`, `direct`, `reachability` or `custom`. */
  @property() mode: string | null = null;
  /** The billing endpoint (direct mode) or host to reach (test connection). Default https://autologs.zerto.com. */
  @property({ attribute: 'billing-url' }) billingUrl: string | null = null;
  /** The ZVM REST API base URL (zvm mode). */
  @property({ attribute: 'zvm-url' }) zvmUrl: string | null = null;
  /** Protected VM count to report in direct mode when no ZVM gives one. */
  @property({ attribute: 'protected-vms' }) protectedVms: string | null = null;
  /** Time between attempts: 90s, 15m, 1h (default), 2d. */
  @property() interval: string | null = null;
  /** Time without a successful transmission before the alert: default 24h. */
  @property({ attribute: 'alert-after' }) alertAfter: string | null = null;
  /** Days from the first alert until VRA communication stops: default 15. */
  @property({ attribute: 'grace-days' }) graceDays: string | null = null;
  /** Per-request timeout: default 10s. */
  @property() timeout: string | null = null;
  /**
   * The state is fed from outside (the browser extension) through `zerto-billing-external-state` events on
   * the document, whose `detail` is the JSON text `{"state": …}`; the element then neither stores nor polls.
   */
  @property({ type: Boolean }) external = false;
  /** `light` (default), `dark`, or `auto` to follow the operating system. */
  @property({ reflect: true }) theme: 'light' | 'dark' | 'auto' = 'light';
  /** Bearer token for the ZVM API or the billing endpoint. Never an attribute, never stored. */
  @property({ attribute: false }) token: string | undefined;
  /** `x-zerto-session` for older ZVMs. */
  @property({ attribute: false }) session: string | undefined;
  /** The host's own probe (custom mode). */
  @property({ attribute: false }) probe: CustomProbeFn | undefined;
  /** Supplies usage counts in direct mode. */
  @property({ attribute: false }) usageProvider: UsageProvider | undefined;
  /** An injected clock (epoch ms); defaults to the system clock. */
  @property({ attribute: false }) clock: Clock | undefined;

  /** Why the configuration cannot work, when it cannot. */
  @state() protected configError: string | null = null;
  @state() protected handleVersion = 0;
  protected handle: SiteHandle | null = null;
  protected config: SiteConfig | null = null;
  private configKey = '';
  private timer: ReturnType<typeof setTimeout> | undefined;

  protected now(): number {
    return (this.clock ?? systemClock)();
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
    this.handle?.close();
    this.handle = null;
    clearTimeout(this.timer);
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
    super.scheduleUpdate();
  }

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
    if (!this.external || !this.handle) return;
    const detail = (e as CustomEvent<unknown>).detail;
    let state: unknown;
    try {
      // A string crosses from an extension's isolated world; an object would arrive as null.
      state = (
        typeof detail === 'string'
          ? (JSON.parse(detail) as { state?: unknown })
          : (detail as { state?: unknown })
      )?.state;
    } catch {
      console.error(`<${this.localName}>: ignored an external state that is not JSON`);
      return;
    }
    void this.handle.accept(state);
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
      protectedVms: this.protectedVms,
      interval: this.interval,
      alertAfter: this.alertAfter,
      graceDays: this.graceDays,
      timeout: this.timeout,
    });
    const key =
      JSON.stringify([parsed, this.token, this.session]) + String(!!this.probe) + String(!!this.clock);
    if (key === this.configKey && (this.handle || this.configError)) return;
    this.configKey = key;
    this.handle?.close();
    this.handle = null;
    if (!parsed.ok) {
      this.config = null;
      if (this.configError !== parsed.error) {
        this.configError = parsed.error;
        fire(this, 'zerto-billing-config-error', { message: parsed.error });
        console.error(`<${this.localName}>: ${parsed.error}`);
      }
      return;
    }
    this.configError = null;
    this.config = parsed.value;
    if (!this.isConnected) return;
    const handle = watchSite({
      config: parsed.value,
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
    });
    this.handle = handle;
    handle.subscribe(() => {
      if (this.handle === handle) this.handleVersion++;
    });
  }
}
