import { html, LitElement, nothing, type TemplateResult } from 'lit';
import { state } from 'lit/decorators.js';
import {
  causeText,
  CHECKSUM_ACTION,
  DAY,
  deadlineLead,
  disconnectedLine,
  exportActionLabel,
  exportedText,
  exportFailedText,
  leftText,
  LIST_WORDS,
  messageText,
  phaseLabel,
  testActionLabel,
  type Phase,
} from '../../src/core/index.ts';
import { dayKey, MAX_RANGE_DAYS, parseExportRange, type ExportFile } from '../../src/export/index.ts';
import { exportUsage } from '../../src/world/export-usage.ts';
import type { ProbeResult, TestStep } from '../../src/world/probes/index.ts';
import { openBillingDb } from '../../src/world/storage/db.ts';
import { offerChecksum, offerDownload } from '../../components/export/download.ts';
import { formatAgo, formatDateTime, formatDeadline } from '../../components/shared/format.ts';
import {
  logFailure,
  renderOutcome,
  renderSteps,
  resultSteps,
  startingSteps,
  withStep,
} from '../../components/usage-test/steps-view.ts';
import { PORTS, type FromPopup, type SiteSummary, type ToPopup } from '../shared/messages.ts';
import { statusOf } from '../shared/status.ts';

/** The last state known before the site could not be read, and how old that reading is. */
const lastKnownText = (label: string, age: number | null): string =>
  `Last known: ${label.toLowerCase()}${age === null ? '' : `, read ${formatAgo(Math.max(0, age))}`}.`;

interface TestRun {
  steps: TestStep[];
  result: ProbeResult | null;
  message: string | null;
}

/**
 * The toolbar popup: each watched site's status (shared/status.ts, as the badge, the notifications and the
 * banner name it), days left and last success, and the "Test usage
 * transmission to Zerto" action, run by the service worker with each step shown as it happens. Rendered in
 * light DOM (an extension page has no host styles to guard against); every text goes through Lit, escaped.
 */
export class ZbbPopup extends LitElement {
  @state() private sites: SiteSummary[] = [];
  @state() private at = Date.now();
  @state() private problems: string[] = [];
  /** The browser cleared the extension's stored state: what the admin must know. */
  @state() private storage: string | null = null;
  @state() private loaded = false;
  @state() private runs: Record<string, TestRun> = {};
  @state() private exports: Record<string, ExportFile | string> = {};
  private port: chrome.runtime.Port | null = null;

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.connect();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.port?.disconnect();
    this.port = null;
  }

  private connect(): void {
    const port = chrome.runtime.connect({ name: PORTS.popup });
    this.port = port;
    port.onMessage.addListener((msg: ToPopup) => this.onMessage(msg));
    port.onDisconnect.addListener(() => {
      // The worker was stopped: connecting again starts it and brings the sites afresh.
      if (this.port === port && this.isConnected) setTimeout(() => this.connect(), 200);
    });
  }

  private send(msg: FromPopup): void {
    this.port?.postMessage(msg);
  }

  private onMessage(msg: ToPopup): void {
    switch (msg.type) {
      case 'sites':
        this.sites = msg.sites;
        this.at = msg.at;
        this.problems = msg.problems;
        this.storage = msg.storage;
        this.loaded = true;
        break;
      case 'step': {
        const run = this.runs[msg.siteId] ?? { steps: [], result: null, message: null };
        this.runs = { ...this.runs, [msg.siteId]: { ...run, steps: withStep(run.steps, msg.step) } };
        break;
      }
      case 'result':
        logFailure(msg.result, `zerto-billing popup (site ${msg.siteId})`);
        this.runs = {
          ...this.runs,
          [msg.siteId]: {
            steps: resultSteps(this.runs[msg.siteId]?.steps ?? [], msg.result),
            result: msg.result,
            message: null,
          },
        };
        break;
      case 'busy': {
        // The test did not run (or stopped before a result): no step is left showing as in progress.
        const run = this.runs[msg.siteId] ?? { steps: [], result: null };
        this.runs = {
          ...this.runs,
          [msg.siteId]: {
            ...run,
            steps: run.steps.filter((st) => st.status !== 'running'),
            message: msg.message,
          },
        };
        break;
      }
    }
  }

  private test(siteId: string): void {
    this.runs = {
      ...this.runs,
      [siteId]: { steps: startingSteps(), result: null, message: null },
    };
    this.send({ type: 'test', siteId });
  }

  /**
   * Manual billing: this site's usage from a day before its last success (30 days back without one) to now,
   * as CSV, from the extension's own IndexedDB, where the worker records every usage snapshot it collects.
   */
  private async exportSite(s: SiteSummary): Promise<void> {
    const now = this.at;
    try {
      const start = Math.max(
        now - (MAX_RANGE_DAYS - 1) * DAY,
        (s.view?.lastSuccessAt ?? now - 30 * DAY) - DAY,
      );
      const range = parseExportRange({ from: dayKey(start), to: dayKey(now) }, now);
      if (!range.ok) throw new Error(range.error);
      const file = await exportUsage(await openBillingDb(), {
        siteIds: [s.siteId],
        // The name the popup shows (the admin's, else the ZVM's), in the file's site_name column.
        ...(s.siteName ? { siteNames: { [s.siteId]: s.siteName } } : {}),
        range: range.value,
        format: 'csv',
        now,
      });
      offerDownload(this, file.fileName, file.bytes, file.mimeType);
      this.exports = { ...this.exports, [s.siteId]: file };
    } catch (err) {
      this.exports = {
        ...this.exports,
        [s.siteId]: exportFailedText(err),
      };
    }
  }

  override render(): TemplateResult {
    return html`<h1>Zerto billing</h1>
      ${this.storage ? html`<p class="notice storage" role="alert">${this.storage}</p>` : nothing}
      ${
        this.problems.length
          ? html`<p class="notice" role="status">
              Some stored settings were set aside: ${this.problems.join('; ')}
            </p>`
          : nothing
      }
      ${
        !this.loaded
          ? html`<p class="muted">Loading…</p>`
          : this.sites.length === 0
            ? html`<p>No site is watched yet. Add the sites to watch in the options.</p>`
            : html`<ul class="sites">
                ${this.sites.map((s) => this.renderSite(s))}
              </ul>`
      }
      <footer>
        <button class="open-options" @click=${() => void chrome.runtime.openOptionsPage()}>Options</button>
      </footer>`;
  }

  private renderSite(s: SiteSummary): TemplateResult {
    const v = s.view;
    const phase: Phase = v?.phase ?? 'unknown';
    const run = this.runs[s.siteId];
    const running = !!run && !run.result && !run.message;
    const name = s.siteName || s.siteId;
    // What the badge, the notifications and the banner say of this site now: never "Usage sent" for a site
    // that cannot be read, whatever it last knew (its last known phase stays in data-phase).
    const status = statusOf(v);
    const label = status.label;
    return html`<li class="site ${status.key}" data-site-id=${s.siteId} aria-label=${`${name}: ${label}`}>
      <div class="head">
        <span class="name">${name}</span>
        <span class="phase" data-phase=${phase} data-status=${status.key}>${label}</span>
      </div>
      ${
        status.key === 'blind' && v?.message && v.blind
          ? html`<p class="notice cannot-check" role="status">${messageText(v.message)}</p>
              <p class="last-known muted">
                ${lastKnownText(phaseLabel(phase, v.source), v.blind.lastKnownAge)}
              </p>`
          : nothing
      }
      ${
        v?.phase === 'warning' && v.remaining
          ? html`<p class="days">
              <strong>${leftText(v.remaining)}</strong>${
                v.deadline !== null
                  ? html` — ${deadlineLead(v.source)} ${formatDeadline(v.deadline)}`
                  : nothing
              }
            </p>`
          : nothing
      }
      ${v?.phase === 'disconnected' ? html`<p class="days">${disconnectedLine(v.source)}</p>` : nothing}
      ${s.problem ? html`<p class="notice service-problem" role="status">${s.problem}</p>` : nothing}
      <p class="last">
        ${LIST_WORDS.lastSuccess}:
        ${
          v?.lastSuccessAt != null
            ? html`${formatAgo(Math.max(0, this.at - v.lastSuccessAt))}
                <span class="muted">(${formatDateTime(v.lastSuccessAt)})</span>`
            : LIST_WORDS.never
        }
      </p>
      ${
        s.lastFailure && phase !== 'ok' && status.key !== 'blind'
          ? html`<p class="last-failure muted">${LIST_WORDS.lastAttempt}: ${causeText(s.lastFailure)}</p>`
          : nothing
      }
      ${
        s.backlog.waiting || s.backlog.setAside
          ? html`<p class="backlog muted">
              ${
                s.backlog.waiting
                  ? `${s.backlog.waiting} usage report${s.backlog.waiting === 1 ? '' : 's'} waiting to be delivered, the oldest made ${formatAgo(Math.max(0, this.at - (s.backlog.oldest ?? this.at)))}.`
                  : ''
              }
              ${
                s.backlog.setAside
                  ? `${s.backlog.setAside} refused by the billing server and set aside (${s.backlog.setAsideReason ?? 'no reason given'}).`
                  : ''
              }
            </p>`
          : nothing
      }
      <button class="test" ?disabled=${running} @click=${() => this.test(s.siteId)}>
        ${testActionLabel(s.mode, running)}
      </button>
      ${
        // Offered wherever usage can exist: every site checked at least once, whatever its phase.
        v
          ? html`<button class="export" @click=${() => void this.exportSite(s)}>
              ${exportActionLabel(false)}
            </button>`
          : nothing
      }
      ${run ? this.renderRun(run, s) : nothing} ${this.renderExport(s.siteId)}
    </li>`;
  }

  private renderExport(siteId: string): TemplateResult | typeof nothing {
    const e = this.exports[siteId];
    if (!e) return nothing;
    if (typeof e === 'string') return html`<p class="failure" role="alert">${e}</p>`;
    return html`<div class="success export-result" role="status">
      <p>Exported <strong>${e.fileName}</strong>: ${exportedText(e)}.</p>
      <p class="detail">SHA-256: <code>${e.sha256}</code></p>
      <button @click=${() => offerChecksum(this, e)}>${CHECKSUM_ACTION}</button>
    </div>`;
  }

  private renderRun(run: TestRun, s: SiteSummary): TemplateResult {
    return html`${renderSteps(run.steps)}
    ${run.message ? html`<p class="notice" role="status">${run.message}</p>` : nothing}
    ${
      run.result
        ? renderOutcome(run.result, {
            // Through the fleet service, the ZVM sends its usage: a success proves what it proves in zvm mode.
            mode: s.mode === 'service' ? 'zvm' : s.mode,
            billingUrl: s.billingHost,
          })
        : nothing
    }`;
  }
}

customElements.define('zbb-popup', ZbbPopup);

declare global {
  interface HTMLElementTagNameMap {
    'zbb-popup': ZbbPopup;
  }
}
