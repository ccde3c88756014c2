import { html, nothing, svg, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import type { Phase } from '../../src/core/kinds.ts';
import { messageText } from '../../src/core/texts.ts';
import { DAY, HOUR } from '../../src/core/time.ts';
import type { GraceView } from '../../src/core/view.ts';
import type { ProbeResult } from '../../src/world/probes/index.ts';
import { fire, fireTestResult } from '../shared/events.ts';
import { deadlineText, formatAgo, within } from '../shared/format.ts';
import { SiteBoundElement } from '../shared/site-element.ts';
import { hostStyles } from '../shared/tokens.ts';
import type { ExportFile } from '../../src/export/index.ts';
import type { renderResult } from '../export/result.ts';
import { bannerStyles } from './banner.styles.ts';

const SEVERITY: Record<Phase, number> = { unknown: 0, ok: 0, warning: 1, disconnected: 2 };

/**
 * @summary The urgent billing banner: nothing while usage gets through; a countdown to the day the ZVM stops
 * talking to its VRAs when it does not; the disconnection notice after that; a recovery notice when usage
 * flows again.
 *
 * @fires zerto-billing-state-change - The phase, the deadline or the days left changed. `detail: StateChangeDetail`
 * @fires zerto-billing-disconnect - The site passed its deadline: VRA communication stopped. `detail: { siteId, deadline }`
 * @fires zerto-billing-reconnect - Usage got through after a warning or a disconnection. `detail: { siteId, at }`
 * @fires zerto-billing-test-result - The "Test connection" check finished. `detail: TestResultDetail`
 * @fires zerto-billing-config-error - An attribute value cannot work. `detail: { message }`
 *
 * @csspart banner - The banner box (warning, disconnection and recovery).
 * @csspart icon - The status icon.
 * @csspart title - The banner's heading.
 * @csspart message - The alert text.
 * @csspart countdown - "within N days" (hours on the last day).
 * @csspart deadline - The date VRA communication stops, in the operator's locale and time zone.
 * @csspart actions - The row of actions.
 * @csspart test-link - The "Test connection" action.
 * @csspart test-result - The result of the connection test.
 * @csspart export-button - "Export usage for manual billing", in the disconnection notice.
 * @csspart result - The exported file's name and SHA-256 checksum.
 * @csspart collapse-button - Collapses the banner to a slim bar and opens it again.
 * @csspart chip - The small status chip shown while ok with `show-ok`.
 * @csspart config-error - The message shown instead of a state when the configuration cannot work.
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
  static override styles = [hostStyles, bannerStyles];
  /** Show a small status chip while usage gets through (otherwise nothing is shown). */
  @property({ type: Boolean, attribute: 'show-ok' }) showOk = false;

  @state() private collapsed = false;
  @state() private testing = false;
  @state() private testResult: ProbeResult | null = null;
  @state() private exporting = false;
  /** The quick export's file and how to show it (both from its chunk, loaded on the first click). */
  @state() private exported: { file: ExportFile; render: typeof renderResult } | null = null;
  @state() private exportError = '';
  /** Text for the assertive live region: set once per escalation, never per tick. */
  @state() private alertText = '';
  /** Text for the polite live region: set once per recovery. */
  @state() private statusText = '';

  private lastPhase: Phase | null = null;
  private lastFired = '';
  private escalated = false;

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
      this.alertText = v.message ? messageText(v.message) : '';
      this.statusText = '';
    }
    if (v.phase === 'disconnected' && prev !== null) {
      fire(this, 'zerto-billing-disconnect', { siteId: v.site.id, deadline: v.deadline ?? v.at });
    }
    if (v.phase === 'ok' && prev !== null && SEVERITY[prev] > 0) {
      this.alertText = '';
      this.statusText = v.message ? messageText(v.message) : 'Billing usage was sent.';
      this.testResult = null;
      fire(this, 'zerto-billing-reconnect', { siteId: v.site.id, at: v.lastSuccessAt ?? v.at });
    }
  }

  override render(): TemplateResult {
    if (this.configError) {
      return html`<div part="config-error" class="config-error" role="alert">
        &lt;zerto-billing-banner&gt; cannot check billing usage: ${this.configError}
      </div>`;
    }
    const v = this.view;
    return html`${this.renderState(v)}
      <div class="visually-hidden" role="alert">${this.alertText}</div>
      <div class="visually-hidden" role="status">${this.statusText}</div>`;
  }

  private renderState(v: GraceView | null): TemplateResult | typeof nothing {
    if (!v) return nothing;
    if (v.phase === 'warning' || v.phase === 'disconnected') return this.renderAlert(v);
    if (v.recovered) return this.renderRecovered(v);
    if (!this.showOk) return nothing;
    if (v.phase === 'unknown')
      return html`<span part="chip" class="chip unknown">Billing usage: not checked yet</span>`;
    return html`<span part="chip" class="chip ok"
      >${icon('ok')} Billing usage sent
      ${v.lastSuccessAt !== null ? formatAgo(Math.max(0, v.at - v.lastSuccessAt), this.lang || undefined) : ''}</span
    >`;
  }

  private renderAlert(v: GraceView): TemplateResult {
    const warning = v.phase === 'warning';
    const title = warning ? 'Billing usage not sent' : 'VRA communication stopped';
    const cls = `banner ${v.phase}${this.escalated ? ' escalated' : ''}${this.collapsed ? ' slim' : ''}`;
    const collapse = html`<button
      part="collapse-button"
      class="collapse"
      aria-expanded=${String(!this.collapsed)}
      aria-controls="details"
      @click=${() => (this.collapsed = !this.collapsed)}
    >
      ${this.collapsed ? 'Show details' : 'Collapse'}
    </button>`;
    if (this.collapsed) {
      return html`<section part="banner" class=${cls} aria-label=${title}>
        ${icon(warning ? 'warning' : 'error')}
        <p class="title" part="title">
          ${title}${
            warning && v.remaining
              ? html` — <span part="countdown" class="countdown">${within(v.remaining)}</span>`
              : nothing
          }
        </p>
        ${collapse}
      </section>`;
    }
    return html`<section part="banner" class=${cls} aria-label=${title}>
      ${icon(warning ? 'warning' : 'error')}
      <div class="body" id="details">
        <h2 class="title" part="title">${title}</h2>
        <p class="message" part="message">${this.messageWithCountdown(v)}</p>
        ${
          warning && v.deadline !== null
            ? html`<p class="deadline">
                VRA communication stops on
                <time part="deadline" datetime=${new Date(v.deadline).toISOString()}
                  >${deadlineText(v.deadline, this.lang || undefined, () => this.requestUpdate())}</time
                >.
              </p>`
            : nothing
        }
        <div class="actions" part="actions">
          <button part="test-link" class="link" ?disabled=${this.testing} @click=${this.testConnection}>
            ${this.testing ? 'Testing connection…' : 'Test connection to Zerto billing servers'}
          </button>
          <span part="test-result" class="test-result" role="status">${this.testResultText()}</span>
          ${
            warning
              ? nothing
              : html`<button
                  part="export-button"
                  class="link"
                  ?disabled=${this.exporting}
                  @click=${this.exportUsage}
                >
                  ${this.exporting ? 'Exporting usage…' : 'Export usage for manual billing'}
                </button>`
          }
        </div>
        ${this.exported ? this.exported.render(this.exported.file, this.renderRoot as ShadowRoot) : nothing}
        ${this.exportError ? html`<p class="message" role="alert">${this.exportError}</p>` : nothing}
      </div>
      ${collapse}
    </section>`;
  }

  /** The alert text with its countdown marked, so that the live "within N days" can be styled and read. */
  private messageWithCountdown(v: GraceView): TemplateResult {
    const text = v.message ? messageText(v.message) : '';
    if (!v.remaining) return html`${text}`;
    const marker = within(v.remaining);
    const at = text.indexOf(marker);
    if (at < 0) return html`${text}`;
    return html`${text.slice(0, at)}<strong part="countdown" class="countdown">${marker}</strong>${text.slice(
        at + marker.length,
      )}`;
  }

  private renderRecovered(v: GraceView): TemplateResult {
    return html`<section part="banner" class="banner recovered" aria-label="Billing usage sent">
      ${icon('ok')}
      <div class="body">
        <h2 class="title" part="title">Billing usage sent</h2>
        <p class="message" part="message">${v.message ? messageText(v.message) : ''}</p>
      </div>
    </section>`;
  }

  private testResultText(): string {
    const r = this.testResult;
    if (!r) return '';
    const host = this.config ? new URL(this.config.billingUrl).host : 'the billing server';
    if (r.outcome.ok) return `Reached ${host}.`;
    return `Could not reach ${host}: ${r.outcome.reason.detail ?? r.outcome.reason.kind}`;
  }

  /** One click from the disconnection notice: this site's usage since before the outage, as CSV. */
  private exportUsage = async (): Promise<void> => {
    const v = this.view;
    if (!v || this.exporting) return;
    this.exporting = true;
    this.exportError = '';
    try {
      // Loaded on demand: the export is not part of what a console loads for the banner.
      const { quickExport, renderResult } = await import('../export/quick-export.ts');
      this.exported = {
        file: await quickExport(this.renderRoot as ShadowRoot, v, this.now()),
        render: renderResult,
      };
    } catch (err) {
      this.exportError = `The export failed: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      this.exporting = false;
    }
  };

  private testConnection = async (): Promise<void> => {
    if (!this.handle || this.testing) return;
    this.testing = true;
    this.testResult = null;
    try {
      const result = await this.handle.checkReachability();
      this.testResult = result;
      fireTestResult(this, this.handle.options.config.siteId, 'connection', result);
    } finally {
      this.testing = false;
    }
  };
}

function icon(kind: 'warning' | 'error' | 'ok'): TemplateResult {
  const label = kind === 'ok' ? 'OK' : kind === 'warning' ? 'Warning' : 'Error';
  const path =
    kind === 'ok'
      ? svg`<path d="M4 10.5l4 4 8-9" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round"/>`
      : kind === 'warning'
        ? svg`<path d="M10 2L1 18h18L10 2z" fill="currentColor"/><path d="M10 8v4.5M10 15v.5" stroke="#fff" stroke-width="2" stroke-linecap="round"/>`
        : svg`<circle cx="10" cy="10" r="9" fill="currentColor"/><path d="M6.5 6.5l7 7M13.5 6.5l-7 7" stroke="#fff" stroke-width="2" stroke-linecap="round"/>`;
  return html`<svg part="icon" class="icon" viewBox="0 0 20 20" role="img" aria-label=${label}>${path}</svg>`;
}
