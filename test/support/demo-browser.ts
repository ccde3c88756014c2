// The demo as `npm start` runs it (its servers on free ports, data in a temporary folder) and a headless
// Chromium to open it, for the Node tests of the demo. The first visit, which has Vite transform every module
// of the page, is made here with time to spare on a loaded machine, so that no story's own time limit pays for it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { CHROME_ARGS, chromePath } from '../../scripts/chrome-path.mjs';
import { ensureManifest, startDemo, type Demo } from '../../scripts/demo-server.ts';
import { freePort } from './free-port.ts';

export interface DemoBrowser {
  demo: Demo;
  browser: Browser;
  stop(): Promise<void>;
}

export async function startDemoBrowser(prefix: string): Promise<DemoBrowser> {
  ensureManifest();
  const dataDir = await mkdtemp(join(tmpdir(), prefix));
  const demo = await startDemo({
    port: await freePort(),
    billingPort: await freePort(),
    zvmPort: await freePort(),
    fleetPort: await freePort(),
    dataDir,
  });
  const browser = await puppeteer.launch({ executablePath: chromePath(), headless: true, args: CHROME_ARGS });
  const warm = await browser.newPage();
  await warm.goto(demo.url, { waitUntil: 'load', timeout: 120_000 });
  await warm.waitForSelector('#canvas[data-rendered]', { timeout: 120_000 });
  await warm.close();
  return {
    demo,
    browser,
    async stop() {
      await browser.close();
      await demo.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
