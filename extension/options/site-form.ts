import { html, nothing, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { MODE_FIELD_LABEL, MODE_TEXTS, saveButtonLabel, SERVICE_FIELDS } from '../../src/core/texts.ts';
import {
  DEFAULT_SETTINGS,
  EXTENSION_MODES,
  omit,
  siteForm,
  validateSiteForm,
  type FieldErrors,
  type SiteCredentials,
  type SiteEntry,
  type SiteField,
  type SiteForm,
} from '../shared/settings.ts';
import { field } from './fields.ts';
import { LightElement } from './light-element.ts';
import type { Policy } from '../../src/core/index.ts';

/** A site the admin asked to save, validated; the section asks for access and stores it. */
export interface SiteSave {
  original: string | null;
  entry: SiteEntry;
  secrets: SiteCredentials;
}

/**
 * Adding or editing one site: every field checked by the engine's own parsers with a message per field, and
 * each way of checking a site described in an operator's words.
 *
 * @fires zbb-site-save - A valid site to save (`detail: SiteSave`), dispatched inside the click, so that the
 *   listener can ask for host permissions (Chrome asks only on a user gesture).
 * @fires zbb-site-cancel - The admin cancelled.
 */
export class ZbbSiteForm extends LightElement {
  /** The site being edited; null adds a new one. */
  @property({ attribute: false }) entry: SiteEntry | null = null;
  @property({ attribute: false }) secrets: SiteCredentials = {};
  @property({ attribute: false }) policy: Policy = DEFAULT_SETTINGS.policy;
  /** Ids the site may not take (every other site, the organisation's included). */
  @property({ attribute: false }) takenIds: readonly string[] = [];
  /** While Save waits for the browser's permission prompt: the button is disabled and says so. */
  @property({ type: Boolean }) waiting = false;

  @state() private form: SiteForm = siteForm(null);
  @state() private errors: FieldErrors<SiteField> = {};

  /** Which site the form was filled from: a re-read of the same site keeps what the admin is typing. */
  private filledFor: string | null | undefined = undefined;

  protected override willUpdate(): void {
    const key = this.entry?.siteId ?? null;
    if (key !== this.filledFor) {
      this.filledFor = key;
      this.form = siteForm(this.entry, this.secrets);
      this.errors = {};
    }
  }

  protected override firstUpdated(): void {
    this.querySelector<HTMLElement>('#site-siteName')?.focus();
  }

  private set(fieldName: SiteField, value: string): void {
    this.form = { ...this.form, [fieldName]: value };
    this.errors = omit(this.errors, fieldName);
  }

  private submit = (e: Event): void => {
    e.preventDefault();
    if (this.waiting) return;
    const r = validateSiteForm(this.form, this.policy, this.takenIds);
    if (!r.ok) {
      this.errors = r.errors;
      void this.updateComplete.then(() => this.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    this.dispatchEvent(
      new CustomEvent<SiteSave>('zbb-site-save', {
        detail: { original: this.entry?.siteId ?? null, ...r.value },
        bubbles: true,
      }),
    );
  };

  private input(
    name: SiteField,
    label: string,
    opts: { type?: string; hint?: string; textarea?: boolean } = {},
  ): TemplateResult {
    return field({
      id: `site-${name}`,
      name,
      label,
      value: this.form[name],
      error: this.errors[name],
      ...opts,
      onInput: (v) => this.set(name, v),
    });
  }

  private renderMode(): TemplateResult {
    const mode = this.form.mode;
    const known = (EXTENSION_MODES as readonly string[]).includes(mode);
    const err = this.errors.mode;
    return html`<div class="field">
      <label for="site-mode">${MODE_FIELD_LABEL}</label>
      <select
        id="site-mode"
        name="mode"
        .value=${mode}
        aria-invalid=${err ? 'true' : 'false'}
        aria-describedby=${`site-mode-hint${err ? ' site-mode-error' : ''}`}
        @change=${(e: Event) => this.set('mode', (e.target as HTMLSelectElement).value)}
      >
        ${EXTENSION_MODES.map(
          (m) => html`<option value=${m} ?selected=${m === mode}>${MODE_TEXTS[m].label}</option>`,
        )}
      </select>
      <p class="hint mode-description" id="site-mode-hint">
        ${known ? MODE_TEXTS[mode as keyof typeof MODE_TEXTS].description : ''}
      </p>
      ${err ? html`<p class="error" id="site-mode-error">${err}</p>` : nothing}
    </div>`;
  }

  /** The fields of a site this browser checks: the ZVM's address, the billing endpoint, their credentials. */
  private renderProbing(mode: string): TemplateResult {
    return html`${this.input('zvmUrl', mode === 'zvm' ? 'ZVM address' : 'ZVM address (optional)', {
      type: 'url',
      hint:
        mode === 'zvm'
          ? 'e.g. https://zvm.example.com:9669; required to ask the ZVM.'
          : 'Where to read the protected VM count from, if the ZVM can be reached.',
    })}
    ${this.input('billingUrl', 'Billing endpoint', {
      type: 'url',
      hint:
        mode === 'direct'
          ? 'Your billing service that collects usage reports. Default https://autologs.zerto.com.'
          : 'Default https://autologs.zerto.com.',
    })}
    ${
      mode === 'direct'
        ? this.input('protectedVms', 'Protected VMs to report', {
            hint: 'Used when no ZVM address gives the count.',
          })
        : nothing
    }
    ${
      mode === 'zvm'
        ? html`${this.input('token', 'ZVM bearer token (optional)', {
            type: 'password',
            hint: 'Zerto 10 appliance. Kept in this browser only.',
          })}
          ${this.input('session', 'ZVM session key (optional)', {
            type: 'password',
            hint: 'Older Windows ZVMs (x-zerto-session). Kept in this browser only.',
          })}`
        : mode === 'direct'
          ? this.input('token', 'Billing endpoint token (optional)', {
              type: 'password',
              hint: 'Sent to the billing endpoint only. Kept in this browser only.',
            })
          : nothing
    }`;
  }

  /** The fields of a site the fleet service watches: where the service is, and a key of it. */
  private renderService(): TemplateResult {
    return html`${this.input('serviceUrl', SERVICE_FIELDS.serviceUrl.label, {
      type: 'url',
      hint: SERVICE_FIELDS.serviceUrl.hint,
    })}
    ${this.input('apiKey', SERVICE_FIELDS.apiKey.label, {
      type: 'password',
      hint: SERVICE_FIELDS.apiKey.hint,
    })}`;
  }

  override render(): TemplateResult {
    const mode = this.form.mode;
    const errCount = Object.keys(this.errors).length;
    const original = this.entry?.siteId ?? null;
    return html`<form class="site-form" novalidate @submit=${this.submit} aria-labelledby="site-form-title">
      <h2 id="site-form-title">${original ? `Edit ${original}` : 'Add a site'}</h2>
      ${
        errCount
          ? html`<p class="failure" role="alert">
              ${errCount === 1 ? 'One field needs' : `${errCount} fields need`} correcting before this can be
              saved.
            </p>`
          : nothing
      }
      ${this.input('siteName', 'Site name', { hint: 'As the operators know it, e.g. Amsterdam DR.' })}
      ${
        mode === 'service'
          ? this.input('siteId', SERVICE_FIELDS.siteId.label, { hint: SERVICE_FIELDS.siteId.hint })
          : this.input('siteId', 'Site identifier', {
              hint: 'The ZVM’s site identifier (SiteIdentifier, shown by GET /v1/localsite).',
            })
      }
      ${this.renderMode()} ${mode === 'service' ? this.renderService() : this.renderProbing(mode)}
      ${this.input('timeoutSeconds', 'Request timeout (seconds)', { hint: 'Default 10.' })}
      ${this.input('consoles', 'Consoles that show this site’s banner', {
        textarea: true,
        hint:
          'One URL match pattern per line, e.g. https://zvm.example.com/* or http://10.0.0.5/console/*. ' +
          'No port (a pattern matches any port). Saving asks to allow the extension on these hosts.',
      })}
      <div class="row">
        <button class="primary save-site" type="submit" ?disabled=${this.waiting} aria-busy=${this.waiting}>
          ${saveButtonLabel(this.waiting)}
        </button>
        <button
          type="button"
          class="cancel"
          ?disabled=${this.waiting}
          @click=${() => this.dispatchEvent(new CustomEvent('zbb-site-cancel', { bubbles: true }))}
        >
          Cancel
        </button>
      </div>
    </form>`;
  }
}

customElements.define('zbb-site-form', ZbbSiteForm);

declare global {
  interface HTMLElementTagNameMap {
    'zbb-site-form': ZbbSiteForm;
  }
  interface HTMLElementEventMap {
    'zbb-site-save': CustomEvent<SiteSave>;
    'zbb-site-cancel': CustomEvent<void>;
  }
}
