// Screenshots of the main states, from the real demo page in headless Chromium, into docs/screenshots/
// (the README shows them): `npx tsx scripts/screenshots.ts`.
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import puppeteer from 'puppeteer-core';
import { CHROME_ARGS, chromePath } from './chrome-path.mjs';
import { ensureManifest, startDemo } from './demo-server.ts';
import { freePort } from '../test/support/free-port.ts';

const out = resolve(import.meta.dirname, '../docs/screenshots');
const shots: Array<[string, string]> = [
  ['warning-first-day', 'warning'],
  ['last-day', 'last-day'],
  ['disconnected', 'disconnected'],
  ['recovered', 'recovered'],
  ['dark', 'dark'],
  ['rtl', 'rtl'],
  ['sites-50', 'sites'],
  ['alerts', 'alerts'],
  ['zvm-disconnected', 'zvm-disconnected'],
  // The banner reads the real ZVM simulator first (with a wrong token): waited for below.
  ['zvm-blind-credentials', 'zvm-cannot-read'],
];
/** Page source (not a compiled function): true once the story's banner shows a heading. */
const BANNER_TITLED = `(() => {
  const b = document.querySelector('#canvas zerto-billing-banner');
  return !b || !!b.shadowRoot?.querySelector('[part~="title"]')?.textContent?.trim();
})()`;

mkdirSync(out, { recursive: true });
ensureManifest();
const dataDir = await mkdtemp(join(tmpdir(), 'zbb-shots-'));
const demo = await startDemo({
  port: await freePort(),
  billingPort: await freePort(),
  zvmPort: await freePort(),
  dataDir,
});
const browser = await puppeteer.launch({ executablePath: chromePath(), headless: true, args: CHROME_ARGS });
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1100, height: 800, deviceScaleFactor: 1 });
  for (const [story, name] of shots) {
    await page.goto(`${demo.url}#story=${story}`, { waitUntil: 'load' });
    await page.waitForSelector(`#canvas[data-rendered="${story}"]`);
    await page.waitForFunction(BANNER_TITLED, { timeout: 15_000, polling: 100 });
    await new Promise((r) => setTimeout(r, 600));
    const canvas = await page.$('#canvas');
    await canvas!.screenshot({ path: join(out, `${name}.png`) as `${string}.png` });
    console.log(`docs/screenshots/${name}.png`);
  }
  // The usage test dialog after a failure.
  await page.goto(`${demo.url}#story=test-server-down`, { waitUntil: 'load' });
  await page.waitForSelector('#canvas[data-rendered="test-server-down"]');
  await page.evaluate(`document.querySelector('zerto-usage-test').run()`);
  await new Promise((r) => setTimeout(r, 4000));
  await page.screenshot({ path: join(out, 'usage-test-failed.png') as `${string}.png` });
  console.log('docs/screenshots/usage-test-failed.png');
} finally {
  await browser.close();
  await demo.close();
  await rm(dataDir, { recursive: true, force: true });
}
