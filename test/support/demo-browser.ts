// The demo as `npm start` runs it (its servers on free ports, data in a temporary folder) and a headless
// Chromium to open it, for the Node tests of the demo. The first visit, which has Vite transform every module
// of the page, is made here with time to spare on a loaded machine, so that no story's own time limit pays for it.
//
// Chromium is looked for before any server starts; whatever started is stopped again when a later step fails
// (the browser does not launch, the first visit times out), so that a failed set-up leaves nothing running.
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

/**
 * The ports to start the demo on: free ones, or DEMO_TEST_PORTS=demo,billing,zvm,fleet (a test that checks
 * these ports are closed again after a failed set-up names them).
 */
async function ports(): Promise<[number, number, number, number]> {
  const given = process.env.DEMO_TEST_PORTS?.split(',').map(Number);
  if (given?.length === 4 && given.every((p) => Number.isInteger(p) && p > 0)) {
    return given as [number, number, number, number];
  }
  return [await freePort(), await freePort(), await freePort(), await freePort()];
}

export async function startDemoBrowser(prefix: string): Promise<DemoBrowser> {
  const executablePath = chromePath(); // throws "Chromium not found: …" before anything starts
  ensureManifest();
  const [port, billingPort, zvmPort, fleetPort] = await ports();
  const dataDir = await mkdtemp(join(tmpdir(), prefix));
  let demo: Demo | undefined;
  let browser: Browser | undefined;
  const stop = async () => {
    await browser?.close().catch(() => {});
    await demo?.close().catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    demo = await startDemo({ port, billingPort, zvmPort, fleetPort, dataDir });
    browser = await puppeteer.launch({ executablePath, headless: true, args: CHROME_ARGS });
    const warm = await browser.newPage();
    await warm.goto(demo.url, { waitUntil: 'load', timeout: 120_000 });
    await warm.waitForSelector('#canvas[data-rendered]', { timeout: 120_000 });
    await warm.close();
    return { demo, browser, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
