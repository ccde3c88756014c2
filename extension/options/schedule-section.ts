import { html, type TemplateResult } from 'lit';
import { state } from 'lit/decorators.js';
import {
  omit,
  policyForm,
  STORAGE_KEYS,
  validatePolicyForm,
  type FieldErrors,
  type PolicyField,
  type PolicyForm,
} from '../shared/settings.ts';
import { field } from './fields.ts';
import { flash, LightElement } from './light-element.ts';
import { OptionsStore } from './store.ts';

/** The schedule and thresholds every site shares, in the units an admin thinks in. */
export class ZbbScheduleSection extends LightElement {
  private readonly store = new OptionsStore(this);
  @state() private form: PolicyForm | null = null;
  @state() private errors: FieldErrors<PolicyField> = {};
  private shownPolicy = '';

  protected override willUpdate(): void {
    // The stored schedule changed (or was read the first time): the form shows it.
    const p = JSON.stringify(this.store.settings.policy);
    if (this.store.loaded && p !== this.shownPolicy) {
      this.shownPolicy = p;
      this.form = policyForm(this.store.settings.policy);
    }
  }

  private save = (e: Event): void => {
    e.preventDefault();
    if (!this.form) return;
    const r = validatePolicyForm(this.form);
    if (!r.ok) {
      this.errors = r.errors;
      return;
    }
    this.errors = {};
    const s = this.store;
    void s
      .write({ [STORAGE_KEYS.settings]: { ...s.settings, policy: r.value } })
      .then(() => flash(this, 'Saved the schedule and thresholds. A deadline already set does not move.'));
  };

  private input(name: PolicyField, label: string, hint: string): TemplateResult {
    const form = this.form!;
    return field({
      id: `policy-${name}`,
      name,
      label,
      hint,
      inputmode: 'decimal',
      value: form[name],
      error: this.errors[name],
      onInput: (v) => {
        this.form = { ...form, [name]: v };
        this.errors = omit(this.errors, name);
      },
    });
  }

  override render(): TemplateResult {
    if (!this.form) return html``;
    return html`<section aria-labelledby="policy-title">
      <form class="policy-form" novalidate @submit=${this.save}>
        <h2 id="policy-title">Schedule and thresholds (every site)</h2>
        ${this.input(
          'intervalMinutes',
          'Check every (minutes)',
          'Default 60. At least 0.5: Chrome runs an extension’s alarms at most every 30 seconds.',
        )}
        ${this.input('alertAfterHours', 'Alert after (hours without a successful transmission)', 'Default 24.')}
        ${this.input('graceDays', 'Grace (days from the alert until VRA communication stops)', 'Default 15.')}
        <div class="row"><button class="primary save-policy" type="submit">Save schedule</button></div>
      </form>
    </section>`;
  }
}

customElements.define('zbb-schedule-section', ZbbScheduleSection);

declare global {
  interface HTMLElementTagNameMap {
    'zbb-schedule-section': ZbbScheduleSection;
  }
}
