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

/** What the operator reads in the dialog, without the collapsed technical detail. */
function wordsShown(el: Element): string {
  const dialog = part(el, 'dialog')!.cloneNode(true) as HTMLElement;
  dialog.querySelectorAll('[part~="technical"]').forEach((d) => d.remove());
  return (dialog.textContent ?? '').replace(/\s+/g, ' ');
}

/** A test in custom mode: the host page's probe answers (or never does). */
async function mountCustom(probe: () => unknown, timeout: string) {
  const el = await fixture<ZertoUsageTest>(
    html`<zerto-usage-test
      site-id=${uniqueSite().id}
      mode="custom"
      timeout=${timeout}
      .probe=${probe}
      .clock=${testClock(T0)}
    ></zerto-usage-test>`,
  );
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

  // [name, setup, attributes, failed step, the cause, what to check, what must not be said]
  const failures: Array<
    [string, () => Promise<void>, Record<string, string>, string, RegExp, RegExp, RegExp]
  > = [
    [
      'the billing server is at a port the browser refuses (127.0.0.1:9)',
      async () => {},
      { 'billing-url': 'http://127.0.0.1:9' },
      'reach',
      /Cause: The server could not be reached/,
      /ERR_UNSAFE_PORT.*a server listens at 127\.0\.0\.1 on port 9/s,
      /DNS|port 443\b|Failed to fetch|TypeError/,
    ],
    [
      'the server never answers',
      () => servers.fault('hang'),
      {},
      'reach',
      /Cause: No answer in time: no answer within 2 s\./,
      /firewall allows HTTP to 127\.0\.0\.1 on port \d+ \(a silent drop/,
      /\d ms\b|port 443\b|127\.0\.0\.1:\d+ on port/,
    ],
    [
      'the answer has the wrong shape',
      () => servers.fault('html'),
      {},
      'ack',
      /The answer was not what the API returns.*HTML page/,
      /captive portal/,
      /Invalid input/,
    ],
    [
      'the server fails',
      () => servers.fault('error', { status: 503 }),
      {},
      'ack',
      /HTTP 503/,
      /billing server status/,
      // Said once: in the cause, not again beside the failed step.
      /Usage acknowledged failed HTTP|Cause:.*Cause:/s,
    ],
  ];
  for (const [name, setup, attrs, step, cause, hint, never] of failures) {
    it(`names the failed step, the cause once and what to check for that address when ${name}`, async () => {
      await setup();
      const site = uniqueSite();
      const el = await mountTest(site, testClock(T0), attrs);
      const result = await el.run();
      expect(result?.outcome.ok).to.equal(false);
      await el.updateComplete;
      const failure = part(el, 'failure')!;
      expect(failure.getAttribute('role')).to.equal('alert');
      expect(stepTexts(el), JSON.stringify(stepTexts(el)) + failure.textContent).to.include(`${step}:failed`);
      const said = wordsShown(el);
      expect(said).to.match(cause);
      expect(said).to.match(hint);
      expect(said).to.not.match(never);
      expect(said).to.contain('clock');
    });
  }

  it('says a host page probe that threw, or answered in the wrong shape, in words, with the technical detail apart', async () => {
    const answers: Array<[() => unknown, RegExp, RegExp]> = [
      [
        () => Promise.reject(new TypeError('Failed to fetch')),
        /Cause: The server could not be reached: the probe threw\./,
        /Failed to fetch/,
      ],
      [
        () => ({ ok: 'yes' }),
        /Cause: The answer was not what the API returns\./,
        /probe answer\.ok: Invalid input/,
      ],
    ];
    for (const [answer, cause, technical] of answers) {
      const el = await mountCustom(answer, '2s');
      const warned: string[] = [];
      const warn = console.warn;
      console.warn = (...args: unknown[]) => void warned.push(args.join(' '));
      try {
        await el.run();
      } finally {
        console.warn = warn;
      }
      await el.updateComplete;
      const said = wordsShown(el);
      expect(said).to.match(cause);
      expect(said).to.not.match(/TypeError|Failed to fetch|Invalid input|probe answer\./);
      expect(part(el, 'technical')?.textContent).to.match(technical);
      expect(
        warned.filter((w) => technical.test(w)),
        'logged once',
      ).to.have.length(1);
    }
  });

  it('keeps every step shown while a test ran in its result when the probe times out, and says the timeout as it was set', async () => {
    const el = await mountCustom(() => new Promise(() => {}), '1s');
    const seen = new Set<string>();
    const watch = new MutationObserver(() => {
      for (const li of el.shadowRoot!.querySelectorAll('[part~="step"]'))
        seen.add(li.getAttribute('data-step')!);
    });
    watch.observe(el.shadowRoot!, { subtree: true, childList: true, attributes: true });
    const result = await el.run();
    watch.disconnect();
    await el.updateComplete;
    expect(result?.outcome.ok).to.equal(false);
    expect([...seen].sort()).to.include.members(['collect', 'reach']);
    const after = stepTexts(el);
    for (const id of seen)
      expect(
        after.map((t) => t.split(':')[0]),
        `${id} is still listed`,
      ).to.include(id);
    expect(after).to.deep.equal(['collect:skipped', 'reach:failed', 'ack:skipped']);
    const said = wordsShown(el);
    expect(said).to.contain('Cause: No answer in time: the probe did not answer within 1 s.');
    expect(said).to.not.match(/1000 ms/);
  });

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
