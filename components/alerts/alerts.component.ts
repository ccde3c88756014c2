import { html, LitElement, nothing, type TemplateResult, type PropertyDeclarations } from 'lit';
import {
  exportActionLabel,
  ZVM_WORDS,
  LIST_WORDS,
  messageText,
  RESOLUTION_WORDS,
  viewOf,
  type Alert,
  type Clock,
  type GraceState,
  type GraceView,
} from '../../src/core/index.ts';
import { DEFAULT_BILLING_ALERT_IDS } from '../../src/protocol/zvm-ids.ts';
import { systemClock } from '../../src/world/clock.ts';
import {
  readServiceAlerts,
  readServiceStates,
  watchServiceEvents,
  type ServiceSource,
} from '../../src/world/service-lists.ts';
import { onState } from '../../src/world/poller/channel.ts';
import { openBillingDb } from '../../src/world/storage/db.ts';
import { readAlertHistory, readAllStates } from '../../src/world/storage/repo.ts';
import { formatDateTime } from '../shared/format.ts';
import {
  listStatusStyles,
  renderListFailure,
  StoredListController,
  type ListStatus,
} from '../shared/stored-list-controller.ts';
import { hostStyles } from '../shared/tokens.ts';
import { controlStyles } from '../shared/controls.styles.ts';
import { alertsStyles } from './alerts.styles.ts';

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

/**
 * An active alert reads as the banner reads now (the same live words and day count); a resolved one keeps
 * the line it turned on with.
 */
export function liveDescription(a: Alert, view: GraceView | undefined): string {
  if (a.resolvedAt !== null || !view?.message) return a.description;
  const key = a.kind === 'usage-not-sent' ? 'usage-not-sent' : 'vra-disconnected';
  if (view.message.key !== key) return a.description;
  // The live words, and the ZVM's own beside them (zvm mode), as the alert keeps them.
  const words = a.description.indexOf(ZVM_WORDS);
  return messageText(view.message) + (words >= 0 ? a.description.slice(words) : '');
}

/** The ZVM's help identifier of the alert it lists for this kind, else the default setting's first. */
function helpIdOf(a: Alert, view: GraceView | undefined): string {
  const kind = a.kind === 'usage-not-sent' ? 'usage' : 'disconnection';
  return (
    view?.zvm?.alerts?.find((n) => n.kind === kind)?.helpIdentifier ??
    (kind === 'usage' ? DEFAULT_BILLING_ALERT_IDS.usage[0]! : DEFAULT_BILLING_ALERT_IDS.disconnection[0]!)
  );
}

export function toZvmAlert(a: Alert, view?: GraceView): ZvmAlert {
  return {
    AlertIdentifier: a.id,
    Level: a.level === 'error' ? 'Error' : 'Warning',
    Entity: 'Zvm',
    HelpIdentifier: helpIdOf(a, view),
    Site: { SiteIdentifier: a.site.id, SiteName: a.site.name },
    Description: liveDescription(a, view),
    TurnedOn: new Date(a.turnedOn).toISOString(),
    IsDismissed: false,
    ResolvedOn: a.resolvedAt === null ? null : new Date(a.resolvedAt).toISOString(),
  };
}

/**
 * @tagname zerto-billing-alerts
 * @summary Monitoring > Alerts for billing: the active and resolved billing alerts of one site or all, with
 * level, site, description, and when each turned on and was resolved. With `service-url`, the alerts the fleet
 * service holds (`GET /v1/alerts`), read with the API key in `token` (or `getToken`), kept live by its event
 * stream; otherwise the alerts stored in this browser.
 *
 * @csspart scroll - The table's frame, which scrolls sideways where the element is narrower than the table.
 * @csspart table - The alerts table.
 * @csspart row - One alert.
 * @csspart level - The level cell.
 * @csspart empty - Shown when a read found no billing alerts (never before a read answered, nor after one failed).
 * @csspart loading - Shown while the alerts are being read.
 * @csspart failure - Shown in place of the list when the alerts could not be read: what and why (`role="alert"`).
 * @csspart failure-reason - The reason the read failed.
 * @csspart retry-button - Reads the alerts again.
 * @csspart export-button - Opens the manual-billing export.
 * @csspart export - The manual-billing export (a \`<zerto-usage-export>\`).
 *
 * @cssprop [--zbb-error-accent=#b10e1c] - Error level colour.
 * @cssprop [--zbb-warning-accent=#9a4f00] - Warning level colour.
 */
export class ZertoBillingAlerts extends LitElement {
  /** Lit's reactive properties, declared without decorators (no decorator helper to load). */
  static override properties: PropertyDeclarations = {
    siteId: { attribute: 'site-id' },
    serviceUrl: { attribute: 'service-url' },
    token: { attribute: false },
    getToken: { attribute: false },
    theme: { reflect: true },
    clock: { attribute: false },
  };

  static {
    // Internal reactive state.
    for (const name of ['exportOpen']) this.createProperty(name, { state: true });
  }

  static override styles = [hostStyles, controlStyles, listStatusStyles, alertsStyles];

  /** Show only this site's alerts (all sites when absent). */
  siteId: string | null = null;
  /**
   * The fleet service to read the alerts from (`mode="service"` of the banner); this browser's storage when
   * absent.
   */
  serviceUrl: string | null = null;
  /** The fleet service's API key (a read-only one is enough). Never an attribute, never stored. */
  token: string | undefined;
  /** Where the API key comes from, when it changes; called before each read. Its result is never stored. */
  getToken: (() => string | Promise<string>) | undefined;
  /** `light` (default), `dark`, or `auto`. */
  theme: 'light' | 'dark' | 'auto' = 'light';
  /** An injected clock (epoch ms); defaults to the system clock. */
  clock: Clock | undefined;
  private exportOpen = false;

  /**
   * The alert history and each site's state (for the live words of its active alerts), re-read whenever a
   * site shown here changes state (a success resolves its alerts).
   */
  private readonly history = new StoredListController<{
    alerts: Alert[];
    states: ReadonlyMap<string, GraceState>;
  }>(this, {
    name: 'zerto-billing-alerts',
    read: async () => {
      const service = this.service();
      if (service) {
        const [alerts, states] = await Promise.all([
          readServiceAlerts(service, this.siteId ?? undefined),
          readServiceStates(service, this.siteId ? [this.siteId] : undefined),
        ]);
        return { alerts, states: new Map(states.map(({ state }) => [state.site.id, state])) };
      }
      const db = await openBillingDb();
      const [all, states] = await Promise.all([
        readAlertHistory(db, this.siteId ?? undefined),
        readAllStates(db),
      ]);
      return {
        alerts: all.sort(
          (a, b) => Number(a.resolvedAt !== null) - Number(b.resolvedAt !== null) || b.turnedOn - a.turnedOn,
        ),
        states: new Map(states.map((st) => [st.site.id, st])),
      };
    },
    subscribe: (changed) => {
      const service = this.service();
      const concerns = (id: string) => !this.siteId || id === this.siteId;
      return service
        ? watchServiceEvents(service, () => changed(), concerns)
        : onState((s) => {
            if (concerns(s.site.id)) changed();
          });
    },
  });

  /** The fleet service this element reads, when it has a `service-url`. */
  private service(): ServiceSource | null {
    if (!this.serviceUrl) return null;
    return { url: this.serviceUrl, token: this.token, getToken: this.getToken };
  }

  /**
   * The alerts in the ZVM alert shape, active first, newest first. Empty unless `status` is `ready`: an empty
   * array says "no alerts" only after a read answered.
   */
  get alerts(): ZvmAlert[] {
    const views = this.views();
    return (this.history.value?.alerts ?? []).map((a) => toZvmAlert(a, views.get(a.site.id)));
  }

  /** Each site's view now, from the states read with the history. */
  private views(): Map<string, GraceView> {
    const now = (this.clock ?? systemClock)();
    const out = new Map<string, GraceView>();
    for (const [id, st] of this.history.value?.states ?? []) out.set(id, viewOf(st, now));
    return out;
  }

  /** `loading` until the history was read, `ready` once it was, `failed` when it could not be. */
  get status(): ListStatus {
    return this.history.status;
  }

  /** Re-reads the history (coalesced: a burst of changes costs one read). */
  reload(): Promise<void> {
    return this.history.reload();
  }

  /** Forgets what was read and reads the history again (the Retry button). */
  retry(): Promise<void> {
    return this.history.retry();
  }

  protected override willUpdate(changed: Map<string, unknown>): void {
    // Another site's alerts: show loading, not the previous site's rows, until they are read.
    if (!this.isConnected) return;
    if (changed.has('serviceUrl') && changed.get('serviceUrl') !== undefined) void this.history.resubscribe();
    else if (changed.has('siteId') && changed.get('siteId') !== undefined) void this.history.retry();
  }

  private onRetry = (): void => {
    void this.retry();
  };

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
          service-url=${this.serviceUrl ?? nothing}
          .token=${this.token}
          .getToken=${this.getToken}
          theme=${this.theme}
        ></zerto-usage-export>`
      : html`<p>
          <button part="export-button" class="button" @click=${this.openExport}>
            ${exportActionLabel(false)}
          </button>
        </p>`;
  }

  override render(): TemplateResult {
    const { status, error } = this.history;
    if (status === 'loading')
      return html`<p part="loading" class="list-loading" role="status">${LIST_WORDS.readingAlerts}</p>`;
    if (status === 'failed')
      return html`${renderListFailure(LIST_WORDS.alertsUnread, error ?? 'unknown error', this.onRetry)}
      ${this.renderExport()}`;
    const list = this.history.value?.alerts ?? [];
    const views = this.views();
    if (list.length === 0)
      return html`<p part="empty">${LIST_WORDS.noAlerts}</p>
        ${this.renderExport()}`;
    const lang = this.lang || undefined;
    return html`<div
        part="scroll"
        class="scroll"
        role="region"
        aria-label=${LIST_WORDS.alertsCaption}
        tabindex="0"
      >
        <table part="table">
          <caption>
            ${LIST_WORDS.alertsCaption}
          </caption>
          <thead>
            <tr>
              <th scope="col">${LIST_WORDS.level}</th>
              <th scope="col">${LIST_WORDS.site}</th>
              <th scope="col">${LIST_WORDS.description}</th>
              <th scope="col">${LIST_WORDS.turnedOn}</th>
              <th scope="col">${LIST_WORDS.resolved}</th>
            </tr>
          </thead>
          <tbody>
            ${list.map((a) => {
              const z = toZvmAlert(a, views.get(a.site.id));
              return html`<tr
                part="row"
                class="${z.Level}${a.resolvedAt !== null ? ' resolved' : ''}"
                data-help=${z.HelpIdentifier}
              >
                <td part="level" class="level">${z.Level}</td>
                <td>${a.site.name || a.site.id}</td>
                <td>${z.Description}</td>
                <td><time datetime=${z.TurnedOn}>${formatDateTime(a.turnedOn, lang)}</time></td>
                <td>
                  ${
                    a.resolvedAt === null
                      ? LIST_WORDS.active
                      : html`<time datetime=${z.ResolvedOn!}>${formatDateTime(a.resolvedAt, lang)}</time>
                          (${RESOLUTION_WORDS[a.resolution ?? 'usage-sent']})`
                  }
                </td>
              </tr>`;
            })}
          </tbody>
        </table>
      </div>
      ${this.renderExport()}`;
  }
}
