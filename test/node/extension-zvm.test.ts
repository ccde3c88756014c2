// The browser extension asking a ZVM, end to end: the BUILT extension (built here into a folder of its own) in
// headless Chromium with a fresh profile, against the real ZVM simulator speaking Zerto 10 (Keycloak tokens
// that expire, servers/zvm/server.ts) and the real billing receiver, and a console page on loopback. Nothing
// of chrome.*, the ZVM or the network is faked, and time is real: the site is checked every 30 seconds (the
// shortest interval Chrome's alarms keep), the ZVM's tokens last 12 seconds.
//
// The site is added through the options page as an admin would: its identifier left empty (read from the
// ZVM), a pasted token. When that token expires mid-run, the popup, the badge, a notification and the
// console's banner must all say, within one check, that the ZVM refuses it and how to renew it (never "Usage
// sent"); given a Keycloak client instead, the extension obtains and renews its own tokens and the site is
// read again.
//
// PRE-GRANTED PERMISSIONS, as in extension.test.ts: headless Chromium cannot show the permission prompt, so the
// copy under test declares http://127.0.0.1/* (the ZVM and the console page) as granted.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { startBillingServer, type BillingServer } from '../../servers/billing/server.ts';
import { startZvmSim, type ZvmSim } from '../../servers/zvm/server.ts';
import { startConsoles, type Consoles } from '../support/extension-consoles.ts';
import {
  buildExtension,
  grantedCopy,
  launchWithExtension,
  waitFor,
  type ExtensionBrowser,
} from '../support/extension-harness.ts';

const T = { timeout: 150_000 };
const INTERVAL_MS = 30_000;
const TOKEN_TTL_MS = 12_000;
const CONTROL_TOKEN = 'extension-zvm-test-control-token-0123456789';
const SITE_ID = '3d1f6a0e-8c52-4b7e-9a41-2f6c0d9e7b13';
/** The simulator's confidential Keycloak client (its defaults). */
const CLIENT = { id: 'zerto-fleet', secret: 'fleet-secret' };

const work = mkdtempSync(join(tmpdir(), 'zbb-ext-zvm-'));
const built = join(work, 'extension');
let grantedDir = '';
let billing: BillingServer;
let zvm: ZvmSim;
let consoles: Consoles;
let ext: ExtensionBrowser;
const pageProblems: string[] = [];

function watchPage(p: Page, name: string): Page {
  p.on('console', (m) => {
    if (m.type() === 'error') pageProblems.push(`${name}: console.error ${m.text()}`);
  });
  p.on('pageerror', (e) => pageProblems.push(`${name}: ${String(e)}`));
  return p;
}

before(
  async () => {
    buildExtension(built);
    grantedDir = grantedCopy({ hosts: ['http://127.0.0.1/*'], permissions: [] }, built);
    billing = await startBillingServer({
      port: 0,
      dataDir: join(work, 'billing'),
      quiet: true,
      allowOrigins: [],
    });
    zvm = await startZvmSim({
      port: 0,
      billingUrl: billing.url,
      dialect: 'zerto10',
      tokenTtlMs: TOKEN_TTL_MS,
      siteId: SITE_ID,
      siteName: 'Amsterdam',
      autoSend: false,
      controlToken: CONTROL_TOKEN,
      quiet: true,
    });
    consoles = await startConsoles();
    ext = await launchWithExtension(grantedDir);
    // Checked every 30 seconds, so that an expired token is met within the test's patience.
    await ext.inWorker(`await chrome.storage.local.set({ settings: { v: 1, sites: [], proxy: { enabled: false, scheme: 'http', host: '', port: 3128 },
      policy: { interval: ${INTERVAL_MS}, alertAfter: 86400000, graceDays: 15 } } });`);
  },
  { timeout: 240_000 },
);

after(async () => {
  await ext?.close();
  await Promise.all([zvm?.close(), billing?.close(), consoles?.close()]);
  rmSync(work, { recursive: true, force: true });
  if (grantedDir) rmSync(grantedDir, { recursive: true, force: true });
});

interface SimAuth {
  phase: string;
  auth: { tokensIssued: number; expiredTokensRefused: number };
}
const simState = async (): Promise<SimAuth> =>
  (await (
    await fetch(`${zvm.url}/control/state`, { headers: { 'X-Control-Token': CONTROL_TOKEN } })
  ).json()) as SimAuth;

/** A token from the ZVM's Keycloak, as an admin would copy one from a browser session. */
async function tokenFromZvm(): Promise<{ token: string; at: number; expiresIn: number }> {
  const at = Date.now();
  const res = await fetch(`${zvm.url}/auth/realms/zerto/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: CLIENT.id,
      client_secret: CLIENT.secret,
    }),
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { access_token: string; expires_in: number };
  return { token: body.access_token, at, expiresIn: body.expires_in };
}

/** Sets a light-DOM field the way typing does (an input or change event), in an extension page. */
async function fill(p: Page, selector: string, value: string): Promise<void> {
  await p.waitForSelector(selector, { timeout: 10_000 });
  await p.evaluate(
    `(() => { const el = document.querySelector(${JSON.stringify(selector)});
      el.value = ${JSON.stringify(value)};
      el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true })); })()`,
  );
}

const textOf = (p: Page, selector: string) =>
  p.evaluate(
    `(() => [...document.querySelectorAll(${JSON.stringify(selector)})].map((e) => e.textContent).join(' ').replace(/\\s+/g, ' ').trim())()`,
  ) as Promise<string>;

const badge = () =>
  ext.inWorker<{ text: string; title: string }>(
    'return { text: await chrome.action.getBadgeText({}), title: await chrome.action.getTitle({}) };',
  );
const noticeLog = () =>
  ext.inWorker<Array<{ id: string; kind: string }>>(
    'return (await chrome.storage.local.get("noticeLog")).noticeLog ?? [];',
  );
const shownNotifications = () =>
  ext.inWorker<string[]>('return Object.keys(await chrome.notifications.getAll());');

const BANNER_TEXT = `(() => [...document.querySelectorAll('zerto-billing-banner')]
  .map((b) => (b.shadowRoot ? b.shadowRoot.textContent : '')).join(' ').replace(/\\s+/g, ' '))()`;
const bannerText = (p: Page) => p.evaluate(BANNER_TEXT) as Promise<string>;

const SITE = `li[data-site-id="${SITE_ID}"]`;
const popupStatus = (p: Page) =>
  p.evaluate(`(() => { const e = document.querySelector('${SITE} .phase');
    return e ? { status: e.dataset.status, phase: e.dataset.phase, label: e.textContent.trim() } : null; })()`) as Promise<{
    status: string;
    phase: string;
    label: string;
  } | null>;

let popup: Page;
let consolePage: Page;
let token: { token: string; at: number; expiresIn: number };

describe('the browser extension asking a Zerto 10 ZVM whose tokens expire', { timeout: 600_000 }, () => {
  test(
    'the options page saves a zvm site with its identifier left empty: it is read from the ZVM; the site is checked with the pasted token',
    T,
    async () => {
      token = await tokenFromZvm();
      assert.equal(token.expiresIn, TOKEN_TTL_MS / 1000);
      const p = watchPage(await ext.page('options/index.html'), 'options');
      await p.waitForSelector('button.add-site', { timeout: 10_000 });
      await p.click('button.add-site');
      await fill(p, '#site-siteName', 'Amsterdam DR');
      assert.equal(await p.$eval('#site-mode', (e) => (e as HTMLSelectElement).value), 'zvm');
      // The new fields: the help identifiers, their defaults as placeholders and why they are settings.
      assert.equal(
        await p.$eval('#site-usageAlertIds', (e) => (e as HTMLInputElement).placeholder),
        'LIC0012 LIC0021',
      );
      assert.equal(
        await p.$eval('#site-disconnectionAlertIds', (e) => (e as HTMLInputElement).placeholder),
        'LIC0013 LIC0022',
      );
      assert.match(await textOf(p, '.help-ids .hint'), /Zerto does not publish the help identifiers/);
      // How the extension signs in: a Keycloak client by default; this admin pastes a token, and is told it expires.
      assert.equal(await p.$eval('#site-auth', (e) => (e as HTMLSelectElement).value), 'client-credentials');
      await fill(p, '#site-auth', 'token');
      assert.match(await textOf(p, '#site-auth-hint'), /Zerto 10 tokens expire within minutes/);
      await fill(p, '#site-zvmUrl', zvm.url);
      await fill(p, '#site-token', token.token);
      await fill(p, '#site-usageAlertIds', 'lic0012, LIC0021');
      await fill(p, '#site-consoles', 'http://127.0.0.1/console/*');
      assert.equal(await p.$eval('#site-siteId', (e) => (e as HTMLInputElement).value), '');
      await p.click('button.save-site');
      await p.waitForSelector(`.site-list ${SITE}`, { timeout: 20_000 });
      assert.match(await textOf(p, '.save-status'), /^Saved Amsterdam DR\./);
      const stored = await ext.inWorker<{
        settings: { sites: Array<Record<string, unknown>> };
        secrets: unknown;
      }>('return await chrome.storage.local.get(["settings", "secrets"]);');
      assert.equal(stored.settings.sites.length, 1);
      assert.equal(stored.settings.sites[0]!.siteId, SITE_ID, 'the identifier the ZVM names');
      assert.deepEqual(stored.settings.sites[0]!.usageAlertIds, ['LIC0012', 'LIC0021']);
      assert.equal(stored.settings.sites[0]!.disconnectionAlertIds, undefined, 'left empty: the defaults');
      assert.deepEqual(stored.secrets, { sites: { [SITE_ID]: { token: token.token } } });
      await p.close();

      popup = watchPage(await ext.page('popup/index.html'), 'popup');
      await waitFor(
        'the popup to say usage was sent',
        async () => (await popupStatus(popup))?.status === 'ok',
        20_000,
      );
      assert.equal((await popupStatus(popup))!.label, 'Usage sent');
      consolePage = watchPage(await ext.browser.newPage(), 'console');
      await consolePage.goto(`${consoles.origin}/console/index.html`, { timeout: 15_000 });
      await consolePage.waitForSelector('zerto-billing-banner', { timeout: 15_000 });
    },
  );

  test(
    'the token expires mid-run: within one check the popup, the badge, a notification and the banner say the ZVM refuses it and how to renew it',
    T,
    async () => {
      const expiry = token.at + TOKEN_TTL_MS;
      const status = await waitFor(
        'the popup to show the refusal',
        async () => {
          const s = await popupStatus(popup);
          return s && s.status !== 'ok' ? s : null;
        },
        expiry + INTERVAL_MS + 30_000 - Date.now(),
        250,
      );
      const shownAfter = Date.now() - expiry;
      console.log(
        `# the popup showed the refusal ${(shownAfter / 1000).toFixed(1)} s after the token expired`,
      );
      assert.ok(shownAfter <= INTERVAL_MS + 10_000, `within one check interval (${shownAfter} ms)`);
      assert.equal(status.status, 'blind');
      assert.equal(status.phase, 'ok', 'the last known phase, kept apart');
      assert.equal(status.label, "Cannot read the ZVM's billing status");
      const said = await textOf(popup, `${SITE} .cannot-check`);
      assert.match(said, /cannot read the billing alerts .* the credentials were refused \(HTTP 401\)/);
      assert.match(
        said,
        /refused its token \(HTTP 401\)\. A Zerto 10 token expires minutes after it is issued, so this one has most likely expired/,
      );
      assert.match(
        said,
        /paste a new token in this extension’s options, or give this site a Keycloak client/,
      );
      assert.match(await textOf(popup, `${SITE} .last-known`), /^Last known: usage sent, read /);
      assert.doesNotMatch(await textOf(popup, `${SITE} .head`), /Usage sent/);
      assert.ok((await simState()).auth.expiredTokensRefused >= 1, 'the ZVM refused the expired token');

      // The same state everywhere, from the same check.
      const b = await badge();
      assert.equal(b.text, '');
      assert.match(b.title, /billing usage cannot be checked for Amsterdam DR/);
      await waitFor('the refusal notification', async () =>
        (await shownNotifications()).some((id) => id.startsWith(`${SITE_ID}:refused:`)),
      );
      assert.deepEqual(
        (await noticeLog()).map((n) => n.kind),
        ['refused'],
      );
      await waitFor('the banner to say it', async () =>
        /Cannot read the ZVM's billing status.*refused its token/.test(await bannerText(consolePage)),
      );
    },
  );

  test(
    'given a Keycloak client instead, the extension obtains and renews its own tokens: the site is read again everywhere, the secret never shown back',
    T,
    async () => {
      const p = watchPage(await ext.page('options/index.html'), 'options');
      await p.waitForSelector(`.site-list ${SITE} button.edit`, { timeout: 10_000 });
      await p.click(`.site-list ${SITE} button.edit`);
      await p.waitForSelector('#site-auth', { timeout: 10_000 });
      // The pasted token is stored, not shown: no field holds it.
      assert.equal(await p.$eval('#site-auth', (e) => (e as HTMLSelectElement).value), 'token');
      assert.equal(await p.$('#site-token'), null);
      assert.match(await textOf(p, '[data-secret="token"]'), /Stored.*Replace.*Clear/);
      assert.equal(await p.$eval('#site-siteId', (e) => (e as HTMLInputElement).value), SITE_ID);
      assert.equal(
        await p.$eval('#site-usageAlertIds', (e) => (e as HTMLInputElement).value),
        'LIC0012 LIC0021',
      );
      await fill(p, '#site-auth', 'client-credentials');
      await fill(p, '#site-clientId', CLIENT.id);
      await fill(p, '#site-clientSecret', CLIENT.secret);
      const refusedBefore = (await simState()).auth.expiredTokensRefused;
      await p.click('button.save-site');
      await p.waitForFunction(`document.querySelector('.save-status')?.dataset.kind === 'saved'`, {
        timeout: 15_000,
      });
      const secrets = await ext.inWorker<unknown>(
        'return (await chrome.storage.local.get("secrets")).secrets;',
      );
      assert.deepEqual(secrets, {
        sites: {
          [SITE_ID]: {
            login: { type: 'client-credentials', clientId: CLIENT.id, clientSecret: CLIENT.secret },
          },
        },
      });

      await waitFor(
        'the popup to say usage was sent again',
        async () => (await popupStatus(popup))?.status === 'ok',
        20_000,
      );
      await waitFor('the badge to say so', async () =>
        /billing usage sent for Amsterdam DR/.test((await badge()).title),
      );
      await waitFor(
        'the refusal notification to be taken back',
        async () => !(await shownNotifications()).some((id) => id.includes(':refused:')),
      );
      await waitFor(
        'the banner to stop saying it',
        async () => !/Cannot read/.test(await bannerText(consolePage)),
      );
      const tokenNow = await ext.inWorker<{ secrets: { token?: string } } | undefined>(
        `return (await chrome.storage.session.get('zvmAuth:${SITE_ID}'))['zvmAuth:${SITE_ID}'];`,
      );
      assert.ok(tokenNow?.secrets.token, 'the token of the moment, in session storage');
      assert.notEqual(tokenNow.secrets.token, token.token);

      // Edited again: the client is shown, its secret only as stored.
      await p.click(`.site-list ${SITE} button.edit`);
      await p.waitForSelector('[data-secret="clientSecret"]', { timeout: 10_000 });
      assert.equal(await p.$eval('#site-clientId', (e) => (e as HTMLInputElement).value), CLIENT.id);
      assert.equal(await p.$('#site-clientSecret'), null);
      assert.ok(
        !(await p.evaluate(
          `[...document.querySelectorAll('input')].some((i) => i.value === ${JSON.stringify(CLIENT.secret)})`,
        )),
        'the secret is in no field of the page',
      );
      await p.click('[data-secret="clientSecret"] button.replace-secret');
      await p.waitForSelector('#site-clientSecret', { timeout: 5_000 });
      assert.equal(await p.$eval('#site-clientSecret', (e) => (e as HTMLInputElement).value), '');
      await p.click('button.cancel');
      await p.close();

      // Two more checks, each after the last token expired: each gets a new one, none is refused.
      const issued = (await simState()).auth.tokensIssued;
      await waitFor(
        'two more checks with renewed tokens',
        async () => (await simState()).auth.tokensIssued >= issued + 2,
        2 * INTERVAL_MS + 30_000,
        1000,
      );
      assert.equal(
        (await simState()).auth.expiredTokensRefused,
        refusedBefore,
        'no expired token was sent again',
      );
      assert.equal((await popupStatus(popup))?.status, 'ok');
      assert.deepEqual(
        (await noticeLog()).map((n) => n.kind),
        ['refused'],
        'nothing else was announced',
      );
    },
  );

  test('no error on any page or in the worker, but the banner’s one report of the refusal', T, async () => {
    await popup?.close();
    await consolePage?.close();
    assert.deepEqual(ext.workerProblems, []);
    // The banner logs why it cannot see, once (for a console's developers), as it does in any page.
    const banner = pageProblems.filter((x) =>
      /^console: console\.error <zerto-billing-banner>: the ZVM at .* refused its token/.test(x),
    );
    assert.equal(banner.length, 1, pageProblems.join('\n'));
    assert.deepEqual(
      pageProblems.filter((x) => !banner.includes(x)),
      [],
    );
  });
});
