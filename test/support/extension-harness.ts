/**
 * Drives the built extension in headless Chromium for the end-to-end tests: builds it, makes a copy with
 * some optional permissions already granted (a permission prompt cannot be clicked headless), launches
 * Chromium with it in a fresh profile, and evaluates code in its real service worker. Nothing of chrome.* or
 * the network is faked.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import puppeteer, { type Browser, type CDPSession, type Page, type Target } from 'puppeteer-core';
import { CHROME_ARGS, chromePath } from '../../scripts/chrome-path.mjs';

export const ROOT = resolve(import.meta.dirname, '../..');
export const EXTENSION_DIR = join(ROOT, 'dist/extension');
export const EXTENSION_ZIP = join(ROOT, 'dist/zerto-billing-banner-extension.zip');

/**
 * `npx vite build --config extension/vite.config.ts`, as `npm run build` does, so a clean clone works. With
 * `outDir`, into a folder of the test's own, so that runs building dist/extension at the same time are not
 * disturbed.
 */
export function buildExtension(outDir?: string): void {
  execFileSync(
    'npx',
    [
      'vite',
      'build',
      '--config',
      'extension/vite.config.ts',
      ...(outDir ? ['--outDir', outDir, '--emptyOutDir'] : []),
    ],
    { cwd: ROOT, stdio: 'pipe', timeout: 180_000 },
  );
}

export interface Grant {
  /** Host permissions the admin would have allowed when saving the sites. */
  hosts: string[];
  /** Optional permissions the admin would have allowed when turning the proxy on. */
  permissions: string[];
}

/**
 * A copy of the built extension whose manifest declares `grant` as install-time permissions, i.e. granted.
 * This is the only difference from the shipped build: it stands in for the admin clicking "Allow" on the
 * permission prompts, which headless Chromium cannot show.
 */
export function grantedCopy(grant: Grant, from = EXTENSION_DIR): string {
  const dir = mkdtempSync(join(tmpdir(), 'zbb-ext-granted-'));
  cpSync(from, dir, { recursive: true });
  const file = join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(file, 'utf8')) as {
    permissions: string[];
    optional_permissions?: string[];
    host_permissions?: string[];
  };
  m.host_permissions = [...(m.host_permissions ?? []), ...grant.hosts];
  m.permissions = [...m.permissions, ...grant.permissions];
  m.optional_permissions = (m.optional_permissions ?? []).filter((p) => !grant.permissions.includes(p));
  writeFileSync(file, JSON.stringify(m, null, 2));
  return dir;
}

export interface Problem {
  where: string;
  text: string;
}

export interface ExtensionBrowser {
  browser: Browser;
  id: string;
  /** console.error/warn calls and uncaught exceptions in the service worker, across its restarts. */
  workerProblems: Problem[];
  /** Evaluates an async function body in the running service worker (started if it was stopped). */
  inWorker<T>(body: string): Promise<T>;
  /** Stops the service worker, as Chrome does after it was idle. */
  stopWorker(): Promise<void>;
  /** Where downloads go (inside the temporary profile, removed on close). */
  downloads: string;
  page(path: string): Promise<Page>;
  close(): Promise<void>;
}

const isWorker = (t: Target) => t.type() === 'service_worker' && t.url().startsWith('chrome-extension://');

export async function launchWithExtension(dir: string): Promise<ExtensionBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'zbb-ext-profile-'));
  const browser = await puppeteer
    .launch({
      executablePath: chromePath(),
      headless: true,
      enableExtensions: true,
      userDataDir,
      timeout: 30_000,
      protocolTimeout: 30_000,
      args: [...CHROME_ARGS, `--load-extension=${dir}`, `--disable-extensions-except=${dir}`],
    })
    .catch((err: unknown) => {
      rmSync(userDataDir, { recursive: true, force: true });
      throw err;
    });
  // A set-up step that fails closes the browser again: a Chromium left running keeps the test file from ending.
  const abandon = async (err: unknown): Promise<never> => {
    await browser.close().catch(() => undefined);
    rmSync(userDataDir, { recursive: true, force: true });
    throw err;
  };
  const first = await browser.waitForTarget(isWorker, { timeout: 20_000 }).catch(abandon);
  const id = new URL(first.url()).host;
  const workerProblems: Problem[] = [];
  const browserCdp = await browser.target().createCDPSession().catch(abandon);
  const downloads = join(userDataDir, 'downloads');
  await browserCdp
    .send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads })
    .catch(abandon);
  const runningId = async () =>
    (await browserCdp.send('Target.getTargets')).targetInfos.find(
      (t) => t.type === 'service_worker' && t.url.startsWith(`chrome-extension://${id}/`),
    )?.targetId;

  // Evaluation goes through a DevTools session of our own on the worker. Chrome may give a restarted worker
  // the same target id, and Puppeteer's own worker handle does not survive a restart.
  let session: { targetId: string; cdp: CDPSession } | null = null;
  async function attach(): Promise<CDPSession> {
    let targetId = await runningId();
    if (!targetId) {
      // A stopped worker starts again on an event: a port opened by an extension page is one.
      const p = await browser.newPage();
      await p.goto(`chrome-extension://${id}/popup/index.html`, { timeout: 10_000 });
      targetId = await waitFor('the service worker to start', runningId, 10_000);
      await p.close();
    }
    if (session?.targetId === targetId) return session.cdp;
    await session?.cdp.detach().catch(() => undefined);
    const target = await browser.waitForTarget((t) => isWorker(t), { timeout: 10_000 });
    const cdp = await target.createCDPSession();
    cdp.on('Runtime.consoleAPICalled', (e) => {
      if (e.type === 'error' || e.type === 'warning')
        workerProblems.push({
          where: `service worker console.${e.type}`,
          text: e.args.map((a) => String(a.value ?? a.description ?? '')).join(' '),
        });
    });
    cdp.on('Runtime.exceptionThrown', (e) =>
      workerProblems.push({
        where: 'service worker exception',
        text: e.exceptionDetails.exception?.description ?? e.exceptionDetails.text,
      }),
    );
    await cdp.send('Runtime.enable');
    session = { targetId, cdp };
    return cdp;
  }

  async function evaluate<T>(expression: string): Promise<T> {
    const cdp = await attach();
    const r = await cdp.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails)
      throw new Error(
        `in the service worker: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`,
      );
    return r.result.value as T;
  }

  // The target can appear before the worker's script ran: wait for the extension API.
  const ready = () =>
    waitFor(
      'the service worker to be ready',
      () => evaluate<boolean>('typeof chrome !== "undefined" && !!chrome.alarms'),
      15_000,
    );
  await ready().catch(abandon);

  return {
    browser,
    id,
    workerProblems,
    downloads,
    async inWorker<T>(body: string): Promise<T> {
      await ready();
      return evaluate<T>(`(async () => { ${body} })()`);
    },
    async stopWorker() {
      const targetId = await runningId();
      if (!targetId) return;
      // An attached DevTools session keeps a service worker alive: let go of ours first.
      await session?.cdp.detach().catch(() => undefined);
      session = null;
      await browserCdp.send('Target.closeTarget', { targetId });
      await waitFor('the service worker to stop', async () => !(await runningId()), 10_000);
    },
    async page(path: string) {
      const p = await browser.newPage();
      await p.goto(path.startsWith('http') ? path : `chrome-extension://${id}/${path}`, { timeout: 15_000 });
      return p;
    },
    async close() {
      await session?.cdp.detach().catch(() => undefined);
      await browserCdp.detach().catch(() => undefined);
      await browser.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `fn` answers something truthy, or fails naming what it waited for and the last answer. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 15_000,
  intervalMs = 150,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await fn();
      if (last) return last as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 500)}`,
      );
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** What chrome://extensions shows for the extension (read through chrome.developerPrivate there). */
export async function extensionPageErrors(
  b: ExtensionBrowser,
): Promise<{ runtimeErrors: unknown[]; manifestErrors: unknown[]; installWarnings: unknown[] }> {
  const p = await b.browser.newPage();
  try {
    await p.goto(`chrome://extensions/?id=${b.id}`, { timeout: 15_000 });
    return (await p.evaluate(`(async () => {
      const i = await chrome.developerPrivate.getExtensionInfo(${JSON.stringify(b.id)});
      return { runtimeErrors: i.runtimeErrors, manifestErrors: i.manifestErrors, installWarnings: i.installWarnings };
    })()`)) as { runtimeErrors: unknown[]; manifestErrors: unknown[]; installWarnings: unknown[] };
  } finally {
    await p.close();
  }
}
