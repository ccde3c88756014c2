// What a console developer meets first, against the real ZVM simulator: a site read from the ZVM when no
// site-id is given, a token that comes from a callback and is asked again when refused, and every setup
// problem shown in the element, fired once as `zerto-billing-config-error` and logged once.
import { expect, fixture, html } from '@open-wc/testing';
import type { ZertoBillingBanner } from '../../components/index.ts';
import '../../components/index.ts';
import { storageConfig } from '../../src/world/storage/db.ts';
import { startServers, type Servers } from '../support/servers.ts';
import { until } from '../world/frames.ts';

const SITE = 'c0ffee00-1111-4222-8333-444455556666';

function freshOrigin(): void {
  storageConfig.dbName = `zbb-test-embedding-${Math.random().toString(36).slice(2)}`;
  localStorage.clear();
}

/** Creates the banner as a console would: attributes and credentials set, then put in the page. */
async function mount(
  attrs: Record<string, string>,
  props: Partial<Pick<ZertoBillingBanner, 'token' | 'getToken' | 'showOk'>>,
): Promise<ZertoBillingBanner> {
  const el = document.createElement('zerto-billing-banner');
  for (const [k, v] of Object.entries({ mode: 'zvm', timeout: '3s', ...attrs })) el.setAttribute(k, v);
  Object.assign(el, props);
  const host = await fixture(html`<div></div>`);
  host.append(el);
  return el;
}

const notice = (el: Element) => el.shadowRoot?.querySelector('[part="config-error"]')?.textContent ?? '';

describe('embedding: a ZVM named, its site read from it', () => {
  let servers: Servers;
  before(async () => {
    servers = await startServers({ zvm: { siteId: SITE, siteName: 'Discovered DR' } });
  });
  after(() => servers.stop());
  beforeEach(freshOrigin);

  it('reads the site identifier and name from /v1/localsite when no site-id is given, and remembers it', async function () {
    this.timeout(30_000);
    const el = await fixture<ZertoBillingBanner>(
      html`<zerto-billing-banner
        mode="zvm"
        zvm-url=${servers.zvmUrl}
        show-ok
        timeout="3s"
      ></zerto-billing-banner>`,
    );
    el.token = 'demo-token';
    await until(
      () => el.view?.site.id === SITE && el.view.site.name === 'Discovered DR',
      15_000,
      'the site read from the ZVM',
    );
    expect(el.view!.phase).to.equal('ok');
    expect(localStorage.getItem(`zerto-billing:site-of:${servers.zvmUrl}`)).to.equal(SITE);
    expect(notice(el)).to.equal('');
  });

  it("keeps the operator's site-name over the ZVM's SiteName", async function () {
    this.timeout(30_000);
    const el = await mount(
      { 'zvm-url': servers.zvmUrl, 'site-name': 'Amsterdam DR' },
      { token: 'demo-token', showOk: true },
    );
    await until(
      () => el.view?.site.id === SITE && el.view.lastSuccessAt !== null,
      15_000,
      'the site checked',
    );
    expect(el.view!.site.name).to.equal('Amsterdam DR');
  });

  it('shows a site it cannot identify as a setup notice naming the ZVM, fired and logged once', async function () {
    this.timeout(40_000);
    const events: string[] = [];
    const logged: string[] = [];
    const original = console.error;
    console.error = (...a: unknown[]) => logged.push(a.map(String).join(' '));
    const listen = (e: Event) => events.push((e as CustomEvent<{ message: string }>).detail.message);
    document.addEventListener('zerto-billing-config-error', listen);
    try {
      const el = await mount({ 'zvm-url': servers.zvmUrl }, { token: 'not-the-token' });
      await until(() => notice(el).includes('localsite'), 15_000, 'the notice naming localsite').catch(
        (e: Error) => {
          throw new Error(
            `${e.message}: notice "${notice(el)}", events ${JSON.stringify(events)}, view ${JSON.stringify(el.view)}`,
          );
        },
      );
      const host = new URL(servers.zvmUrl).host;
      expect(notice(el)).to.contain(host);
      expect(notice(el)).to.contain('no site-id given');
      expect(events.filter((m) => m.includes('localsite'))).to.have.length(1);
      expect(logged.filter((m) => m.includes('localsite'))).to.have.length(1);
      expect(localStorage.getItem(`zerto-billing:site-of:${servers.zvmUrl}`)).to.equal(null);
      // Given the right token, the notice goes and the site is read.
      el.token = 'demo-token';
      await until(() => el.view?.site.id === SITE, 15_000, 'the site read with the right token');
      expect(notice(el)).to.equal('');
    } finally {
      console.error = original;
      document.removeEventListener('zerto-billing-config-error', listen);
    }
  });
});

describe('embedding: a token from getToken()', () => {
  let servers: Servers;
  before(async () => {
    servers = await startServers({ zvm: { siteId: SITE } });
  });
  after(() => servers.stop());
  beforeEach(freshOrigin);

  it('checks with the token getToken() gives, and asks again at once when the ZVM refuses it', async function () {
    this.timeout(40_000);
    const given: string[] = [];
    // The first token has expired (the ZVM refuses it); the console's session then gives a fresh one.
    const tokens = ['expired-token', 'demo-token'];
    const el = document.createElement('zerto-billing-banner');
    el.getToken = async () => {
      const t = tokens[Math.min(given.length, tokens.length - 1)]!;
      given.push(t);
      return t;
    };
    for (const [k, v] of Object.entries({
      mode: 'zvm',
      'zvm-url': servers.zvmUrl,
      'site-id': SITE,
      timeout: '3s',
    }))
      el.setAttribute(k, v);
    el.showOk = true;
    await fixture(html`<div></div>`).then((d) => d.append(el));
    await until(() => el.view?.lastSuccessAt != null, 20_000, 'a success with the fresh token').catch(
      (e: Error) => {
        throw new Error(`${e.message}: tokens given ${given.join()}, view ${JSON.stringify(el.view)}`);
      },
    );
    expect(given[0]).to.equal('expired-token');
    expect(given).to.include('demo-token');
    expect(el.view!.phase).to.equal('ok');
    expect(el.view!.blind).to.equal(null);
  });

  it('shows a getToken() that throws as a setup notice, not as a billing state', async () => {
    const el = document.createElement('zerto-billing-banner');
    el.getToken = () => {
      throw new Error('the console session ended');
    };
    for (const [k, v] of Object.entries({
      mode: 'zvm',
      'zvm-url': servers.zvmUrl,
      'site-id': SITE,
      timeout: '3s',
    }))
      el.setAttribute(k, v);
    await fixture(html`<div></div>`).then((d) => d.append(el));
    await until(
      () => notice(el).includes('getToken() failed: the console session ended'),
      10_000,
      'the getToken notice',
    );
    expect(el.view?.phase ?? 'unknown').to.not.equal('warning');
  });
});
