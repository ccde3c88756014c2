import { html, nothing, type TemplateResult } from 'lit';
import { state } from 'lit/decorators.js';
import { otherHostsFrom, proxyTarget, type ProxyValue } from '../shared/proxy.ts';
import {
  omit,
  PROXY_SCHEMES,
  STORAGE_KEYS,
  validateProxyForm,
  type FieldErrors,
  type ProxyField,
  type ProxyForm,
} from '../shared/settings.ts';
import { field } from './fields.ts';
import { flash, LightElement } from './light-element.ts';
import { OptionsStore } from './store.ts';

/**
 * The optional proxy for the billing host: what it changes for every other host is said before it is
 * turned on, and the proxy permissions are asked for when it is saved on.
 */
export class ZbbProxySection extends LightElement {
  private readonly store = new OptionsStore(this);
  @state() private form: ProxyForm | null = null;
  @state() private errors: FieldErrors<ProxyField> = {};
  /** What other hosts would get while the billing proxy is on, from the browser's setting now. */
  @state() private now: { others: string; exact: boolean } | null = null;
  private shown = '';

  protected override willUpdate(): void {
    const s = this.store;
    const key = JSON.stringify([s.settings.proxy, s.secrets.proxy]);
    if (s.loaded && key !== this.shown) {
      this.shown = key;
      this.form = {
        enabled: s.settings.proxy.enabled,
        scheme: s.settings.proxy.scheme,
        host: s.settings.proxy.host,
        port: String(s.settings.proxy.port),
        username: s.secrets.proxy?.username ?? '',
        password: s.secrets.proxy?.password ?? '',
      };
      void this.readNow();
    }
  }

  private async readNow(): Promise<void> {
    if (!chrome.proxy?.settings) {
      this.now = null;
      return;
    }
    const current = await chrome.proxy.settings.get({ incognito: false });
    let underlying = (current.value as ProxyValue | undefined) ?? null;
    if (current.levelOfControl === 'controlled_by_this_extension') {
      const got = await chrome.storage.local.get(STORAGE_KEYS.proxyUnderlying);
      underlying = (got[STORAGE_KEYS.proxyUnderlying] as ProxyValue | undefined) ?? null;
    }
    const o = otherHostsFrom(underlying);
    this.now = { others: o.summary, exact: o.exact };
  }

  private set(name: ProxyField, value: string | boolean): void {
    if (!this.form) return;
    this.form = { ...this.form, [name]: value };
    this.errors = omit(this.errors, name);
  }

  private save = (e: Event): void => {
    e.preventDefault();
    if (!this.form) return;
    const r = validateProxyForm(this.form);
    if (!r.ok) {
      this.errors = r.errors;
      return;
    }
    this.errors = {};
    const { proxy, credentials } = r.value;
    const permissions: chrome.runtime.ManifestPermission[] = proxy.enabled
      ? ['proxy', 'webRequest', ...(credentials ? (['webRequestAuthProvider'] as const) : [])]
      : [];
    // Asked inside the click: Chrome shows its prompt only on a user gesture.
    const asked = permissions.length
      ? chrome.permissions.request({ permissions }).catch(() => false)
      : Promise.resolve(true);
    void asked.then(async (granted) => {
      if (!granted) {
        this.errors = {
          enabled:
            'not allowed: without the proxy permission the extension cannot route the billing host. ' +
            'Save again and choose Allow to turn it on.',
        };
        return;
      }
      const s = this.store;
      await s.write({
        [STORAGE_KEYS.settings]: { ...s.settings, proxy },
        [STORAGE_KEYS.secrets]: { ...s.secrets, proxy: credentials ?? undefined },
      });
      flash(
        this,
        proxy.enabled ? 'Saved: the billing host now goes through the proxy.' : 'Saved: the proxy is off.',
      );
    });
  };

  private input(name: 'host' | 'port' | 'username' | 'password', label: string, type = 'text', hint = '') {
    return field({
      id: `proxy-${name}`,
      name,
      label,
      type,
      ...(hint ? { hint } : {}),
      value: this.form![name],
      error: this.errors[name],
      onInput: (v) => this.set(name, v),
    });
  }

  override render(): TemplateResult {
    const form = this.form;
    if (!form) return html``;
    const billing = [
      ...new Set(
        this.store.settings.sites
          .filter((s) => s.mode !== 'zvm' && s.mode !== 'service')
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
      scheme: (PROXY_SCHEMES as readonly string[]).includes(form.scheme)
        ? (form.scheme as (typeof PROXY_SCHEMES)[number])
        : 'http',
      host: form.host,
      port: Number(form.port) || 0,
    });
    const st = this.store.status?.proxy;
    return html`<section aria-labelledby="proxy-title">
      <form class="proxy-form" novalidate @submit=${this.save}>
        <h2 id="proxy-title">Proxy for the billing host</h2>
        <p>
          Transmissions follow this browser’s proxy settings. Turn this on only if the billing host needs a
          proxy that the rest of the browser does not use.
        </p>
        <div class="notice what-changes">
          <strong>What this changes.</strong>
          While on, this extension sets the browser’s proxy setting to a PAC script that sends
          ${billing.length ? html`<code>${billing.join(', ')}</code>` : 'the billing hosts of the sites above'}
          through ${form.host ? html`<code>${target}</code>` : 'the proxy below'}, and makes every other host
          ${
            this.now
              ? this.now.others
              : 'keep the browser’s setting where a PAC script can reproduce it (direct, fixed proxy servers, an ' +
                'inline PAC script); with the system’s proxy settings or a PAC file by address, other hosts connect ' +
                'directly while this is on. After the permission is granted this page says which applies'
          }.
          Turning it off gives the setting back as it was. Sites whose ZVM is asked are not affected: their
          ZVM sends the usage.
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
            .checked=${form.enabled}
            @change=${(e: Event) => this.set('enabled', (e.target as HTMLInputElement).checked)}
          />
          Send the billing host through this proxy
        </label>
        ${this.errors.enabled ? html`<p class="error">${this.errors.enabled}</p>` : nothing}
        <div class="field">
          <label for="proxy-scheme">Proxy type</label>
          <select
            id="proxy-scheme"
            .value=${form.scheme}
            @change=${(e: Event) => this.set('scheme', (e.target as HTMLSelectElement).value)}
          >
            ${PROXY_SCHEMES.map((s) => html`<option value=${s} ?selected=${s === form.scheme}>${s}</option>`)}
          </select>
          ${this.errors.scheme ? html`<p class="error">${this.errors.scheme}</p>` : nothing}
        </div>
        ${this.input('host', 'Proxy host', 'text', 'A name or address, without scheme or port.')}
        ${this.input('port', 'Proxy port')}
        ${this.input('username', 'Proxy user name (optional)', 'text', 'Kept in this browser only.')}
        ${this.input('password', 'Proxy password (optional)', 'password')}
        <div class="row"><button class="primary save-proxy" type="submit">Save proxy</button></div>
      </form>
    </section>`;
  }
}

customElements.define('zbb-proxy-section', ZbbProxySection);

declare global {
  interface HTMLElementTagNameMap {
    'zbb-proxy-section': ZbbProxySection;
  }
}
