import { expect } from '@open-wc/testing';
import { DAY, HOUR } from '../../src/core/index.ts';
import { storageConfig } from '../../src/world/storage/db.ts';
import { seed, uniqueSite, useOwnDb } from './harness.ts';

useOwnDb('zbb-test-host');

async function openPage(
  path: string,
  params: Record<string, string>,
): Promise<Window & { violations?: string[] }> {
  const frame = document.createElement('iframe');
  frame.style.width = '900px';
  frame.style.height = '400px';
  frame.src = `${path}?${new URLSearchParams({ ...params, db: storageConfig.dbName })}`;
  document.body.append(frame);
  await new Promise((r) => frame.addEventListener('load', r, { once: true }));
  return frame.contentWindow as Window & { violations?: string[] };
}

async function bannerText(win: Window, expected: RegExp): Promise<string> {
  const start = Date.now();
  for (;;) {
    const el = win.document.querySelector('zerto-billing-banner');
    const text = el?.shadowRoot?.textContent?.replace(/\s+/g, ' ') ?? '';
    if (expected.test(text) || Date.now() - start > 5000) return text;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('host pages', () => {
  it('shows a stored warning in a page holding only the script tag and the element', async () => {
    const site = uniqueSite('Tag-only console');
    const now = Date.now();
    // Stored before the page opens: last success 4 days ago, so the alert came on 3 days ago.
    await seed(site, now - 4 * DAY, now);
    const win = await openPage('/test/fixtures/script-tag.html', {
      'site-id': site.id,
      'site-name': site.name,
      'billing-url': 'http://127.0.0.1:9',
    });
    const text = await bannerText(win, /within 12 days/);
    expect(text).to.contain('Billing usage not sent');
    expect(text).to.contain('within 12 days');
  });

  it('reads the stored state through the shared worker: the page itself loads no storage, zod or probe code', async () => {
    const site = uniqueSite('Light console');
    const now = Date.now();
    await seed(site, now - 4 * DAY, now);
    const win = await openPage('/test/fixtures/script-tag.html', {
      'site-id': site.id,
      'billing-url': 'http://127.0.0.1:9',
    });
    expect(await bannerText(win, /within 12 days/)).to.contain('within 12 days');
    // Unbundled here, every module the page imported is a request of its own.
    const fetched = win.performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname);
    expect(fetched.some((p) => p.endsWith('/components/banner/zerto-billing-banner.ts'))).to.equal(true);
    const heavy = fetched.filter((p) =>
      /page-host|\/zod\/|\/idb\/|\/probes\/(?!config|types)|storage\/(db|repo)/.test(p),
    );
    expect(heavy).to.deep.equal([]);
  });

  it('shows a stored disconnection in a page holding only the script tag and the element', async () => {
    const site = uniqueSite('Tag-only console');
    const now = Date.now();
    await seed(site, now - 17 * DAY, now - HOUR);
    const win = await openPage('/test/fixtures/script-tag.html', {
      'site-id': site.id,
      'site-name': site.name,
      'billing-url': 'http://127.0.0.1:9',
    });
    const text = await bannerText(win, /VRAs stopped on/);
    expect(text).to.contain("Billing usage not sent: by the vendor's rule, VRAs stopped on");
  });

  it('works on a page served with default-src self and require-trusted-types-for script, with no violation', async () => {
    const site = uniqueSite('Strict console');
    const now = Date.now();
    await seed(site, now - 4 * DAY, now);
    const win = await openPage('/test/fixtures/csp/banner-page.html', {
      'site-id': site.id,
      'billing-url': 'http://127.0.0.1:9',
    });
    const text = await bannerText(win, /within 12 days/);
    expect(text).to.contain('within 12 days');
    expect(win.violations, JSON.stringify(win.violations)).to.deep.equal([]);
  });
});
