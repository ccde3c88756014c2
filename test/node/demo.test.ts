// Opens every story of the demo in headless Chromium, against the real servers `npm start` runs, and checks
// that each renders with no console error; then plays the live outage from first alert to recovery.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { CHROME_ARGS, chromePath } from '../../scripts/chrome-path.mjs';
import { ensureManifest, startDemo, type Demo } from '../../scripts/demo-server.ts';
import { stories } from '../../demo/stories.ts';
import { freePort } from '../support/free-port.ts';

let demo: Demo;
let browser: Browser;
let dataDir: string;

before(async () => {
  ensureManifest();
  dataDir = await mkdtemp(join(tmpdir(), 'zbb-demo-'));
  demo = await startDemo({
    port: await freePort(),
    billingPort: await freePort(),
    zvmPort: await freePort(),
    dataDir,
  });
  browser = await puppeteer.launch({ executablePath: chromePath(), headless: true, args: CHROME_ARGS });
});
after(async () => {
  await browser?.close();
  await demo?.close();
  await rm(dataDir, { recursive: true, force: true });
});

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
const canvasText = (page: Page) => page.evaluate(CANVAS_TEXT) as Promise<string>;
const waitCanvas = (page: Page, rx: RegExp, timeout = 20_000) =>
  page
    .waitForFunction(`new RegExp(${JSON.stringify(rx.source)}).test(${CANVAS_TEXT})`, {
      timeout,
      polling: 200,
    })
    .then(() => undefined)
    .catch(async () => assert.fail(`${rx} not found in: ${(await canvasText(page)).slice(0, 600)}`));

const expected: Record<string, RegExp> = {
  ok: /Billing usage sent/,
  'warning-first-day': /within 15 days/,
  'three-days-left': /within 3 days/,
  'last-day': /within 5 hours/,
  disconnected: /by the vendor's rule, VRAs stopped on/,
  recovered: /sent and acknowledged again/,
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
        assert.deepEqual(errors, []);
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
