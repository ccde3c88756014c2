// Packaging: each element has its own entry, which registers that element only; and two copies of the
// library on one page (a console's own, and the extension's) share the tags, with one warning naming both
// versions, never an exception.
import { expect } from '@open-wc/testing';
import '../../components/index.ts';
import { VERSION } from '../../src/version.ts';
import { until } from '../world/frames.ts';

const entries: Array<[string, string]> = [
  ['/components/banner/zerto-billing-banner.ts', 'zerto-billing-banner'],
  ['/components/alerts/zerto-billing-alerts.ts', 'zerto-billing-alerts'],
  ['/components/usage-test/zerto-usage-test.ts', 'zerto-usage-test'],
  ['/components/sites/zerto-billing-sites.ts', 'zerto-billing-sites'],
  ['/components/export/zerto-usage-export.ts', 'zerto-usage-export'],
];

describe('packaging', () => {
  for (const [module, tag] of entries) {
    it(`importing ${tag}'s entry registers <${tag}> only`, async () => {
      const frame = document.createElement('iframe');
      frame.src = `/test/fixtures/one-element.html?module=${encodeURIComponent(module)}`;
      document.body.append(frame);
      try {
        const win = frame.contentWindow as Window & { registered?: string[] };
        await until(() => win.registered !== undefined, 10_000, `${module} to load`);
        expect(win.registered).to.deep.equal([tag]);
      } finally {
        frame.remove();
      }
    });
  }

  it('a second copy of the library on the page (the built one here) warns once, with both versions, and throws nothing', async () => {
    const warnings: string[] = [];
    const original = console.warn;
    console.warn = (...a: unknown[]) => warnings.push(a.map(String).join(' '));
    try {
      const built = '/built/zerto-billing.js';
      await import(/* @vite-ignore */ built);
      // The script tag's file loads the elements' module as it runs: the second copy registers just after.
      for (let i = 0; i < 200 && warnings.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, 100));
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.contain(`zerto-billing-banner ${VERSION}:`);
      expect(warnings[0]).to.contain(`another copy (version ${VERSION})`);
      // The page keeps the first copy's elements, and they work.
      const el = document.createElement('zerto-billing-alerts');
      document.body.append(el);
      expect(el.shadowRoot).to.not.equal(null);
      el.remove();
    } finally {
      console.warn = original;
    }
  });
});
