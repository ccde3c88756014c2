import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { DAY } from '../../src/core/index.ts';
import type { ZertoBillingBanner, ZertoUsageTest } from '../../components/index.ts';
import { startServers, type Servers } from '../support/servers.ts';
import { part, seedWarning, settle, T0, testClock, uniqueSite, useOwnDb, visibleText } from './harness.ts';

useOwnDb('zbb-test-usage');
let servers: Servers;
before(async () => {
  servers = await startServers({ zvm: { siteId: 'zvm-usage', siteName: 'Lisbon DR', protectedVms: 42 } });
});
after(() => servers.stop());
afterEach(() => servers.fault('none'));

async function mountTest(
  site: { id: string; name: string },
  clock: () => number,
  attrs: Record<string, string> = {},
) {
  const el = await fixture<ZertoUsageTest>(
    html`<zerto-usage-test
      site-id=${site.id}
      site-name=${site.name}
      mode="direct"
      billing-url=${servers.billingUrl}
      protected-vms="17"
      timeout="2s"
      .clock=${clock}
    ></zerto-usage-test>`,
  );
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  await settle(el);
  return el;
}

const stepTexts = (el: Element) =>
  [...el.shadowRoot!.querySelectorAll('[part~="step"]')].map(
    (li) => `${li.getAttribute('data-step')}:${li.className}`,
  );

describe('<zerto-usage-test>', () => {
  it('sends usage, shows each step with the counts and the report id, and resolves the alerts in every element', async () => {
    const site = uniqueSite();
    const clock = testClock(T0 + 3 * DAY);
    await seedWarning(site, T0, T0 + 3 * DAY);
    const banner = await fixture<ZertoBillingBanner>(
      html`<zerto-billing-banner
        site-id=${site.id}
        site-name=${site.name}
        mode="direct"
        billing-url=${servers.billingUrl}
        protected-vms="17"
        .clock=${clock}
      ></zerto-billing-banner>`,
    );
    await settle(banner);
    expect(banner.view?.phase).to.equal('warning');
    const el = await mountTest(site, clock);
    const button = part(el, 'button') as HTMLButtonElement;
    expect(button.textContent?.trim()).to.equal('Test usage transmission to Zerto');
    const result = oneEvent(el, 'zerto-billing-test-result');
    button.click();
    const e = await result;
    expect(e.detail).to.include({ kind: 'transmission', ok: true, siteId: site.id });
    await el.updateComplete;
    expect(stepTexts(el)).to.deep.equal(['collect:done', 'reach:done', 'ack:done']);
    const text = visibleText(el);
    expect(text).to.contain('Usage collected 17 protected VMs');
    const reportId = e.detail.result.outcome.ok ? e.detail.result.outcome.reportId : '';
    expect(text).to.contain(`Usage acknowledged report ${reportId}`);
    expect(text).to.contain('Usage sent and acknowledged');
    expect((await servers.reports()).some((r) => r.reportId === reportId)).to.equal(true);
    await banner.updateComplete;
    expect(banner.view?.phase).to.equal('ok');
    expect(visibleText(banner)).to.contain('Usage information for billing was sent and acknowledged again');
  });

  const failures: Array<[string, () => Promise<void>, Record<string, string>, string, RegExp, RegExp]> = [
    [
      'the billing server is down',
      async () => {},
      { 'billing-url': 'http://127.0.0.1:9' },
      'reach',
      /connection could not be made/,
      /resolves in DNS/,
    ],
    [
      'the server never answers',
      () => servers.fault('hang'),
      {},
      'reach',
      /No answer in time/,
      /firewall allows HTTPS to 127\.0\.0\.1:\d+ on port 443/,
    ],
    [
      'the answer has the wrong shape',
      () => servers.fault('html'),
      {},
      'ack',
      /wrong shape.*HTML page/,
      /captive portal/,
    ],
    [
      'the server fails',
      () => servers.fault('error', { status: 503 }),
      {},
      'ack',
      /HTTP 503/,
      /billing server status/,
    ],
  ];
  for (const [name, setup, attrs, step, cause, hint] of failures) {
    it(`names the failed step, the cause and what to check when ${name}`, async () => {
      await setup();
      const site = uniqueSite();
      const el = await mountTest(site, testClock(T0), attrs);
      const result = await el.run();
      expect(result?.outcome.ok).to.equal(false);
      await el.updateComplete;
      const failure = part(el, 'failure')!;
      expect(failure.getAttribute('role')).to.equal('alert');
      expect(stepTexts(el), JSON.stringify(stepTexts(el)) + failure.textContent).to.include(`${step}:failed`);
      expect(failure.textContent).to.match(cause);
      expect(failure.textContent).to.match(hint);
      expect(failure.textContent).to.contain('clock');
    });
  }

  it('names wrong credentials as such (zvm mode without a token)', async () => {
    const el = await fixture<ZertoUsageTest>(
      html`<zerto-usage-test mode="zvm" zvm-url=${servers.zvmUrl} site-id="zvm-usage"></zerto-usage-test>`,
    );
    await settle(el);
    await el.run();
    await el.updateComplete;
    expect(part(el, 'failure')?.textContent).to.match(/credentials were refused \(HTTP 401\)/);
    expect(part(el, 'failure')?.textContent).to.contain(
      'the credentials (token or session) given to the console',
    );
  });

  it('works from the keyboard and gives focus back when the dialog closes', async () => {
    const el = await mountTest(uniqueSite(), testClock(T0));
    const button = part(el, 'button') as HTMLButtonElement;
    button.focus();
    await sendKeys({ press: 'Enter' });
    const dialog = part(el, 'dialog') as HTMLDialogElement;
    await new Promise((r) => setTimeout(r, 50));
    expect(dialog.open).to.equal(true);
    await (el as unknown as { handle: { ready: Promise<void> } }).handle.ready;
    await new Promise((r) => setTimeout(r, 500));
    await sendKeys({ press: 'Escape' });
    await new Promise((r) => setTimeout(r, 50));
    expect(dialog.open).to.equal(false);
    expect(el.shadowRoot!.activeElement).to.equal(button);
  });
});
