import { css, html, LitElement, nothing, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { HELP_IDENTIFIERS, type Alert } from '../../src/core/index.ts';
import { onState } from '../../src/world/poller/channel.ts';
import { openBillingDb } from '../../src/world/storage/db.ts';
import { readAlertHistory } from '../../src/world/storage/repo.ts';
import { formatDateTime } from '../shared/format.ts';
import { hostStyles } from '../shared/tokens.ts';

/** A billing alert in the shape of the ZVM's `GET /v1/alerts`, so that a console can merge the lists. */
export interface ZvmAlert {
  AlertIdentifier: string;
  Level: 'Warning' | 'Error';
  Entity: 'Zvm';
  HelpIdentifier: string;
  Site: { SiteIdentifier: string; SiteName: string };
  Description: string;
  TurnedOn: string;
  IsDismissed: boolean;
  /** Not in the ZVM shape: when the alert was resolved (null while active). */
  ResolvedOn: string | null;
}

export function toZvmAlert(a: Alert): ZvmAlert {
  return {
    AlertIdentifier: a.id,
    Level: a.level === 'error' ? 'Error' : 'Warning',
    Entity: 'Zvm',
    HelpIdentifier: HELP_IDENTIFIERS[a.kind],
    Site: { SiteIdentifier: a.site.id, SiteName: a.site.name },
    Description: a.description,
    TurnedOn: new Date(a.turnedOn).toISOString(),
    IsDismissed: false,
    ResolvedOn: a.resolvedAt === null ? null : new Date(a.resolvedAt).toISOString(),
  };
}

/**
 * @summary Monitoring > Alerts for billing: the active and resolved billing alerts of one site or all, with
 * level, site, description, and when each turned on and was resolved.
 *
 * @csspart table - The alerts table.
 * @csspart row - One alert.
 * @csspart level - The level cell.
 * @csspart empty - Shown when there are no billing alerts.
 * @csspart export-button - Opens the manual-billing export.
 * @csspart export - The manual-billing export (a \`<zerto-usage-export>\`).
 *
 * @cssprop [--zbb-error-accent=#b10e1c] - Error level colour.
 * @cssprop [--zbb-warning-accent=#9a4f00] - Warning level colour.
 */
export class ZertoBillingAlerts extends LitElement {
  static override styles = [
    hostStyles,
    css`
      table {
        inline-size: 100%;
        border-collapse: collapse;
      }
      th,
      td {
        text-align: start;
        padding: 6px 8px;
        border-block-end: 1px solid var(--_border);
        vertical-align: top;
      }
      th {
        font-weight: 700;
      }
      .level {
        font-weight: 700;
        white-space: nowrap;
      }
      .Error .level {
        color: var(--_error-fg);
      }
      .Warning .level {
        color: var(--_warning-fg);
      }
      .resolved {
        color: var(--_muted-fg);
      }
      caption {
        text-align: start;
        font-weight: 700;
        padding-block-end: 6px;
      }
    `,
  ];

  /** Show only this site's alerts (all sites when absent). */
  @property({ attribute: 'site-id' }) siteId: string | null = null;
  /** `light` (default), `dark`, or `auto`. */
  @property({ reflect: true }) theme: 'light' | 'dark' | 'auto' = 'light';
  @state() private list: Alert[] = [];
  @state() private loaded = false;
  @state() private exportOpen = false;
  private off: (() => void) | null = null;
  private pending: Promise<void> | null = null;

  /** The alerts in the ZVM alert shape, active first, newest first. */
  get alerts(): ZvmAlert[] {
    return this.list.map(toZvmAlert);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.off = onState((s) => {
      if (!this.siteId || s.site.id === this.siteId) void this.reload();
    });
    void this.reload();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.off?.();
  }

  /** Re-reads the history (coalesced: a burst of changes costs one read). */
  reload(): Promise<void> {
    this.pending ??= (async () => {
      await Promise.resolve();
      this.pending = null;
      try {
        const db = await openBillingDb();
        const all = await readAlertHistory(db, this.siteId ?? undefined);
        this.list = all.sort(
          (a, b) => Number(a.resolvedAt !== null) - Number(b.resolvedAt !== null) || b.turnedOn - a.turnedOn,
        );
      } catch (err) {
        console.error('zerto-billing-alerts: could not read the alert history', err);
      }
      this.loaded = true;
    })();
    return this.pending;
  }

  protected override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('siteId') && this.isConnected && changed.get('siteId') !== undefined) void this.reload();
  }

  /** Opens the manual-billing export under the list (its code is loaded on demand). */
  private openExport = async (): Promise<void> => {
    await import('../export/zerto-usage-export.ts');
    this.exportOpen = true;
  };

  private renderExport(): TemplateResult {
    return this.exportOpen
      ? html`<zerto-usage-export
          part="export"
          site-id=${this.siteId ?? nothing}
          theme=${this.theme}
        ></zerto-usage-export>`
      : html`<p>
          <button part="export-button" class="button" @click=${this.openExport}>
            Export usage for manual billing
          </button>
        </p>`;
  }

  override render(): TemplateResult | typeof nothing {
    if (!this.loaded) return nothing;
    if (this.list.length === 0)
      return html`<p part="empty">No billing alerts.</p>
        ${this.renderExport()}`;
    const lang = this.lang || undefined;
    return html`<table part="table">
        <caption>
          Billing alerts
        </caption>
        <thead>
          <tr>
            <th scope="col">Level</th>
            <th scope="col">Site</th>
            <th scope="col">Description</th>
            <th scope="col">Turned on</th>
            <th scope="col">Resolved</th>
          </tr>
        </thead>
        <tbody>
          ${this.list.map((a) => {
            const z = toZvmAlert(a);
            return html`<tr
              part="row"
              class="${z.Level}${a.resolvedAt !== null ? ' resolved' : ''}"
              data-help=${z.HelpIdentifier}
            >
              <td part="level" class="level">${z.Level}</td>
              <td>${a.site.name || a.site.id}</td>
              <td>${a.description}</td>
              <td><time datetime=${z.TurnedOn}>${formatDateTime(a.turnedOn, lang)}</time></td>
              <td>
                ${
                  a.resolvedAt === null
                    ? 'Active'
                    : html`<time datetime=${z.ResolvedOn!}>${formatDateTime(a.resolvedAt, lang)}</time>`
                }
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
      ${this.renderExport()}`;
  }
}
