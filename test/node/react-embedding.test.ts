// The README's React example, as written, in a React 19 app built by the project's Vite, beside the real ZVM
// simulator, in headless Chromium: React sets the element's properties (getToken, token, probe) and hears its
// state changes through `onzerto-billing-state-change`. Removed and shown again, the element leaves no second
// poller: a proxy in front of the simulator counts the ZVM's alert reads (GET /v1/alerts), one per interval.
// The Vue example (examples/vue/billing-banner.ts) runs the same way in a Vue 3 app.
//
// The app (examples/react/app.tsx) imports the README's component (examples/react/billing-banner.tsx, which must
// be the README's block as written: lint type-checks that file); the build is given the README's text for it.
// `zerto-billing-banner/banner` is built from the sources the package's ES modules are built from, with the
// library's own Vite plugins (the shared worker an asset of the app).
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { after, before, describe, test } from 'node:test';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { build, type Plugin } from 'vite';
import { common } from '../../scripts/lib-build.ts';
import { CHROME_ARGS, chromePath } from '../../scripts/chrome-path.mjs';
import { startBillingServer, type BillingServer } from '../../servers/billing/server.ts';
import { startZvmSim, type ZvmSim } from '../../servers/zvm/server.ts';
import { freePort } from '../support/free-port.ts';
import type { StateChangeDetail } from '../../components/index.ts';

/** The app's views and what it keeps of what React heard (examples/react/app.tsx). */
type View = 'none' | 'readme' | 'token' | 'probe';
declare global {
  interface Window {
    harness?: {
      show(view: View): void;
      heard: { view: View; detail: StateChangeDetail }[];
      probeCalls: number;
    };
    /** What the Vue example's component emitted (examples/vue/app.ts). */
    vueHeard?: StateChangeDetail[];
  }
}

const root = resolve(import.meta.dirname, '../..');
const COMPONENT = join(root, 'examples/react/billing-banner.tsx');

/** The block between the README's embed-react markers, without its code fence. */
export function readmeReactExample(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const m = /<!-- embed-react -->\s*```tsx\n([\s\S]*?)```\s*<!-- \/embed-react -->/.exec(readme);
  assert.ok(m, 'README.md has an embed-react block');
  return m[1]!;
}

const README_ZVM = 'http://127.0.0.1:5172';
const SITE_ID = '5b0e7c1d-react-4e19-9a2f-0c5d7e8f9a10';
const SITE_NAME = 'React DR';

let tmp: string;
let browser: Browser;
let billing: BillingServer;
let zvm: ZvmSim;
let proxy: Server;
let zvmUrl: string;
let page: Server;
let origin: string;
/** Every GET /v1/alerts the page's poller made through the proxy, by time. */
const alertReads: number[] = [];

async function listen(server: Server, port: number): Promise<void> {
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => done());
  });
}

/** Passes each request on to the simulator as it came (its own Host), noting the alert reads. */
function countingProxy(target: URL) {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && new URL(req.url ?? '/', target).pathname === '/v1/alerts')
      alertReads.push(Date.now());
    const out = request(
      target,
      { method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  };
}

/**
 * The React app (app.js) and the Vue example's (vue.js): the element's import resolved to its sources, the
 * README's component as written.
 */
async function buildApp(outDir: string, component: string): Promise<void> {
  const readmeComponent: Plugin = {
    name: 'readme-react-component',
    enforce: 'pre',
    load: (id) => (id === COMPONENT ? component : null),
  };
  await build({
    ...common,
    plugins: [readmeComponent, ...(common.plugins ?? [])],
    resolve: {
      alias: { 'zerto-billing-banner/banner': join(root, 'components/banner/zerto-billing-banner.ts') },
    },
    // Vue's compile-time flags, as its guide asks a bundler to set them.
    define: {
      __VUE_OPTIONS_API__: 'true',
      __VUE_PROD_DEVTOOLS__: 'false',
      __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    },
    build: {
      ...common.build,
      outDir,
      emptyOutDir: true,
      rollupOptions: {
        input: { app: join(root, 'examples/react/app.tsx'), vue: join(root, 'examples/vue/app.ts') },
        output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
      },
    },
  });
}

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'zbb-react-'));
  let component = readmeReactExample();
  const port = await freePort();
  origin = `http://localhost:${port}`;
  billing = await startBillingServer({ port: 0, dataDir: tmp, allowOrigins: [origin], quiet: true });
  zvm = await startZvmSim({
    billingUrl: billing.url,
    allowOrigins: [origin],
    siteId: SITE_ID,
    siteName: SITE_NAME,
    quiet: true,
  });
  // The README names the simulator's default port; where this machine already uses it, the proxy takes
  // another and only that address in the README's text is changed.
  proxy = createServer(countingProxy(new URL(zvm.url)));
  try {
    await listen(proxy, 5172);
  } catch {
    proxy = createServer(countingProxy(new URL(zvm.url)));
    await listen(proxy, await freePort());
  }
  const address = proxy.address();
  zvmUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  component = component.replaceAll(README_ZVM, zvmUrl);
  const app = join(tmp, 'app');
  await buildApp(app, component);
  page = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', origin).pathname);
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (path === '/' || path === '/vue') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<!doctype html><html><head><title>${path === '/' ? 'React' : 'Vue'} console</title></head><body>` +
          `<div id="root"></div><script type="module" src="/${path === '/' ? 'app' : 'vue'}.js"></script>` +
          '</body></html>',
      );
      return;
    }
    const file = normalize(join(app, path));
    if (!file.startsWith(app + sep)) {
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
  await new Promise((r) => proxy?.close(r));
  await zvm?.close();
  await billing?.close();
  await rm(tmp, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A console page (the React one by default) in a fresh browser context (its own storage and shared worker). */
async function openApp(path = '/'): Promise<{ tab: Page; errors: string[]; close(): Promise<void> }> {
  const context = await browser.createBrowserContext();
  const tab = await context.newPage();
  const errors: string[] = [];
  tab.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  tab.on('pageerror', (e) => errors.push(String(e)));
  await tab.goto(`${origin}${path}?zvm=${encodeURIComponent(zvmUrl)}`, { waitUntil: 'load' });
  if (path === '/') await tab.waitForFunction(() => window.harness !== undefined, { timeout: 20_000 });
  return { tab, errors, close: () => context.close() };
}

const show = (tab: Page, view: View) => tab.evaluate((v) => window.harness!.show(v), view);

/** What React's handlers heard, in that view. */
const heardIn = (tab: Page, view: View) =>
  tab.evaluate((v) => window.harness!.heard.filter((h) => h.view === v).map((h) => h.detail), view);

/** Waits until React's handler in that view has heard `count` ok states. */
async function untilHeardOk(tab: Page, view: View, count = 1): Promise<void> {
  await tab
    .waitForFunction(
      (v, n) => window.harness!.heard.filter((h) => h.view === v && h.detail.phase === 'ok').length >= n,
      { timeout: 20_000 },
      view,
      count,
    )
    .catch(() => {});
}

/** The element React rendered: its own attributes, what it shows, and the properties React set. */
const element = (tab: Page) =>
  tab.evaluate(() => {
    const el = document.querySelector('zerto-billing-banner');
    return el
      ? {
          attributes: el.getAttributeNames(),
          mode: el.mode,
          getToken: typeof el.getToken,
          token: el.token ?? null,
          probe: typeof el.probe,
        }
      : null;
  });

/** What the element shows, once it includes `text` (or after 20 s). */
async function shown(tab: Page, text: string): Promise<string> {
  const read = `(document.querySelector('zerto-billing-banner')?.shadowRoot?.textContent ?? '').replace(/\\s+/g, ' ')`;
  await tab.waitForFunction(`${read}.includes(${JSON.stringify(text)})`, { timeout: 20_000 }).catch(() => {});
  return (await tab.evaluate(read)) as string;
}

/** GET /v1/alerts made in the next `ms`. */
async function alertReadsDuring(ms: number): Promise<number> {
  const from = Date.now();
  await sleep(ms);
  return alertReads.filter((t) => t >= from && t < from + ms).length;
}

describe("the README's React example, in a React 19 app", () => {
  test('is the component examples/react/billing-banner.tsx, which the lint type-checks', () => {
    assert.equal(readmeReactExample(), readFileSync(COMPONENT, 'utf8'));
  });

  test("shows the simulator's site with the token from getToken, and React's handler hears the state", async () => {
    const app = await openApp();
    try {
      await show(app.tab, 'readme');
      await untilHeardOk(app.tab, 'readme');
      const heard = await heardIn(app.tab, 'readme');
      const ok = heard.find((d) => d.phase === 'ok');
      assert.ok(
        ok,
        `React's handler heard the ok state (heard: ${JSON.stringify(heard.map((d) => d.phase))})`,
      );
      assert.equal(ok.siteId, SITE_ID, "the site's identifier, read from the ZVM");
      assert.equal(ok.view.site.name, SITE_NAME);
      assert.equal(heard[0]!.previousPhase, null, 'the first state heard is the first the element showed');
      const el = await element(app.tab);
      assert.ok(el);
      assert.equal(el.getToken, 'function', 'React set getToken as a property');
      assert.equal(el.mode, 'zvm', 'and mode, which the element has');
      assert.deepEqual(el.attributes.sort(), ['show-ok', 'theme', 'zvm-url'], 'the rest as attributes');
      assert.match(await shown(app.tab, 'sent'), /sent/i, 'the chip says usage gets through');
      assert.equal(
        await app.tab.$eval('#phase', (p) => p.textContent),
        'React heard: ok',
        "React's state follows",
      );
      assert.deepEqual(app.errors, [], 'no console error');
    } finally {
      await app.close();
    }
  });

  test('with `token` set from React: removed and shown again, one poller reads the ZVM once per interval', async (t) => {
    const app = await openApp();
    try {
      await show(app.tab, 'token');
      await untilHeardOk(app.tab, 'token');
      const el = await element(app.tab);
      assert.ok(el);
      assert.equal(el.token, 'demo-token', 'React set token as a property');
      assert.ok(!el.attributes.includes('token'), 'never as an attribute');
      assert.match(await shown(app.tab, 'sent'), /sent/i);
      // interval="1s": a read every second or so after the one before (3 or 4 in 4 s here); two pollers make
      // twice that. A loaded machine reads less often, never more.
      const first = await alertReadsDuring(4000);
      assert.ok(first >= 1 && first <= 5, `one poller while shown (${first} reads in 4 s)`);

      await show(app.tab, 'none');
      await sleep(1500);
      assert.equal(await alertReadsDuring(3000), 0, 'no read while the element is gone');

      await show(app.tab, 'token');
      await untilHeardOk(app.tab, 'token', 2);
      const again = await alertReadsDuring(4000);
      t.diagnostic(`GET /v1/alerts in 4 s: ${first} shown, ${again} shown again`);
      // A poller left behind by the first element would double the reads.
      assert.ok(again >= 1 && again <= 5, `one poller once shown again (${again} reads in 4 s)`);
      assert.equal(
        (await heardIn(app.tab, 'token')).filter((d) => d.phase === 'ok').length,
        2,
        'the new element told React its state once',
      );
      assert.deepEqual(app.errors, [], 'no console error');
    } finally {
      await app.close();
    }
  });

  test('with `probe` set from React (custom mode): the element asks it, and React hears ok', async () => {
    const app = await openApp();
    try {
      await show(app.tab, 'probe');
      await untilHeardOk(app.tab, 'probe');
      const [ok] = (await heardIn(app.tab, 'probe')).filter((d) => d.phase === 'ok');
      assert.ok(ok, 'React heard the ok state');
      assert.equal(ok.siteId, 'react-probe-site');
      const el = await element(app.tab);
      assert.equal(el?.probe, 'function');
      assert.ok((await app.tab.evaluate(() => window.harness!.probeCalls)) >= 1, 'the probe was asked');
      assert.deepEqual(app.errors, [], 'no console error');
    } finally {
      await app.close();
    }
  });
});

describe('the Vue example, in a Vue 3 app', () => {
  test('Vue sets getToken as a property and hears the state through onZertoBillingStateChange', async () => {
    const app = await openApp('/vue');
    try {
      await app.tab
        .waitForFunction(() => window.vueHeard?.some((d) => d.phase === 'ok'), { timeout: 20_000 })
        .catch(() => {});
      const heard = (await app.tab.evaluate(() => window.vueHeard ?? [])).filter((d) => d.phase === 'ok');
      assert.equal(heard[0]?.siteId, SITE_ID, "the component emitted the element's state, read from the ZVM");
      const el = await element(app.tab);
      assert.ok(el);
      assert.equal(el.getToken, 'function', 'Vue set getToken as a property');
      assert.equal(el.mode, 'zvm');
      assert.ok(!el.attributes.some((a) => /token/i.test(a)), 'no credential as an attribute');
      assert.match(await shown(app.tab, 'sent'), /sent/i, 'the chip says usage gets through');
      assert.equal(
        await app.tab.$eval('p', (p) => p.textContent),
        'Billing: ok',
        "the component's state follows",
      );
      assert.deepEqual(app.errors, [], 'no console error');
    } finally {
      await app.close();
    }
  });
});
