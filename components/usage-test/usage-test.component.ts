import { css, html, nothing, type TemplateResult } from 'lit';
import { closeLabel, TEST_TITLE } from '../../src/core/texts.ts';
import type { ProbeResult, TestStep } from '../../src/world/probes/index.ts';
import { fireTestResult } from '../shared/test-result.ts';
import { SiteBoundElement } from '../shared/site-element.ts';
import { loadPageHost } from '../../src/world/client.ts';
import { hostStyles } from '../shared/tokens.ts';
import { controlStyles } from '../shared/controls.styles.ts';
import {
  logFailure,
  renderOutcome,
  renderSteps,
  resultSteps,
  startingSteps,
  withStep,
} from './steps-view.ts';

/**
 * @tagname zerto-usage-test
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
 * @csspart technical - The failure's technical detail (collapsed; exception names, browser error codes).
 * @csspart success - The success message.
 * @csspart close-button - Closes the dialog.
 *
 * @cssprop [--zbb-surface=#ffffff] - Dialog background.
 * @cssprop [--zbb-focus=#0b5cad] - Focus ring colour.
 */
export class ZertoUsageTest extends SiteBoundElement {
  static {
    // Internal reactive state.
    for (const name of ['steps', 'running', 'result']) this.createProperty(name, { state: true });
  }

  static override styles = [
    hostStyles,
    controlStyles,
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
      .technical {
        margin-block-start: 6px;
        font-size: 0.92em;
      }
      .technical code {
        overflow-wrap: anywhere;
      }
      .config-error {
        color: var(--_error-fg);
        font-family: ui-monospace, monospace;
      }
    `,
  ];

  private steps: TestStep[] = [];
  private running = false;
  private result: ProbeResult | null = null;
  private get dialog(): HTMLDialogElement | null {
    return this.renderRoot.querySelector('dialog');
  }

  /** Runs the test (as the button does) and resolves with its result. */
  async run(): Promise<ProbeResult | null> {
    const h = this.handle;
    if (!h || this.running) return null;
    this.steps = startingSteps();
    this.result = null;
    this.running = true;
    const dialog = this.dialog;
    if (dialog && !dialog.open) dialog.showModal();
    try {
      const host = await loadPageHost();
      const result = await host.testSite(h, (step) => {
        this.steps = withStep(this.steps, step);
      });
      this.steps = resultSteps(this.steps, result);
      this.result = result;
      logFailure(result, '<zerto-usage-test>');
      fireTestResult(this, h.options.config.siteId, 'transmission', result);
      return result;
    } finally {
      this.running = false;
    }
  }

  override render(): TemplateResult {
    const problem = this.setupProblem;
    const notice = problem
      ? html`<span part="config-error" class="config-error" role="alert"
          >&lt;zerto-usage-test&gt;: ${problem}</span
        >`
      : nothing;
    if (this.configError || this.discoveryError) return html`${notice}`;
    return html`${notice}<button
        part="button"
        class="button"
        ?disabled=${this.running || !this.handle}
        @click=${() => void this.run()}
      >
        ${TEST_TITLE}
      </button>
      <dialog
        part="dialog"
        aria-labelledby="title"
        @close=${() => (this.result = this.running ? this.result : null)}
      >
        <h2 id="title">${TEST_TITLE}</h2>
        ${renderSteps(this.steps)} ${this.renderOutcome()}
        <div class="footer">
          <button part="close-button" class="button" @click=${() => this.dialog?.close()}>
            ${closeLabel(this.running)}
          </button>
        </div>
      </dialog>`;
  }

  private renderOutcome(): TemplateResult | typeof nothing {
    const r = this.result;
    if (!r) return nothing;
    return renderOutcome(r, {
      mode: this.config?.mode ?? '',
      billingUrl: this.config?.billingUrl ?? 'https://autologs.zerto.com',
      zvmUrl: this.config?.zvmUrl,
    });
  }
}
