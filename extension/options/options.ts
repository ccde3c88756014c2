import { html, LitElement, nothing, type TemplateResult } from 'lit';
import { state } from 'lit/decorators.js';
import { HOUR } from '../../src/core/index.ts';
import { formatDateTime } from '../../components/shared/format.ts';
import { originPattern } from '../shared/match.ts';
import { STATUS_KEY, type WorkerStatus } from '../shared/messages.ts';
import { otherHostsFrom, proxyTarget, type ProxyValue } from '../shared/proxy.ts';
import {
  DEFAULT_SETTINGS,
  EXTENSION_MODES,
  omit,
  policyForm,
  PROXY_SCHEMES,
  readSecrets,
  readSettings,
  siteForm,
  STORAGE_KEYS,
  validatePolicyForm,
  validateProxyForm,
  validateSiteForm,
  type FieldErrors,
  type PolicyField,
  type PolicyForm,
  type ProxyField,
  type ProxyForm,
  type Secrets,
  type Settings,
  type SiteEntry,
  type SiteField,
  type SiteForm,
} from '../shared/settings.ts';

/** The hosts one site makes the extension talk to, and the consoles where its banner appears. */
export function originsFor(entry: SiteEntry): string[] {
  const urls = entry.mode === 'zvm' ? [entry.zvmUrl] : [entry.billingUrl, entry.zvmUrl];
  const out = new Set<string>();
  for (const u of urls) {
    const o = u ? originPattern(u) : null;
    if (o) out.add(o);
  }
  for (const c of entry.consoles) out.add(consoleOrigin(c));
  return [...out];
}

/** A console pattern as a host permission (paths do not apply to permissions). */
function consoleOrigin(pattern: string): string {
  const m = /^(\*|https?):\/\/([^/]+)\//.exec(pattern);
  return m ? `${m[1]}://${m[2]}/*` : pattern;
}

const MODE_TEXT: Record<string, string> = {
  zvm: 'zvm: the console is a ZVM; the extension asks it to send usage (sendUsage) and reads its own billing alert',
  direct: 'direct: the extension sends a usage report to a billing endpoint speaking the usage protocol',
  reachability: 'reachability: only checks that the billing host answers at all (sends no usage)',
};

interface Editing {
  original: string | null;
  form: SiteForm;
  errors: FieldErrors<SiteField>;
}

/**
 * The options page: the watched sites, the consoles that get the banner, the schedule and thresholds, and
 * the proxy for the billing host. Every field is validated with the engine's own parsers and a message per
 * field; host permissions are asked for when a site is saved, for that site's hosts only.
 */
export class ZbbOptions extends LitElement {
  @state() private settings: Settings = DEFAULT_SETTINGS;
  @state() private secrets: Secrets = { sites: {} };
  @state() private status: WorkerStatus | null = null;
  @state() private loaded = false;
  @state() private editing: Editing | null = null;
  @state() private removing: string | null = null;
  @state() private policy: PolicyForm = policyForm(DEFAULT_SETTINGS.policy);
  @state() private policyErrors: FieldErrors<PolicyField> = {};
  @state() private proxy: ProxyForm = {
    enabled: false,
    scheme: 'http',
    host: '',
    port: '3128',
    username: '',
    password: '',
  };
  @state() private proxyErrors: FieldErrors<ProxyField> = {};
  @state() private proxyNow: { others: string; exact: boolean } | null = null;
  @state() private offsetHours = '0';
  @state() private offsetError = '';
  @state() private notices: Array<{ id: string; kind: string; at: number }> = [];
  @state() private flash = '';
  @state() private precise = false;

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    chrome.storage.onChanged.addListener(this.onChanged);
    void this.load(true);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    chrome.storage.onChanged.removeListener(this.onChanged);
  }

  private onChanged = (changes: Record<string, chrome.storage.StorageChange>, area: string): void => {
    if (area === 'session' && changes[STATUS_KEY]) this.status = changes[STATUS_KEY].newValue as WorkerStatus;
    if (area === 'local') void this.load(false);
  };

  private async load(first: boolean): Promise<void> {
    const got = await chrome.storage.local.get(null);
    const { settings } = readSettings(got[STORAGE_KEYS.settings]);
    const secrets = readSecrets(got[STORAGE_KEYS.secrets]);
    const policyChanged = JSON.stringify(settings.policy) !== JSON.stringify(this.settings.policy);
    const proxyChanged =
      JSON.stringify(settings.proxy) !== JSON.stringify(this.settings.proxy) ||
      JSON.stringify(secrets.proxy) !== JSON.stringify(this.secrets.proxy);
    this.settings = settings;
    this.secrets = secrets;
    if (first || policyChanged) this.policy = policyForm(settings.policy);
    if (first || proxyChanged)
      this.proxy = {
        enabled: settings.proxy.enabled,
        scheme: settings.proxy.scheme,
        host: settings.proxy.host,
        port: String(settings.proxy.port),
        username: secrets.proxy?.username ?? '',
        password: secrets.proxy?.password ?? '',
      };
    const offset = got[STORAGE_KEYS.clockOffset];
    if (first) this.offsetHours = String(typeof offset === 'number' ? offset / HOUR : 0);
    const log = got[STORAGE_KEYS.noticeLog];
    this.notices = Array.isArray(log) ? (log as typeof this.notices) : [];
    if (first) {
      const s = await chrome.storage.session.get(STATUS_KEY);
      this.status = (s[STATUS_KEY] as WorkerStatus | undefined) ?? null;
    }
    this.precise = await chrome.permissions.contains({ permissions: ['webRequest'] });
    await this.readProxyNow();
    this.loaded = true;
  }

  /** What other hosts would get while the billing proxy is on, from the browser's setting now. */
  private async readProxyNow(): Promise<void> {
    if (!chrome.proxy?.settings) {
      this.proxyNow = null;
      return;
    }
    const current = await chrome.proxy.settings.get({ incognito: false });
    let underlying = (current.value as ProxyValue | undefined) ?? null;
    if (current.levelOfControl === 'controlled_by_this_extension') {
      const got = await chrome.storage.local.get(STORAGE_KEYS.proxyUnderlying);
      underlying = (got[STORAGE_KEYS.proxyUnderlying] as ProxyValue | undefined) ?? null;
    }
    const o = otherHostsFrom(underlying);
    this.proxyNow = { others: o.summary, exact: o.exact };
  }

  private async write(items: Record<string, unknown>): Promise<void> {
    await chrome.storage.local.set(items);
  }

  // ---- sites ----

  private startEdit(entry: SiteEntry | null): void {
    this.removing = null;
    this.flash = '';
    this.editing = {
      original: entry?.siteId ?? null,
      form: siteForm(entry, entry ? this.secrets.sites[entry.siteId] : {}),
      errors: {},
    };
    void this.updateComplete.then(() => this.querySelector<HTMLElement>('#site-siteName')?.focus());
  }

  private setSiteField(field: SiteField, value: string): void {
    if (!this.editing) return;
    const errors: FieldErrors<SiteField> = omit(this.editing.errors, field);
    this.editing = { ...this.editing, form: { ...this.editing.form, [field]: value }, errors };
  }

  private saveSite = (e: Event): void => {
    e.preventDefault();
    const ed = this.editing;
    if (!ed) return;
    const others = this.settings.sites.filter((s) => s.siteId !== ed.original).map((s) => s.siteId);
    const r = validateSiteForm(ed.form, this.settings.policy, others);
    if (!r.ok) {
      this.editing = { ...ed, errors: r.errors };
      void this.updateComplete.then(() => this.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    const { entry, secrets } = r.value;
    const origins = originsFor(entry);
    // Asked now, inside the click that saves: Chrome grants permissions only on a user gesture.
    const asked = origins.length
      ? chrome.permissions.request({ origins }).catch(() => false)
      : Promise.resolve(true);
    void asked.then(async (granted) => {
      const sites = ed.original
        ? this.settings.sites.map((s) => (s.siteId === ed.original ? entry : s))
        : [...this.settings.sites, entry];
      const secretSites = ed.original ? omit(this.secrets.sites, ed.original) : { ...this.secrets.sites };
      if (secrets.token || secrets.session) secretSites[entry.siteId] = secrets;
      await this.write({
        [STORAGE_KEYS.settings]: { ...this.settings, sites },
        [STORAGE_KEYS.secrets]: { ...this.secrets, sites: secretSites },
      });
      await this.releaseUnused(sites);
      this.editing = null;
      const name = entry.siteName || entry.siteId;
      this.flash = granted
        ? `Saved ${name}. It is checked now.`
        : `Saved ${name}, but access to ${origins.join(', ')} was not allowed: transmissions to those hosts can ` +
          'be refused and the banner does not appear on those consoles until it is allowed (below).';
    });
  };

  /** Gives back host permissions no watched site needs any more. */
  private async releaseUnused(sites: SiteEntry[]): Promise<void> {
    const needed = new Set(sites.flatMap(originsFor));
    const all = await chrome.permissions.getAll();
    const unused = (all.origins ?? []).filter((o) => !needed.has(o));
    for (const o of unused) {
      // Permissions declared in the manifest cannot be removed; that is not an error here.
      await chrome.permissions.remove({ origins: [o] }).catch(() => false);
    }
  }

  private async removeSite(siteId: string): Promise<void> {
    const sites = this.settings.sites.filter((s) => s.siteId !== siteId);
    const secretSites = omit(this.secrets.sites, siteId);
    await this.write({
      [STORAGE_KEYS.settings]: { ...this.settings, sites },
      [STORAGE_KEYS.secrets]: { ...this.secrets, sites: secretSites },
    });
    await this.releaseUnused(sites);
    this.removing = null;
    this.flash = `Removed ${siteId}. Its history stays in this browser's storage.`;
  }

  private allowConsoles = (): void => {
    const origins = [...new Set((this.status?.consoles.notGranted ?? []).map(consoleOrigin))];
    if (!origins.length) return;
    void chrome.permissions.request({ origins }).then((ok) => {
      this.flash = ok
        ? 'Allowed: the banner appears on those consoles from their next page load.'
        : 'Not allowed.';
    });
  };

  // ---- schedule ----

  private savePolicy = (e: Event): void => {
    e.preventDefault();
    const r = validatePolicyForm(this.policy);
    if (!r.ok) {
      this.policyErrors = r.errors;
      return;
    }
    this.policyErrors = {};
    void this.write({ [STORAGE_KEYS.settings]: { ...this.settings, policy: r.value } }).then(() => {
      this.flash = 'Saved the schedule and thresholds. A deadline already set does not move.';
    });
  };

  // ---- proxy ----

  private saveProxy = (e: Event): void => {
    e.preventDefault();
    const r = validateProxyForm(this.proxy);
    if (!r.ok) {
      this.proxyErrors = r.errors;
      return;
    }
    this.proxyErrors = {};
    const { proxy, credentials } = r.value;
    const permissions: chrome.runtime.ManifestPermission[] = proxy.enabled
      ? ['proxy', 'webRequest', ...(credentials ? (['webRequestAuthProvider'] as const) : [])]
      : [];
    const asked = permissions.length
      ? chrome.permissions.request({ permissions }).catch(() => false)
      : Promise.resolve(true);
    void asked.then(async (granted) => {
      if (!granted) {
        this.proxyErrors = {
          enabled: 'not allowed: without the proxy permission the extension cannot route the billing host',
        };
        return;
      }
      await this.write({
        [STORAGE_KEYS.settings]: { ...this.settings, proxy },
        [STORAGE_KEYS.secrets]: { ...this.secrets, proxy: credentials ?? undefined },
      });
      this.flash = proxy.enabled
        ? 'Saved: the billing host now goes through the proxy.'
        : 'Saved: the proxy is off.';
    });
  };

  // ---- diagnostics ----

  private saveOffset = (e: Event): void => {
    e.preventDefault();
    const h = Number(this.offsetHours);
    if (this.offsetHours.trim() === '' || !Number.isFinite(h) || Math.abs(h) > 24 * 400) {
      this.offsetError = 'must be a number of hours between -9600 and 9600';
      return;
    }
    this.offsetError = '';
    void this.write({ [STORAGE_KEYS.clockOffset]: Math.round(h * HOUR) }).then(() => {
      this.flash = `The extension's clock is now ${h} hours ahead of this computer's.`;
    });
  };

  private allowPrecise = (): void => {
    void chrome.permissions.request({ permissions: ['webRequest'] }).then((ok) => (this.precise = ok));
  };

  // ---- rendering ----

  override render(): TemplateResult {
    if (!this.loaded) return html`<p class="muted">Loading…</p>`;
    return html`<h1>Zerto billing banner: options</h1>
      <p class="visually-hidden" role="status">${this.flash}</p>
      ${this.flash ? html`<p class="success flash" aria-hidden="true">${this.flash}</p>` : nothing}
      ${
        this.status?.problems.length
          ? html`<p class="notice">
              Some stored settings were set aside: ${this.status.problems.join('; ')}
            </p>`
          : nothing
      }
      ${this.renderSites()} ${this.renderPolicy()} ${this.renderProxy()} ${this.renderDiagnostics()}`;
  }

  private renderSites(): TemplateResult {
    const notGranted = this.status?.consoles.notGranted ?? [];
    return html`<section aria-labelledby="sites-title">
      <h2 id="sites-title">Watched sites</h2>
      ${this.settings.sites.length === 0 ? html`<p>No site is watched yet.</p>` : nothing}
      <ul class="site-list">
        ${this.settings.sites.map(
          (s) =>
            html`<li data-site-id=${s.siteId}>
              <div class="row">
                <strong class="grow">${s.siteName || s.siteId}</strong>
                <button class="edit" @click=${() => this.startEdit(s)}>Edit</button>
                ${
                  this.removing === s.siteId
                    ? html`<span>Stop watching this site?</span>
                        <button class="confirm-remove" @click=${() => void this.removeSite(s.siteId)}>
                          Remove
                        </button>
                        <button @click=${() => (this.removing = null)}>Keep</button>`
                    : html`<button class="remove" @click=${() => (this.removing = s.siteId)}>Remove</button>`
                }
              </div>
              <span class="muted"
                >id ${s.siteId} · ${s.mode} · ${s.mode === 'zvm' ? s.zvmUrl : s.billingUrl}</span
              >
              <span class="muted"
                >Banner on:
                ${s.consoles.length ? s.consoles.join(', ') : 'no console (add URL patterns to show the banner)'}</span
              >
            </li>`,
        )}
      </ul>
      ${
        notGranted.length
          ? html`<p class="notice">
              Not allowed yet, so no banner there: ${notGranted.join(', ')}.
              <button class="allow-consoles" @click=${this.allowConsoles}>Allow</button>
            </p>`
          : nothing
      }
      ${
        this.editing
          ? this.renderSiteForm(this.editing)
          : html`<button class="primary add-site" @click=${() => this.startEdit(null)}>Add a site</button>`
      }
    </section>`;
  }

  private input(
    field: SiteField,
    label: string,
    ed: Editing,
    opts: { type?: string; hint?: string; textarea?: boolean; autocomplete?: string } = {},
  ): TemplateResult {
    const id = `site-${field}`;
    const err = ed.errors[field];
    const describedBy = [opts.hint ? `${id}-hint` : '', err ? `${id}-error` : ''].filter(Boolean).join(' ');
    const onInput = (e: Event) =>
      this.setSiteField(field, (e.target as HTMLInputElement | HTMLTextAreaElement).value);
    return html`<div class="field">
      <label for=${id}>${label}</label>
      ${
        opts.textarea
          ? html`<textarea
              id=${id}
              name=${field}
              .value=${ed.form[field]}
              aria-invalid=${err ? 'true' : 'false'}
              aria-describedby=${describedBy || nothing}
              @input=${onInput}
            ></textarea>`
          : html`<input
              id=${id}
              name=${field}
              type=${opts.type ?? 'text'}
              autocomplete=${opts.autocomplete ?? 'off'}
              .value=${ed.form[field]}
              aria-invalid=${err ? 'true' : 'false'}
              aria-describedby=${describedBy || nothing}
              @input=${onInput}
            />`
      }
      ${opts.hint ? html`<p class="hint" id=${`${id}-hint`}>${opts.hint}</p>` : nothing}
      ${err ? html`<p class="error" id=${`${id}-error`}>${err}</p>` : nothing}
    </div>`;
  }

  private renderSiteForm(ed: Editing): TemplateResult {
    const mode = ed.form.mode;
    const errCount = Object.keys(ed.errors).length;
    return html`<form class="site-form" novalidate @submit=${this.saveSite} aria-labelledby="site-form-title">
      <h2 id="site-form-title">${ed.original ? `Edit ${ed.original}` : 'Add a site'}</h2>
      ${
        errCount
          ? html`<p class="failure" role="alert">
              ${errCount === 1 ? 'One field needs' : `${errCount} fields need`} correcting before this can be
              saved.
            </p>`
          : nothing
      }
      ${this.input('siteName', 'Site name', ed, { hint: 'As the operators know it, e.g. Amsterdam DR.' })}
      ${this.input('siteId', 'Site identifier', ed, { hint: 'The ZVM SiteIdentifier (GET /v1/localsite).' })}
      <div class="field">
        <label for="site-mode">How transmissions are checked</label>
        <select
          id="site-mode"
          name="mode"
          .value=${mode}
          aria-invalid=${ed.errors.mode ? 'true' : 'false'}
          @change=${(e: Event) => this.setSiteField('mode', (e.target as HTMLSelectElement).value)}
        >
          ${EXTENSION_MODES.map((m) => html`<option value=${m} ?selected=${m === mode}>${MODE_TEXT[m]}</option>`)}
        </select>
        ${ed.errors.mode ? html`<p class="error">${ed.errors.mode}</p>` : nothing}
      </div>
      ${this.input('zvmUrl', mode === 'zvm' ? 'ZVM API address' : 'ZVM API address (optional)', ed, {
        type: 'url',
        hint:
          mode === 'zvm'
            ? 'e.g. https://zvm.example.com:9669; required in zvm mode.'
            : 'In direct mode, where to read the protected VM count from.',
      })}
      ${this.input('billingUrl', 'Billing endpoint', ed, {
        type: 'url',
        hint: 'Default https://autologs.zerto.com. In direct mode, a receiver speaking the usage protocol.',
      })}
      ${
        mode === 'direct'
          ? this.input('protectedVms', 'Protected VMs to report', ed, {
              hint: 'Used when no ZVM address gives the count.',
            })
          : nothing
      }
      ${
        mode === 'zvm'
          ? html`${this.input('token', 'ZVM bearer token (optional)', ed, {
              type: 'password',
              hint: 'Zerto 10 appliance. Kept in this browser only (chrome.storage.local).',
            })}
            ${this.input('session', 'x-zerto-session (optional)', ed, {
              type: 'password',
              hint: 'Older Windows ZVMs. Kept in this browser only.',
            })}`
          : mode === 'direct'
            ? this.input('token', 'Billing endpoint token (optional)', ed, {
                type: 'password',
                hint: 'Sent as a bearer token to the billing endpoint only. Kept in this browser only.',
              })
            : nothing
      }
      ${this.input('timeoutSeconds', 'Request timeout (seconds)', ed, { hint: 'Default 10.' })}
      ${this.input('consoles', 'Consoles that show this site’s banner', ed, {
        textarea: true,
        hint:
          'One URL match pattern per line, e.g. https://zvm.example.com/* or http://10.0.0.5/console/*. ' +
          'No port (a pattern matches any port). Saving asks to allow the extension on these hosts.',
      })}
      <div class="row">
        <button class="primary save-site" type="submit">Save site</button>
        <button type="button" class="cancel" @click=${() => (this.editing = null)}>Cancel</button>
      </div>
    </form>`;
  }

  private policyInput(field: PolicyField, label: string, hint: string): TemplateResult {
    const id = `policy-${field}`;
    const err = this.policyErrors[field];
    return html`<div class="field">
      <label for=${id}>${label}</label>
      <input
        id=${id}
        name=${field}
        inputmode="decimal"
        .value=${this.policy[field]}
        aria-invalid=${err ? 'true' : 'false'}
        aria-describedby=${`${id}-hint${err ? ` ${id}-error` : ''}`}
        @input=${(e: Event) => {
          this.policy = { ...this.policy, [field]: (e.target as HTMLInputElement).value };
          this.policyErrors = omit(this.policyErrors, field);
        }}
      />
      <p class="hint" id=${`${id}-hint`}>${hint}</p>
      ${err ? html`<p class="error" id=${`${id}-error`}>${err}</p>` : nothing}
    </div>`;
  }

  private renderPolicy(): TemplateResult {
    return html`<section aria-labelledby="policy-title">
      <form class="policy-form" novalidate @submit=${this.savePolicy}>
        <h2 id="policy-title">Schedule and thresholds (every site)</h2>
        ${this.policyInput(
          'intervalMinutes',
          'Check every (minutes)',
          'Default 60. At least 0.5: Chrome runs an extension’s alarms at most every 30 seconds.',
        )}
        ${this.policyInput('alertAfterHours', 'Alert after (hours without a successful transmission)', 'Default 24.')}
        ${this.policyInput('graceDays', 'Grace (days from the alert until VRA communication stops)', 'Default 15.')}
        <div class="row"><button class="primary save-policy" type="submit">Save schedule</button></div>
      </form>
    </section>`;
  }

  private proxyField(
    field: Exclude<ProxyField, 'enabled' | 'scheme'>,
    label: string,
    type = 'text',
    hint = '',
  ): TemplateResult {
    const id = `proxy-${field}`;
    const err = this.proxyErrors[field];
    return html`<div class="field">
      <label for=${id}>${label}</label>
      <input
        id=${id}
        name=${field}
        type=${type}
        autocomplete="off"
        .value=${this.proxy[field]}
        aria-invalid=${err ? 'true' : 'false'}
        aria-describedby=${err ? `${id}-error` : nothing}
        @input=${(e: Event) => (this.proxy = { ...this.proxy, [field]: (e.target as HTMLInputElement).value })}
      />
      ${hint ? html`<p class="hint">${hint}</p>` : nothing}
      ${err ? html`<p class="error" id=${`${id}-error`}>${err}</p>` : nothing}
    </div>`;
  }

  private renderProxy(): TemplateResult {
    const billing = [
      ...new Set(
        this.settings.sites
          .filter((s) => s.mode !== 'zvm')
          .map((s) => {
            try {
              return new URL(s.billingUrl).hostname;
            } catch {
              return s.billingUrl;
            }
          }),
      ),
    ];
    const target = proxyTarget({
      enabled: true,
      scheme: (PROXY_SCHEMES as readonly string[]).includes(this.proxy.scheme)
        ? (this.proxy.scheme as (typeof PROXY_SCHEMES)[number])
        : 'http',
      host: this.proxy.host,
      port: Number(this.proxy.port) || 0,
    });
    const st = this.status?.proxy;
    return html`<section aria-labelledby="proxy-title">
      <form class="proxy-form" novalidate @submit=${this.saveProxy}>
        <h2 id="proxy-title">Proxy for the billing host</h2>
        <p>
          Transmissions follow this browser’s proxy settings. Turn this on only if the billing host needs a
          proxy that the rest of the browser does not use.
        </p>
        <div class="notice what-changes">
          <strong>What this changes.</strong>
          While on, this extension sets the browser’s proxy setting to a PAC script that sends
          ${billing.length ? html`<code>${billing.join(', ')}</code>` : 'the billing hosts of the sites above'}
          through ${this.proxy.host ? html`<code>${target}</code>` : 'the proxy below'}, and makes every other
          host
          ${
            this.proxyNow
              ? this.proxyNow.others
              : 'keep the browser’s setting where a PAC script can reproduce it (direct, fixed proxy servers, an ' +
                'inline PAC script); with the system’s proxy settings or a PAC file by address, other hosts connect ' +
                'directly while this is on. After the permission is granted this page says which applies'
          }.
          Turning it off gives the setting back as it was. Sites in zvm mode are not affected: their ZVM sends
          the usage.
        </div>
        ${st?.status === 'blocked' ? html`<p class="failure">The proxy is not applied: ${st.reason}.</p>` : nothing}
        ${
          st?.status === 'on'
            ? html`<p class="success">On. <span class="muted">PAC script:</span></p>
                <pre>${st.pac}</pre>`
            : nothing
        }
        <label class="check">
          <input
            type="checkbox"
            id="proxy-enabled"
            .checked=${this.proxy.enabled}
            @change=${(e: Event) => (this.proxy = { ...this.proxy, enabled: (e.target as HTMLInputElement).checked })}
          />
          Send the billing host through this proxy
        </label>
        ${this.proxyErrors.enabled ? html`<p class="error">${this.proxyErrors.enabled}</p>` : nothing}
        <div class="field">
          <label for="proxy-scheme">Proxy type</label>
          <select
            id="proxy-scheme"
            .value=${this.proxy.scheme}
            @change=${(e: Event) => (this.proxy = { ...this.proxy, scheme: (e.target as HTMLSelectElement).value })}
          >
            ${PROXY_SCHEMES.map((s) => html`<option value=${s} ?selected=${s === this.proxy.scheme}>${s}</option>`)}
          </select>
        </div>
        ${this.proxyField('host', 'Proxy host', 'text', 'A name or address, without scheme or port.')}
        ${this.proxyField('port', 'Proxy port')}
        ${this.proxyField('username', 'Proxy user name (optional)', 'text', 'Kept in this browser only.')}
        ${this.proxyField('password', 'Proxy password (optional)', 'password')}
        <div class="row"><button class="primary save-proxy" type="submit">Save proxy</button></div>
      </form>
    </section>`;
  }

  private renderDiagnostics(): TemplateResult {
    return html`<section aria-labelledby="diag-title">
      <h2 id="diag-title">Diagnostics</h2>
      <p>
        ${
          this.precise
            ? 'Connection failures are named precisely (proxy, DNS, certificate, timeout) from the browser’s own error codes.'
            : html`Failures are named as fetch sees them.
                <button class="allow-precise" @click=${this.allowPrecise}>Name them precisely</button>
                <span class="muted"
                  >(asks for the webRequest permission: reading this extension’s own request errors)</span
                >`
        }
      </p>
      <form class="offset-form" novalidate @submit=${this.saveOffset}>
        <div class="field">
          <label for="clock-offset">Clock offset (hours)</label>
          <input
            id="clock-offset"
            inputmode="decimal"
            .value=${this.offsetHours}
            aria-invalid=${this.offsetError ? 'true' : 'false'}
            @input=${(e: Event) => (this.offsetHours = (e.target as HTMLInputElement).value)}
          />
          <p class="hint">
            Moves the extension’s clock (stored as <code>clockOffsetMs</code>) to rehearse an outage. Keep it
            at 0. A clock moved back never extends the grace.
          </p>
          ${this.offsetError ? html`<p class="error">${this.offsetError}</p>` : nothing}
        </div>
        <div class="row"><button type="submit">Set clock offset</button></div>
      </form>
      ${
        this.notices.length
          ? html`<h3>Recent notifications</h3>
              <ul class="notice-log">
                ${this.notices
                  .slice()
                  .reverse()
                  .map((n) => html`<li>${formatDateTime(n.at)}: ${n.kind} (${n.id})</li>`)}
              </ul>`
          : nothing
      }
    </section>`;
  }
}

customElements.define('zbb-options', ZbbOptions);

declare global {
  interface HTMLElementTagNameMap {
    'zbb-options': ZbbOptions;
  }
}
