import { expect, fixture, html } from '@open-wc/testing';
import { DAY, HOUR } from '../../src/core/index.ts';
import type { ZertoUsageTest } from '../../components/index.ts';
import { mountBanner, seed, seedWarning, settle, T0, testClock, uniqueSite, useOwnDb } from './harness.ts';

useOwnDb('zbb-test-a11y');

/** The banner arrives with a short fade; contrast is judged on what stays on screen, once it has ended. */
async function arrived(el: Element): Promise<void> {
  await Promise.all((el.shadowRoot?.getAnimations() ?? []).map((a) => a.finished));
}

// axe-core through chai-a11y-axe: every rule of WCAG 2 A and AA, contrast included.
describe('accessibility (axe-core finds no violation)', () => {
  for (const theme of ['light', 'dark'] as const) {
    it(`in the warning, ${theme}`, async () => {
      const site = uniqueSite();
      await seedWarning(site, T0, T0 + 2 * DAY);
      const el = await mountBanner({ site, clock: testClock(T0 + 2 * DAY), attrs: { theme } });
      await el.updateComplete;
      const background = getComputedStyle(el.shadowRoot!.querySelector('[part~="banner"]')!).backgroundColor;
      expect(background).to.equal(theme === 'dark' ? 'rgb(58, 40, 0)' : 'rgb(255, 244, 206)');
      await arrived(el);
      await expect(el).to.be.accessible();
    });

    it(`in the disconnection notice, ${theme}`, async () => {
      const site = uniqueSite();
      await seedWarning(site, T0, T0 + 16 * DAY);
      const el = await mountBanner({ site, clock: testClock(T0 + 16 * DAY), attrs: { theme } });
      await el.updateComplete;
      await arrived(el);
      await expect(el).to.be.accessible();
    });
  }

  it('in the collapsed warning', async () => {
    const site = uniqueSite();
    await seedWarning(site, T0, T0 + 14 * DAY + 20 * HOUR);
    const el = await mountBanner({ site, clock: testClock(T0 + 14 * DAY + 20 * HOUR) });
    (el.shadowRoot!.querySelector('[part~="collapse-button"]') as HTMLButtonElement).click();
    await el.updateComplete;
    await arrived(el);
    await expect(el).to.be.accessible();
  });

  it('in the recovery notice and the ok chip', async () => {
    const site = uniqueSite();
    await seed(site, T0, T0 + HOUR);
    const el = await mountBanner({
      site,
      clock: testClock(T0 + 2 * HOUR),
      answer: { ok: true },
      attrs: { 'show-ok': '' },
    });
    await el.updateComplete;
    await arrived(el);
    await expect(el).to.be.accessible();
  });

  it('in the configuration message', async () => {
    const original = console.error;
    console.error = () => {};
    try {
      const el = await fixture(html`<zerto-billing-banner grace-days="nope"></zerto-billing-banner>`);
      await arrived(el);
      await expect(el).to.be.accessible();
    } finally {
      console.error = original;
    }
  });

  it('in the usage test dialog after a failure', async () => {
    const el = await fixture<ZertoUsageTest>(
      html`<zerto-usage-test
        site-id=${uniqueSite().id}
        mode="direct"
        protected-vms="1"
        billing-url="http://127.0.0.1:9"
        timeout="1s"
      ></zerto-usage-test>`,
    );
    await settle(el);
    await el.run();
    await el.updateComplete;
    await arrived(el);
    await expect(el).to.be.accessible();
  });
});

describe('right-to-left', () => {
  it('lays the banner out from the right in an RTL page', async () => {
    const site = uniqueSite();
    await seedWarning(site, T0, T0 + 2 * DAY);
    const wrapper = await fixture(
      html`<div dir="rtl">
        <zerto-billing-banner
          site-id=${site.id}
          mode="custom"
          .clock=${testClock(T0 + 2 * DAY)}
          .probe=${() => ({ ok: false, reason: { kind: 'network' } })}
        ></zerto-billing-banner>
      </div>`,
    );
    const el = wrapper.querySelector('zerto-billing-banner')!;
    await settle(el);
    const banner = el.shadowRoot!.querySelector('[part~="banner"]')!;
    const icon = el.shadowRoot!.querySelector('[part~="icon"]')!.getBoundingClientRect();
    const box = banner.getBoundingClientRect();
    expect(getComputedStyle(banner).direction).to.equal('rtl');
    expect(getComputedStyle(banner).borderRightWidth).to.equal('6px');
    expect(box.right - icon.right).to.be.below(box.width / 4);
  });
});
