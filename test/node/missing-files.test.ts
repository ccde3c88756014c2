// The library deployed in part: each file of the built library that a console page loads, removed in turn from
// a copy of `npm run build`'s output, served beside the real ZVM simulator and opened in headless Chromium. The
// element must show one notice naming the file that is missing (not the module that imports it), log at most
// one console message per distinct problem, and keep the page answering: a setup problem is shown once,
// never by a render that asks for another.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join, normalize, sep } from 'node:path';
import { after, before, describe, test } from 'node:test';
import puppeteer, { type Browser } from 'puppeteer-core';
import { buildLibrary } from '../../scripts/lib-build.ts';
import { CHROME_ARGS, chromePath } from '../../scripts/chrome-path.mjs';
import { startBillingServer, type BillingServer } from '../../servers/billing/server.ts';
import { startZvmSim, type ZvmSim } from '../../servers/zvm/server.ts';
import { listenOnLoopback } from '../support/free-port.ts';

const SITE_NAME = 'Partial DR';
/** How long a page is watched: the render loop this guards against logged 524,083 times in that time. */
const WATCH_MS = 5000;

let root: string;
let browser: Browser;
let zvm: ZvmSim;
let billing: BillingServer;
let server: Server;
let origin: string;
/** The file the page's server answers 404 for (a deployment that left it out), under /lib/. */
let missing: string | null = null;
/** Every file of the library the server was asked for, since the last reset. */
const asked = new Set<string>();

/** A console's page: the banner's script tag (or the one that registers every element), as the README shows. */
function consolePage(script: string): string {
  const zvmUrl = zvm.url.replace(/\/$/, '');
  const elements =
    script === 'zerto-billing-banner.js'
      ? `<zerto-billing-banner mode="zvm" zvm-url="${zvmUrl}" show-ok></zerto-billing-banner>`
      : `<zerto-billing-banner mode="zvm" zvm-url="${zvmUrl}" show-ok></zerto-billing-banner>
         <zerto-billing-alerts></zerto-billing-alerts>
         <zerto-usage-test mode="zvm" zvm-url="${zvmUrl}"></zerto-usage-test>
         <zerto-billing-sites></zerto-billing-sites>
         <zerto-usage-export></zerto-usage-export>`;
  return `<!doctype html><html><head><title>console</title></head><body>
    <script type="module" src="./lib/${script}"></script>
    ${elements}
    <script type="module">
      for (const el of document.querySelectorAll('zerto-billing-banner, zerto-usage-test'))
        el.getToken = async () => 'demo-token';
    </script></body></html>`;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'zbb-missing-'));
  await buildLibrary(join(root, 'lib'));
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = decodeURIComponent(url.pathname);
    if (path === '/favicon.ico') return void res.writeHead(204).end();
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end(consolePage(url.searchParams.get('script') ?? 'zerto-billing-banner.js'));
    }
    const file = normalize(join(root, path));
    if (!file.startsWith(join(root, 'lib') + sep)) return void res.writeHead(404).end('not found');
    if (req.method === 'GET') asked.add(path.slice('/lib/'.length));
    if (path === `/lib/${missing}`) return void res.writeHead(404).end('not found');
    readFile(file).then(
      (body) =>
        res
          .writeHead(200, {
            'content-type': extname(file) === '.js' ? 'text/javascript' : 'application/octet-stream',
          })
          .end(body),
      () => res.writeHead(404).end('not found'),
    );
  });
  const port = await listenOnLoopback(server);
  origin = `http://127.0.0.1:${port}`;
  billing = await startBillingServer({ port: 0, dataDir: root, allowOrigins: [origin], quiet: true });
  zvm = await startZvmSim({
    port: 0,
    billingUrl: billing.url,
    allowOrigins: [origin],
    siteName: SITE_NAME,
    quiet: true,
  });
  browser = await puppeteer.launch({ executablePath: chromePath(), headless: true, args: CHROME_ARGS });
});

after(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
  await zvm?.close();
  await billing?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

/** What an element shows: its setup notices (the operator's sentence, the developer's detail) or its text. */
interface Shown {
  /** The element's code ran (else it shows what its script tag's file wrote into it). */
  defined: boolean;
  text: string;
  notices: { sentence: string; detail: string }[];
}

interface Seen {
  /** What each element of the page shows, in page order. */
  shown: Shown[];
  /** The library's console errors and warnings (not the browser's own "Failed to load resource" lines). */
  logged: string[];
  /** How long the page took to answer a script after the watch: a page in a render loop does not. */
  answerMs: number;
}

/** What every element of the page shows (a script's text: tsx would add helpers to a function's code). */
const SHOWN = `(() => {
  const squash = (s) => (s ?? '').replace(/\\s+/g, ' ').trim();
  return [...document.querySelectorAll('body > :not(script)')].map((el) => {
    const root = el.shadowRoot;
    const notices = [...(root?.querySelectorAll('[part="config-error"]') ?? [])].map((n) => {
      const detail = n.querySelector('[part="config-detail"]');
      const sentence = [...n.childNodes].filter((c) => c.nodeType === Node.TEXT_NODE).map((c) => c.textContent);
      return { sentence: squash(sentence.join(' ')), detail: squash(detail?.textContent) };
    });
    return { defined: !!root, text: squash((root ?? el).textContent), notices };
  });
})()`;

/** Opens the page in a fresh context (its own storage), watches it for WATCH_MS and returns what it showed. */
async function open(script: string): Promise<Seen> {
  const context = await browser.createBrowserContext();
  const tab = await context.newPage();
  const logged: string[] = [];
  tab.on('console', (m) => {
    if ((m.type() === 'error' || m.type() === 'warn') && !/^Failed to load resource/.test(m.text()))
      logged.push(m.text());
  });
  tab.on('pageerror', (e) => logged.push(String(e)));
  try {
    await tab.goto(`${origin}/?script=${script}`, { waitUntil: 'load' });
    await new Promise((r) => setTimeout(r, WATCH_MS));
    const started = Date.now();
    const shown = (await Promise.race([
      tab.evaluate(SHOWN),
      new Promise((_, reject) => setTimeout(() => reject(new Error('the page stopped answering')), 5000)),
    ])) as Shown[];
    return { shown, logged, answerMs: Date.now() - started };
  } finally {
    await context.close();
  }
}

/** Opens the page with `file` missing and asserts what the brief promises: one notice, one message, no loop. */
async function assertNamed(script: string, file: string, others: readonly string[]): Promise<void> {
  missing = file;
  const seen = await open(script);
  const name = basename(file);
  const banner = seen.shown[0]!;
  const where = `${file} missing: banner "${banner.text}", console ${JSON.stringify(seen.logged)}`;
  if (banner.defined) {
    // The element runs: one notice, the operator's sentence naming the file, the address in the detail.
    assert.equal(banner.notices.length, 1, `one notice (${where})`);
    const [notice] = banner.notices;
    assert.ok(
      notice!.sentence.startsWith(`A file of the billing banner is missing on the web server: ${name}.`),
      `the operator's sentence names ${name} (${where})`,
    );
    assert.ok(
      notice!.detail.includes(`/lib/${file} answered HTTP 404`),
      `the detail gives its address (${where})`,
    );
  } else {
    // Its own code is what is missing: the script tag's file says so in every element it registers.
    for (const el of seen.shown)
      assert.ok(el.text.includes(`/lib/${file} answered HTTP 404`), `${name} named in "${el.text}"`);
  }
  for (const other of others)
    if (other !== file) assert.ok(!banner.text.includes(basename(other)), `names ${name} only (${where})`);
  // One problem: one message, once (the render loop this replaces logged 524,083 in the same 5 s).
  assert.equal(seen.logged.length, 1, `one console message (${where})`);
  assert.ok(seen.logged[0]!.includes(name), `the message names ${name} (${where})`);
  assert.ok(seen.answerMs < 1000, `the page answers (${seen.answerMs} ms)`);
}

/** The library's script files the page asked for, deployed whole; the page must show its state and log nothing. */
async function filesLoadedBy(script: string): Promise<string[]> {
  missing = null;
  asked.clear();
  const seen = await open(script);
  assert.match(seen.shown[0]!.text, /sent/i, `the chip (shown: ${seen.shown[0]!.text})`);
  assert.deepEqual(seen.logged, []);
  return [...asked].filter((f) => f !== script && f.endsWith('.js')).sort();
}

describe('the library deployed without one of its files', () => {
  let bannerFiles: string[] = [];

  test("the banner's script tag: each file it loads, missing, is named in one notice and one message", async (t) => {
    bannerFiles = await filesLoadedBy('zerto-billing-banner.js');
    for (const kind of ['banner-parts', 'shared-worker', 'elements', 'zerto-billing-banner'])
      assert.ok(
        bannerFiles.some((f) => f.startsWith(`chunks/${kind}-`)),
        `${kind} among ${bannerFiles.join(', ')}`,
      );
    for (const file of bannerFiles)
      await t.test(file, () => assertNamed('zerto-billing-banner.js', file, bannerFiles));
  });

  test("every element's script tag: each other file it loads, missing, is named in every element", async (t) => {
    const files = await filesLoadedBy('zerto-billing.js');
    for (const kind of [
      'zerto-billing-alerts',
      'zerto-billing-sites',
      'zerto-usage-test',
      'zerto-usage-export',
    ])
      assert.ok(
        files.some((f) => f.startsWith(`chunks/${kind}-`)),
        `${kind} among ${files.join(', ')}`,
      );
    for (const file of files.filter((f) => !bannerFiles.includes(f)))
      await t.test(file, () => assertNamed('zerto-billing.js', file, files));
  });
});
