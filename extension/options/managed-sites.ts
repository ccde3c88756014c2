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
 * the organisation, with the entries the policy got wrong named as errors, the hosts this browser has not
 * allowed yet, with a button to allow them (Chrome asks only on a click), and whether this browser has its
 * own sign-in for each (the policy carries no credentials), with a button to give it.
 */
export class ZbbManagedSites extends LightElement {
  @property({ attribute: false }) managed: ManagedView = { sites: [], problems: [], unreadable: null };
  /** The sites this browser has credentials for (the policy carries none). */
  @property({ attribute: false }) signedIn: ReadonlySet<string> = new Set();
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
        s.mode === 'reachability'
          ? nothing
          : html`<p class="row sign-in-row">
              <span class="grow muted">${signInText(s, this.signedIn.has(s.siteId))}</span>
              <button
                class="sign-in"
                @click=${() =>
                  this.dispatchEvent(
                    new CustomEvent<string>(SIGN_IN_EVENT, { detail: s.siteId, bubbles: true }),
                  )}
              >
                ${this.signedIn.has(s.siteId) ? 'Change sign-in' : 'Sign in'}
              </button>
            </p>`
      }
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

/** Asks for the sign-in form of an organisation's site (`detail`: its id). */
export const SIGN_IN_EVENT = 'zbb-managed-sign-in';

/** Whether this browser can sign in to the site: the policy carries no credentials, each user gives theirs. */
function signInText(s: SiteEntry, signedIn: boolean): string {
  if (signedIn) return 'Sign-in: stored in this browser.';
  if (s.mode === 'service') return 'No fleet service key in this browser yet: its state cannot be read.';
  if (s.mode === 'direct')
    return 'No billing endpoint token in this browser (only needed if the endpoint asks).';
  return 'No sign-in in this browser yet: a ZVM that asks for one refuses every check.';
}

customElements.define('zbb-managed-sites', ZbbManagedSites);

declare global {
  interface HTMLElementTagNameMap {
    'zbb-managed-sites': ZbbManagedSites;
  }
  interface HTMLElementEventMap {
    [SIGN_IN_EVENT]: CustomEvent<string>;
  }
}
