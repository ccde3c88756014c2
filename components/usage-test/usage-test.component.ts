import { css, html, nothing, type TemplateResult } from 'lit';
import { query, state } from 'lit/decorators.js';
import { testPassedText } from '../../src/core/texts.ts';
import type { ProbeResult, StepId, TestStep } from '../../src/world/probes/index.ts';
import { fireTestResult } from '../shared/events.ts';
import { SiteBoundElement } from '../shared/site-element.ts';
import { hostStyles } from '../shared/tokens.ts';
import { causeText, STEP_LABELS, whatToCheck } from './hints.ts';

const ORDER: StepId[] = ['collect', 'reach', 'ack'];

/**
 * @summary "Test usage transmission to Zerto": tests the connection and also sends the usage, showing each
 * step as it happens; on failure, which step failed, why, and what to check. A success resolves the billing
 * alerts at once in every element and tab.
 *
 * @fires zerto-billing-test-result - The transmission test finished. `detail: TestResultDetail`
 * @fires zerto-billing-config-error - An attribute value cannot work. `detail: { message }`
 *
 * @csspart button - The action button.
 * @csspart dialog - The dialog showing the steps.
 * @csspart steps - The list of steps.
 * @csspart step - One step.
 * @csspart failure - The failure explanation.
 * @csspart success - The success message.
 * @csspart close-button - Closes the dialog.
 *
 * @cssprop [--zbb-surface=#ffffff] - Dialog background.
 * @cssprop [--zbb-focus=#0b5cad] - Focus ring colour.
 */
export class ZertoUsageTest extends SiteBoundElement {
  static override styles = [
    hostStyles,
    css`
      :host {
        display: inline-block;
      }
      dialog {
        max-inline-size: min(36rem, calc(100vw - 32px));
        border: 1px solid var(--_border);
        border-radius: var(--_radius);
        background: var(--_surface);
        color: inherit;
        padding: 20px 24px;
      }
      dialog::backdrop {
        background: rgb(0 0 0 / 0.4);
      }
      h2 {
        margin: 0 0 12px;
        font-size: 1.15em;
      }
      ol {
        list-style: none;
        padding: 0;
        margin: 0 0 12px;
        display: grid;
        gap: 8px;
      }
      ol > li {
        display: grid;
        grid-template-columns: 1.5em 1fr;
        gap: 8px;
      }
      .mark {
        font-weight: 700;
        text-align: center;
      }
      .done .mark {
        color: var(--_ok-accent);
      }
      .failed .mark {
        color: var(--_error-accent);
      }
      .detail {
        display: block;
        color: var(--_muted-fg);
        font-size: 0.92em;
        overflow-wrap: anywhere;
      }
      .failure {
        border-inline-start: 4px solid var(--_error-accent);
        background: var(--_error-bg);
        color: var(--_error-fg);
        padding: 8px 12px;
        border-radius: var(--_radius);
      }
      .failure ul {
        margin: 4px 0 0;
        padding-inline-start: 1.2em;
      }
      .success {
        border-inline-start: 4px solid var(--_ok-accent);
        background: var(--_ok-bg);
        color: var(--_ok-fg);
        padding: 8px 12px;
        border-radius: var(--_radius);
      }
      .footer {
        display: flex;
        justify-content: flex-end;
        margin-block-start: 16px;
      }
      .config-error {
        color: var(--_error-fg);
        font-family: ui-monospace, monospace;
      }
    `,
  ];

  @state() private steps: TestStep[] = [];
  @state() private running = false;
  @state() private result: ProbeResult | null = null;
  @query('dialog') private dialog!: HTMLDialogElement;

  /** Runs the test (as the button does) and resolves with its result. */
  async run(): Promise<ProbeResult | null> {
    if (!this.handle || this.running) return null;
    this.steps = ORDER.map((id) => ({ id, status: 'running' as const })).slice(0, 1);
    this.result = null;
    this.running = true;
    if (!this.dialog.open) this.dialog.showModal();
    try {
      const result = await this.handle.test((step) => {
        const others = this.steps.filter((s) => s.id !== step.id);
        this.steps = [...others, step].sort((a, b) => ORDER.indexOf(a.id) - ORDER.indexOf(b.id));
      });
      this.steps = result.steps.slice().sort((a, b) => ORDER.indexOf(a.id) - ORDER.indexOf(b.id));
      this.result = result;
      fireTestResult(this, this.handle.options.config.siteId, 'transmission', result);
      return result;
    } finally {
      this.running = false;
    }
  }

  override render(): TemplateResult {
    if (this.configError) {
      return html`<span class="config-error" role="alert"
        >&lt;zerto-usage-test&gt;: ${this.configError}</span
      >`;
    }
    return html`<button
        part="button"
        class="button"
        ?disabled=${this.running || !this.handle}
        @click=${() => void this.run()}
      >
        Test usage transmission to Zerto
      </button>
      <dialog
        part="dialog"
        aria-labelledby="title"
        @close=${() => (this.result = this.running ? this.result : null)}
      >
        <h2 id="title">Test usage transmission to Zerto</h2>
        <ol part="steps" aria-live="polite">
          ${this.steps.map((s) => this.renderStep(s))}
        </ol>
        ${this.renderOutcome()}
        <div class="footer">
          <button part="close-button" class="button" @click=${() => this.dialog.close()}>
            ${this.running ? 'Close (the test goes on)' : 'Close'}
          </button>
        </div>
      </dialog>`;
  }

  private renderStep(s: TestStep): TemplateResult {
    const mark = { running: '…', done: '✓', failed: '✗', skipped: '–' }[s.status];
    const statusWord = { running: 'in progress', done: 'done', failed: 'failed', skipped: 'skipped' }[
      s.status
    ];
    let detail = s.detail ?? '';
    if (s.id === 'collect' && s.usage)
      detail = `${s.usage.protectedVms} protected VMs${s.usage.licenseType ? `, ${s.usage.licenseType} license` : ''}`;
    if (s.id === 'ack' && s.reportId) detail = `report ${s.reportId}`;
    return html`<li part="step" class=${s.status} data-step=${s.id}>
      <span class="mark" aria-hidden="true">${mark}</span>
      <span
        ><strong>${STEP_LABELS[s.id]}</strong>
        <span class="visually-hidden">${statusWord}</span>
        ${detail ? html`<span class="detail">${detail}</span>` : nothing}</span
      >
    </li>`;
  }

  private renderOutcome(): TemplateResult | typeof nothing {
    const r = this.result;
    if (!r) return nothing;
    if (r.outcome.ok) {
      const host = this.config ? new URL(this.config.billingUrl).host : 'the billing host';
      return html`<p part="success" class="success" role="status">
        ${testPassedText(this.config?.mode ?? '', host)}
      </p>`;
    }
    const failed = r.steps.find((s) => s.status === 'failed');
    const host = this.config ? new URL(this.config.billingUrl).host : 'the billing host';
    return html`<div part="failure" class="failure" role="alert">
      <p><strong>Failed at: ${failed ? STEP_LABELS[failed.id] : 'the transmission'}.</strong></p>
      <p>Cause: ${causeText(r.outcome.reason)}.</p>
      <p>Check that:</p>
      <ul>
        ${whatToCheck(r.outcome.reason, host).map((h) => html`<li>${h}</li>`)}
        <li>the clock of this computer and of the ZVM are correct</li>
      </ul>
    </div>`;
  }
}
