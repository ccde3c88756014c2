// Opens every story of the demo in headless Chromium, against the real servers `npm start` runs, and checks
// that each renders with no console error; then plays the live outage from first alert to recovery.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import type { Demo } from '../../scripts/demo-server.ts';
import { stories } from '../../demo/stories.ts';
import { startDemoBrowser, type DemoBrowser } from '../support/demo-browser.ts';

let demo: Demo;
let browser: Browser;
let running: DemoBrowser | undefined;

before(async () => {
  running = await startDemoBrowser('zbb-demo-');
  ({ demo, browser } = running);
});
after(() => running?.stop());

async function open(id: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${demo.url}#story=${id}`, { waitUntil: 'load', timeout: 20_000 });
  await page.waitForSelector(`#canvas[data-rendered="${id}"]`, { timeout: 20_000 });
  return { page, errors };
}

/**
 * Text inside the canvas, shadow roots and same-origin frames included. Written as page source (a string):
 * functions compiled here would carry tsx's helpers, which the page does not have.
 */
const CANVAS_TEXT = `(() => {
  const walk = (n) => {
    let t = n.nodeType === Node.TEXT_NODE ? (n.textContent ?? '') : '';
    // nodeType and tagName, not instanceof: nodes inside a frame belong to the frame's realm.
    if (n.nodeType === 1 && n.shadowRoot) t += walk(n.shadowRoot);
    if (n.nodeType === 1 && n.tagName === 'IFRAME' && n.contentDocument) t += walk(n.contentDocument.body);
    for (const c of n.childNodes) t += ' ' + walk(c);
    return t;
  };
  return walk(document.getElementById('canvas')).replace(/\\s+/g, ' ');
})()`;
/** The text of a frame's page, for frames of another origin (the canvas walk above cannot enter those). */
const BODY_TEXT = CANVAS_TEXT.replace("document.getElementById('canvas')", 'document.body');
async function canvasText(page: Page): Promise<string> {
  let text = (await page.evaluate(CANVAS_TEXT)) as string;
  const origin = new URL(page.url()).origin;
  for (const frame of page.mainFrame().childFrames()) {
    if (new URL(frame.url(), page.url()).origin === origin) continue;
    text += ' ' + ((await frame.evaluate(BODY_TEXT).catch(() => '')) as string);
  }
  return text;
}
async function waitCanvas(page: Page, rx: RegExp, timeout = 20_000): Promise<void> {
  const end = Date.now() + timeout;
  for (;;) {
    const text = await canvasText(page);
    if (rx.test(text)) return;
    if (Date.now() > end) assert.fail(`${rx} not found in: ${text.slice(0, 900)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const expected: Record<string, RegExp> = {
  ok: /Billing usage sent/,
  'warning-first-day':
    /by the vendor's rule, VRAs stop in 15 days.*By the vendor's rule, if this is not resolved within 15 days/,
  'three-days-left': /within 3 days/,
  'last-day': /within 5 hours/,
  disconnected: /by the vendor's rule, VRAs stopped on .*This console cannot see the VRAs/,
  recovered: /sent and acknowledged again/,
  // zvm mode: the ZVM's own alerts, in the vendor's words (no "vendor's rule").
  'zvm-usage-alert':
    /Billing usage not sent: VRAs stop in 12 days, .*Zerto Virtual Manager of site Amsterdam DR did not send site usage information for billing purposes to Zerto servers\. If this is not resolved within 12 days ?, Zerto Virtual Manager will stop communicating with its VRAs\. The ZVM stops communicating with its VRAs on /,
  'zvm-disconnected':
    /VRAs disconnected since .*Amsterdam DR did not send site usage information for billing purposes to Zerto servers and has stopped communicating with its VRAs\. It will not communicate with them until this issue is resolved/,
  'zvm-overdue':
    /Billing usage not sent: the ZVM's deadline passed on .*has passed, but it has not reported that it stopped communicating with its VRAs; this console is reading its alerts again/,
  // Cannot see, cannot confirm: never a countdown.
  'zvm-blind-credentials':
    /Cannot read the ZVM's billing status .*the credentials were refused \(HTTP 401\): the ZVM at [^ ]+ refused the credentials: give the element a valid token \(getToken\), or a session for a Windows ZVM\. Nothing is counted down while it cannot see them\. It has not been read yet/,
  'zvm-blind-last-known':
    /VRAs stop in 9 days, .*This console cannot read the ZVM now \(the server could not be reached: this browser could not connect to the ZVM at 127\.0\.0\.1:65535: .*\); this is its last known state, read 2 days ago\./,
  'zvm-cors':
    /Cannot read the ZVM's billing status .*the browser refused the answer: the server does not allow this page's origin \(CORS\): 127\.0\.0\.1:\d+ answered, but does not allow this page's origin \(http:\/\/zbb-console\.localhost:\d+\)/,
  unconfirmed:
    /Billing status not confirmed since .*No transmission has confirmed billing usage of site Amsterdam DR yet: the server could not be reached: could not connect to 127\.0\.0\.1:65535/,
  'cannot-check-reachability':
    /Billing usage cannot be checked .*This console cannot check billing usage: this console only checks that the billing host can be reached from this browser \(it can\); it cannot see whether usage is sent\..*Test connection to Zerto billing servers/,
  'cannot-check-settings':
    /Billing usage cannot be checked .*This console cannot check billing usage: the settings cannot work: direct mode needs usage counts/,
  // Clocks.
  'zvm-skew':
    /within 10 days ?, Zerto Virtual Manager will stop .*The ZVM's clock is 2 hours ahead of this computer's; days left are counted on the ZVM's clock\./,
  'clock-turned-back':
    /within 9 days.*This computer's clock was turned back 3 days on .*; every date was moved with it, so the time left is unchanged\./,
  dark: /within 6 days/,
  rtl: /within 11 days/,
  'strict-csp': /within 10 days/,
  'test-passing': /Test usage transmission to Zerto/,
  'test-server-down': /Test usage transmission to Zerto/,
  'test-timeout': /Test usage transmission to Zerto/,
  'test-proxy': /Test usage transmission to Zerto/,
  'test-credentials': /Test usage transmission to Zerto/,
  'test-wrong-shape': /Test usage transmission to Zerto/,
  'sites-50': /Amsterdam DR/,
  'sites-1000': /VRAs stopped \(vendor's rule\)/,
  alerts: /Billing alerts/,
  live: /Lisbon DR \(simulated ZVM\)|Billing link up/,
  // Each banner reads the fleet service; beside them its metrics and the webhooks it posted.
  fleet:
    /Oslo DR .*Billing usage sent.*Paris DR .*Billing usage not sent.*Rome DR .*Madrid DR .*VRAs disconnected since.*Lisbon DR \(revoked token\) .*Cannot read the ZVM's billing status.*zerto_fleet_site_status.*site\.warning/,
};

/**
 * What the browser logs for a request a story makes fail on purpose (a refused connection, the ZVM's 401, the
 * billing host's 404 to a reachability check), and the element's own log of the configuration problem the story
 * shows (logged once, as the element says it in its notice): the story's subject, not an error of the page.
 */
const REFUSED_LOG = /^Failed to load resource: net::ERR_CONNECTION_REFUSED$/;
const CONFIG_LOG = /^<zerto-billing-banner>: /;
const expectedErrors: Record<string, RegExp[]> = {
  'zvm-blind-credentials': [
    /^Failed to load resource: the server responded with a status of 401 /,
    CONFIG_LOG,
  ],
  'zvm-blind-last-known': [REFUSED_LOG, CONFIG_LOG],
  'zvm-cors': [CONFIG_LOG],
  unconfirmed: [REFUSED_LOG],
  'cannot-check-reachability': [
    /^Failed to load resource: the server responded with a status of 404 /,
    CONFIG_LOG,
  ],
  'cannot-check-settings': [CONFIG_LOG],
  // The banner of the site the service cannot see logs why, as every blind banner does.
  fleet: [CONFIG_LOG],
};

/** What each banner of the Fleet story shows, by the state its simulated ZVM was put in. */
const FLEET_TEXT: Record<string, RegExp> = {
  ok: /Billing usage sent/,
  warning:
    /Billing usage not sent: VRAs stop in 1[12] days, .*If this is not resolved within 1[12] days ?, Zerto Virtual Manager will stop communicating with its VRAs/,
  'last-day': /Billing usage not sent: VRAs stop in (1\d|20) hours, .*within (1\d|20) hours/,
  disconnected:
    /VRAs disconnected since .*Madrid DR did not send site usage information .* and has stopped communicating with its VRAs/,
  'cannot-see':
    /Cannot read the ZVM's billing status .*the credentials were refused \(HTTP 401\).*Nothing is counted down while it cannot see them/,
};

describe('the demo', () => {
  test('has a check for every story', () => {
    assert.deepEqual(stories.map((s) => s.id).sort(), Object.keys(expected).sort());
  });

  for (const story of stories) {
    test(`renders the story "${story.title}" with no console error`, async () => {
      const { page, errors } = await open(story.id);
      try {
        await waitCanvas(page, expected[story.id]!, 10_000);
        const allowed = expectedErrors[story.id] ?? [];
        assert.deepEqual(
          errors.filter((e) => !allowed.some((rx) => rx.test(e))),
          [],
        );
        if (story.id === 'strict-csp') {
          const violations = await page.evaluate(`document.querySelector('iframe').contentWindow.violations`);
          assert.deepEqual(violations, []);
        }
      } finally {
        await page.close();
      }
    });
  }

  test(
    'the Fleet story: each banner, reading the fleet service, shows the phase and deadline its ZVM enforces',
    { timeout: 60_000 },
    async () => {
      const { page, errors } = await open('fleet');
      try {
        for (const site of demo.fleet.sites) {
          const rx = FLEET_TEXT[site.scenario]!;
          const li = `document.querySelector('.fleet-sites li[data-site=${JSON.stringify(site.id)}]')`;
          const bannerText = `(${li}.querySelector('zerto-billing-banner').shadowRoot?.textContent ?? '').replace(/\\s+/g, ' ')`;
          await page
            .waitForFunction(`${rx}.test(${bannerText})`, { timeout: 20_000, polling: 200 })
            .catch(async () =>
              assert.fail(
                `${site.id} (${site.scenario}): ${rx} not in: ${String(await page.evaluate(bannerText))}`,
              ),
            );
          const view = (await page.evaluate(
            `(() => { const v = ${li}.querySelector('zerto-billing-banner').view; return v && { phase: v.phase, deadline: v.deadline }; })()`,
          )) as { phase: string; deadline: number | null } | null;
          const sim = demo.fleet.sims.get(site.id);
          if (!sim) {
            // Cannot see: no phase, no countdown.
            assert.equal(view?.phase ?? 'unknown', 'unknown', site.id);
            assert.equal(view?.deadline ?? null, null, site.id);
            continue;
          }
          const res = await fetch(`${sim.url}/control/state`, {
            headers: { 'X-Control-Token': sim.controlToken },
          });
          const zvm = (await res.json()) as { phase: string; deadline: string | null };
          assert.equal(view?.phase, zvm.phase, `${site.id}: the banner's phase is the ZVM's`);
          if (zvm.deadline === null) assert.equal(view?.deadline ?? null, null, site.id);
          else
            assert.ok(
              view?.deadline != null && Math.abs(view.deadline - Date.parse(zvm.deadline)) < 3000,
              `${site.id}: deadline ${String(view?.deadline)} vs the ZVM's ${zvm.deadline}`,
            );
        }
        // Beside them: the service's metrics and the webhooks it signed, as the demo's receiver checked them.
        await waitCanvas(page, /zerto_fleet_site_status\{site="madrid",status="disconnected"\} 1/);
        await waitCanvas(page, /zerto_fleet_site_status\{site="lisbon-revoked",status="cannot-see"\} 1/);
        await waitCanvas(
          page,
          /site\.disconnected ?Madrid DR ?: ?first read ?→ ?disconnected .*signature valid/,
        );
        assert.ok(
          demo.fleet.webhooks().some((w) => w.type === 'site.warning' && w.signature === 'valid'),
          'the receiver took a signed site.warning',
        );
        assert.deepEqual(
          errors.filter((e) => !CONFIG_LOG.test(e)),
          [],
        );
      } finally {
        await page.close();
      }
    },
  );

  test(
    'plays an outage live: the banner escalates, the VRAs disconnect, and all comes back',
    { timeout: 90_000 },
    async () => {
      const { page, errors } = await open('live');
      const click = async (label: string) => {
        const [button] = await page.$$(`xpath/.//button[normalize-space()="${label}"]`);
        assert.ok(button, `button ${label}`);
        await button.click();
        await page.waitForFunction(
          `[...document.querySelectorAll('button')].some((b) => b.textContent === ${JSON.stringify(label)} && !b.disabled)`,
          { timeout: 20_000 },
        );
      };
      const waitText = (rx: RegExp) => waitCanvas(page, rx);
      try {
        await waitText(/Billing link up/);
        await click('Cut the billing link');
        await click('+1 day');
        await click('+1 hour');
        await waitText(/Billing usage not sent/);
        await waitText(/within 1[45] days/);
        await click('+15 days');
        await waitText(/VRAs disconnected since .*has stopped communicating with its VRAs/);
        await waitText(/: Disconnected/);
        await click('Restore the billing link');
        await click('+1 hour');
        await waitText(/: Connected/);
        await waitText(/reached Zerto servers again/);
        assert.deepEqual(errors, []);
      } finally {
        await page.close();
      }
    },
  );
});
