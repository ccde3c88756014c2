import { html, nothing, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { MODE_FIELD_LABEL, MODE_TEXTS, saveButtonLabel, SERVICE_FIELDS } from '../../src/core/texts.ts';
import { ZERTO_PUBLIC_CLIENT } from '../../src/protocol/zvm.ts';
import {
  AUTH_CHOICES,
  AUTH_FIELD_LABEL,
  CLEAR_SECRET,
  clearedSecretText,
  HELP_IDS_HINT,
  KEEP_SECRET,
  REPLACE_SECRET,
  SECRET_KEPT,
  SITE_ID_HINT_ZVM,
  STORED_SECRET,
  UNDO_CLEAR,
} from '../shared/auth-texts.ts';
import {
  DEFAULT_SETTINGS,
  EXTENSION_MODES,
  HELP_ID_PLACEHOLDERS,
  omit,
  siteForm,
  storedSecret,
  validateSiteForm,
  ZVM_AUTH_CHOICES,
  type FieldErrors,
  type SecretField,
  type SiteCredentials,
  type SiteEntry,
  type SiteField,
  type SiteForm,
  type StoredCredentials,
} from '../shared/settings.ts';
import { field } from './fields.ts';
import { LightElement } from './light-element.ts';
import type { Policy } from '../../src/core/index.ts';

/** A site the admin asked to save, validated; the section asks for access and stores it. */
export interface SiteSave {
  original: string | null;
  entry: SiteEntry;
  secrets: SiteCredentials;
  /** zvm mode without a site identifier: the section reads it from the ZVM before storing the site. */
  discover: boolean;
  /** Only the credentials changed (a site set by the organisation): the entry is not stored. */
  credentialsOnly: boolean;
}

/** What the admin does with a stored secret: keeps it (the default), types a new one, or clears it. */
type SecretAction = 'replace' | 'clear';

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
  /** What the Save button says while it waits for something else than the permission prompt. */
  @property({ attribute: false }) waitingLabel: string | null = null;
  /**
   * Only how this browser signs in (a site set by the organisation's policy: the policy sets the rest and
   * carries no credentials, so each user gives their own here).
   */
  @property({ type: Boolean, attribute: 'credentials-only' }) credentialsOnly = false;

  @state() private form: SiteForm = siteForm(null);
  @state() private errors: FieldErrors<SiteField> = {};
  /** Stored secrets the admin chose to replace or clear; the others are kept as they are. */
  @state() private actions: Partial<Record<SecretField, SecretAction>> = {};

  /** Which site the form was filled from: a re-read of the same site keeps what the admin is typing. */
  private filledFor: string | null | undefined = undefined;

  protected override willUpdate(): void {
    const key = this.entry?.siteId ?? null;
    if (key !== this.filledFor) {
      this.filledFor = key;
      this.form = siteForm(this.entry, this.secrets);
      this.errors = {};
      this.actions = {};
    }
  }

  /** The stored credentials as they stand for this form: those the admin cleared are gone. */
  private stored(): StoredCredentials | null {
    if (!this.entry) return null;
    const s: SiteCredentials = { ...this.secrets };
    const cleared = (f: SecretField) => this.actions[f] === 'clear';
    if (cleared('token')) delete s.token;
    if (cleared('session')) delete s.session;
    if (cleared('apiKey')) delete s.apiKey;
    if (
      s.login &&
      ((cleared('clientSecret') && s.login.type === 'client-credentials') || cleared('password'))
    )
      delete s.login;
    return { mode: this.entry.mode, secrets: s };
  }

  /** Whether a secret field stands for a stored value (before the admin's Replace or Clear). */
  private hasStored(f: SecretField): boolean {
    return !!this.entry && !!storedSecret(f, this.form, { mode: this.entry.mode, secrets: this.secrets });
  }

  private act(f: SecretField, action: SecretAction | null): void {
    this.actions = action ? { ...this.actions, [f]: action } : omit(this.actions, f);
    this.form = { ...this.form, [f]: '' };
    this.errors = omit(this.errors, f);
    void this.updateComplete.then(() =>
      this.querySelector<HTMLElement>(action ? `#site-${f}` : `#site-${f}-replace`)?.focus(),
    );
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
    const r = validateSiteForm(this.form, this.policy, this.takenIds, this.stored());
    if (!r.ok) {
      this.errors = r.errors;
      void this.updateComplete.then(() => this.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    this.dispatchEvent(
      new CustomEvent<SiteSave>('zbb-site-save', {
        detail: { original: this.entry?.siteId ?? null, ...r.value, credentialsOnly: this.credentialsOnly },
        bubbles: true,
      }),
    );
  };

  private input(
    name: SiteField,
    label: string,
    opts: { type?: string; hint?: string; textarea?: boolean; placeholder?: string } = {},
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

  /**
   * A secret: never shown back. A stored one reads "Stored" with Replace and Clear; Replace opens an empty
   * field (left empty, the stored one is kept), Clear removes it when the site is saved.
   */
  private secret(name: SecretField, label: string, hint: string): TemplateResult {
    const action = this.actions[name];
    const err = this.errors[name];
    if (this.hasStored(name) && !action)
      return html`<div
        class="field secret-stored"
        data-secret=${name}
        role="group"
        aria-labelledby=${`site-${name}-label`}
      >
        <span class="label" id=${`site-${name}-label`}>${label}</span>
        <p class="row">
          <span class="stored-mark">${STORED_SECRET}</span>
          <button
            type="button"
            class="replace-secret"
            id=${`site-${name}-replace`}
            @click=${() => this.act(name, 'replace')}
          >
            ${REPLACE_SECRET}
          </button>
          <button type="button" class="clear-secret" @click=${() => this.act(name, 'clear')}>
            ${CLEAR_SECRET}
          </button>
        </p>
        <p class="hint">${hint} ${SECRET_KEPT}</p>
        ${err ? html`<p class="error" id=${`site-${name}-error`}>${err}</p>` : nothing}
      </div>`;
    return html`${this.input(name, label, { type: 'password', hint: `${hint} ${SECRET_KEPT}` })}
    ${
      action
        ? html`<p class="secret-action" data-secret=${name} data-action=${action}>
            ${action === 'clear' ? clearedSecretText(label) : ''}
            <button type="button" class="keep-secret" @click=${() => this.act(name, null)}>
              ${action === 'clear' ? UNDO_CLEAR : KEEP_SECRET}
            </button>
          </p>`
        : nothing
    }`;
  }

  /** How the worker signs in to the ZVM, and the fields that way needs. */
  private renderAuth(): TemplateResult {
    const auth = this.form.auth;
    const known = (ZVM_AUTH_CHOICES as readonly string[]).includes(auth);
    const err = this.errors.auth;
    const chosen = known ? AUTH_CHOICES[auth as keyof typeof AUTH_CHOICES] : null;
    return html`<div class="field">
        <label for="site-auth">${AUTH_FIELD_LABEL}</label>
        <select
          id="site-auth"
          name="auth"
          .value=${auth}
          aria-invalid=${err ? 'true' : 'false'}
          aria-describedby=${`site-auth-hint${err ? ' site-auth-error' : ''}`}
          @change=${(e: Event) => this.set('auth', (e.target as HTMLSelectElement).value)}
        >
          ${ZVM_AUTH_CHOICES.map(
            (a) => html`<option value=${a} ?selected=${a === auth}>${AUTH_CHOICES[a].label}</option>`,
          )}
        </select>
        <p class="hint" id="site-auth-hint">${chosen?.hint ?? ''}</p>
        ${err ? html`<p class="error" id="site-auth-error">${err}</p>` : nothing}
      </div>
      ${this.renderAuthFields(auth)}`;
  }

  private renderAuthFields(auth: string): TemplateResult | typeof nothing {
    switch (auth) {
      case 'client-credentials':
        return html`${this.input('clientId', 'Client ID', {
          hint: 'The Keycloak client created for this extension in the ZVM’s realm zerto.',
        })}
        ${this.secret('clientSecret', 'Client secret', 'Keycloak: the client’s Credentials tab.')}`;
      case 'password':
        return html`${this.input('username', 'ZVM user name')}
        ${this.secret('password', 'Password', 'That user’s password.')}
        ${this.input('clientId', 'Client ID (optional)', {
          placeholder: ZERTO_PUBLIC_CLIENT,
          hint: `Leave empty for ${ZERTO_PUBLIC_CLIENT}, the client Zerto’s own web interface signs in with.`,
        })}`;
      case 'session':
        return html`${this.input('username', 'ZVM user name', { hint: 'A Windows user the ZVM accepts.' })}
        ${this.secret('password', 'Password', 'That user’s password.')}`;
      case 'token':
        return this.secret('token', 'ZVM bearer token', 'Zerto 10 appliance.');
      case 'session-key':
        return this.secret('session', 'ZVM session key', 'Windows ZVM (x-zerto-session).');
      default:
        return nothing;
    }
  }

  /** The billing alerts' help identifiers, which Zerto does not publish: the defaults as placeholders. */
  private renderHelpIds(): TemplateResult {
    return html`<fieldset class="help-ids">
      <legend>The ZVM’s billing alerts</legend>
      <p class="hint" id="help-ids-hint">${HELP_IDS_HINT}</p>
      ${this.input('usageAlertIds', 'Usage alert identifiers', {
        placeholder: HELP_ID_PLACEHOLDERS.usageAlertIds,
        hint: 'The alert that usage was not sent (the countdown). Spaces or commas between them.',
      })}
      ${this.input('disconnectionAlertIds', 'Disconnection alert identifiers', {
        placeholder: HELP_ID_PLACEHOLDERS.disconnectionAlertIds,
        hint: 'The alert that the ZVM stopped communicating with its VRAs.',
      })}
    </fieldset>`;
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
        ? html`${this.renderAuth()} ${this.renderHelpIds()}`
        : mode === 'direct'
          ? this.secret('token', 'Billing endpoint token (optional)', 'Sent to the billing endpoint only.')
          : nothing
    }`;
  }

  /** The fields of a site the fleet service watches: where the service is, and a key of it. */
  private renderService(): TemplateResult {
    return html`${this.input('serviceUrl', SERVICE_FIELDS.serviceUrl.label, {
      type: 'url',
      hint: SERVICE_FIELDS.serviceUrl.hint,
    })}
    ${this.secret('apiKey', SERVICE_FIELDS.apiKey.label, SERVICE_FIELDS.apiKey.hint)}`;
  }

  /** The sign-in of a site set by the organisation: what this browser gives the ZVM or the service. */
  private renderSignIn(mode: string): TemplateResult | typeof nothing {
    if (mode === 'zvm') return this.renderAuth();
    if (mode === 'service')
      return this.secret('apiKey', SERVICE_FIELDS.apiKey.label, SERVICE_FIELDS.apiKey.hint);
    if (mode === 'direct')
      return this.secret('token', 'Billing endpoint token (optional)', 'Sent to the billing endpoint only.');
    return nothing;
  }

  override render(): TemplateResult {
    const mode = this.form.mode;
    const errCount = Object.keys(this.errors).length;
    const original = this.entry?.siteId ?? null;
    const title = this.credentialsOnly
      ? `Sign-in for ${this.entry?.siteName || original}`
      : original
        ? `Edit ${original}`
        : 'Add a site';
    return html`<form class="site-form" novalidate @submit=${this.submit} aria-labelledby="site-form-title">
      <h2 id="site-form-title">${title}</h2>
      ${
        errCount
          ? html`<p class="failure" role="alert">
              ${errCount === 1 ? 'One field needs' : `${errCount} fields need`} correcting before this can be
              saved.
            </p>`
          : nothing
      }
      ${this.credentialsOnly ? this.renderSignIn(mode) : this.renderFields(mode)}
      <div class="row">
        <button class="primary save-site" type="submit" ?disabled=${this.waiting} aria-busy=${this.waiting}>
          ${
            this.waiting && this.waitingLabel
              ? this.waitingLabel
              : this.credentialsOnly && !this.waiting
                ? 'Save sign-in'
                : saveButtonLabel(this.waiting)
          }
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

  /** Every field of a site the admin adds or edits. */
  private renderFields(mode: string): TemplateResult {
    return html`${this.input('siteName', 'Site name', { hint: 'As the operators know it, e.g. Amsterdam DR.' })}
    ${
      mode === 'service'
        ? this.input('siteId', SERVICE_FIELDS.siteId.label, { hint: SERVICE_FIELDS.siteId.hint })
        : mode === 'zvm'
          ? this.input('siteId', 'Site identifier (optional)', {
              hint: SITE_ID_HINT_ZVM,
              placeholder: 'read from the ZVM when you save',
            })
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
    })}`;
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
