// The README's embedding, pasted as written into an empty page beside the real ZVM simulator and the library as
// built, opened in headless Chromium: it must show the simulator's site. Then the same page with a part of the
// library not deployed (its chunks, its worker file): the element must say so, never stop silently.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { after, before, describe, test } from 'node:test';
import puppeteer, { type Browser } from 'puppeteer-core';
import { buildLibrary } from '../../scripts/lib-build.ts';
import { CHROME_ARGS, chromePath } from '../../scripts/chrome-path.mjs';
import { startBillingServer, type BillingServer } from '../../servers/billing/server.ts';
import { startZvmSim, type ZvmSim } from '../../servers/zvm/server.ts';
import { freePort } from '../support/free-port.ts';

/** The block between the README's embed-snippet markers, without its code fence. */
export function readmeSnippet(): string {
  const readme = readFileSync('README.md', 'utf8');
  const m = /<!-- embed-snippet -->\s*```html\n([\s\S]*?)```\s*<!-- \/embed-snippet -->/.exec(readme);
  assert.ok(m, 'README.md has an embed-snippet block');
  return m[1]!;
}

const SNIPPET_ZVM = 'http://127.0.0.1:5172';
const SITE_NAME = 'Snippet DR';

let root: string;
let browser: Browser;
let billing: BillingServer;
let zvm: ZvmSim;
let page: Server;
let origin: string;
let snippet: string;
/** Paths the page's server answers 404 for (a deployment that left them out). */
let missing: RegExp | null = null;

async function listen(server: Server, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'zbb-snippet-'));
  await buildLibrary(join(root, 'zerto-billing'));
  const port = await freePort();
  origin = `http://localhost:${port}`;
  billing = await startBillingServer({ port: 0, dataDir: root, allowOrigins: [origin], quiet: true });
  snippet = readmeSnippet();
  // The snippet names the simulator's default port; where this machine already uses it, another port is taken
  // and only that address in the snippet is changed.
  const opts = { billingUrl: billing.url, allowOrigins: [origin], siteName: SITE_NAME, quiet: true };
  try {
    zvm = await startZvmSim({ ...opts, port: 5172 });
  } catch {
    zvm = await startZvmSim({ ...opts, port: await freePort() });
    snippet = snippet.replaceAll(SNIPPET_ZVM, zvm.url.replace(/\/$/, ''));
  }
  page = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', origin).pathname);
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><html><head><title>console</title></head><body>\n${snippet}\n</body></html>`);
      return;
    }
    const file = normalize(join(root, path));
    if (!file.startsWith(root + sep) || (missing && missing.test(path))) {
      res.writeHead(404).end('not found');
      return;
    }
    readFile(file).then(
      (body) => {
        const type = extname(file) === '.js' ? 'text/javascript' : 'application/octet-stream';
        res.writeHead(200, { 'content-type': type }).end(body);
      },
      () => res.writeHead(404).end('not found'),
    );
  });
  await listen(page, port);
  browser = await puppeteer.launch({ executablePath: chromePath(), headless: true, args: CHROME_ARGS });
});

after(async () => {
  await browser?.close();
  await new Promise((r) => page?.close(r));
  await zvm?.close();
  await billing?.close();
  await rm(root, { recursive: true, force: true });
});

/** Opens the console page in a fresh browser context (its own storage) and returns what the banner shows. */
async function open(waitFor: string): Promise<{ text: string; errors: string[]; siteName: string | null }> {
  const context = await browser.createBrowserContext();
  const tab = await context.newPage();
  const errors: string[] = [];
  tab.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  tab.on('pageerror', (e) => errors.push(String(e)));
  try {
    await tab.goto(`${origin}/`, { waitUntil: 'load' });
    const text = `(() => {
      const b = document.querySelector('zerto-billing-banner');
      // An element whose code could not load has no shadow root: what it says is its own text.
      return b ? (b.shadowRoot ? b.shadowRoot.textContent : b.textContent).replace(/\\s+/g, ' ') : '';
    })()`;
    await tab
      .waitForFunction(`${text}.includes(${JSON.stringify(waitFor)})`, { timeout: 20_000 })
      .catch(() => {});
    return {
      text: (await tab.evaluate(text)) as string,
      errors,
      siteName: (await tab.evaluate(
        `document.querySelector('zerto-billing-banner').view?.site.name ?? null`,
      )) as string | null,
    };
  } finally {
    await context.close();
  }
}

describe("the README's embedding, pasted into an empty page", () => {
  test("shows the simulator's site, identified from the ZVM, with the token from getToken()", async () => {
    missing = null;
    const r = await open('sent');
    assert.equal(r.siteName, SITE_NAME, `the banner read its site from the ZVM (shown: "${r.text}")`);
    assert.match(r.text, /sent/i, 'the chip says usage gets through');
    assert.doesNotMatch(r.text, /cannot check billing usage/, 'no setup notice');
    assert.deepEqual(r.errors, [], 'no console error');
  });

  test('with chunks/ not deployed, the element says which file is missing and what to copy', async () => {
    missing = /^\/zerto-billing\/chunks\//;
    const r = await open('dist/lib');
    // The element's own code is what is missing: its script tag's file says so in the element, as text.
    assert.match(
      r.text,
      /^ ?<zerto-billing-banner> could not be loaded \(.*chunks\/.*\): copy the whole dist\/lib folder/,
    );
    assert.ok(
      r.errors.some((e) => /copy the whole dist\/lib folder/.test(e)),
      'and says it in the console',
    );
  });

  test("with the worker's file not deployed, the element names it, and the page polls by itself", async () => {
    missing = /^\/zerto-billing\/chunks\/shared-worker-/;
    // The notice, and the chip once the page's own poller has read the ZVM.
    const r = await open('sent');
    assert.match(r.text, /poller's file .* answered HTTP 404: copy the whole dist\/lib folder/);
    assert.equal(r.siteName, SITE_NAME, 'the site is still read, by the page itself');
  });
});
