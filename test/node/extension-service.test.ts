// The browser extension in `service` mode, end to end: the BUILT extension in headless Chromium reads a site
// from a real fleet service process (fleet/cli.ts), which watches a real ZVM simulator in warning. Nothing of
// chrome.*, the service or the network is faked. The site is added through the options page as an admin
// would; the badge, the popup and a console's banner must show the warning and the days left the ZVM
// enforces, and "Test usage transmission" goes through the service (an operator key), never to the ZVM.
//
// PRE-GRANTED PERMISSIONS, as in extension.test.ts: headless Chromium cannot show the permission prompt, so
// the copy under test declares http://127.0.0.1/* (the fleet service and the console page) as granted.
import { writeFile } from 'node:fs/promises';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { DAY, HOUR } from '../../src/core/index.ts';
import type { BillingServer } from '../../servers/billing/server.ts';
import type { ZvmSim } from '../../servers/zvm/server.ts';
import {
  billing as startBilling,
  OPERATOR_KEY,
  READ_KEY,
  sim,
  simState,
  startFleet,
  tempDir,
  waitForSites,
  writeConfig,
  type FleetProcess,
} from './fleet/harness.ts';
import { startConsoles, type Consoles } from '../support/extension-consoles.ts';
import {
  buildExtension,
  grantedCopy,
  launchWithExtension,
  waitFor,
  type ExtensionBrowser,
} from '../support/extension-harness.ts';

const T = { timeout: 120_000 };
// Sending usage through the service is a POST, and Chromium gives an extension's POST the header
// `Origin: chrome-extension://<id>`: the service allows it by that origin in `http.allowOrigins`.
const SITE = 'ams-1';
const ENV = { EXT_TEST_ZVM_TOKEN: 'static-zvm-token-for-extension-tests', EXT_TEST_READ_KEY: READ_KEY };

let dir: { path: string; remove(): Promise<void> };
let billing: BillingServer;
let zvm: ZvmSim;
let fleet: FleetProcess;
let consoles: Consoles;
let ext: ExtensionBrowser;
let grantedDir = '';

before(
  async () => {
    buildExtension();
    grantedDir = grantedCopy({ hosts: ['http://127.0.0.1/*'], permissions: [] });
    dir = await tempDir('zbb-ext-fleet-');
    // The billing host refuses every report: the ZVM cannot send its usage, and a day later it warns.
    billing = await startBilling(join(dir.path, 'billing'));
    billing.setFault({ mode: 'error', status: 503 });
    zvm = await sim(billing.url, { token: ENV.EXT_TEST_ZVM_TOKEN, siteName: 'Amsterdam' });
    await zvm.advance(DAY + HOUR);
    await writeFile(join(dir.path, 'operator.key'), `${OPERATOR_KEY}\n`);
    // The extension first: its origin (chrome-extension://<id>) is what the service allows for its POSTs.
    consoles = await startConsoles();
    ext = await launchWithExtension(grantedDir);
    const configPath = join(dir.path, 'fleet.json');
    await writeConfig(configPath, {
      dataDir: 'data',
      http: { port: 0, allowOrigins: [`chrome-extension://${ext.id}`] },
      apiKeys: [
        { name: 'noc', role: 'read', key: { env: 'EXT_TEST_READ_KEY' } },
        { name: 'ops', role: 'operator', key: { file: 'operator.key' } },
      ],
      defaults: {
        policy: { interval: 2000, alertAfter: DAY, graceDays: 15 },
        timeoutMs: 2000,
        maxBackoffMs: 2000,
        startSpreadMs: 0,
      },
      zvms: [{ id: SITE, url: zvm.url, auth: { type: 'token', token: { env: 'EXT_TEST_ZVM_TOKEN' } } }],
    });
    fleet = await startFleet(configPath, ENV);
    await waitForSites(
      fleet,
      (s) => s.get(SITE)?.status === 'warning',
      30_000,
      'the service to see the warning',
    );
  },
  { timeout: 240_000 },
);

after(async () => {
  await ext?.close();
  fleet?.child.kill('SIGTERM');
  await fleet?.exited();
  await Promise.all([zvm?.close(), billing?.close(), consoles?.close()]);
  await dir?.remove();
  if (grantedDir) rmSync(grantedDir, { recursive: true, force: true });
});

const badge = () =>
  ext.inWorker<{ text: string; title: string }>(
    'return { text: await chrome.action.getBadgeText({}), title: await chrome.action.getTitle({}) };',
  );

/** Sets a light-DOM field the way typing does (an input or change event), in an extension page. */
async function fill(p: Page, selector: string, value: string): Promise<void> {
  await p.waitForSelector(selector, { timeout: 10_000 });
  await p.evaluate(
    `(() => { const el = document.querySelector(${JSON.stringify(selector)});
      el.value = ${JSON.stringify(value)};
      el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true })); })()`,
  );
}

const text = (p: Page, selector: string) =>
  p.evaluate(
    `(() => [...document.querySelectorAll(${JSON.stringify(selector)})].map((e) => e.textContent).join(' ').replace(/\\s+/g, ' ').trim())()`,
  ) as Promise<string>;

/** The service's own view of the site, which every console reads. */
async function serviceView(): Promise<{ phase: string; remaining: { unit: string; value: number } | null }> {
  const a = await fleet.get(`/v1/sites/${SITE}`);
  assert.equal(a.status, 200, a.text);
  return a.json<{ view: { phase: string; remaining: { unit: string; value: number } | null } }>().view;
}

describe('the browser extension reading a site from the fleet service', { timeout: 400_000 }, () => {
  test(
    'added in the options page, the site shows the warning and the days left the ZVM enforces: badge, popup and banner',
    T,
    async () => {
      const p = await ext.page('options/index.html');
      await p.waitForSelector('button.add-site', { timeout: 10_000 });
      await p.click('button.add-site');
      await fill(p, '#site-siteName', 'Amsterdam DR');
      await fill(p, '#site-mode', 'service');
      await p.waitForSelector('#site-serviceUrl', { timeout: 5_000 });
      assert.match(await text(p, '#site-mode-hint'), /same deadline/);
      assert.equal(await p.$('#site-zvmUrl'), null, 'no ZVM address is asked for');
      assert.equal(await p.$('#site-token'), null, 'no ZVM credential is asked for');
      // Saved without the key: the form says what is missing, nothing is stored.
      await fill(p, '#site-siteId', SITE);
      await fill(p, '#site-serviceUrl', fleet.url);
      await fill(p, '#site-consoles', 'http://127.0.0.1/console/*');
      await p.click('button.save-site');
      await p.waitForSelector('#site-apiKey-error', { timeout: 10_000 });
      assert.match(await text(p, '#site-apiKey-error'), /API key of the fleet service/);
      await fill(p, '#site-apiKey', READ_KEY);
      await p.click('button.save-site');
      await p.waitForSelector(`.site-list li[data-site-id="${SITE}"]`, { timeout: 10_000 });
      assert.match(await text(p, `.site-list li[data-site-id="${SITE}"]`), /Read from your fleet service/);
      const stored = await ext.inWorker<{ settings: unknown; secrets: unknown }>(
        'const g = await chrome.storage.local.get(["settings", "secrets"]); return { settings: g.settings, secrets: g.secrets };',
      );
      assert.deepEqual((stored.secrets as { sites: Record<string, unknown> }).sites[SITE], {
        apiKey: READ_KEY,
      });
      await p.close();

      const zvmState = await simState(zvm);
      assert.equal(zvmState.phase, 'warning');
      const view = await serviceView();
      assert.equal(view.phase, 'warning');
      assert.equal(view.remaining?.unit, 'days');
      const days = view.remaining!.value;
      // The same count of days the ZVM gives (its own rounding may differ by the part of a day).
      assert.ok(Math.abs(days - zvmState.daysLeft!) <= 1, `service ${days}, ZVM ${zvmState.daysLeft}`);

      const b = await waitFor('the badge to show the days left', async () => {
        const x = await badge();
        return x.text === String(days) ? x : null;
      });
      assert.match(b.title, /Amsterdam DR — /);
      assert.match(b.title, new RegExp(`${days} days`));

      const popup = await ext.page('popup/index.html');
      await popup.waitForSelector(`li.site.warning[data-site-id="${SITE}"] .days`, { timeout: 15_000 });
      const shown = await text(popup, `li.site[data-site-id="${SITE}"]`);
      assert.match(shown, /Amsterdam DR/);
      assert.match(shown, new RegExp(`${days} days left`));
      assert.doesNotMatch(shown, /fleet service at/, 'no problem reading the service');
      await popup.close();

      // A console page: the banner the extension places there shows the same deadline.
      const con = await ext.browser.newPage();
      await con.goto(`${consoles.origin}/console/index.html`, { timeout: 15_000 });
      const bannerText = () =>
        con.evaluate(`[...document.querySelectorAll('zerto-billing-banner')]
          .map((b) => (b.shadowRoot ? b.shadowRoot.textContent : '')).join(' ').replace(/\\s+/g, ' ')`) as Promise<string>;
      await waitFor(
        'the console banner to show the days left',
        async () => new RegExp(`${days} days`).test(await bannerText()),
        20_000,
      ).catch(async (err) => assert.fail(`${String(err)}\nbanner: ${(await bannerText()).slice(0, 400)}`));
      await con.close();
    },
  );

  test('"Test usage transmission" with a read key says that an operator key is needed', T, async () => {
    const popup = await ext.page('popup/index.html');
    const li = `li.site[data-site-id="${SITE}"]`;
    await popup.waitForSelector(`${li} button.test`, { timeout: 15_000 });
    await popup.click(`${li} button.test`);
    await popup.waitForSelector(`${li} .notice`, { timeout: 20_000 });
    assert.match(
      await text(popup, `${li} .notice`),
      /may only read the fleet service .*needs an operator key/,
    );
    assert.equal((await simState(zvm)).phase, 'warning', 'nothing was sent');
    await popup.close();
  });

  test(
    'with an operator key, the test goes through the service: the ZVM sends its usage and the warning ends everywhere',
    T,
    async () => {
      await ext.inWorker(`const g = await chrome.storage.local.get("secrets");
        const s = g.secrets; s.sites[${JSON.stringify(SITE)}] = { apiKey: ${JSON.stringify(OPERATOR_KEY)} };
        await chrome.storage.local.set({ secrets: s });`);
      billing.setFault({ mode: 'none' });
      const popup = await ext.page('popup/index.html');
      const li = `li.site[data-site-id="${SITE}"]`;
      await popup.waitForSelector(`${li} button.test`, { timeout: 15_000 });
      await popup.click(`${li} button.test`);
      await popup.waitForSelector(`${li} .outcome`, { timeout: 30_000 }).catch(async (e: Error) => {
        throw new Error(`${e.message}: the popup shows "${await text(popup, li)}"`);
      });
      // The zvm mode's words: the ZVM took the request and its alerts, read again, are clear (no "Passed").
      assert.match(
        await text(popup, `${li} .outcome`),
        /The ZVM took the request to send usage .*its billing alerts, read again, are clear/,
      );
      assert.equal((await simState(zvm)).phase, 'ok', 'the ZVM itself is out of warning');
      await popup.waitForSelector(`li.site.ok[data-site-id="${SITE}"]`, { timeout: 15_000 });
      await waitFor('the badge to clear', async () => (await badge()).text === '');
      await popup.close();
    },
  );

  test(
    'a service that cannot be read is said in the popup, and the last state it gave stays',
    T,
    async () => {
      const first = await ext.page('popup/index.html');
      await first.waitForSelector(`li.site[data-site-id="${SITE}"] .phase`, { timeout: 15_000 });
      const phase = String(
        await first.evaluate(
          `document.querySelector('li.site[data-site-id="${SITE}"] .phase').dataset.phase`,
        ),
      );
      await first.close();
      await ext.inWorker(`const g = await chrome.storage.local.get("secrets");
      const s = g.secrets; s.sites[${JSON.stringify(SITE)}] = { apiKey: "not-a-key-of-this-service" };
      await chrome.storage.local.set({ secrets: s });`);
      const popup = await ext.page('popup/index.html');
      const li = `li.site[data-site-id="${SITE}"]`;
      await popup.waitForSelector(`${li} .service-problem`, { timeout: 20_000 });
      assert.match(
        await text(popup, `${li} .service-problem`),
        /refused this site’s key.*Check the key in the options/,
      );
      assert.ok(await popup.$(`li.site.${phase}[data-site-id="${SITE}"]`), 'the last state stays shown');
      await popup.close();
      assert.deepEqual(
        ext.workerProblems.filter((x) => !/fleet service|Failed to load resource/.test(x.text)),
        [],
        'no error in the worker',
      );
    },
  );
});
