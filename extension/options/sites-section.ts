import { html, nothing, type TemplateResult } from 'lit';
import { state } from 'lit/decorators.js';
import { MODE_TEXTS, saveStatusText, type SaveStatus } from '../../src/core/texts.ts';
import { DISCOVERING, discoveryFailedText } from '../shared/auth-texts.ts';
import { omit, STORAGE_KEYS, type SiteCredentials, type SiteEntry } from '../shared/settings.ts';
import { discoverSiteId } from './discover.ts';
import { flash, LightElement } from './light-element.ts';
import './managed-sites.ts';
import { addressOf, consoleOrigin, originsFor, releaseUnused, requestOrigins } from './permissions.ts';
import './site-form.ts';
import type { SiteSave } from './site-form.ts';
import { OptionsStore } from './store.ts';

/**
 * The watched sites: the organisation's (read-only), the admin's own with edit and remove, and the form that
 * adds one. Saving asks for that site's hosts only, and says what it is doing at every step: waiting for the
 * admin's answer to the browser's prompt, then saved, or declined with how to allow it later.
 */
export class ZbbSitesSection extends LightElement {
  private readonly store = new OptionsStore(this);
  /** The site being edited: its id, or `''` while adding one; null with no form open. */
  @state() private editing: string | null = null;
  @state() private removing: string | null = null;
  @state() private saveStatus: SaveStatus | null = null;
  /** While Save reads the site identifier from the ZVM. */
  @state() private discovering = false;
  /** The organisation's site whose sign-in form is open. */
  @state() private signingIn: string | null = null;

  private startEdit(entry: SiteEntry | null): void {
    this.removing = null;
    this.saveStatus = null;
    this.signingIn = null;
    this.editing = entry?.siteId ?? '';
  }

  private startSignIn = (e: CustomEvent<string>): void => {
    this.editing = null;
    this.saveStatus = null;
    this.signingIn = e.detail;
  };

  /** The credentials of a site set by the organisation: only they are stored; the policy holds the rest. */
  private async saveSignIn(siteId: string, secrets: SiteCredentials): Promise<void> {
    const s = this.store;
    const has = !!(secrets.token || secrets.session || secrets.apiKey || secrets.login);
    const sites = has ? { ...s.secrets.sites, [siteId]: secrets } : omit(s.secrets.sites, siteId);
    try {
      await s.write({ [STORAGE_KEYS.secrets]: { ...s.secrets, sites } });
      this.signingIn = null;
      flash(this, `Saved the sign-in for ${siteId}. It is checked now.`);
    } catch (err) {
      flash(
        this,
        `The sign-in for ${siteId} was not saved: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  private onSave = (e: CustomEvent<SiteSave>): void => {
    const { original, secrets, discover, credentialsOnly } = e.detail;
    if (credentialsOnly && original) {
      void this.saveSignIn(original, secrets);
      return;
    }
    let entry = e.detail.entry;
    const origins = originsFor(entry);
    let siteName = entry.siteName || entry.siteId || addressOf(entry) || 'the site';
    // Asked now, inside the click that saves: Chrome shows its prompt only on a user gesture.
    const asked = requestOrigins(origins);
    if (origins.length) this.saveStatus = { kind: 'waiting', origins };
    void asked.then(async (granted) => {
      try {
        const s = this.store;
        if (discover) {
          // The ZVM names its own site: read it now, signed in as the site will be (the form stays open).
          this.saveStatus = null;
          this.discovering = true;
          const found = granted
            ? await discoverSiteId(entry, secrets, s.settings.policy)
            : { ok: false as const, reason: 'this browser may not reach the ZVM: access was declined' };
          this.discovering = false;
          if (!found.ok) {
            this.saveStatus = { kind: 'failed', siteName, reason: discoveryFailedText(found.reason) };
            return;
          }
          if (s.allIds().some((id) => id === found.id && id !== original)) {
            this.saveStatus = {
              kind: 'failed',
              siteName,
              reason: `the ZVM names its site ${found.id}, which another site already has.`,
            };
            return;
          }
          entry = { ...entry, siteId: found.id, siteName: entry.siteName || found.name };
          siteName = entry.siteName || entry.siteId;
        }
        const sites = original
          ? s.settings.sites.map((x) => (x.siteId === original ? entry : x))
          : [...s.settings.sites, entry];
        const secretSites = original ? omit(s.secrets.sites, original) : { ...s.secrets.sites };
        if (secrets.token || secrets.session || secrets.apiKey || secrets.login)
          secretSites[entry.siteId] = secrets;
        await s.write({
          [STORAGE_KEYS.settings]: { ...s.settings, sites },
          [STORAGE_KEYS.secrets]: { ...s.secrets, sites: secretSites },
        });
        await releaseUnused([...s.managed.sites, ...sites]);
        this.editing = null;
        this.saveStatus = granted ? { kind: 'saved', siteName } : { kind: 'declined', siteName, origins };
      } catch (err) {
        this.discovering = false;
        this.saveStatus = {
          kind: 'failed',
          siteName,
          reason: err instanceof Error ? err.message : String(err),
        };
      }
    });
  };

  private async removeSite(siteId: string): Promise<void> {
    const s = this.store;
    const sites = s.settings.sites.filter((x) => x.siteId !== siteId);
    await s.write({
      [STORAGE_KEYS.settings]: { ...s.settings, sites },
      [STORAGE_KEYS.secrets]: { ...s.secrets, sites: omit(s.secrets.sites, siteId) },
    });
    await releaseUnused([...s.managed.sites, ...sites]);
    this.removing = null;
    flash(this, `Removed ${siteId}. Its history stays in this browser’s storage.`);
  }

  private allowConsoles = (): void => {
    const origins = [...new Set((this.store.status?.consoles.notGranted ?? []).map(consoleOrigin))];
    void requestOrigins(origins).then((ok) =>
      flash(
        this,
        ok
          ? 'Allowed: the banner appears on those consoles from their next page load.'
          : 'Not allowed: the banner does not appear on those consoles.',
      ),
    );
  };

  private renderSite(s: SiteEntry): TemplateResult {
    return html`<li data-site-id=${s.siteId}>
      <div class="row">
        <strong class="grow">${s.siteName || s.siteId}</strong>
        <button
          class="edit"
          ?disabled=${this.saveStatus?.kind === 'waiting'}
          @click=${() => this.startEdit(s)}
        >
          Edit
        </button>
        ${
          this.removing === s.siteId
            ? html`<span>Stop watching this site?</span>
                <button class="confirm-remove" @click=${() => void this.removeSite(s.siteId)}>Remove</button>
                <button @click=${() => (this.removing = null)}>Keep</button>`
            : html`<button class="remove" @click=${() => (this.removing = s.siteId)}>Remove</button>`
        }
      </div>
      <span class="muted">id ${s.siteId} · ${MODE_TEXTS[s.mode].label} · ${addressOf(s)}</span>
      <span class="muted"
        >Banner on:
        ${s.consoles.length ? s.consoles.join(', ') : 'no console (add URL patterns to show the banner)'}</span
      >
    </li>`;
  }

  private renderSignIn(entry: SiteEntry): TemplateResult {
    return html`<zbb-site-form
      credentials-only
      .entry=${entry}
      .secrets=${this.store.secrets.sites[entry.siteId] ?? {}}
      .policy=${this.store.settings.policy}
      @zbb-site-save=${this.onSave}
      @zbb-site-cancel=${() => (this.signingIn = null)}
    ></zbb-site-form>`;
  }

  override render(): TemplateResult {
    const s = this.store;
    if (!s.loaded) return html`<p class="muted">Loading…</p>`;
    const notGranted = s.status?.consoles.notGranted ?? [];
    const editing =
      this.editing === null ? null : (s.settings.sites.find((x) => x.siteId === this.editing) ?? null);
    const waiting = this.saveStatus?.kind === 'waiting' || this.discovering;
    const signing = s.managed.sites.find((x) => x.siteId === this.signingIn) ?? null;
    return html`<section aria-labelledby="sites-title">
      <h2 id="sites-title">Watched sites</h2>
      <zbb-managed-sites
        .managed=${s.managed}
        .signedIn=${new Set(Object.keys(s.secrets.sites))}
        @zbb-managed-sign-in=${this.startSignIn}
      ></zbb-managed-sites>
      ${signing ? this.renderSignIn(signing) : nothing}
      ${s.settings.sites.length === 0 ? html`<p>No site of your own is watched yet.</p>` : nothing}
      <ul class="site-list">
        ${s.settings.sites.map((x) => this.renderSite(x))}
      </ul>
      ${
        notGranted.length
          ? html`<p class="notice">
              Not allowed yet, so no banner there: ${notGranted.join(', ')}.
              <button class="allow-consoles" @click=${this.allowConsoles}>Allow</button>
            </p>`
          : nothing
      }
      <p
        class=${`save-status ${this.saveStatus ? `status-${this.saveStatus.kind}` : ''}`}
        role="status"
        data-kind=${this.discovering ? 'discovering' : (this.saveStatus?.kind ?? nothing)}
      >
        ${this.discovering ? DISCOVERING : this.saveStatus ? saveStatusText(this.saveStatus) : ''}
      </p>
      ${
        this.editing !== null
          ? html`<zbb-site-form
              .entry=${editing}
              .secrets=${editing ? (s.secrets.sites[editing.siteId] ?? {}) : {}}
              .policy=${s.settings.policy}
              .takenIds=${s.allIds().filter((id) => id !== this.editing)}
              ?waiting=${waiting}
              .waitingLabel=${this.discovering ? DISCOVERING : null}
              @zbb-site-save=${this.onSave}
              @zbb-site-cancel=${() => (this.editing = null)}
            ></zbb-site-form>`
          : html`<button class="primary add-site" @click=${() => this.startEdit(null)}>Add a site</button>`
      }
    </section>`;
  }
}

customElements.define('zbb-sites-section', ZbbSitesSection);

declare global {
  interface HTMLElementTagNameMap {
    'zbb-sites-section': ZbbSitesSection;
  }
}
