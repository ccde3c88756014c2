import {
  css,
  html,
  LitElement,
  nothing,
  type PropertyValues,
  type TemplateResult,
  type PropertyDeclarations,
} from 'lit';
import { styleMap } from 'lit/directives/style-map.js';
import {
  byUrgency,
  DAY,
  FORGET_WORDS,
  formatRemaining,
  LIST_WORDS,
  phaseLabel,
  viewOf,
  type Clock,
  type GraceState,
  type GraceView,
} from '../../src/core/index.ts';
import { systemClock } from '../../src/world/clock.ts';
import { forgetSite, type ForgetResult } from '../../src/world/forget.ts';
import { onForgotten, onState } from '../../src/world/poller/channel.ts';
import { openBillingDb } from '../../src/world/storage/db.ts';
import {
  readAllStatesChecked,
  readLog,
  readSetAside,
  type QuarantineDetail,
  type SetAsideRecord,
} from '../../src/world/storage/repo.ts';
import { readBacklog, type Backlog } from '../../src/world/outbox.ts';
import {
  readServiceStates,
  STATES_SITES_LIMIT,
  watchServiceEvents,
  type ServiceSource,
} from '../../src/world/service-lists.ts';
import { formatAgo, formatDateTime } from '../shared/format.ts';
import {
  describeError,
  listStatusStyles,
  renderListFailure,
  StoredListController,
  type ListStatus,
} from '../shared/stored-list-controller.ts';
import { hostStyles } from '../shared/tokens.ts';
import { controlStyles } from '../shared/controls.styles.ts';
import {
  DAY_LEGEND,
  DAY_MARKS,
  DAY_WORDS,
  dayStrip,
  dayText,
  describeStrip,
  stripDays,
  type DayResult,
} from './strip.ts';

export interface SiteRow {
  state: GraceState;
  /** Seven days of results, oldest first; read from the transmission log when absent. */
  strip?: DayResult[];
}

const ROW = 40;
const OVERSCAN = 8;
/** The scroller's default height (`--zbb-sites-height`), so that the first render already fits the view. */
const HEIGHT = 480;

/**
 * @tagname zerto-billing-sites
 * @summary One row per site for providers with many managers: phase, days left, last success and seven days
 * of transmission results, most urgent first. Only the rows in view are rendered, so 1,000 sites scroll smoothly.
 * When it shows the stored sites, each row can forget its site in this browser (see `forgetSite`), after an
 * inline confirmation. With `service-url`, every site of the fleet service (`GET /v1/states`, one request),
 * read with the API key in `token` (or `getToken`) and kept live by its event stream (each change reads again
 * only the sites it names); its seven-day strip is
 * the service's transmission log; nothing can be forgotten there.
 *
 * @csspart table - The sites table.
 * @csspart row - One site's row.
 * @csspart phase - The phase cell.
 * @csspart strip - The seven-day strip.
 * @csspart legend - What each mark of the strip means (shown under the list).
 * @csspart empty - Shown when a read found no watched sites (never before a read answered, nor after one failed).
 * @csspart loading - Shown while the stored sites are being read.
 * @csspart failure - Shown in place of the list when the stored sites could not be read: what and why
 * (`role="alert"`).
 * @csspart failure-reason - The reason the read failed.
 * @csspart retry-button - Reads the stored sites again.
 * @csspart forget-button - A row's "Forget…" button (stored sites only, not when `sites` or `service-url` is given).
 * @csspart forget-confirm - Asks to confirm forgetting a site: what is removed, and that waiting usage reports
 * are kept.
 * @csspart forget-status - Says a site was forgotten (and the reports kept), or why it could not be.
 *
 * @cssprop [--zbb-sites-height=480px] - Height of the scrolling list.
 * @cssprop [--zbb-ok-accent=#1e7b34] - Strip colour of a day with usage sent.
 * @cssprop [--zbb-error-accent=#b10e1c] - Strip colour of a day with usage not sent (or the billing host not reachable).
 */
export class ZertoBillingSites extends LitElement {
  /** Lit's reactive properties, declared without decorators (no decorator helper to load). */
  static override properties: PropertyDeclarations = {
    sites: { attribute: false },
    clock: { attribute: false },
    theme: { reflect: true },
    serviceUrl: { attribute: 'service-url' },
    token: { attribute: false },
    getToken: { attribute: false },
  };

  static {
    // Internal reactive state.
    for (const name of [
      'backlog',
      'setAside',
      'first',
      'ahead',
      'visible',
      'confirming',
      'forgetting',
      'forgetStatus',
    ])
      this.createProperty(name, { state: true });
  }

  static override styles = [
    hostStyles,
    controlStyles,
    listStatusStyles,
    css`
      .scroller {
        max-block-size: var(--zbb-sites-height, 480px);
        overflow: auto;
        border: 1px solid var(--_border);
        border-radius: var(--_radius);
      }
      /* ARIA-role rows (role="table", "row", "cell"…) of a fixed size rather than a <table>: a table's layout
         takes every row and column together, and table rows cannot be contained (CSS spec); these rows are each
         laid out and painted on their own, and a row whose text changes (a scroll reuses rows) is laid out
         again alone. */
      .table {
        inline-size: 100%;
        /* Narrower than this (a phone), the list scrolls sideways inside its frame, the site's name staying in
           view, rather than cutting every cell to an ellipsis. */
        min-inline-size: 46rem;
      }
      .row {
        display: flex;
        align-items: center;
        block-size: ${ROW}px;
        box-sizing: border-box;
        border-block-end: 1px solid color-mix(in srgb, var(--_border) 40%, transparent);
        contain: strict;
      }
      .head {
        position: sticky;
        inset-block-start: 0;
        z-index: 2;
        background: var(--_surface);
      }
      /* The header's words may take two lines: its height is its own. */
      .head .row {
        align-items: stretch;
        block-size: auto;
        min-block-size: ${ROW}px;
        border-block-end-color: var(--_border);
        contain: none;
        font-weight: 700;
      }
      /* Fixed column widths: the text columns share what the strip and the actions leave, in fixed ratios; no
         cell's content is measured. */
      .cell {
        box-sizing: border-box;
        flex: 0 0 0;
        min-inline-size: 0;
        padding: 0 8px;
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      .head .cell {
        display: flex;
        align-items: center;
        padding: 8px;
        white-space: normal;
        line-height: normal;
      }
      .name {
        flex-grow: 24;
        align-self: stretch;
        position: sticky;
        inset-inline-start: 0;
        z-index: 1;
        line-height: ${ROW - 1}px;
        background: var(--_surface);
      }
      .warning .name {
        background: linear-gradient(var(--_warning-bg), var(--_warning-bg)) var(--_surface);
      }
      .disconnected .name {
        background: linear-gradient(var(--_error-bg), var(--_error-bg)) var(--_surface);
      }
      .col-status {
        flex-grow: 26;
      }
      .col-left {
        flex-grow: 13;
      }
      .col-success {
        flex-grow: 17;
      }
      .col-strip {
        /* Seven fixed 14 px days and their gaps, with the cell's padding. */
        flex: 0 0 calc(7 * 16px + 24px);
      }
      .col-actions {
        flex: 0 0 6.5em;
      }
      .phase {
        font-weight: 700;
        /* A long phase name ("VRAs stopped (vendor's rule)") takes two lines of the fixed-height row. */
        white-space: normal;
        line-height: 1.2;
      }
      .warning .phase {
        color: var(--_warning-fg);
      }
      .disconnected .phase {
        color: var(--_error-fg);
      }
      .ok .phase {
        color: var(--_ok-fg);
      }
      .unknown .phase {
        color: var(--_muted-fg);
      }
      .row.warning {
        background: var(--_warning-bg);
      }
      .row.disconnected {
        background: var(--_error-bg);
      }
      /* Plain inline boxes of a fixed size: a grid or flex container per day (7 per row) cost more layout than
         the rest of the row together. */
      .strip {
        display: inline-block;
        vertical-align: middle;
        line-height: 16px;
        white-space: nowrap;
      }
      .day {
        display: inline-block;
        inline-size: 14px;
        block-size: 16px;
        margin-inline-end: 2px;
        border-radius: 2px;
        font-size: 10px;
        line-height: 16px;
        text-align: center;
        vertical-align: top;
        overflow: hidden;
        color: inherit;
        background: color-mix(in srgb, var(--_border) 45%, transparent);
      }
      /* The mark on a coloured day takes the surface's colour: white on the light theme's dark accents, dark
         on the dark theme's light ones (white there was 1.9:1 on green and 2.25:1 on pink). */
      .day.ok {
        background: var(--_ok-accent);
        color: var(--_surface);
      }
      .day.fail,
      .day.unreachable {
        background: var(--_error-accent);
        color: var(--_surface);
      }
      .day.reached {
        background: color-mix(in srgb, var(--_ok-accent) 30%, transparent);
      }
      .legend {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 12px;
        margin: 6px 0 0;
        padding: 0;
        list-style: none;
        font-size: 0.92em;
        color: var(--_muted-fg);
      }
      .legend li {
        display: inline-flex;
        gap: 4px;
        align-items: center;
      }
      .forget {
        padding: 2px 4px;
      }
      .confirm {
        margin-block-start: 8px;
        padding: 10px 12px;
        border: 1px solid var(--_error-accent);
        border-radius: var(--_radius);
        background: var(--_surface);
      }
      .confirm h3 {
        margin: 0 0 4px;
        font-size: 1em;
      }
      .confirm p {
        margin: 0 0 6px;
      }
      .confirm .buttons {
        display: flex;
        flex-wrap: wrap;
        gap: 8px;
      }
      .confirm .danger {
        border-color: var(--_error-accent);
        color: var(--_error-fg);
      }
      .forget-status {
        margin: 6px 0 0;
      }
    `,
  ];

  /** The sites to show; when not set, every site stored in this origin, kept live. */
  sites: SiteRow[] | undefined;
  /** An injected clock (epoch ms). */
  clock: Clock | undefined;
  /** `light` (default), `dark`, or `auto`. */
  theme: 'light' | 'dark' | 'auto' = 'light';
  /**
   * The fleet service to read the sites from (`mode="service"` of the banner); this browser's storage when
   * absent. Ignored while `sites` is given.
   */
  serviceUrl: string | null = null;
  /** The fleet service's API key (a read-only one is enough). Never an attribute, never stored. */
  token: string | undefined;
  /** Where the API key comes from, when it changes; called before each read. Its result is never stored. */
  getToken: (() => string | Promise<string>) | undefined;

  /** The outbox per site: reports waiting to be delivered, and reports the receiver refused (set aside). */
  private backlog: Backlog[] = [];
  /**
   * Stored records this list could not show as they are: sites' states that cannot be read now (left out until
   * their next check sets them aside), and the records set aside lately (the quarantine), with why.
   */
  private setAside: { unread: QuarantineDetail[]; records: SetAsideRecord[]; more: boolean } = NO_DAMAGE;
  private first = 0;
  /**
   * Rows rendered out of view on either side, so that a scroll finds them ready: none in the first frame (it
   * paints the rows in view sooner), `OVERSCAN` from the frame after.
   */
  private ahead = 0;
  private aheadAsked = false;
  /**
   * Rows that can show at once in the scroller, from its default height until the ResizeObserver measured it:
   * its height less the header row (at least a row high), and one more for the rows cut at the top and bottom.
   */
  private visible = Math.ceil(HEIGHT / ROW);
  /** The site whose "Forget…" asks for confirmation, and what the last forget did (or why it failed). */
  private confirming: { id: string; name: string } | null = null;
  private forgetting = false;
  private forgetStatus: { text: string; failed: boolean } | null = null;
  private sorted: Array<{ view: GraceView; strip: DayResult[] }> = [];
  /** The rows `sorted` was computed from. */
  private sortedFrom: readonly SiteRow[] | null = null;
  private resize: ResizeObserver | null = null;

  /** Every stored site with its transmission log, re-read whenever a site changes state (unless `sites` is given). */
  private readonly stored = new StoredListController<SiteRow[]>(this, {
    name: 'zerto-billing-sites',
    read: () => this.readRows(),
    // The service names the sites that changed: only those are read again (`?site=…`), not the whole fleet
    // at each of its attempts.
    readSome: async (ids, current) => {
      const service = this.service();
      if (!service || ids.size > STATES_SITES_LIMIT) return this.readRows();
      const now = (this.clock ?? systemClock)();
      const fresh = await readServiceStates(service, [...ids]);
      const rows = new Map(current.map((row) => [row.state.site.id, row]));
      // A site named and not in the answer is no longer in the service's config (or not read yet).
      for (const id of ids) rows.delete(id);
      for (const { state, days } of fresh) rows.set(state.site.id, { state, strip: dayStrip(days, now) });
      return [...rows.values()];
    },
    subscribe: (changed) => {
      const service = this.service();
      if (service) return watchServiceEvents(service, changed);
      const offState = onState(() => changed());
      const offForgotten = onForgotten(() => changed());
      return () => {
        offState();
        offForgotten();
      };
    },
    active: () => !this.sites,
  });

  /** Every site with its seven-day strip: the service's, or those this browser stores (with its outbox). */
  private async readRows(): Promise<SiteRow[]> {
    const now = (this.clock ?? systemClock)();
    const service = this.service();
    if (service) {
      // The service's usage reports are its own business: no browser outbox to show.
      this.backlog = [];
      this.setAside = NO_DAMAGE;
      const sites = await readServiceStates(service);
      return sites.map(({ state, days }) => ({ state, strip: dayStrip(days, now) }));
    }
    const db = await openBillingDb();
    // The outbox first: a record it sets aside as damaged is then among those listed as set aside.
    const backlog = await readBacklog(db, { now });
    const [{ states, damaged }, recent] = await Promise.all([
      readAllStatesChecked(db),
      readSetAside(db, { since: now - SET_ASIDE_SHOWN_MS, limit: SET_ASIDE_LIMIT }),
    ]);
    this.backlog = [...backlog.values()].filter(
      (b) => b.waiting > 0 || b.setAside.length > 0 || b.noLocalRecord !== null,
    );
    this.setAside = { unread: damaged, ...recent };
    return Promise.all(
      states.map(async (state) => ({
        state,
        strip: dayStrip(await readLog(db, state.site.id, now - 7 * DAY), now),
      })),
    );
  }

  /** The fleet service this element reads, when it has a `service-url`. */
  private service(): ServiceSource | null {
    if (!this.serviceUrl) return null;
    return { url: this.serviceUrl, token: this.token, getToken: this.getToken };
  }

  /** The rows as shown, most urgent first. Empty unless `status` is `ready`. */
  get rows(): ReadonlyArray<{ view: GraceView; strip: DayResult[] }> {
    return this.sorted;
  }

  /**
   * `ready` when `sites` is given; otherwise `loading` until the stored sites were read, `ready` once they
   * were, `failed` when they could not be.
   */
  get status(): ListStatus {
    return this.sites ? 'ready' : this.stored.status;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize?.disconnect();
  }

  /** Re-reads the stored sites (coalesced). */
  reload(): Promise<void> {
    return this.stored.reload();
  }

  /** Forgets what was read and reads the sites again (the Retry button). */
  retry(): Promise<void> {
    return this.stored.retry();
  }

  private onRetry = (): void => {
    void this.retry();
  };

  protected override willUpdate(changed: PropertyValues): void {
    // Rows given, then taken away: the stored sites are shown from now on, once read.
    if (changed.has('serviceUrl') && changed.get('serviceUrl') !== undefined && this.isConnected)
      void this.stored.resubscribe();
    else if (changed.has('sites') && changed.get('sites') !== undefined && !this.sites && this.isConnected)
      void this.stored.retry();
    const from = this.sites ?? this.stored.value ?? [];
    if (from !== this.sortedFrom || changed.has('clock')) {
      this.sortedFrom = from;
      const now = (this.clock ?? systemClock)();
      this.sorted = from
        .map((r) => ({
          view: viewOf(r.state, now),
          strip: r.strip ?? ['none', 'none', 'none', 'none', 'none', 'none', 'none'],
        }))
        .sort((a, b) => byUrgency(a.view, b.view));
    }
  }

  protected override updated(): void {
    // Once rows were rendered, the rows out of view follow after the frame that paints them, when the page is
    // idle (within 100 ms); a timer where there is no requestIdleCallback (Safari).
    if (this.aheadAsked || this.sorted.length <= this.visible) return;
    this.aheadAsked = true;
    const ahead = () => {
      if (this.isConnected) this.ahead = OVERSCAN;
      else this.aheadAsked = false;
    };
    requestAnimationFrame(() =>
      typeof requestIdleCallback === 'function'
        ? requestIdleCallback(ahead, { timeout: 100 })
        : setTimeout(ahead, 1),
    );
  }

  protected override firstUpdated(): void {
    const scroller = this.renderRoot.querySelector('.scroller');
    if (!scroller) return;
    // The size comes with the observation (no layout read); an unchanged count renders nothing again.
    this.resize = new ResizeObserver(([entry]) => {
      const visible = Math.ceil((entry?.contentRect.height ?? HEIGHT) / ROW);
      if (visible !== this.visible) this.visible = visible;
    });
    this.resize.observe(scroller);
  }

  /**
   * Forgets a stored site in this browser (see `forgetSite`): its state, log, alerts and notes; its waiting
   * usage reports and usage history are kept. The list is read again before this resolves.
   */
  async forget(siteId: string): Promise<ForgetResult> {
    const result = await forgetSite(siteId);
    await this.stored.reload();
    return result;
  }

  private askForget(id: string, name: string): void {
    this.confirming = { id, name };
    this.forgetStatus = null;
    void this.updateComplete.then(() =>
      this.renderRoot.querySelector<HTMLButtonElement>('.confirm [data-action="cancel"]')?.focus(),
    );
  }

  private onCancelForget = (): void => {
    const id = this.confirming?.id;
    this.confirming = null;
    void this.updateComplete.then(() => {
      const button = id ? this.forgetButton(id) : null;
      (button ?? this.renderRoot.querySelector<HTMLElement>('.scroller'))?.focus();
    });
  };

  private onConfirmForget = async (): Promise<void> => {
    const site = this.confirming;
    if (!site || this.forgetting) return;
    this.forgetting = true;
    try {
      const result = await this.forget(site.id);
      this.confirming = null;
      this.forgetStatus = { text: FORGET_WORDS.done(site.name, result.keptWaiting), failed: false };
    } catch (err) {
      console.error(`zerto-billing-sites: site "${site.id}" was not forgotten`, err);
      this.forgetStatus = { text: FORGET_WORDS.failed(describeError(err)), failed: true };
    } finally {
      this.forgetting = false;
    }
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('[part~="forget-status"]')?.focus();
  };

  private onConfirmKey = (e: KeyboardEvent): void => {
    if (e.key === 'Escape' && !this.forgetting) {
      e.stopPropagation();
      this.onCancelForget();
    }
  };

  private forgetButton(id: string): HTMLButtonElement | null {
    for (const b of this.renderRoot.querySelectorAll<HTMLButtonElement>('[part~="forget-button"]'))
      if (b.dataset.site === id) return b;
    return null;
  }

  private onScroll = (e: Event): void => {
    const first = Math.floor((e.target as HTMLElement).scrollTop / ROW);
    if (first !== this.first) this.first = first;
  };

  override render(): TemplateResult {
    const status = this.status;
    const total = this.sorted.length;
    const start = Math.max(0, this.first - this.ahead);
    const end = Math.min(total, this.first + this.visible + this.ahead);
    const lang = this.lang || undefined;
    // Forgetting is offered for the stored sites only: rows given through `sites` belong to the host, and the
    // service's sites to its config.
    const forget = !this.sites && !this.serviceUrl;
    const row = { lang, forget };
    // The scroller stays in the tree (hidden on failure): the ResizeObserver watches it.
    return html`${
        status === 'failed'
          ? renderListFailure(LIST_WORDS.sitesUnread, this.stored.error ?? 'unknown error', this.onRetry)
          : nothing
      }
      <div class="scroller" ?hidden=${status === 'failed'} @scroll=${this.onScroll}>
        <!-- The table's name only (aria-labelledby reads hidden text): not read a second time as text. -->
        <div hidden id="sites-caption">${LIST_WORDS.sitesCaption}</div>
        <div
          part="table"
          class="table"
          role="table"
          aria-labelledby="sites-caption"
          aria-rowcount=${total + 1}
          aria-busy=${status === 'loading' ? 'true' : 'false'}
        >
          <div class="head" role="rowgroup">
            <div class="row" role="row" aria-rowindex="1">
              <div class="cell name" role="columnheader">${LIST_WORDS.site}</div>
              <div class="cell col-status" role="columnheader">${LIST_WORDS.status}</div>
              <div class="cell col-left" role="columnheader">${LIST_WORDS.daysLeft}</div>
              <div class="cell col-success" role="columnheader">${LIST_WORDS.lastSuccess}</div>
              <div class="cell col-strip" role="columnheader">${LIST_WORDS.lastDays(7)}</div>
              ${
                forget
                  ? html`<div class="cell col-actions" role="columnheader">
                      <span class="visually-hidden">${FORGET_WORDS.actions}</span>
                    </div>`
                  : nothing
              }
            </div>
          </div>
          <div role="rowgroup">
            ${start > 0 ? this.spacer(start) : nothing}
            ${this.sorted.slice(start, end).map((r, i) => this.row(r, start + i, row))}
            ${end < total ? this.spacer(total - end) : nothing}
          </div>
        </div>
        ${
          status === 'loading'
            ? html`<p part="loading" class="list-loading" role="status">${LIST_WORDS.readingSites}</p>`
            : status === 'ready' && total === 0
              ? html`<p part="empty">${LIST_WORDS.noSites}</p>`
              : nothing
        }
      </div>
      ${this.renderForget()} ${status === 'failed' || total === 0 ? nothing : this.renderLegend()}
      ${this.renderBacklog(lang)} ${this.renderSetAside(lang)}`;
  }

  /** The inline confirmation of a "Forget…", and what the last forget did. */
  private renderForget(): TemplateResult | typeof nothing {
    const c = this.confirming;
    const s = this.forgetStatus;
    const waiting = c ? (this.backlog.find((b) => b.siteId === c.id)?.waiting ?? 0) : 0;
    return html`${
      c
        ? html`<section
            part="forget-confirm"
            class="confirm"
            id="forget-confirm"
            role="group"
            aria-labelledby="forget-title"
            aria-describedby="forget-what"
            @keydown=${this.onConfirmKey}
          >
            <h3 id="forget-title">${FORGET_WORDS.title(c.name)}</h3>
            <div id="forget-what">
              <p>${FORGET_WORDS.removes}</p>
              <p>${FORGET_WORDS.keeps(waiting)}</p>
              <p>${FORGET_WORDS.comesBack}</p>
            </div>
            <div class="buttons">
              <button
                class="button danger"
                data-action="confirm"
                ?disabled=${this.forgetting}
                @click=${this.onConfirmForget}
              >
                ${this.forgetting ? FORGET_WORDS.working : FORGET_WORDS.confirm}
              </button>
              <button
                class="button"
                data-action="cancel"
                ?disabled=${this.forgetting}
                @click=${this.onCancelForget}
              >
                ${FORGET_WORDS.cancel}
              </button>
            </div>
          </section>`
        : nothing
    }${
      s
        ? html`<p
            part="forget-status"
            class="forget-status"
            tabindex="-1"
            role=${s.failed ? 'alert' : 'status'}
          >
            ${s.text}
          </p>`
        : nothing
    }`;
  }

  /** What each mark of the strip means: the strip is read by its marks and words, not by colour alone. */
  private renderLegend(): TemplateResult {
    return html`<ul part="legend" class="legend" aria-label=${`${LIST_WORDS.lastDays(7)}: legend`}>
      ${DAY_LEGEND.map(
        (d) => html`<li><span class="day ${d}" aria-hidden="true">${DAY_MARKS[d]}</span>${DAY_WORDS[d]}</li>`,
      )}
    </ul>`;
  }

  /** Usage reports not yet delivered, per site: how many and since when, and those set aside, with why. */
  private renderBacklog(lang: string | undefined): TemplateResult | typeof nothing {
    if (this.sites || this.backlog.length === 0) return nothing;
    const names = new Map(this.sorted.map((r) => [r.view.site.id, r.view.site.name || r.view.site.id]));
    const now = (this.clock ?? systemClock)();
    return html`<section part="backlog" class="backlog" aria-label="Usage reports">
      <h3>Usage reports not yet delivered, or not known here</h3>
      <ul>
        ${this.backlog.map(
          (b) =>
            html`<li>
              <strong>${names.get(b.siteId) ?? `${b.siteId} (no longer watched)`}</strong>:
              ${backlogText(b, now, lang)}
            </li>`,
        )}
      </ul>
    </section>`;
  }

  /**
   * Stored records this list could not show as they are, each said once with why: a list that survives a
   * damaged record says which one it left out or set aside, rather than leaving it to the console.
   */
  private renderSetAside(lang: string | undefined): TemplateResult | typeof nothing {
    const { unread, records, more } = this.setAside;
    if (this.sites || this.serviceUrl || (unread.length === 0 && records.length === 0)) return nothing;
    const names = new Map(this.sorted.map((r) => [r.view.site.id, r.view.site.name || r.view.site.id]));
    const now = (this.clock ?? systemClock)();
    return html`<section part="set-aside" class="backlog set-aside" aria-labelledby="set-aside-title">
      <h3 id="set-aside-title">Stored records set aside as damaged</h3>
      <ul>
        ${unread.map(
          (d) =>
            html`<li>
              ${unreadText(d)}
              <button
                part="forget-button"
                class="link forget"
                data-site=${d.key}
                aria-label=${FORGET_WORDS.buttonLabel(d.key)}
                aria-controls="forget-confirm"
                aria-expanded=${this.confirming?.id === d.key ? 'true' : 'false'}
                @click=${() => this.askForget(d.key, d.key)}
              >
                ${FORGET_WORDS.button}
              </button>
            </li>`,
        )}
        ${records.map((r) => html`<li>${setAsideText(r, names, now, lang)}</li>`)}
        ${more ? html`<li>More records were set aside before these.</li>` : nothing}
      </ul>
    </section>`;
  }

  private spacer(rows: number): TemplateResult {
    return html`<div
      class="spacer"
      aria-hidden="true"
      style=${styleMap({ height: `${rows * ROW}px` })}
    ></div>`;
  }

  private row(
    { view: v, strip }: { view: GraceView; strip: DayResult[] },
    index: number,
    o: { lang: string | undefined; forget: boolean },
  ): TemplateResult {
    const name = v.site.name || v.site.id;
    const left = v.remaining
      ? formatRemaining(v.remaining)
      : v.phase === 'disconnected'
        ? LIST_WORDS.noneLeft
        : '—';
    const days = stripDays(strip.length, o.lang); // made once per language, not per row
    return html`<div
      part="row"
      class="row ${v.phase}"
      role="row"
      aria-rowindex=${index + 2}
      data-site=${v.site.id}
    >
      <div class="cell name" role="cell" title=${name}>${name}</div>
      <div part="phase" class="cell col-status phase" role="cell">${phaseLabel(v.phase, v.source)}</div>
      <div class="cell col-left" role="cell">${left}</div>
      <div class="cell col-success" role="cell">
        ${v.lastSuccessAt === null ? LIST_WORDS.never : formatAgo(Math.max(0, v.at - v.lastSuccessAt), o.lang)}
      </div>
      <div class="cell col-strip" role="cell">
        <span part="strip" class="strip" role="group" aria-label=${describeStrip(strip)}>
          ${strip.map((d, i) => {
            const text = dayText(days[i]!, d);
            return html`<span class="day ${d}" role="img" aria-label=${text} title=${text}
              >${DAY_MARKS[d]}</span
            >`;
          })}
        </span>
      </div>
      ${
        o.forget
          ? html`<div class="cell col-actions" role="cell">
              <button
                part="forget-button"
                class="link forget"
                data-site=${v.site.id}
                aria-label=${FORGET_WORDS.buttonLabel(name)}
                aria-controls="forget-confirm"
                aria-expanded=${this.confirming?.id === v.site.id ? 'true' : 'false'}
                @click=${() => this.askForget(v.site.id, name)}
              >
                ${FORGET_WORDS.button}
              </button>
            </div>`
          : nothing
      }
    </div>`;
  }
}

const NO_DAMAGE = { unread: [], records: [], more: false };
/** How long a record set aside as damaged is mentioned in the list, and how many at most. */
const SET_ASIDE_SHOWN_MS = 30 * DAY;
const SET_ASIDE_LIMIT = 10;

/** A reason as a list line shows it: the first 300 characters. */
const cut = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}…` : text);

/** A site's stored state that cannot be read now: left out of the rows until its next check. */
function unreadText(d: QuarantineDetail): string {
  return (
    `The stored state of site “${d.key}” cannot be read (${cut(d.error)}): it is left out of this list until the ` +
    "site's next check sets it aside and rebuilds it from what can be read. If no console or extension " +
    'watches that site any more, nothing will: forget it here.'
  );
}

/** A record of the quarantine in words: what it was, whose, when it was set aside and why. */
function setAsideText(
  r: SetAsideRecord,
  names: ReadonlyMap<string, string>,
  now: number,
  lang: string | undefined,
): string {
  const site = r.siteId === null ? null : (names.get(r.siteId) ?? `site “${r.siteId}”`);
  const when = r.at === null ? '' : ` ${formatAgo(Math.max(0, now - r.at), lang)}`;
  const why = `: ${r.error || 'no reason recorded'}`;
  switch (r.store) {
    case 'outbox':
      return (
        `A usage report${r.key ? ` “${r.key}”` : ''} ${site ? `of ${site}` : 'that names no site'} was set aside` +
        `${when}${why}. It cannot be sent as it is and is never resent: bill its usage from the ` +
        'manual-billing export.'
      );
    case 'sites':
      return `The stored state of ${site ?? 'a site'} was set aside${when}${why}. It was rebuilt from what could be read.`;
    case 'meta':
      return (
        `The record of where the usage periods of ${site ?? 'a site'} end was set aside${when}${why}. Reports ` +
        "continue from where the billing server's end, or from one interval back."
      );
    case 'usage':
      return `A usage snapshot${site ? ` of ${site}` : ''} was set aside${when}${why}.`;
    default:
      return `A stored record${r.key ? ` “${r.key}”` : ''}${r.store ? ` (${r.store})` : ''} was set aside${when}${why}.`;
  }
}

/** One site's outbox in words: waiting reports, set-aside ones, and a record this browser did not have. */
function backlogText(b: Backlog, now: number, lang: string | undefined): string {
  const parts: string[] = [];
  if (b.waiting)
    parts.push(
      `${b.waiting} waiting, the oldest made ${formatAgo(Math.max(0, now - (b.oldest ?? now)), lang)}`,
    );
  if (b.setAside.length)
    parts.push(
      `${b.setAside.length} refused by the billing server and set aside (${b.setAside[0]!.reason}); their usage is in the manual-billing export, as not sent`,
    );
  if (b.noLocalRecord)
    parts.push(
      `this browser had no record of the reports the billing server holds up to ${formatDateTime(b.noLocalRecord.receiverEnd, lang)} ` +
        '(it is new to the site, or its stored data was cleared, with any report that was waiting); reports continue from there',
    );
  return parts.join('; ');
}
