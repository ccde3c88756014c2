// `mode="service"` against real processes: the ZVM simulator, and the fleet service (fleet/cli.ts, a child
// process) watching it. A banner reading the service shows the same phase and deadline as a banner reading
// the ZVM itself, with no ZVM credential in the page; a wrong API key is a setup notice naming the service.
import { expect, fixture, html } from '@open-wc/testing';
import type { ZertoBillingBanner } from '../../components/index.ts';
import '../../components/index.ts';
import { DAY, HOUR } from '../../src/core/index.ts';
import { storageConfig } from '../../src/world/storage/db.ts';
import { startServers, type Servers } from '../support/servers.ts';
import { until } from '../world/frames.ts';

const ZVM_SITE = '0a1b2c3d-0000-4000-8000-00000000a115';
const FLEET_SITE = 'ams';

async function mount(attrs: Record<string, string>, token: string): Promise<ZertoBillingBanner> {
  const el = document.createElement('zerto-billing-banner');
  for (const [k, v] of Object.entries({ timeout: '3s', ...attrs })) el.setAttribute(k, v);
  el.token = token;
  const host = await fixture(html`<div></div>`);
  host.append(el);
  return el;
}

const notice = (el: Element) => el.shadowRoot?.querySelector('[part="config-error"]')?.textContent ?? '';
const countdown = (el: Element) => el.shadowRoot?.querySelector('[part="countdown"]')?.textContent ?? '';

describe('<zerto-billing-banner mode="service"> beside the fleet service and the ZVM simulator', () => {
  let servers: Servers;
  let fleet: { url: string; key: string };
  before(async function () {
    this.timeout(120_000);
    storageConfig.dbName = `zbb-test-service-${Math.random().toString(36).slice(2)}`;
    // The ZVM's billing link is down for good: a day on, its usage alert is on, with 15 days to go.
    servers = await startServers({ zvm: { billingUrl: 'http://127.0.0.1:9', siteId: ZVM_SITE } });
    await servers.advanceZvm(DAY + HOUR);
    fleet = await servers.fleet(FLEET_SITE);
  });
  after(() => servers.stop());

  it('shows the warning and the deadline the ZVM enforces, the same as a banner reading the ZVM', async function () {
    this.timeout(60_000);
    const viaService = await mount(
      { mode: 'service', 'service-url': fleet.url, 'site-id': FLEET_SITE },
      fleet.key,
    );
    const viaZvm = await mount({ mode: 'zvm', 'zvm-url': servers.zvmUrl, 'site-id': ZVM_SITE }, 'demo-token');
    await until(
      () => viaService.view?.phase === 'warning' && viaZvm.view?.phase === 'warning',
      45_000,
      'both banners to show the warning',
    ).catch((e: Error) => {
      throw new Error(
        `${e.message}: service ${JSON.stringify(viaService.view)} / notice "${notice(viaService)}"`,
      );
    });
    // The same moment, measured by two readers of the ZVM's Date header (whole seconds each).
    expect(Math.abs(viaService.view!.deadline! - viaZvm.view!.deadline!)).to.be.below(3000);
    expect(viaService.view!.daysLeft).to.equal(viaZvm.view!.daysLeft);
    await viaService.updateComplete;
    await viaZvm.updateComplete;
    expect(countdown(viaService)).to.equal(countdown(viaZvm));
    expect(notice(viaService)).to.equal('');
    // The page never held a ZVM credential for it: the service's read-only key is all it was given.
    expect(viaService.token).to.equal(fleet.key);
  });

  it("exports the service's usage of the site, not this browser's (which holds none of it)", async function () {
    this.timeout(30_000);
    const el = await mount({ mode: 'service', 'service-url': fleet.url, 'site-id': FLEET_SITE }, fleet.key);
    await until(() => el.view?.phase === 'warning', 20_000, 'the warning from the service');
    await el.updateComplete;
    const button = el.shadowRoot!.querySelector('[part="export-button"]') as HTMLElement;
    button.click();
    const done = () =>
      (el as unknown as { exported: { file: { text: string; fileName: string } } | null }).exported;
    await until(() => done() !== null, 15_000, 'the export from the service');
    const file = done()!.file;
    // The service's file: the usage the service collected from the ZVM (days not sent). This browser's storage
    // holds no usage of the site: an export from it would say every day `no-data`.
    expect(file.text).to.contain(FLEET_SITE);
    expect(file.text).to.match(/,42,1,0,unsent\r?\n/);
    expect(file.fileName).to.match(/\.csv$/);
  });

  it("names the service's host and the API key when the key is refused, as a setup notice", async function () {
    this.timeout(30_000);
    const el = await mount({ mode: 'service', 'service-url': fleet.url, 'site-id': FLEET_SITE }, 'not-a-key');
    await until(() => notice(el).includes('API key'), 20_000, 'the notice about the key');
    expect(notice(el)).to.contain(new URL(fleet.url).host);
    expect(el.view).to.equal(null);
  });
});
