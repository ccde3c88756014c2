// The browser extension end to end: the BUILT extension (this file runs the build first, so `npm test` works
// on a clean clone) in headless Chromium with a fresh profile, against the real reference billing server, a
// real forward proxy and real console pages on loopback. Nothing of chrome.* or the network is faked; time
// is moved with the extension's documented diagnostics setting `clockOffsetMs` in chrome.storage.local.
//
// PRE-GRANTED PERMISSIONS, said plainly: headless Chromium cannot show the permission prompt that an admin
// answers with "Allow", so the tests that use the extension run a copy of the built folder whose manifest
// declares, as install-time permissions, exactly what the admin would allow at run time:
//   - host permissions http://127.0.0.1/* (the billing server and the console pages of these tests) and
//     http://billing.test/* (the billing host reached through the proxy), which the options page asks for
//     when a site is saved;
//   - proxy, webRequest and webRequestAuthProvider, which the options page asks for when the proxy is on.
// The options page still calls chrome.permissions.request on a real click; Chrome answers it at once since
// the permissions are held. The first test checks the shipped build itself, unmodified: no host permission
// at install, and no error or warning on its extension page.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { after, before, describe, test } from 'node:test';
import { unzipSync } from 'fflate';
import type { Page } from 'puppeteer-core';
import { startBillingServer, type BillingServer } from '../../servers/billing/server.ts';
import { freePort } from '../support/free-port.ts';
import { startConsoles, STRICT_CSP, type Consoles } from '../support/extension-consoles.ts';
import {
  buildExtension,
  EXTENSION_DIR,
  EXTENSION_ZIP,
  extensionPageErrors,
  grantedCopy,
  launchWithExtension,
  waitFor,
  type ExtensionBrowser,
} from '../support/extension-harness.ts';
import { startForwardProxy, type ForwardProxy } from '../support/forward-proxy.ts';

const HOUR = 3_600_000;
/** Each test is bounded: a hang fails it instead of holding `npm test`. */
const T = { timeout: 90_000 };
const DAY = 24 * HOUR;

let billing: BillingServer;
let proxy: ForwardProxy;
let consoles: Consoles;
let ext: ExtensionBrowser;
let grantedDir = '';
const dataDir = mkdtempSync(join(tmpdir(), 'zbb-ext-billing-'));
const pageProblems: string[] = [];

/** Every page opened gets its errors collected: none is expected anywhere. */
function watchPage(p: Page, name: string): Page {
  p.on('console', (m) => {
    if (m.type() === 'error') pageProblems.push(`${name}: console.error ${m.text()}`);
  });
  p.on('pageerror', (e) => pageProblems.push(`${name}: ${String(e)}`));
  return p;
}

const setOffset = (ms: number) => ext.inWorker(`await chrome.storage.local.set({ clockOffsetMs: ${ms} });`);
const badge = () =>
  ext.inWorker<{ text: string; title: string; color: number[] }>(`return {
    text: await chrome.action.getBadgeText({}),
    title: await chrome.action.getTitle({}),
    color: await chrome.action.getBadgeBackgroundColor({}),
  };`);
const noticeLog = () =>
  ext.inWorker<Array<{ id: string; kind: string }>>(
    'return (await chrome.storage.local.get("noticeLog")).noticeLog ?? [];',
  );
const shownNotifications = () =>
  ext.inWorker<string[]>('return Object.keys(await chrome.notifications.getAll());');
const waitBadge = (text: string, title: RegExp) =>
  waitFor(`the badge to read "${text}" and its tooltip ${title}`, async () => {
    const b = await badge();
    return b.text === text && title.test(b.title) ? b : null;
  });

/** Sets a light-DOM field the way typing does (an input event), in an extension page. */
async function fill(p: Page, selector: string, value: string): Promise<void> {
  await p.waitForSelector(selector, { timeout: 10_000 });
  await p.evaluate(
    `(() => { const el = document.querySelector(${JSON.stringify(selector)});
      el.value = ${JSON.stringify(value)};
      el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true })); })()`,
  );
}

/** The text a person sees in the extension's banner elements, shadow roots included. */
const BANNER_TEXT = `(() => [...document.querySelectorAll('zerto-billing-banner')]
  .map((b) => (b.shadowRoot ? b.shadowRoot.textContent : '')).join(' ').replace(/\\s+/g, ' '))()`;
const bannerText = (p: Page) => p.evaluate(BANNER_TEXT) as Promise<string>;
const waitBannerText = (p: Page, rx: RegExp) =>
  waitFor(`the banner to say ${rx}`, async () => rx.test(await bannerText(p)), 15_000).catch(async (err) =>
    assert.fail(`${String(err)}\nbanner text: ${(await bannerText(p)).slice(0, 400)}`),
  );

before(
  async () => {
    buildExtension();
    grantedDir = grantedCopy({
      hosts: ['http://127.0.0.1/*', 'http://billing.test/*'],
      permissions: ['proxy', 'webRequest', 'webRequestAuthProvider'],
    });
    // Reached as billing.test through the proxy, so that name is its own (any other Host is refused).
    billing = await startBillingServer({
      port: 0,
      dataDir,
      quiet: true,
      allowOrigins: [],
      hosts: ['billing.test'],
    });
    proxy = await startForwardProxy({
      hosts: { 'billing.test': '127.0.0.1' },
      auth: { username: 'billing-proxy', password: 's3cret pass' },
    });
    consoles = await startConsoles();
    ext = await launchWithExtension(grantedDir);
  },
  { timeout: 240_000 },
);

after(async () => {
  await ext?.close();
  await Promise.all([billing?.close(), proxy?.close(), consoles?.close()]);
  rmSync(dataDir, { recursive: true, force: true });
  if (grantedDir) rmSync(grantedDir, { recursive: true, force: true });
});

describe('the browser extension (built, in headless Chromium)', { timeout: 300_000 }, () => {
  test(
    'the shipped build asks for no host permission at install and loads with no error or warning',
    T,
    async () => {
      const manifest = JSON.parse(readFileSync(join(EXTENSION_DIR, 'manifest.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      assert.equal(manifest.manifest_version, 3);
      assert.equal(manifest.host_permissions, undefined, 'no host permission at install');
      assert.equal(manifest.content_scripts, undefined, 'content scripts are registered at run time only');
      assert.equal(manifest.web_accessible_resources, undefined, 'no page can fetch or probe the extension');
      assert.deepEqual(manifest.permissions, [
        'storage',
        'unlimitedStorage',
        'alarms',
        'notifications',
        'scripting',
      ]);
      assert.deepEqual(manifest.optional_permissions, ['proxy', 'webRequest', 'webRequestAuthProvider']);
      assert.ok(existsSync(EXTENSION_ZIP), 'npm run build also writes the zip');
      const zipped = Object.keys(unzipSync(readFileSync(EXTENSION_ZIP)));
      for (const f of ['manifest.json', 'content/banner-main.js', 'content/relay.js', 'popup/index.html'])
        assert.ok(zipped.includes(f), `the zip holds ${f}`);

      const shipped = await launchWithExtension(EXTENSION_DIR);
      try {
        const granted = await shipped.inWorker<{ origins: string[] }>(
          'return await chrome.permissions.getAll();',
        );
        assert.deepEqual(granted.origins, [], 'the shipped build starts with no host permission');
        assert.equal(await shipped.inWorker<string>('return await chrome.action.getBadgeText({});'), '');
        await waitFor('the tooltip to say no site is watched', async () =>
          /no site watched yet/.test(
            await shipped.inWorker<string>('return await chrome.action.getTitle({});'),
          ),
        );
        const popup = watchPage(await shipped.page('popup/index.html'), 'shipped popup');
        await popup.waitForFunction(`document.body.textContent.includes('No site is watched yet')`, {
          timeout: 10_000,
        });
        const options = watchPage(await shipped.page('options/index.html'), 'shipped options');
        await options.waitForSelector('button.add-site', { timeout: 10_000 });
        const errors = await extensionPageErrors(shipped);
        assert.deepEqual(errors, { runtimeErrors: [], manifestErrors: [], installWarnings: [] });
        assert.deepEqual(shipped.workerProblems, []);
      } finally {
        await shipped.close();
      }
    },
  );

  test(
    'the options page refuses invalid fields with a message each, then adds the site; the worker transmits to the billing server',
    T,
    async () => {
      const p = watchPage(await ext.page('options/index.html'), 'options');
      await p.click('button.add-site');
      await fill(p, '#site-siteName', 'Amsterdam DR');
      // A new site asks its ZVM by default; this one sends usage from the browser.
      await fill(p, '#site-mode', 'direct');
      await fill(p, '#site-billingUrl', 'billing.example.com');
      await fill(p, '#site-protectedVms', '4.5');
      await fill(p, '#site-consoles', 'https://*/*\nhttp://127.0.0.1:8080/console/*');
      await p.click('button.save-site');
      await p.waitForSelector('#site-siteId-error', { timeout: 10_000 });
      const messages =
        await p.evaluate(`Object.fromEntries([...document.querySelectorAll('.site-form .error')]
      .map((e) => [e.id.replace(/^site-|-error$/g, ''), e.textContent]))`);
      assert.match(String((messages as Record<string, string>).siteId), /required/);
      assert.match(String((messages as Record<string, string>).billingUrl), /absolute http\(s\) URL/);
      assert.match(String((messages as Record<string, string>).protectedVms), /whole number/);
      assert.match(String((messages as Record<string, string>).consoles), /every site.*leave the port out/s);
      assert.equal(billing.stats().received, 0, 'nothing is saved or sent while a field is wrong');

      await fill(p, '#site-siteId', 'ams');
      await fill(p, '#site-billingUrl', billing.url);
      await fill(p, '#site-protectedVms', '42');
      await fill(p, '#site-timeoutSeconds', '3');
      await fill(p, '#site-consoles', 'http://127.0.0.1/console/*');
      await p.click('button.save-site');
      await p.waitForSelector('.site-list li[data-site-id="ams"]', { timeout: 10_000 });

      await waitFor('the billing server to accept a report', async () => billing.stats().accepted >= 1);
      await waitBadge('', /billing usage sent for Amsterdam DR/);
      const alarms = await ext.inWorker<Array<{ name: string; scheduledTime: number }>>(
        'return await chrome.alarms.getAll();',
      );
      const alarm = alarms.find((a) => a.name === 'site:ams');
      assert.ok(alarm, 'the site has its alarm');
      // The next attempt is an interval (1 h) after this one, never sooner than Chrome's 30 s minimum.
      assert.ok(
        alarm.scheduledTime - Date.now() > 50 * 60_000 && alarm.scheduledTime - Date.now() <= HOUR + 5_000,
      );
      const scripts = await ext.inWorker<Array<{ id: string; world: string; matches: string[] }>>(
        'return await chrome.scripting.getRegisteredContentScripts();',
      );
      assert.deepEqual(scripts.map((s) => [s.id, s.world, s.matches]).sort(), [
        ['zbb-banner-main', 'MAIN', ['http://127.0.0.1/console/*']],
        ['zbb-relay', 'ISOLATED', ['http://127.0.0.1/console/*']],
      ]);
      await p.close();
    },
  );

  test(
    'an outage: a day without success turns the badge into the days left and notifies once',
    T,
    async () => {
      billing.setFault({ mode: 'error', status: 503 });
      await setOffset(25 * HOUR);
      const b = await waitBadge(
        '15',
        /Amsterdam DR — Billing usage not sent: by the vendor's rule, VRAs stop in 15 days, /,
      );
      assert.deepEqual(b.color, [154, 79, 0, 255], 'the warning colour');
      await waitFor('the alert notification', async () =>
        (await shownNotifications()).some((id) => id.startsWith('ams:alert:')),
      );
      // Another failed check a while later: the same alert, not a new notification.
      await setOffset(27 * HOUR);
      await waitFor('the second failed attempt', async () => billing.stats().faulted >= 2);
      await waitBadge('15', /VRAs stop in 15 days/);
      const log = await noticeLog();
      assert.deepEqual(
        log.map((n) => n.kind),
        ['alert'],
      );
    },
  );

  test(
    'the clock moved past the deadline shows the disconnection ("!") and notifies the escalation once',
    T,
    async () => {
      await setOffset(25 * HOUR + 15 * DAY + HOUR);
      const b = await waitBadge(
        '!',
        /Amsterdam DR — Billing usage not sent: by the vendor's rule, VRAs stopped on /,
      );
      assert.deepEqual(b.color, [177, 14, 28, 255], 'the disconnection colour');
      await waitFor('the escalation notification', async () =>
        (await shownNotifications()).some((id) => id.startsWith('ams:disconnected:')),
      );
      await setOffset(25 * HOUR + 15 * DAY + 3 * HOUR);
      await waitBadge('!', /VRAs stopped on/);
      assert.deepEqual(
        (await noticeLog()).map((n) => n.kind),
        ['alert', 'disconnected'],
      );
    },
  );

  test(
    'stopped and started again, the worker keeps the state, the schedule and what it notified',
    T,
    async () => {
      await ext.stopWorker();
      // Opening the popup starts the worker again; it knows only what storage and IndexedDB hold.
      const p = watchPage(await ext.page('popup/index.html'), 'popup');
      await p.waitForSelector('li[data-site-id="ams"] .phase[data-phase="disconnected"]', {
        timeout: 15_000,
      });
      await waitBadge('!', /VRAs stopped on/);
      const alarms = await ext.inWorker<Array<{ name: string }>>('return await chrome.alarms.getAll();');
      assert.ok(alarms.some((a) => a.name === 'site:ams'));
      await setOffset(25 * HOUR + 15 * DAY + 4 * HOUR);
      await waitFor('a check by the new worker', async () => billing.stats().faulted >= 4);
      assert.deepEqual(
        (await noticeLog()).map((n) => n.kind),
        ['alert', 'disconnected'],
        'nothing notified twice',
      );

      // Manual billing from the popup: the usage the worker recorded in the extension's IndexedDB, as CSV.
      await p.click('li[data-site-id="ams"] button.export');
      await p.waitForSelector('li[data-site-id="ams"] .export-result', { timeout: 10_000 });
      const exported = (
        await p.$eval('li[data-site-id="ams"] .export-result', (e) => e.textContent ?? '')
      ).replace(/\s+/g, ' ');
      const name =
        /Exported (\S+\.csv): [1-9]\d* site-days, [1-9]\d* with usage the billing server never acknowledged/.exec(
          exported,
        );
      assert.ok(name, `export result: ${exported}`);
      const csv = await waitFor('the CSV download', async () => {
        const file = join(ext.downloads, name[1]!);
        return existsSync(file) ? readFileSync(file, 'utf8') : null;
      });
      assert.match(csv, /ams/);
      await p.close();
    },
  );

  let console1: Page;
  test(
    'the banner appears in a matching console, also under a strict CSP, and not elsewhere; the page is left as it was',
    T,
    async () => {
      console1 = watchPage(await ext.browser.newPage(), 'console');
      await console1.goto(`${consoles.origin}/console/index.html`, { timeout: 15_000 });
      await waitBannerText(
        console1,
        /by the vendor's rule, VRAs stopped on.*This console cannot see the VRAs/,
      );
      const { globals, ...layout } = (await console1.evaluate(`({
      first: document.body.firstElementChild.localName,
      own: document.body.firstElementChild.hasAttribute('data-zerto-billing-extension'),
      site: document.body.firstElementChild.getAttribute('site-id'),
      children: [...document.body.children].map((e) => e.localName + (e.id ? '#' + e.id : '')),
      appColor: getComputedStyle(document.getElementById('app')).color,
      appFont: getComputedStyle(document.getElementById('app')).fontSize,
      appReady: document.getElementById('app').dataset.ready,
      started: window.consoleApp && window.consoleApp.started,
      globals: Object.keys(window),
    })`)) as { globals: string[] } & Record<string, unknown>;
      assert.deepEqual(layout, {
        first: 'zerto-billing-banner',
        own: true,
        site: 'ams',
        children: ['zerto-billing-banner', 'div#app', 'script'],
        appColor: 'rgb(1, 2, 3)',
        appFont: '17px',
        appReady: 'yes',
        started: true,
      });

      const strict = watchPage(await ext.browser.newPage(), 'strict console');
      const res = await strict.goto(`${consoles.origin}/console/strict.html`, { timeout: 15_000 });
      assert.equal(res?.headers()['content-security-policy'], STRICT_CSP);
      await waitBannerText(strict, /VRAs stopped on/);
      assert.equal(await strict.evaluate(`document.getElementById('app').dataset.ready`), 'yes');
      await strict.close();

      const elsewhere = watchPage(await ext.browser.newPage(), 'elsewhere');
      await elsewhere.goto(`${consoles.origin}/elsewhere/index.html`, { timeout: 15_000 });
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(
        await elsewhere.evaluate(
          `[document.querySelectorAll('zerto-billing-banner').length, !!customElements.get('zerto-billing-banner')]`,
        ),
        [0, false],
      );
      // The only globals the MAIN-world script leaves in a console are the markers of the libraries it is
      // built with (Lit's versions, zod's config), which any page using them has: nothing of the extension's.
      const plain = new Set((await elsewhere.evaluate('Object.keys(window)')) as string[]);
      assert.deepEqual(globals.filter((k) => !plain.has(k)).sort(), [
        '__zod_globalConfig',
        'litElementVersions',
        'litHtmlVersions',
        'litPropertyMetadata',
        'reactiveElementVersions',
      ]);
      await elsewhere.close();
    },
  );

  test(
    'recovery: usage getting through clears the badge, notifies once, and the open console shows it live',
    T,
    async () => {
      billing.setFault({ mode: 'none' });
      const accepted = billing.stats().accepted;
      await setOffset(25 * HOUR + 15 * DAY + 6 * HOUR);
      await waitBadge('', /billing usage sent for Amsterdam DR/);
      assert.ok(billing.stats().accepted > accepted);
      await waitFor('the recovery notification', async () =>
        (await shownNotifications()).some((id) => id.startsWith('ams:recovered:')),
      );
      // The console page opened before the recovery was not reloaded: the relay brought the state.
      await waitBannerText(console1, /Billing usage sent.*sent and acknowledged again/);
      assert.deepEqual(
        (await noticeLog()).map((n) => n.kind),
        ['alert', 'disconnected', 'recovered'],
      );
      await console1.close();
    },
  );

  test('the popup shows each site and streams the steps of the test usage transmission', T, async () => {
    const p = watchPage(await ext.page('popup/index.html'), 'popup');
    const site = 'li[data-site-id="ams"]';
    await p.waitForSelector(`${site} .phase[data-phase="ok"]`, { timeout: 10_000 });
    assert.doesNotMatch(await p.$eval(`${site} .last`, (e) => e.textContent ?? ''), /never/);
    const before = billing.stats().accepted;
    await p.click(`${site} button.test`);
    await p.waitForSelector(`${site} .steps li[data-step="ack"][data-status="done"]`, { timeout: 15_000 });
    const steps = await p.$$eval(`${site} .steps li`, (els) => els.map((e) => e.getAttribute('data-status')));
    assert.deepEqual(steps, ['done', 'done', 'done']);
    await p.waitForSelector(`${site} .outcome[data-ok="true"]`, { timeout: 5_000 });
    assert.equal(billing.stats().accepted, before + 1);

    billing.setFault({ mode: 'error', status: 503 });
    await p.click(`${site} button.test`);
    await p.waitForSelector(`${site} .outcome[data-ok="false"]`, { timeout: 15_000 });
    const failure = await p.$eval(`${site} .outcome`, (e) => e.textContent ?? '');
    assert.match(failure, /Failed at: Billing server reached|Failed at: Usage acknowledged/);
    assert.match(failure, /HTTP 503/);
    billing.setFault({ mode: 'none' });
    await p.close();
  });

  test(
    'with a proxy for the billing host, the transmission goes through a real forward proxy, credentials answered',
    T,
    async () => {
      const before = proxy.requests.length;
      await ext.inWorker(`
      const got = await chrome.storage.local.get(['settings', 'secrets']);
      const s = got.settings;
      s.sites.push({ siteId: 'ber', siteName: 'Berlin DR', mode: 'direct', billingUrl: 'http://billing.test:${billing.port}',
        protectedVms: 7, timeoutMs: 3000, retries: 0, consoles: [] });
      s.proxy = { enabled: true, scheme: 'http', host: '127.0.0.1', port: ${proxy.port} };
      await chrome.storage.local.set({ settings: s,
        secrets: { ...(got.secrets ?? { sites: {} }), proxy: { username: 'billing-proxy', password: 's3cret pass' } } });`);
      const seen = await waitFor('the proxy to pass the usage report on', async () =>
        proxy.requests.slice(before).find(
          (r) =>
            r.method === 'POST' &&
            // Reports go out in batches (POST /v1/usage/batch).
            r.target === `http://billing.test:${billing.port}/v1/usage/batch` &&
            r.authorized,
        ),
      );
      assert.equal(seen.host, 'billing.test');
      // The first try came without credentials, the proxy asked (407), and the extension answered.
      assert.ok(proxy.requests.slice(before).some((r) => !r.authorized));
      // The listing comes in pages: Berlin's report is on the page of its site.
      const reports = (await (await fetch(`${billing.url}/v1/usage?siteId=ber&limit=1000`)).json()) as {
        reports: Array<{ site: { id: string } }>;
      };
      assert.ok(
        reports.reports.some((r) => r.site.id === 'ber'),
        'the report reached the billing server',
      );
      // Only the billing host is sent to the proxy: the PAC script answers DIRECT for everything else.
      const setting = await ext.inWorker<{ levelOfControl: string; value: { pacScript: { data: string } } }>(
        'return await chrome.proxy.settings.get({});',
      );
      assert.equal(setting.levelOfControl, 'controlled_by_this_extension');
      const find = (url: string, host: string) =>
        runInNewContext(
          `${setting.value.pacScript.data}; FindProxyForURL(${JSON.stringify(url)}, ${JSON.stringify(host)})`,
          {
            shExpMatch: () => false,
            isPlainHostName: () => false,
          },
        ) as string;
      assert.equal(
        find(`http://billing.test:${billing.port}/v1/usage`, 'billing.test'),
        `PROXY 127.0.0.1:${proxy.port}`,
      );
      assert.equal(find('https://www.example.com/', 'www.example.com'), 'DIRECT');
      assert.equal(find(`${consoles.origin}/console/index.html`, 'localhost'), 'DIRECT');
    },
  );

  test(
    'the test action names a proxy failure as such, and turning the proxy off gives the setting back',
    T,
    async () => {
      const closed = await freePort();
      await ext.inWorker(`
      const { settings } = await chrome.storage.local.get('settings');
      settings.proxy = { ...settings.proxy, port: ${closed} };
      await chrome.storage.local.set({ settings });`);
      await waitFor('the PAC script to name the new port', async () =>
        (
          await ext.inWorker<string>('return (await chrome.proxy.settings.get({})).value.pacScript.data;')
        ).includes(`PROXY 127.0.0.1:${closed}`),
      );
      const p = watchPage(await ext.page('popup/index.html'), 'popup');
      const site = 'li[data-site-id="ber"]';
      await p.waitForSelector(`${site} button.test`, { timeout: 10_000 });
      await p.click(`${site} button.test`);
      await p.waitForSelector(`${site} .outcome[data-ok="false"]`, { timeout: 20_000 });
      assert.equal(await p.$eval(`${site} .outcome`, (e) => e.getAttribute('data-kind')), 'proxy');
      assert.match(
        await p.$eval(`${site} .outcome`, (e) => e.textContent ?? ''),
        /The proxy server failed.*ERR_PROXY_CONNECTION_FAILED/s,
      );
      await p.close();

      await ext.inWorker(`
      const { settings } = await chrome.storage.local.get('settings');
      settings.proxy = { ...settings.proxy, enabled: false };
      await chrome.storage.local.set({ settings });`);
      await waitFor(
        'the proxy setting to be given back',
        async () =>
          (await ext.inWorker<{ levelOfControl: string }>('return await chrome.proxy.settings.get({});'))
            .levelOfControl !== 'controlled_by_this_extension',
      );
    },
  );

  test(
    'a database the browser cleared is seen at the next check, with the reports that were waiting, and said in the popup',
    T,
    async () => {
      const mark = await ext.inWorker<{ sites: number; waiting: number } | undefined>(
        "return (await chrome.storage.local.get('storeMark')).storeMark;",
      );
      assert.ok(mark && mark.sites > 0, 'a mark of what the database held was left after the checks');
      // What an eviction leaves: the database there again, empty (opened as it is, every store cleared).
      await ext.inWorker(`
        const db = await new Promise((ok, ko) => { const r = indexedDB.open('zerto-billing'); r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error); });
        const names = [...db.objectStoreNames];
        await new Promise((ok, ko) => { const tx = db.transaction(names, 'readwrite'); for (const n of names) tx.objectStore(n).clear(); tx.oncomplete = ok; tx.onerror = () => ko(tx.error); });
        db.close();`);
      // The next check: time moved on a minute (and again, should a check already under way miss the change).
      let offset = await ext.inWorker<number>(
        "return (await chrome.storage.local.get('clockOffsetMs')).clockOffsetMs ?? 0;",
      );
      const nudge = setInterval(() => void setOffset((offset += 60_000)).catch(() => undefined), 3000);
      let eviction: { lostReports: number };
      try {
        await setOffset((offset += 60_000));
        eviction = await waitFor('the loss to be recorded', async () =>
          ext.inWorker<{ lostReports: number } | undefined>(
            "return (await chrome.storage.local.get('eviction')).eviction;",
          ),
        );
      } finally {
        clearInterval(nudge);
      }
      assert.equal(eviction.lostReports, mark.waiting);
      const p = watchPage(await ext.page('popup/index.html'), 'popup');
      await p.waitForSelector('.notice.storage', { timeout: 10_000 });
      assert.match(
        await p.$eval('.notice.storage', (e) => e.textContent ?? ''),
        /stored billing state was cleared by the browser/,
      );
      await p.close();
    },
  );

  test(
    'after all of this, the extension page shows no error or warning, and no page logged one',
    T,
    async () => {
      assert.deepEqual(await extensionPageErrors(ext), {
        runtimeErrors: [],
        manifestErrors: [],
        installWarnings: [],
      });
      assert.deepEqual(ext.workerProblems, []);
      assert.deepEqual(pageProblems, []);
    },
  );
});
