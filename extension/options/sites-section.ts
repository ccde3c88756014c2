import { html, nothing, type TemplateResult } from 'lit';
import { state } from 'lit/decorators.js';
import { MODE_TEXTS, saveStatusText, type SaveStatus } from '../../src/core/texts.ts';
import { omit, STORAGE_KEYS, type SiteEntry } from '../shared/settings.ts';
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

  private startEdit(entry: SiteEntry | null): void {
    this.removing = null;
    this.saveStatus = null;
    this.editing = entry?.siteId ?? '';
  }

  private onSave = (e: CustomEvent<SiteSave>): void => {
    const { original, entry, secrets } = e.detail;
    const origins = originsFor(entry);
    const siteName = entry.siteName || entry.siteId;
    // Asked now, inside the click that saves: Chrome shows its prompt only on a user gesture.
    const asked = requestOrigins(origins);
    if (origins.length) this.saveStatus = { kind: 'waiting', origins };
    void asked.then(async (granted) => {
      try {
        const s = this.store;
        const sites = original
          ? s.settings.sites.map((x) => (x.siteId === original ? entry : x))
          : [...s.settings.sites, entry];
        const secretSites = original ? omit(s.secrets.sites, original) : { ...s.secrets.sites };
        if (secrets.token || secrets.session || secrets.apiKey) secretSites[entry.siteId] = secrets;
        await s.write({
          [STORAGE_KEYS.settings]: { ...s.settings, sites },
          [STORAGE_KEYS.secrets]: { ...s.secrets, sites: secretSites },
        });
        await releaseUnused([...s.managed.sites, ...sites]);
        this.editing = null;
        this.saveStatus = granted ? { kind: 'saved', siteName } : { kind: 'declined', siteName, origins };
      } catch (err) {
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

  override render(): TemplateResult {
    const s = this.store;
    if (!s.loaded) return html`<p class="muted">Loading…</p>`;
    const notGranted = s.status?.consoles.notGranted ?? [];
    const editing =
      this.editing === null ? null : (s.settings.sites.find((x) => x.siteId === this.editing) ?? null);
    const waiting = this.saveStatus?.kind === 'waiting';
    return html`<section aria-labelledby="sites-title">
      <h2 id="sites-title">Watched sites</h2>
      <zbb-managed-sites .managed=${s.managed}></zbb-managed-sites>
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
        data-kind=${this.saveStatus?.kind ?? nothing}
      >
        ${this.saveStatus ? saveStatusText(this.saveStatus) : ''}
      </p>
      ${
        this.editing !== null
          ? html`<zbb-site-form
              .entry=${editing}
              .secrets=${editing ? (s.secrets.sites[editing.siteId] ?? {}) : {}}
              .policy=${s.settings.policy}
              .takenIds=${s.allIds().filter((id) => id !== this.editing)}
              ?waiting=${waiting}
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
