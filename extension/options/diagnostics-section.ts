import { html, nothing, type TemplateResult } from 'lit';
import { state } from 'lit/decorators.js';
import { HOUR } from '../../src/core/index.ts';
import { formatDateTime } from '../../components/shared/format.ts';
import { STORAGE_KEYS } from '../shared/settings.ts';
import { flash, LightElement } from './light-element.ts';
import { OptionsStore } from './store.ts';

/** Precise failure names (an optional permission), the clock offset to rehearse an outage, recent notices. */
export class ZbbDiagnosticsSection extends LightElement {
  private readonly store = new OptionsStore(this);
  @state() private offsetHours: string | null = null;
  @state() private offsetError = '';
  @state() private precise = false;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.readPrecise();
  }

  protected override willUpdate(): void {
    if (this.offsetHours === null && this.store.loaded)
      this.offsetHours = String(this.store.clockOffsetMs / HOUR);
  }

  private async readPrecise(): Promise<void> {
    this.precise = await chrome.permissions.contains({ permissions: ['webRequest'] });
  }

  private save = (e: Event): void => {
    e.preventDefault();
    const text = this.offsetHours ?? '';
    const h = Number(text);
    if (text.trim() === '' || !Number.isFinite(h) || Math.abs(h) > 24 * 400) {
      this.offsetError = 'must be a number of hours between -9600 and 9600';
      return;
    }
    this.offsetError = '';
    void this.store
      .write({ [STORAGE_KEYS.clockOffset]: Math.round(h * HOUR) })
      .then(() => flash(this, `The extension’s clock is now ${h} hours ahead of this computer’s.`));
  };

  private allowPrecise = (): void => {
    void chrome.permissions
      .request({ permissions: ['webRequest'] })
      .catch(() => false)
      .then((ok) => (this.precise = ok));
  };

  override render(): TemplateResult {
    if (this.offsetHours === null) return html``;
    const notices = this.store.notices;
    return html`<section aria-labelledby="diag-title">
      <h2 id="diag-title">Diagnostics</h2>
      <p>
        ${
          this.precise
            ? 'Connection failures are named precisely (proxy, DNS, certificate, timeout) from the browser’s own error codes.'
            : html`Failures are named as fetch sees them.
                <button class="allow-precise" @click=${this.allowPrecise}>Name them precisely</button>
                <span class="muted"
                  >(asks for the webRequest permission: reading this extension’s own request errors)</span
                >`
        }
      </p>
      <form class="offset-form" novalidate @submit=${this.save}>
        <div class="field">
          <label for="clock-offset">Clock offset (hours)</label>
          <input
            id="clock-offset"
            inputmode="decimal"
            .value=${this.offsetHours}
            aria-invalid=${this.offsetError ? 'true' : 'false'}
            aria-describedby="clock-offset-hint"
            @input=${(e: Event) => (this.offsetHours = (e.target as HTMLInputElement).value)}
          />
          <p class="hint" id="clock-offset-hint">
            Moves the extension’s clock (stored as <code>clockOffsetMs</code>) to rehearse an outage. Keep it
            at 0. A clock moved back never extends the grace.
          </p>
          ${this.offsetError ? html`<p class="error">${this.offsetError}</p>` : nothing}
        </div>
        <div class="row"><button type="submit">Set clock offset</button></div>
      </form>
      ${
        notices.length
          ? html`<h3>Recent notifications</h3>
              <ul class="notice-log">
                ${notices
                  .slice()
                  .reverse()
                  .map((n) => html`<li>${formatDateTime(n.at)}: ${n.kind} (${n.id})</li>`)}
              </ul>`
          : nothing
      }
    </section>`;
  }
}

customElements.define('zbb-diagnostics-section', ZbbDiagnosticsSection);

declare global {
  interface HTMLElementTagNameMap {
    'zbb-diagnostics-section': ZbbDiagnosticsSection;
  }
}
