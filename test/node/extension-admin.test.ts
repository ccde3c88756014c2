// The extension for an admin, end to end: the built extension in headless Chromium (built here into a folder
// of its own, so that other runs building dist/extension are not disturbed), against the real billing server
// and console pages on loopback. Nothing of chrome.* or the network is faked.
//
// What could not be real, said plainly:
//   - The browser's permission prompt cannot be clicked headless. In the shipped build (no host permission)
//     a request on a real click stays open for good: that is the real "waiting" state, checked as such. The
//     "declined" answer is produced by Chrome itself refusing a request made without a user gesture (the
//     Save is submitted from script, without a click), which the options page handles on the same path as a
//     "Deny". The "saved" path runs in a copy whose manifest already holds the host permissions (as
//     extension.test.ts does), where Chrome answers the real request at once.
//   - An organisation's policy (chrome.storage.managed) can only be set on Linux by a file under
//     /etc/chromium/policies, shared by every Chromium on the machine: these tests do not write it. They check
//     that Chrome accepts the shipped schema and that the worker and the options page read the (empty) policy
//     without a problem; test/node/extension-settings.test.ts checks the reading and merging of a policy.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { startBillingServer, type BillingServer } from '../../servers/billing/server.ts';
import { startConsoles, STRICT_CSP, type Consoles } from '../support/extension-consoles.ts';
import {
  extensionPageErrors,
  launchWithExtension,
  ROOT,
  waitFor,
  type ExtensionBrowser,
} from '../support/extension-harness.ts';

const T = { timeout: 120_000 };
const work = mkdtempSync(join(tmpdir(), 'zbb-ext-admin-'));
const built = join(work, 'extension');
const dataDir = join(work, 'billing');
let billing: BillingServer;
let consoles: Consoles;

/** The shipped build with host permissions for loopback already held (the admin's "Allow"). */
function grantedCopy(): string {
  const dir = join(work, 'granted');
  cpSync(built, dir, { recursive: true });
  const file = join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(file, 'utf8')) as { host_permissions?: string[] };
  m.host_permissions = ['http://127.0.0.1/*'];
  writeFileSync(file, JSON.stringify(m, null, 2));
  return dir;
}

/** Sets a field the way typing does; `gesture: false` keeps the page without user activation. */
async function fill(p: Page, selector: string, value: string, gesture = true): Promise<void> {
  if (gesture) await p.waitForSelector(selector, { timeout: 10_000 });
  else
    await waitFor(`${selector} (read without a gesture)`, async () =>
      evalNoGesture(p, `!!document.querySelector(${JSON.stringify(selector)})`),
    );
  const expression = `(() => { const el = document.querySelector(${JSON.stringify(selector)});
    el.value = ${JSON.stringify(value)};
    el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true })); })()`;
  if (gesture) await p.evaluate(expression);
  else await evalNoGesture(p, expression);
}

async function evalNoGesture(p: Page, expression: string): Promise<unknown> {
  const cdp = await p.createCDPSession();
  try {
    const r = await cdp.send('Runtime.evaluate', { expression, userGesture: false, returnByValue: true });
    if (r.exceptionDetails)
      throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
    return r.result.value;
  } finally {
    await cdp.detach();
  }
}

const statusOf = (p: Page) =>
  p.evaluate(`(() => { const s = document.querySelector('zbb-sites-section .save-status');
    const b = document.querySelector('button.save-site');
    return { kind: s?.dataset.kind ?? null, text: (s?.textContent ?? '').replace(/\\s+/g, ' ').trim(),
      role: s?.getAttribute('role'), disabled: b ? b.disabled : null, label: b ? b.textContent.trim() : null }; })()`) as Promise<{
    kind: string | null;
    text: string;
    role: string | null;
    disabled: boolean | null;
    label: string | null;
  }>;

before(
  async () => {
    execFileSync(
      'npx',
      ['vite', 'build', '--config', 'extension/vite.config.ts', '--outDir', built, '--emptyOutDir'],
      { cwd: ROOT, stdio: 'pipe', timeout: 180_000 },
    );
    billing = await startBillingServer({ port: 0, dataDir, quiet: true, allowOrigins: [] });
    consoles = await startConsoles();
  },
  { timeout: 240_000 },
);

after(async () => {
  await Promise.all([billing?.close(), consoles?.close()]);
  rmSync(work, { recursive: true, force: true });
});

describe('the extension for an admin (built, in headless Chromium)', { timeout: 400_000 }, () => {
  test(
    "the shipped build declares the organisation's policy schema, Chrome accepts it, and an empty policy reads as no site and no problem",
    T,
    async () => {
      const manifest = JSON.parse(readFileSync(join(built, 'manifest.json'), 'utf8')) as {
        storage?: { managed_schema?: string };
        permissions: string[];
      };
      assert.deepEqual(manifest.storage, { managed_schema: 'managed-schema.json' });
      assert.deepEqual(
        JSON.parse(readFileSync(join(built, 'managed-schema.json'), 'utf8')),
        JSON.parse(readFileSync(join(ROOT, 'extension/managed-schema.json'), 'utf8')),
      );
      assert.ok(!manifest.permissions.includes('enterprise.platformKeys'), 'no permission added for it');
      const ext = await launchWithExtension(built);
      try {
        assert.deepEqual(await ext.inWorker('return await chrome.storage.managed.get(null);'), {});
        const options = await ext.page('options/index.html');
        await options.waitForSelector('button.add-site', { timeout: 10_000 });
        assert.equal(await options.$('.managed'), null, 'no organisation section without a policy');
        assert.equal(await options.$('.managed-error'), null);
        const status = await waitFor('the worker to report its status', () =>
          ext.inWorker<{ problems: string[] } | undefined>(
            "return (await chrome.storage.session.get('status')).status;",
          ),
        );
        assert.deepEqual(status.problems, []);
        assert.deepEqual(await extensionPageErrors(ext), {
          runtimeErrors: [],
          manifestErrors: [],
          installWarnings: [],
        });
        assert.deepEqual(ext.workerProblems, []);
      } finally {
        await ext.close();
      }
    },
  );

  test(
    'a new site asks the ZVM by default; Save, while the permission prompt is open, is disabled and says it waits for your permission',
    T,
    async () => {
      const ext = await launchWithExtension(built);
      try {
        const p = await ext.page('options/index.html');
        await p.waitForSelector('button.add-site', { timeout: 10_000 });
        await p.click('button.add-site');
        await p.waitForSelector('#site-mode', { timeout: 10_000 });
        assert.equal(await p.$eval('#site-mode', (e) => (e as HTMLSelectElement).value), 'zvm');
        assert.match(
          await p.$eval('#site-mode-hint', (e) => e.textContent ?? ''),
          /asks this site’s Zerto Virtual Manager to send its usage/,
        );
        await fill(p, '#site-siteName', 'Amsterdam DR');
        await fill(p, '#site-siteId', 'ams');
        await fill(p, '#site-zvmUrl', 'https://zvm.ams.example.com:9669');
        // Signed in with a Keycloak client, the way a new site is offered.
        await fill(p, '#site-clientId', 'zbb-extension');
        await fill(p, '#site-clientSecret', 'client-secret');
        await fill(p, '#site-consoles', 'https://zvm.ams.example.com/*');
        // A real click: Chrome opens its prompt, which nobody can answer headless, so it stays open.
        await p.click('button.save-site');
        const s = await waitFor('Save to say it waits', async () => {
          const st = await statusOf(p);
          return st.kind === 'waiting' ? st : null;
        });
        assert.equal(s.role, 'status', 'the words are announced');
        assert.match(s.text, /^Waiting for your permission… .*https:\/\/zvm\.ams\.example\.com\/\*/);
        assert.equal(s.disabled, true, 'Save cannot be pressed twice');
        assert.equal(s.label, 'Waiting for your permission…');
        await new Promise((r) => setTimeout(r, 1000));
        assert.equal((await statusOf(p)).kind, 'waiting', 'still waiting: nothing decided for the admin');
        assert.equal(
          await ext.inWorker("return (await chrome.storage.local.get('settings')).settings;"),
          undefined,
          'nothing saved before the answer',
        );
        await p.close();
      } finally {
        await ext.close();
      }
    },
  );

  test(
    'Save that the browser declines says Declined, that the site is saved, and how to allow it later',
    T,
    async () => {
      const ext = await launchWithExtension(built);
      try {
        const p = await ext.page('options/index.html');
        // No click anywhere on this page (Puppeteer's own evaluations count as one): Chrome refuses to ask
        // without a user gesture.
        await waitFor('the options page', async () =>
          evalNoGesture(p, "!!document.querySelector('button.add-site')"),
        );
        await evalNoGesture(p, "document.querySelector('button.add-site').click()");
        await fill(p, '#site-siteName', 'Amsterdam DR', false);
        await fill(p, '#site-siteId', 'ams', false);
        await fill(p, '#site-zvmUrl', 'https://zvm.ams.example.com:9669', false);
        await fill(p, '#site-auth', 'none', false);
        assert.equal(await evalNoGesture(p, 'navigator.userActivation.isActive'), false);
        await evalNoGesture(p, "document.querySelector('form.site-form').requestSubmit()");
        const s = await waitFor('Save to say declined', async () => {
          const st = await statusOf(p);
          return st.kind === 'declined' ? st : null;
        });
        assert.match(
          s.text,
          /^Declined: Amsterdam DR is saved, but without access to https:\/\/zvm\.ams\.example\.com/,
        );
        assert.match(s.text, /save this site again and choose Allow/);
        assert.match(s.text, /chrome:\/\/extensions.*Site access/);
        const settings = await ext.inWorker<{ sites: Array<{ siteId: string; mode: string }> }>(
          "return (await chrome.storage.local.get('settings')).settings;",
        );
        assert.deepEqual(
          settings.sites.map((x) => [x.siteId, x.mode]),
          [['ams', 'zvm']],
        );
        await p.waitForSelector('.site-list li[data-site-id="ams"]', { timeout: 10_000 });
        await p.close();
      } finally {
        await ext.close();
      }
    },
  );

  describe('with access allowed', () => {
    let ext: ExtensionBrowser;
    before(async () => {
      ext = await launchWithExtension(grantedCopy());
    });
    after(async () => {
      await ext?.close();
    });

    test('Save says it waits for your permission, with Save disabled, then Saved', T, async () => {
      const p = await ext.page('options/index.html');
      await p.waitForSelector('button.add-site', { timeout: 10_000 });
      await p.click('button.add-site');
      await fill(p, '#site-siteName', 'Amsterdam DR');
      await fill(p, '#site-siteId', 'ams');
      await fill(p, '#site-mode', 'direct');
      assert.match(
        await p.$eval('#site-mode-hint', (e) => e.textContent ?? ''),
        /itself sends the site’s usage/,
      );
      await fill(p, '#site-billingUrl', billing.url);
      await fill(p, '#site-protectedVms', '42');
      await fill(p, '#site-consoles', 'http://127.0.0.1/console/*');
      // Every state the section passes through, as it renders.
      await p.evaluate(`(() => {
        window.seen = [];
        const section = document.querySelector('zbb-sites-section');
        const note = () => { const s = section.querySelector('.save-status'); const b = section.querySelector('button.save-site');
          const e = { kind: s?.dataset.kind ?? null, disabled: b ? b.disabled : null };
          const last = window.seen[window.seen.length - 1];
          if (!last || last.kind !== e.kind || last.disabled !== e.disabled) window.seen.push(e); };
        new MutationObserver(note).observe(section, { subtree: true, childList: true, attributes: true, characterData: true });
      })()`);
      await p.click('button.save-site');
      const s = await waitFor('Save to say saved', async () => {
        const st = await statusOf(p);
        return st.kind === 'saved' ? st : null;
      });
      assert.equal(s.text, 'Saved Amsterdam DR. It is checked now.');
      const seen = (await p.evaluate('window.seen')) as Array<{
        kind: string | null;
        disabled: boolean | null;
      }>;
      const kinds = seen.map((e) => e.kind).filter((k, i, a) => k && a[i - 1] !== k);
      assert.deepEqual(kinds, ['waiting', 'saved'], JSON.stringify(seen));
      assert.ok(
        seen.some((e) => e.kind === 'waiting' && e.disabled === true),
        `Save was disabled while waiting: ${JSON.stringify(seen)}`,
      );
      await waitFor('the billing server to accept a report', async () => billing.stats().accepted >= 1);
      await p.close();
    });

    test(
      "an organisation's zvm site gets this browser's own sign-in: only the credentials are stored, the site stays the policy's",
      T,
      async () => {
        const p = await ext.page('options/index.html');
        await p.waitForSelector('zbb-sites-section button.add-site', { timeout: 10_000 });
        // What a policy file would hold (see the top of this file: it cannot be written here), given to the
        // section as its store read it from chrome.storage.managed.
        const managedSite = {
          siteId: 'org-ams',
          siteName: 'Amsterdam (policy)',
          mode: 'zvm',
          zvmUrl: 'https://zvm.org.example.com',
          billingUrl: 'https://autologs.zerto.com',
          timeoutMs: 10000,
          retries: 2,
          consoles: [],
        };
        await p.evaluate(`(() => { const section = document.querySelector('zbb-sites-section');
          section.store.managed = { sites: [${JSON.stringify(managedSite)}], problems: [], unreadable: null };
          section.requestUpdate(); })()`);
        const row = 'zbb-managed-sites li[data-site-id="org-ams"]';
        await p.waitForSelector(`${row} button.sign-in`, { timeout: 10_000 });
        assert.match(
          await p.$eval(row, (e) => e.textContent ?? ''),
          /No sign-in in this browser yet: a ZVM that asks for one refuses every check/,
        );
        await p.click(`${row} button.sign-in`);
        await p.waitForSelector('zbb-site-form[credentials-only] #site-auth', { timeout: 10_000 });
        assert.match(
          await p.$eval('#site-form-title', (e) => e.textContent ?? ''),
          /Sign-in for Amsterdam \(policy\)/,
        );
        assert.equal(
          await p.$('zbb-site-form[credentials-only] #site-zvmUrl'),
          null,
          'the policy sets the address',
        );
        await fill(p, '#site-auth', 'password');
        await fill(p, '#site-username', 'noc-reader');
        await fill(p, '#site-password', 'pa55 word');
        await p.click('zbb-site-form[credentials-only] button.save-site');
        const stored = await waitFor('the sign-in to be stored', async () =>
          ext
            .inWorker<{
              secrets?: { sites: Record<string, unknown> };
              settings?: { sites: Array<{ siteId: string }> };
            }>("return await chrome.storage.local.get(['secrets', 'settings']);")
            .then((g) => (g.secrets?.sites['org-ams'] ? g : null)),
        );
        assert.deepEqual(stored.secrets!.sites['org-ams'], {
          login: { type: 'password', username: 'noc-reader', password: 'pa55 word' },
        });
        assert.ok(
          !stored.settings?.sites.some((x) => x.siteId === 'org-ams'),
          'the site itself stays the organisation’s: not saved as the admin’s own',
        );
        await p.close();
      },
    );

    test(
      "a console page's relay asks the service worker to test a site it shows: the usage goes from the worker, past the console's strict CSP",
      T,
      async () => {
        // A second site the console does not show: its relay cannot have it tested.
        await ext.inWorker(`
          const { settings } = await chrome.storage.local.get('settings');
          settings.sites.push({ siteId: 'ber', siteName: 'Berlin DR', mode: 'direct', billingUrl: ${JSON.stringify(billing.url)},
            protectedVms: 7, timeoutMs: 3000, retries: 0, consoles: [] });
          await chrome.storage.local.set({ settings });`);
        await waitFor('Berlin to be sent once', async () => {
          const r = (await (await fetch(`${billing.url}/v1/usage?siteId=ber&limit=10`)).json()) as {
            reports: unknown[];
          };
          return r.reports.length > 0;
        });
        const page = await ext.browser.newPage();
        const cdp = await page.createCDPSession();
        const contexts: Array<{ id: number; origin: string; type?: string }> = [];
        cdp.on('Runtime.executionContextCreated', (e) =>
          contexts.push({
            id: e.context.id,
            origin: e.context.origin,
            type: (e.context.auxData as { type?: string } | undefined)?.type,
          }),
        );
        await cdp.send('Runtime.enable');
        const res = await page.goto(`${consoles.origin}/console/strict.html`, { timeout: 15_000 });
        assert.equal(res?.headers()['content-security-policy'], STRICT_CSP);
        await page.waitForFunction(
          `!!document.querySelector('zerto-billing-banner[data-zerto-billing-extension]')`,
          { timeout: 15_000 },
        );
        // The page itself may not reach the billing server (another origin under default-src 'self').
        const fromPage = await page.evaluate(
          `fetch(${JSON.stringify(`${billing.url}/v1/usage?limit=1`)}).then(() => 'reached', (e) => 'refused: ' + e.message)`,
        );
        assert.match(String(fromPage), /^refused/);
        const relay = await waitFor('the relay content script', async () =>
          contexts.find((c) => c.type === 'isolated' && c.origin === `chrome-extension://${ext.id}`),
        );
        const ask = async (siteId: string, waitMs: number) => {
          const r = await cdp.send('Runtime.evaluate', {
            contextId: relay.id,
            awaitPromise: true,
            returnByValue: true,
            expression: `new Promise((resolve) => {
              const port = chrome.runtime.connect({ name: 'zbb-relay' });
              const got = [];
              const done = () => { try { port.disconnect(); } catch {} resolve(got); };
              port.onMessage.addListener((m) => {
                if (m.type === 'sites') port.postMessage({ type: 'test', siteId: ${JSON.stringify(siteId)} });
                else if (m.type !== 'state') got.push(m);
                if (m.type === 'result' || m.type === 'busy') done();
              });
              setTimeout(done, ${waitMs});
            })`,
          });
          if (r.exceptionDetails)
            throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
          return r.result.value as Array<{
            type: string;
            step?: { id: string };
            result?: { outcome: { ok: boolean } };
          }>;
        };

        const before = billing.stats().accepted;
        const answer = await ask('ams', 20_000);
        const result = answer.find((m) => m.type === 'result');
        assert.ok(
          result?.result?.outcome.ok,
          `the worker's test went through: ${JSON.stringify(answer).slice(0, 600)}`,
        );
        assert.ok(
          answer.some((m) => m.type === 'step'),
          'its steps are streamed to the relay',
        );
        assert.ok(billing.stats().accepted > before, 'the billing server accepted the report');

        const received = billing.stats().received;
        assert.deepEqual(await ask('ber', 3000), [], 'no answer for a site this page does not show');
        assert.equal(billing.stats().received, received, 'and nothing sent for it');
        await cdp.detach();
        await page.close();
        assert.deepEqual(ext.workerProblems, []);
      },
    );
  });
});
