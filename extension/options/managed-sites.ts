import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import {
  ALLOW_ACCESS,
  MANAGED_INTRO,
  MANAGED_MARK,
  MANAGED_TITLE,
  managedErrorText,
  managedNotAllowedText,
  managedUnreadableText,
  MODE_TEXTS,
} from '../../src/core/texts.ts';
import type { SiteEntry } from '../shared/settings.ts';
import { flash, LightElement } from './light-element.ts';
import { addressOf, notGranted, originsFor, requestOrigins } from './permissions.ts';
import type { ManagedView } from './store.ts';

/**
 * The sites an organisation deploys by policy (chrome.storage.managed): shown read-only and marked as set by
 * the organisation, with the entries the policy got wrong named as errors, and the hosts this browser has
 * not allowed yet, with a button to allow them (Chrome asks only on a click).
 */
export class ZbbManagedSites extends LightElement {
  @property({ attribute: false }) managed: ManagedView = { sites: [], problems: [], unreadable: null };
  /** Per site id, the hosts not allowed yet. */
  @state() private missing = new Map<string, string[]>();

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('managed')) void this.readGrants();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    chrome.permissions.onAdded.addListener(this.onPermissions);
    chrome.permissions.onRemoved.addListener(this.onPermissions);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    chrome.permissions.onAdded.removeListener(this.onPermissions);
    chrome.permissions.onRemoved.removeListener(this.onPermissions);
  }

  private onPermissions = (): void => void this.readGrants();

  private async readGrants(): Promise<void> {
    const missing = new Map<string, string[]>();
    for (const s of this.managed.sites) {
      const m = await notGranted(originsFor(s));
      if (m.length) missing.set(s.siteId, m);
    }
    this.missing = missing;
  }

  private allow(origins: string[]): void {
    void requestOrigins(origins).then((ok) =>
      flash(
        this,
        ok
          ? 'Allowed: the organisation’s sites are checked now; their banner appears from the next page load.'
          : 'Not allowed: checks of those hosts can fail and the banner does not appear there.',
      ),
    );
  }

  private renderSite(s: SiteEntry): TemplateResult {
    const missing = this.missing.get(s.siteId);
    return html`<li data-site-id=${s.siteId} data-managed>
      <div class="row">
        <strong class="grow">${s.siteName || s.siteId}</strong>
        <span class="managed-mark">${MANAGED_MARK}</span>
      </div>
      <span class="muted">id ${s.siteId} · ${MODE_TEXTS[s.mode].label} · ${addressOf(s)}</span>
      <span class="muted">Banner on: ${s.consoles.length ? s.consoles.join(', ') : 'no console'}</span>
      ${
        missing
          ? html`<p class="notice not-allowed">
              ${managedNotAllowedText(missing)}
              <button class="allow-managed" @click=${() => this.allow(missing)}>${ALLOW_ACCESS}</button>
            </p>`
          : nothing
      }
    </li>`;
  }

  override render(): TemplateResult {
    const m = this.managed;
    if (!m.sites.length && !m.problems.length && !m.unreadable) return html``;
    return html`<div class="managed" role="group" aria-labelledby="managed-title">
      <h3 id="managed-title">${MANAGED_TITLE}</h3>
      <p class="hint">${MANAGED_INTRO}</p>
      ${m.unreadable ? html`<p class="failure managed-error">${managedUnreadableText(m.unreadable)}</p>` : nothing}
      ${m.problems.length ? html`<p class="failure managed-error">${managedErrorText(m.problems)}</p>` : nothing}
      ${
        m.sites.length
          ? html`<ul class="site-list managed-list">
              ${m.sites.map((s) => this.renderSite(s))}
            </ul>`
          : nothing
      }
    </div>`;
  }
}

customElements.define('zbb-managed-sites', ZbbManagedSites);

declare global {
  interface HTMLElementTagNameMap {
    'zbb-managed-sites': ZbbManagedSites;
  }
}
