// The alerts list, the sites list and the export with `service-url`, against real processes: the ZVM
// simulator, and the fleet service (fleet/cli.ts, a child process) watching it. Each shows what the service
// holds (the same days left as a banner reading the service, the alert the ZVM turned on, the service's usage
// export), and a refused API key is the list's failure, naming the service's host, with Retry.
import { expect, fixture, html } from '@open-wc/testing';
import type {
  ZertoBillingAlerts,
  ZertoBillingBanner,
  ZertoBillingSites,
  ZertoUsageExport,
} from '../../components/index.ts';
import '../../components/index.ts';
import { DAY, HOUR } from '../../src/core/index.ts';
import { CSV_COLUMNS, dayKey } from '../../src/export/index.ts';
import { storageConfig } from '../../src/world/storage/db.ts';
import { startServers, type Servers } from '../support/servers.ts';
import { until } from '../world/frames.ts';

const ZVM_SITE = '0a1b2c3d-0000-4000-8000-00000000b216';
const FLEET_SITE = 'ams';

/** The element, in a fixture (removed after the test) or, with `host`, there (for as long as the file runs). */
async function mount<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string>,
  token: string,
  host?: HTMLElement,
): Promise<HTMLElementTagNameMap[K]> {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  (el as unknown as { token: string }).token = token;
  (host ?? (await fixture(html`<div></div>`))).append(el);
  return el;
}

const shadowText = (el: Element, part: string) =>
  el.shadowRoot?.querySelector(`[part~="${part}"]`)?.textContent?.replace(/\s+/g, ' ').trim() ?? '';

describe('the lists and the export with service-url, beside the fleet service and the ZVM simulator', () => {
  let servers: Servers;
  let fleet: { url: string; key: string };
  let banner: ZertoBillingBanner;
  before(async function () {
    this.timeout(120_000);
    storageConfig.dbName = `zbb-test-service-lists-${Math.random().toString(36).slice(2)}`;
    // The ZVM's billing link is down for good: a day on, its usage alert is on, with 15 days to go.
    servers = await startServers({ zvm: { billingUrl: 'http://127.0.0.1:9', siteId: ZVM_SITE } });
    await servers.advanceZvm(DAY + HOUR);
    // The service reads the ZVM every 2 s (its alert times and deadline stay the ZVM's own).
    fleet = await servers.fleet(FLEET_SITE, { interval: 2000, alertAfter: DAY, graceDays: 15 });
    banner = await mount(
      'zerto-billing-banner',
      { mode: 'service', 'service-url': fleet.url, 'site-id': FLEET_SITE, timeout: '3s' },
      fleet.key,
      document.body,
    );
    await until(() => banner.view?.phase === 'warning', 60_000, 'the banner to show the warning');
  });
  after(async () => {
    banner?.remove();
    await servers.stop();
  });

  it('<zerto-billing-sites> shows the fleet site with the phase, days left and deadline the banner shows', async function () {
    this.timeout(30_000);
    const el = await mount('zerto-billing-sites', { 'service-url': fleet.url }, fleet.key);
    await until(() => el.status === 'ready' && el.rows.length === 1, 20_000, 'the sites to be read');
    const [row] = el.rows;
    expect(row!.view.site.id).to.equal(FLEET_SITE);
    expect(row!.view.phase).to.equal('warning');
    expect(row!.view.daysLeft).to.equal(banner.view!.daysLeft);
    expect(row!.view.deadline).to.equal(banner.view!.deadline);
    // Today the service tried and the billing server could not be reached: the strip says so.
    expect(row!.strip[6]).to.equal('fail');
    await el.updateComplete;
    const rendered = el.shadowRoot!.querySelector<HTMLElement>(`[part~="row"][data-site="${FLEET_SITE}"]`)!;
    expect(rendered.classList.contains('warning')).to.equal(true);
    expect(rendered.textContent).to.contain(`${banner.view!.daysLeft} days`);
    // The service's sites belong to its config: nothing to forget here.
    expect(el.shadowRoot!.querySelector('[part~="forget-button"]')).to.equal(null);
    expect(el.shadowRoot!.querySelector('[part~="legend"]')).to.not.equal(null);
  });

  it("<zerto-billing-alerts> shows the alert the ZVM turned on, with its TurnedOn, in the banner's words", async function () {
    this.timeout(30_000);
    const el = await mount(
      'zerto-billing-alerts',
      { 'service-url': fleet.url, 'site-id': FLEET_SITE },
      fleet.key,
    );
    await until(() => el.status === 'ready' && el.alerts.length > 0, 20_000, 'the alerts to be read');
    const zvm = await servers.zvmState();
    // The simulator's clock runs a day and an hour ahead (it was advanced): its times, in this machine's frame.
    const skew = zvm.nowMs - Date.now();
    const active = el.alerts.filter((a) => a.ResolvedOn === null);
    expect(active).to.have.length(1);
    expect(active[0]!.HelpIdentifier).to.equal('LIC0012');
    expect(active[0]!.Site.SiteIdentifier).to.equal(FLEET_SITE);
    const zvmAlert = zvm.alerts.find((a) => a.helpIdentifier === 'LIC0012')!;
    // The same moment, read through the service's measure of the ZVM's clock (whole seconds).
    expect(Math.abs(Date.parse(active[0]!.TurnedOn) - (Date.parse(zvmAlert.turnedOn) - skew))).to.be.below(
      3000,
    );
    await el.updateComplete;
    const row = el.shadowRoot!.querySelector('[part~="row"]')!;
    expect(row.textContent).to.contain('Active');
    expect(row.textContent).to.contain(`${banner.view!.daysLeft} days`);
    // The export opened from the list reads the same service.
    el.shadowRoot!.querySelector<HTMLButtonElement>('[part~="export-button"]')!.click();
    await until(() => !!el.shadowRoot!.querySelector('[part~="export"]'), 5000, 'the export');
    const exp = el.shadowRoot!.querySelector<ZertoUsageExport>('[part~="export"]')!;
    expect(exp.serviceUrl).to.equal(fleet.url);
    expect(exp.token).to.equal(fleet.key);
  });

  it("<zerto-usage-export> downloads the service's export: its rows, its checksum", async function () {
    this.timeout(30_000);
    const el = await mount('zerto-usage-export', { 'service-url': fleet.url }, fleet.key);
    await el.updateComplete;
    const today = dayKey(Date.now());
    let seen: CustomEvent | null = null;
    el.addEventListener('zerto-billing-export', (e) => (seen = e));
    const file = await el.exportNow({ from: today, to: today, format: 'csv', download: false });
    expect(file, shadowText(el, 'error')).to.not.equal(null);
    expect(file!.fileName).to.equal(`zerto-usage_all-sites_${today}_${today}.csv`);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(file!.bytes)));
    expect(file!.sha256).to.equal([...digest].map((b) => b.toString(16).padStart(2, '0')).join(''));
    const [header, ...lines] = file!.text.trimEnd().split('\r\n');
    expect(header).to.equal(CSV_COLUMNS.join(','));
    expect(lines).to.have.length(1);
    const cells = lines[0]!.split(',');
    expect([cells[0], cells[1], cells[6]]).to.deep.equal([today, FLEET_SITE, 'unsent']);
    expect(file!.rows).to.equal(1);
    expect(file!.unsentDays).to.equal(1);
    expect(seen).to.not.equal(null);
    await el.updateComplete;
    expect(shadowText(el, 'result')).to.contain(file!.sha256);
  });

  it("a refused API key is each list's failure, naming the service's host, with Retry", async function () {
    this.timeout(30_000);
    const host = new URL(fleet.url).host;
    const sites = await mount('zerto-billing-sites', { 'service-url': fleet.url }, 'not-a-key');
    const alerts = await mount('zerto-billing-alerts', { 'service-url': fleet.url }, 'not-a-key');
    await until(() => sites.status === 'failed' && alerts.status === 'failed', 20_000, 'both lists to fail');
    await sites.updateComplete;
    await alerts.updateComplete;
    for (const el of [sites, alerts] as Array<ZertoBillingSites | ZertoBillingAlerts>) {
      expect(shadowText(el, 'failure-reason')).to.contain(host);
      expect(shadowText(el, 'failure-reason')).to.contain('API key');
      expect(el.shadowRoot!.querySelector('[part~="failure"]')!.getAttribute('role')).to.equal('alert');
      expect(el.shadowRoot!.querySelector('[part~="retry-button"]')).to.not.equal(null);
      expect(el.shadowRoot!.querySelector('[part~="empty"]')).to.equal(null);
    }
    // Given the right key, Retry reads the list.
    sites.token = fleet.key;
    sites.shadowRoot!.querySelector<HTMLButtonElement>('[part~="retry-button"]')!.click();
    await until(() => sites.status === 'ready' && sites.rows.length === 1, 20_000, 'the list after Retry');

    const exp = await mount('zerto-usage-export', { 'service-url': fleet.url }, 'not-a-key');
    await exp.updateComplete;
    const today = dayKey(Date.now());
    expect(await exp.exportNow({ from: today, to: today, download: false })).to.equal(null);
    await exp.updateComplete;
    expect(shadowText(exp, 'error')).to.contain(host);
    expect(shadowText(exp, 'error')).to.contain('API key');
  });

  it("an unknown site is the alerts list's failure, saying the service has no such site", async function () {
    this.timeout(30_000);
    const el = await mount(
      'zerto-billing-alerts',
      { 'service-url': fleet.url, 'site-id': 'nope' },
      fleet.key,
    );
    await until(() => el.status === 'failed', 20_000, 'the list to fail');
    await el.updateComplete;
    expect(shadowText(el, 'failure-reason')).to.contain('no such site');
    expect(shadowText(el, 'failure-reason')).to.contain(new URL(fleet.url).host);
  });

  it('<zerto-billing-sites> follows the event stream: the last day shows without a reload, reading only the site that changed', async function () {
    this.timeout(60_000);
    // The page's own record of the requests it made (resource timing), to see what the list read.
    performance.setResourceTimingBufferSize(10_000);
    const reads = () =>
      performance
        .getEntriesByType('resource')
        .map((e) => e.name)
        .filter((name) => name.startsWith(`${fleet.url}/v1/states`))
        // The earlier test's list of an unknown site may still be reading on the service's events: not this one's.
        .filter((name) => !name.endsWith('?site=nope'));
    const before = reads().length;
    const el = await mount('zerto-billing-sites', { 'service-url': fleet.url }, fleet.key);
    await until(() => el.rows[0]?.view.daysLeft === 15, 20_000, 'the warning with 15 days left');
    // Fourteen days on at the ZVM: its last day. Nobody calls reload(); the service's event says it changed.
    await servers.advanceZvm(14 * DAY);
    await until(() => el.rows[0]?.view.daysLeft === 1, 30_000, 'the last day from the event stream').catch(
      (e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify(el.rows[0]?.view)}`);
      },
    );
    await until(() => banner.view?.daysLeft === 1, 30_000, 'the banner to agree');
    expect(el.rows[0]!.view.deadline).to.equal(banner.view!.deadline);
    // The whole fleet once, when the list connected; then, at each of the service's attempts, that site only.
    const mine = reads().slice(before);
    expect(mine[0]).to.equal(`${fleet.url}/v1/states`);
    expect(mine.length, mine.join(', ')).to.be.greaterThan(1);
    expect(mine.slice(1)).to.deep.equal(mine.slice(1).map(() => `${fleet.url}/v1/states?site=${FLEET_SITE}`));
  });
});
