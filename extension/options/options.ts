import { html, nothing, type TemplateResult } from 'lit';
import { state } from 'lit/decorators.js';
import { MANAGED_PROBLEM_PREFIX } from '../shared/settings.ts';
import './diagnostics-section.ts';
import { FLASH_EVENT, LightElement } from './light-element.ts';
import './proxy-section.ts';
import './schedule-section.ts';
import './sites-section.ts';
import { OptionsStore } from './store.ts';

/**
 * The options page: one element per section (sites, schedule, proxy, diagnostics), each reading the stored
 * settings through its own `OptionsStore`. This shell holds the title, the page's live status line that the
 * sections announce through `zbb-flash`, and the stored settings the worker had to set aside.
 */
export class ZbbOptions extends LightElement {
  private readonly store = new OptionsStore(this);
  @state() private flashText = '';

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener(FLASH_EVENT, this.onFlash);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener(FLASH_EVENT, this.onFlash);
  }

  private onFlash = (e: CustomEvent<string>): void => {
    this.flashText = e.detail;
  };

  override render(): TemplateResult {
    if (!this.store.loaded) return html`<p class="muted">Loading…</p>`;
    // The organisation's entries are named in the sites section, where they are listed.
    const problems = (this.store.status?.problems ?? []).filter((p) => !p.startsWith(MANAGED_PROBLEM_PREFIX));
    return html`<h1>Zerto billing banner: options</h1>
      <p class="visually-hidden" role="status">${this.flashText}</p>
      ${this.flashText ? html`<p class="success flash" aria-hidden="true">${this.flashText}</p>` : nothing}
      ${
        problems.length
          ? html`<p class="notice">Some stored settings were set aside: ${problems.join('; ')}</p>`
          : nothing
      }
      <zbb-sites-section></zbb-sites-section>
      <zbb-schedule-section></zbb-schedule-section>
      <zbb-proxy-section></zbb-proxy-section>
      <zbb-diagnostics-section></zbb-diagnostics-section>`;
  }
}

customElements.define('zbb-options', ZbbOptions);

declare global {
  interface HTMLElementTagNameMap {
    'zbb-options': ZbbOptions;
  }
}
