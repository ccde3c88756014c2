import { css, html, LitElement, nothing, type TemplateResult, type PropertyDeclarations } from 'lit';
import { DAY, exportActionLabel, exportFailedText, type Clock } from '../../src/core/index.ts';
import { dayKey, parseExportRange, type ExportFile } from '../../src/export/index.ts';
import { systemClock } from '../../src/world/clock.ts';
import { exportUsage } from '../../src/world/export-usage.ts';
import { fetchServiceExport } from '../../src/world/service-lists.ts';
import { openBillingDb } from '../../src/world/storage/db.ts';
import { hostStyles } from '../shared/tokens.ts';
import { controlStyles } from '../shared/controls.styles.ts';
import { offerDownload } from './download.ts';
import { renderResult } from './result.ts';

export interface ExportDetail {
  fileName: string;
  sha256: string;
  rows: number;
  unsentDays: number;
}

declare global {
  interface GlobalEventHandlersEventMap {
    'zerto-billing-export': CustomEvent<ExportDetail>;
  }
}

/**
 * @tagname zerto-usage-export
 * @summary "Export usage for manual billing": one site or all, a date range, CSV or JSON; one row per site per
 * day with that day's peak protected VM count, days never acknowledged marked; the file's SHA-256 shown and
 * offered beside it. With `service-url`, the fleet service's export of its sites (`GET /v1/export`, the same
 * format), read with the API key in `token` (or `getToken`) and its checksum checked here; otherwise the
 * usage stored in this browser.
 *
 * @fires zerto-billing-export - A file was exported. `detail: { fileName, sha256, rows, unsentDays }`
 *
 * @csspart form - The export form.
 * @csspart export-button - The export action.
 * @csspart error - A message about the range.
 * @csspart result - The exported file's name and checksum.
 */
export class ZertoUsageExport extends LitElement {
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
    for (const name of ['error', 'busy', 'file']) this.createProperty(name, { state: true });
  }

  static override styles = [
    hostStyles,
    controlStyles,
    css`
      form {
        display: flex;
        flex-wrap: wrap;
        gap: 8px 16px;
        align-items: end;
      }
      label {
        display: grid;
        gap: 2px;
        font-size: 0.92em;
      }
      input,
      select {
        font: inherit;
        padding: 4px 6px;
        color: inherit;
        background: var(--_surface);
        border: 1px solid var(--_border);
        border-radius: 4px;
      }
      .error {
        color: var(--_error-fg);
        background: var(--_error-bg);
        padding: 6px 10px;
        border-radius: var(--_radius);
      }
      .result {
        margin-block-start: 8px;
      }
      code {
        overflow-wrap: anywhere;
      }
    `,
  ];

  /** Export this site only (all sites of this origin when absent). */
  siteId: string | null = null;
  /** The fleet service to export from; this browser's stored usage when absent. */
  serviceUrl: string | null = null;
  /** The fleet service's API key (a read-only one is enough). Never an attribute, never stored. */
  token: string | undefined;
  /** Where the API key comes from, when it changes; called before each export. Its result is never stored. */
  getToken: (() => string | Promise<string>) | undefined;
  /** `light` (default), `dark`, or `auto`. */
  theme: 'light' | 'dark' | 'auto' = 'light';
  /** An injected clock (epoch ms). */
  clock: Clock | undefined;

  private error = '';
  private busy = false;
  private file: ExportFile | null = null;
  private get form(): HTMLFormElement | null {
    return this.renderRoot.querySelector('form');
  }

  private now(): number {
    return (this.clock ?? systemClock)();
  }

  /** Builds the export from the form's values (or the ones given) and offers the file; resolves with it. */
  async exportNow(
    o: { from?: string; to?: string; format?: 'csv' | 'json'; download?: boolean } = {},
  ): Promise<ExportFile | null> {
    const data = this.form ? new FormData(this.form) : null;
    const from = o.from ?? String(data?.get('from') ?? '');
    const to = o.to ?? String(data?.get('to') ?? '');
    const format = o.format ?? (data?.get('format') === 'json' ? 'json' : 'csv');
    const range = parseExportRange({ from, to }, this.now());
    if (!range.ok) {
      this.error = range.error;
      this.file = null;
      return null;
    }
    this.error = '';
    this.busy = true;
    try {
      const file = this.serviceUrl
        ? await fetchServiceExport(
            { url: this.serviceUrl, token: this.token, getToken: this.getToken },
            { from, to, format, siteId: this.siteId },
          )
        : await exportUsage(await openBillingDb(), {
            ...(this.siteId ? { siteIds: [this.siteId] } : {}),
            range: range.value,
            format,
            now: this.now(),
          });
      this.file = file;
      if (o.download !== false)
        offerDownload(this.renderRoot as ShadowRoot, file.fileName, file.bytes, file.mimeType);
      this.dispatchEvent(
        new CustomEvent('zerto-billing-export', {
          detail: {
            fileName: file.fileName,
            sha256: file.sha256,
            rows: file.rows,
            unsentDays: file.unsentDays,
          },
          bubbles: true,
          composed: true,
        }),
      );
      return file;
    } catch (err) {
      this.error = exportFailedText(err);
      return null;
    } finally {
      this.busy = false;
    }
  }

  override render(): TemplateResult {
    const now = this.now();
    return html`<form
        part="form"
        @submit=${(e: Event) => {
          e.preventDefault();
          void this.exportNow();
        }}
      >
        <label>From <input name="from" type="date" required .value=${dayKey(now - 30 * DAY)} /></label>
        <label>To <input name="to" type="date" required .value=${dayKey(now)} /></label>
        <label
          >Format
          <select name="format">
            <option value="csv">CSV</option>
            <option value="json">JSON (with every report)</option>
          </select></label
        >
        <button part="export-button" class="button" type="submit" ?disabled=${this.busy}>
          ${exportActionLabel(false, !this.siteId)}
        </button>
      </form>
      ${this.error ? html`<p part="error" class="error" role="alert">${this.error}</p>` : nothing}
      ${this.file ? renderResult(this.file, this.renderRoot as ShadowRoot) : nothing}`;
  }
}
