import { html, nothing, type PropertyDeclarations, type PropertyValues, type TemplateResult } from 'lit';
import type { Phase } from '../../src/core/kinds.ts';
import type { Message } from '../../src/core/texts.ts';
import { DAY, HOUR } from '../../src/core/time.ts';
import type { GraceView } from '../../src/core/view.ts';
import type { ProbeResult } from '../../src/world/probes/index.ts';
import { fire } from '../shared/events.ts';
import { SiteBoundElement } from '../shared/site-element.ts';
import { locate, MISSING_FILES, missingFile, type SiteHandle } from '../../src/world/client.ts';
import { hostStyles } from '../shared/tokens.ts';
import type { ExportFile } from '../../src/export/index.ts';
import type { renderResult } from '../export/result.ts';
import { setupStyles } from './banner.styles.ts';
import type { BannerParts } from './banner-parts.ts';

let loaded: BannerParts | null = null;
let loading: Promise<BannerParts | null> | null = null;
/** Why the renderer did not load (the library deployed without its chunks/ folder): told once per page. */
let partsMissing: string | null = null;
const loadParts = (): Promise<BannerParts | null> =>
  (loading ??= import('./banner-parts.ts').then(
    () => loaded,
    async (err: unknown) => {
      partsMissing = missingFile(
        "the banner's renderer",
        await locate(err),
        'The billing status cannot be shown.',
      );
      console.error(`<zerto-billing-banner>: ${partsMissing}`);
      return null;
    },
  ));

/** Called by the renderer's module as it loads. @internal */
export const partsLoaded = (m: BannerParts): void => void (loaded = m);

const SEVERITY: Record<Phase, number> = { unknown: 0, ok: 0, warning: 1, disconnected: 2 };

/**
 * @tagname zerto-billing-banner
 * @summary The urgent billing banner: nothing while usage gets through; a countdown to the day the ZVM stops
 * talking to its VRAs when it does not; the disconnection notice after that; a recovery notice when usage
 * flows again; and, never silent, a notice when the state cannot be seen or confirmed. In zvm mode it reports
 * the ZVM's own billing alerts; in the other modes what this console observed and what the vendor's rule implies.
 *
 * @fires zerto-billing-state-change - The phase, the deadline or the days left changed. `detail: StateChangeDetail`
 * @fires zerto-billing-disconnect - The site is disconnected (by the ZVM's alert in zvm mode, by the vendor's rule otherwise). `detail: { siteId, deadline }`
 * @fires zerto-billing-reconnect - Usage got through after a warning or a disconnection. `detail: { siteId, at }`
 * @fires zerto-billing-test-result - The "Test usage transmission to Zerto" action (in reachability mode, the browser's own connection check) finished. `detail: TestResultDetail`
 * @fires zerto-billing-config-error - The page's setup cannot work (an attribute value, a file of the library not deployed, a token source that throws). `detail: { message }`
 *
 * @csspart banner - The banner box (warning, disconnection, recovery, and the cannot-see and not-confirmed notices).
 * @csspart icon - The status icon.
 * @csspart title - The banner's heading.
 * @csspart message - The alert text.
 * @csspart countdown - "within N days" (hours on the last day).
 * @csspart deadline - The date VRA communication stops, in the operator's locale and time zone.
 * @csspart actions - The row of actions.
 * @csspart test-link - "Test usage transmission to Zerto" (in zvm mode the ZVM's sendUsage; in reachability mode, "Test connection").
 * @csspart test-result - The result of that test.
 * @csspart note - What else the operator must know: a ZVM that cannot be read now, a skewed or jumped clock.
 * @csspart export-button - "Export usage for manual billing", in every notice that is not ok.
 * @csspart result - The exported file's name and SHA-256 checksum.
 * @csspart collapse-button - Collapses the banner to a slim bar and opens it again.
 * @csspart chip - The small status chip shown while ok with `show-ok`.
 * @csspart config-error - The notice of a setup problem (settings that cannot work, a file of the library not deployed): the operator's sentence, beside or instead of a state.
 * @csspart config-detail - The developer's detail of that notice, folded (a `<details>`).
 *
 * @cssprop [--zbb-warning-bg=#fff4ce] - Warning background.
 * @cssprop [--zbb-warning-fg=#3b2300] - Warning text.
 * @cssprop [--zbb-warning-accent=#9a4f00] - Warning border and icon.
 * @cssprop [--zbb-error-bg=#fde7e9] - Disconnection background.
 * @cssprop [--zbb-error-fg=#5c0011] - Disconnection text.
 * @cssprop [--zbb-error-accent=#b10e1c] - Disconnection border and icon.
 * @cssprop [--zbb-ok-bg=#e6f4ea] - Recovery notice and chip background.
 * @cssprop [--zbb-ok-fg=#0b3d1c] - Recovery notice and chip text.
 * @cssprop [--zbb-ok-accent=#1e7b34] - Recovery border and icon.
 * @cssprop [--zbb-font-family=system-ui] - Font family.
 * @cssprop [--zbb-font-size=14px] - Base font size.
 * @cssprop [--zbb-radius=6px] - Corner radius.
 * @cssprop [--zbb-focus=#0b5cad] - Focus ring colour.
 */
export class ZertoBillingBanner extends SiteBoundElement {
  /** Lit's reactive properties, declared without decorators (which cost the page-load code a helper). */
  static override properties: PropertyDeclarations = {
    showOk: { type: Boolean, attribute: 'show-ok' },
  };

  static {
    // Internal reactive state, declared here rather than in `properties`, which documents attributes.
    for (const name of [
      'collapsed',
      'testing',
      'testResult',
      'exporting',
      'exported',
      'exportError',
      'alertMessage',
      'statusMessage',
    ])
      this.createProperty(name, { state: true });
  }

  static override styles = [hostStyles, setupStyles];
  /** Show a small status chip while usage gets through (otherwise nothing is shown). */
  showOk = false;

  // What the lazily loaded renderer (./banner-parts.ts) reads and sets: internal, not API.
  /** @internal */ collapsed = false;
  /** @internal */ testing = false;
  /** @internal */ testResult: ProbeResult | null = null;
  /** @internal */ exporting = false;
  /** The quick export's file and how to show it (both from its chunk, loaded on the first click). @internal */
  exported: { file: ExportFile; render: typeof renderResult } | null = null;
  /** @internal */ exportError = '';
  /** What the assertive live region says: set once per escalation, never per tick. */
  private alertMessage: Message | null = null;
  /** What the polite live region says: set once per recovery. */
  private statusMessage: Message | null = null;

  /** This element asked for the renderer (once: a render never asks again, loaded or not). */
  private partsAsked = false;
  private lastPhase: Phase | null = null;
  private lastFired = '';
  /** @internal */ escalated = false;

  protected override refreshAfter(): number {
    const v = this.view;
    if (!v || v.msLeft === null) return 60_000;
    // Wake at the next change of the countdown's last digit (a whole day, or an hour on the last day).
    const unit = v.msLeft > DAY ? DAY : HOUR;
    return Math.min(60_000, (v.msLeft % unit) + 50);
  }

  protected override willUpdate(changed: PropertyValues): void {
    super.willUpdate(changed);
    this.track(this.view);
  }

  /** Fires events and sets announcements on transitions; the first state seen counts as a transition too. */
  private track(v: GraceView | null): void {
    if (!v || this.configError) return;
    const prev = this.lastPhase;
    const key = `${v.phase}|${v.deadline}|${v.daysLeft}`;
    if (key !== this.lastFired) {
      this.lastFired = key;
      fire(this, 'zerto-billing-state-change', {
        siteId: v.site.id,
        phase: v.phase,
        previousPhase: prev,
        deadline: v.deadline,
        daysLeft: v.daysLeft,
        view: v,
      });
    }
    if (prev === v.phase) return;
    this.lastPhase = v.phase;
    this.escalated = SEVERITY[v.phase] > SEVERITY[prev ?? 'ok'];
    if (this.escalated) {
      this.collapsed = false; // every escalation opens the banner again
      this.alertMessage = v.message;
      this.statusMessage = null;
    }
    if (v.phase === 'disconnected' && prev !== null) {
      fire(this, 'zerto-billing-disconnect', { siteId: v.site.id, deadline: v.deadline ?? v.at });
    }
    if (v.phase === 'ok' && prev !== null && SEVERITY[prev] > 0) {
      this.alertMessage = null;
      this.statusMessage = v.message;
      this.testResult = null;
      fire(this, 'zerto-billing-reconnect', { siteId: v.site.id, at: v.lastSuccessAt ?? v.at });
    }
  }

  override render(): TemplateResult {
    // The renderer's absence is this element's to tell (the setup problems of its site are told by the
    // shared element code), beside the others. A notice that is not a billing state: a sentence for the
    // operator (naming the missing file, and what its absence costs), the developer's detail folded below it
    // (and in the console); written here, not in the renderer, which may be the file missing.
    const problem = this.setupProblem ?? partsMissing;
    const notice = problem
      ? html`<div part="config-error" class="config-error" role="alert">
          ${MISSING_FILES.get(problem) ?? "Billing usage cannot be checked. This page's setup needs fixing."}
          <details part="config-detail">${problem}</details>
        </div>`
      : nothing;
    if (this.configError || this.discoveryError) return html`${notice}`;
    const v = this.view;
    const parts = this.parts();
    const say = (m: Message | null) => (m && parts ? parts.say(this, m) : '');
    return html`${v && parts ? parts.renderState(this, v) : nothing}${notice}
      <div class="visually-hidden" role="alert">${say(this.alertMessage)}</div>
      <div class="visually-hidden" role="status">${say(this.statusMessage)}</div>`;
  }

  /**
   * The renderer of what the operator reads, with every text, loaded once there is something to read: a
   * console whose billing is fine never downloads it. Null until loaded (the element renders then, once;
   * where it cannot load, the notice says so and nothing asks again).
   */
  private parts(): BannerParts | null {
    if (loaded || this.partsAsked) return loaded;
    const v = this.view;
    if (!v || !(v.message || this.showOk || this.alertMessage || this.statusMessage)) return null;
    this.partsAsked = true;
    void loadParts().then((m) => {
      // Logged once per page by the loader; fired once per element, as any setup problem.
      if (!m) fire(this, 'zerto-billing-config-error', { message: partsMissing! });
      this.requestUpdate();
    });
    return null;
  }

  /** `updateComplete` resolves once what the operator must read is rendered, the renderer loaded included. */
  protected override async getUpdateComplete(): Promise<boolean> {
    const done = await super.getUpdateComplete();
    if (loaded || !loading) return done;
    await loading;
    return super.getUpdateComplete();
  }

  /** The first paint waits for the renderer as it waits for the stored state (within the same 100 ms). */
  protected override beforeFirstUpdate(): Promise<unknown> | null {
    const v = this.view;
    return v && (v.message || this.showOk) ? loadParts() : null;
  }

  /** The site's handle, for the renderer's actions (banner-parts.ts). @internal */
  get siteHandle(): SiteHandle | null {
    return this.handle;
  }

  /** The element's clock, for the renderer's actions. @internal */
  nowMs(): number {
    return this.now();
  }
}
