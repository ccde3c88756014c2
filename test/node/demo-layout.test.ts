// The demo's shell on a phone (390 px) and a desktop (1280 px), in real headless Chromium against the real
// servers `npm start` runs: no story scrolls sideways, no banner text is cut or squeezed to nothing, the
// sidebar becomes a menu on a phone, dialogs, controls and the event log fit, the dark theme covers the whole
// shell, and the Docs tab, the snippet and the search say what the manifest and the README say.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Frame, Page } from 'puppeteer-core';
import { readManifest, type Demo } from '../../scripts/demo-server.ts';
import { elementDocs } from '../../demo/manifest.ts';
import { embedSnippet } from '../../demo/snippet.ts';
import { stories } from '../../demo/stories.ts';
import { startDemoBrowser, type DemoBrowser } from '../support/demo-browser.ts';

/** The script-tag bundles `npm run build` writes to dist/lib. */
const BUILT_SCRIPTS = ['zerto-billing-banner.js', 'zerto-billing.js'];

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

let demo: Demo;
let browser: Browser;
let running: DemoBrowser | undefined;

before(async () => {
  running = await startDemoBrowser('zbb-demo-layout-');
  ({ demo, browser } = running);
});
after(() => running?.stop());

async function open(id: string, viewport: { width: number; height: number }): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  await page.goto(`${demo.url}#story=${id}`, { waitUntil: 'load', timeout: 20_000 });
  await page.waitForSelector(`#canvas[data-rendered="${id}"]`, { timeout: 20_000 });
  return page;
}

/*
 * The probes below are page source (strings): functions compiled here would carry tsx's helpers, which the
 * page does not have.
 */

/** True once every banner in this document shows its text (a message, a title or a chip) or a config error. */
const BANNERS_SETTLED = `(() => [...document.querySelectorAll('zerto-billing-banner')].every((b) =>
  b.shadowRoot && b.shadowRoot.querySelector('[part=message], [part=title], [part=chip], .config-error')))()`;

/**
 * What is wrong with this document's layout: sideways scrolling (with the elements that stick out), and each
 * banner whose message (or, without one, its title or chip) is cut (scrollWidth > clientWidth) or has no size.
 */
const LAYOUT_PROBLEMS = `(() => {
  const problems = [];
  const root = document.documentElement;
  const where = (el) => el.localName + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  if (root.scrollWidth > root.clientWidth) {
    const out = [];
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && Math.round(r.right) > root.clientWidth && out.length < 6)
        out.push(where(el) + ' (right edge ' + Math.round(r.right) + ')');
    }
    problems.push('scrolls sideways: scrollWidth ' + root.scrollWidth + ' > clientWidth ' + root.clientWidth +
      ' [' + out.join(', ') + ']');
  }
  for (const b of document.querySelectorAll('zerto-billing-banner')) {
    const sr = b.shadowRoot;
    if (!sr) continue;
    const texts = [...sr.querySelectorAll('[part=message]')];
    if (texts.length === 0) texts.push(...sr.querySelectorAll('[part=title], [part=chip]'));
    for (const t of texts) {
      const r = t.getBoundingClientRect();
      const label = 'banner ' + (t.getAttribute('part') || t.className);
      if (r.width === 0 || r.height === 0)
        problems.push(label + ' has no size (' + Math.round(r.width) + 'x' + Math.round(r.height) + ')');
      else if (t.scrollWidth > t.clientWidth + 1)
        problems.push(label + ' is cut: scrollWidth ' + t.scrollWidth + ' > clientWidth ' + t.clientWidth);
    }
  }
  return problems;
})()`;

async function settle(frame: Frame): Promise<void> {
  await frame.waitForFunction(BANNERS_SETTLED, { timeout: 10_000, polling: 100 }).catch(() => {});
}

/** Layout problems of the page and of every frame in it (other origins included). */
async function layoutProblems(page: Page): Promise<string[]> {
  const problems: string[] = [];
  for (const frame of page.frames()) {
    await settle(frame);
    const found = (await frame.evaluate(LAYOUT_PROBLEMS)) as string[];
    const name = frame === page.mainFrame() ? 'page' : `frame ${new URL(frame.url()).pathname}`;
    problems.push(...found.map((p) => `${name}: ${p}`));
  }
  return problems;
}

/** A box that sticks out of another (rounded to whole pixels), said as text for the assertion message. */
const OUTSIDE = `((inner, outer) => {
  const a = inner.getBoundingClientRect();
  const b = outer.getBoundingClientRect();
  const out = [];
  if (Math.round(a.left) < Math.floor(b.left)) out.push('left ' + a.left + ' < ' + b.left);
  if (Math.round(a.right) > Math.ceil(b.right)) out.push('right ' + a.right + ' > ' + b.right);
  if (Math.round(a.top) < Math.floor(b.top)) out.push('top ' + a.top + ' < ' + b.top);
  if (Math.round(a.bottom) > Math.ceil(b.bottom)) out.push('bottom ' + a.bottom + ' > ' + b.bottom);
  return out.join(', ');
})`;

describe('the demo layout', () => {
  for (const [label, viewport] of [
    ['390 px (phone)', PHONE],
    ['1280 px (desktop)', DESKTOP],
  ] as const) {
    for (const story of stories) {
      test(`at ${label}, "${story.title}" does not scroll sideways and shows its banner text whole`, async () => {
        const page = await open(story.id, viewport);
        try {
          assert.deepEqual(await layoutProblems(page), []);
        } finally {
          await page.close();
        }
      });
    }
  }

  // <zerto-billing-sites> on a phone: its table keeps a readable width and scrolls sideways inside its own
  // frame (the site's name stays in view), rather than cutting names, phases and dates to an ellipsis.
  test('at 390 px, the sites overview shows its cells whole', async () => {
    const page = await open('sites-50', PHONE);
    try {
      await page.waitForFunction(
        `document.querySelector('zerto-billing-sites')?.shadowRoot?.querySelector('[part~="row"] [role="cell"]')`,
      );
      const cut = (await page.evaluate(`[...document.querySelector('zerto-billing-sites').shadowRoot
          .querySelectorAll('[part~="row"] [role="cell"]')].filter((td) => td.scrollWidth > td.clientWidth + 1)
          .map((td) => td.className + ': ' + td.textContent.trim().slice(0, 40))`)) as string[];
      assert.deepEqual(cut, [], `cells of the sites table are cut: ${cut.slice(0, 5).join(' | ')}`);
    } finally {
      await page.close();
    }
  });

  test('on a phone the sidebar is a menu: a button with aria-expanded, usable from the keyboard', async () => {
    const page = await open('ok', PHONE);
    try {
      const menu = await page.waitForSelector('#menu-button', { visible: true });
      assert.ok(menu);
      const navShown = () =>
        page.evaluate(`(() => {
          const r = document.getElementById('sidebar').getBoundingClientRect();
          return getComputedStyle(document.getElementById('sidebar')).visibility !== 'hidden' &&
            r.width > 0 && r.right > 0 && r.left < innerWidth;
        })()`);
      const expanded = () => page.$eval('#menu-button', (b) => b.getAttribute('aria-expanded'));
      assert.equal(await expanded(), 'false');
      assert.equal(await navShown(), false, 'the sidebar is hidden until the menu opens');
      assert.equal(
        await page.$eval('#menu-button', (b) => b.getAttribute('aria-controls')),
        'sidebar',
        'the button names the sidebar it opens',
      );
      // Keyboard: focus the button, press Enter, the menu opens and the search field has focus.
      await page.focus('#menu-button');
      await page.keyboard.press('Enter');
      assert.equal(await expanded(), 'true');
      assert.equal(await navShown(), true, 'the sidebar is shown once the menu opens');
      assert.equal(await page.evaluate('document.activeElement.id'), 'story-search');
      assert.deepEqual(await layoutProblems(page), [], 'the open menu does not scroll sideways');
      // Escape closes it and gives focus back to the button.
      await page.keyboard.press('Escape');
      assert.equal(await expanded(), 'false');
      assert.equal(await navShown(), false);
      assert.equal(await page.evaluate('document.activeElement.id'), 'menu-button');
      // Choosing a story closes the menu and shows the story.
      await page.keyboard.press('Enter');
      await page.keyboard.type('three days');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#canvas[data-rendered="three-days-left"]', { timeout: 20_000 });
      assert.equal(await expanded(), 'false');
    } finally {
      await page.close();
    }
  });

  test('on a desktop the sidebar is always shown and there is no menu button', async () => {
    const page = await open('ok', DESKTOP);
    try {
      assert.equal(await page.$eval('#menu-button', (b) => getComputedStyle(b).display), 'none');
      const box = await (await page.$('#sidebar'))!.boundingBox();
      assert.ok(box && box.width >= 200, `sidebar ${JSON.stringify(box)}`);
    } finally {
      await page.close();
    }
  });

  for (const [label, viewport] of [
    ['390 px', PHONE],
    ['1280 px', DESKTOP],
  ] as const) {
    test(`at ${label}, the usage test dialog fits the viewport and the event log's lines wrap, none cut`, async () => {
      const page = await open('test-wrong-shape', viewport);
      try {
        await page.waitForFunction(
          `document.querySelector('zerto-usage-test')?.shadowRoot?.querySelector('[part=button]')`,
        );
        await page.evaluate(
          `document.querySelector('zerto-usage-test').shadowRoot.querySelector('[part=button]').click()`,
        );
        await page.waitForFunction(
          `document.querySelector('zerto-usage-test').shadowRoot.querySelector('[part=failure]')`,
          { timeout: 10_000 },
        );
        const dialogOut = await page.evaluate(
          `${OUTSIDE}(document.querySelector('zerto-usage-test').shadowRoot.querySelector('dialog'), document.documentElement)`,
        );
        assert.equal(dialogOut, '', 'the dialog sticks out of the viewport');
        const dialogScroll = await page.evaluate(`(() => {
          const d = document.querySelector('zerto-usage-test').shadowRoot.querySelector('dialog');
          return [d.scrollWidth, d.clientWidth];
        })()`);
        const [sw, cw] = dialogScroll as [number, number];
        assert.ok(sw <= cw + 1, `the dialog scrolls sideways: ${sw} > ${cw}`);
        await page.evaluate(
          `document.querySelector('zerto-usage-test').shadowRoot.querySelector('[part=close-button]').click()`,
        );
        // The test's result is in the log: a long line, which wraps inside its panel.
        await page.waitForFunction(`document.querySelector('#log li')`, { timeout: 10_000 });
        const log = (await page.evaluate(`(() => {
          const log = document.getElementById('log');
          const panel = log.closest('section');
          const lines = [...log.querySelectorAll('li')];
          return {
            logScrolls: log.scrollWidth > log.clientWidth + 1,
            cut: lines.filter((l) => l.scrollWidth > l.clientWidth + 1).map((l) => l.textContent),
            outside: lines.map((l) => ${OUTSIDE}(l, panel)).filter(Boolean),
            multiline: lines.some((l) => l.getBoundingClientRect().height > 30),
          };
        })()`)) as { logScrolls: boolean; cut: string[]; outside: string[]; multiline: boolean };
        assert.deepEqual(log.cut, [], 'log lines cut');
        assert.deepEqual(log.outside, [], 'log lines outside their panel');
        assert.equal(log.logScrolls, false, 'the log scrolls sideways');
        assert.equal(log.multiline, true, 'a long log line wraps');
        assert.deepEqual(await layoutProblems(page), []);
      } finally {
        await page.close();
      }
    });

    test(`at ${label}, every control's input fits its panel`, async () => {
      for (const id of ['three-days-left', 'test-passing', 'sites-50']) {
        const page = await open(id, viewport);
        try {
          const outside = (await page.evaluate(`(() => {
            const panel = document.getElementById('controls').closest('section');
            const inputs = [...document.querySelectorAll('#controls input, #controls select, #controls label')];
            return { count: inputs.length, out: inputs.map((i) => {
              const o = ${OUTSIDE}(i, panel);
              return o ? (i.name || i.localName) + ': ' + o : '';
            }).filter(Boolean) };
          })()`)) as { count: number; out: string[] };
          assert.ok(outside.count > 0, `${id}: the controls panel has inputs`);
          assert.deepEqual(outside.out, [], `${id}: inputs outside the controls panel`);
        } finally {
          await page.close();
        }
      }
    });
  }

  test('the dark theme switch covers the whole shell, not only the canvas', async () => {
    const page = await open('three-days-left', DESKTOP);
    try {
      const SHELL_COLOURS = `(() => ['body', '.top', '#sidebar', 'main', '#canvas', '.panels section', '#story-search']
        .map((s) => {
          // What shows behind the element: its own background, or the nearest ancestor's.
          for (let el = document.querySelector(s); el; el = el.parentElement) {
            const c = getComputedStyle(el).backgroundColor.match(/[\\d.]+/g).map(Number);
            if (c[3] === 0) continue;
            const light = (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255;
            return [s, light < 0.35 ? 'dark' : 'light'];
          }
          return [s, 'light'];
        }))()`;
      const before = (await page.evaluate(SHELL_COLOURS)) as Array<[string, string]>;
      assert.deepEqual(
        before.filter(([s, c]) => s !== '.top' && c !== 'light'),
        [],
        'light before the switch',
      );
      const toggle = await page.$('#theme-toggle');
      assert.ok(toggle);
      assert.equal(await page.$eval('#theme-toggle', (b) => b.getAttribute('aria-pressed')), 'false');
      await toggle.click();
      assert.equal(await page.$eval('#theme-toggle', (b) => b.getAttribute('aria-pressed')), 'true');
      const after = (await page.evaluate(SHELL_COLOURS)) as Array<[string, string]>;
      assert.deepEqual(
        after.filter(([, c]) => c !== 'dark'),
        [],
        'every part of the shell is dark',
      );
      // The element follows: its theme attribute is set, and the controls say so.
      assert.equal(await page.$eval('zerto-billing-banner', (b) => b.getAttribute('theme')), 'dark');
      // It is remembered for the next story.
      await page.goto(`${demo.url}#story=last-day`);
      await page.waitForSelector('#canvas[data-rendered="last-day"]');
      const next = (await page.evaluate(SHELL_COLOURS)) as Array<[string, string]>;
      assert.deepEqual(
        next.filter(([, c]) => c !== 'dark'),
        [],
      );
      assert.equal(await page.$eval('zerto-billing-banner', (b) => b.getAttribute('theme')), 'dark');
      await page.click('#theme-toggle');
      await page.evaluate(`localStorage.clear()`);
      // The dark theme story darkens the whole shell while it is shown, and only then.
      await page.goto(`${demo.url}#story=dark`);
      await page.waitForSelector('#canvas[data-rendered="dark"]');
      const inDark = (await page.evaluate(SHELL_COLOURS)) as Array<[string, string]>;
      assert.deepEqual(
        inDark.filter(([, c]) => c !== 'dark'),
        [],
        'the dark story darkens the shell',
      );
      await page.goto(`${demo.url}#story=ok`);
      await page.waitForSelector('#canvas[data-rendered="ok"]');
      const afterDark = (await page.evaluate(SHELL_COLOURS)) as Array<[string, string]>;
      assert.deepEqual(
        afterDark.filter(([s, c]) => s !== '.top' && c !== 'light'),
        [],
        'the next story is light again',
      );
    } finally {
      await page.close();
    }
  });

  test('the Docs tab of each element lists what custom-elements.json declares', async () => {
    const manifest = readManifest();
    assert.ok(manifest, 'custom-elements.json');
    const docs = elementDocs(manifest);
    assert.deepEqual(
      docs.map((d) => d.tagName).sort(),
      [
        'zerto-billing-alerts',
        'zerto-billing-banner',
        'zerto-billing-sites',
        'zerto-usage-export',
        'zerto-usage-test',
      ],
      'every element of the library has its docs',
    );
    const byStory: Record<string, string> = {
      'three-days-left': 'zerto-billing-banner',
      'test-passing': 'zerto-usage-test',
      'sites-50': 'zerto-billing-sites',
      alerts: 'zerto-billing-alerts',
    };
    for (const [id, tag] of Object.entries(byStory)) {
      const page = await open(id, PHONE);
      try {
        await page.click('#tab-docs');
        assert.equal(await page.$eval('#tab-docs', (t) => t.getAttribute('aria-selected')), 'true');
        const text = (await page.$eval('#docs', (d) => (d as HTMLElement).innerText)) as string;
        const doc = docs.find((d) => d.tagName === tag)!;
        assert.match(text, new RegExp(`<${tag}>`));
        for (const a of doc.attributes) assert.ok(text.includes(a.name), `${tag}: attribute ${a.name}`);
        for (const p of doc.properties) assert.ok(text.includes(p.name), `${tag}: property ${p.name}`);
        for (const e of doc.events) assert.ok(text.includes(e.name), `${tag}: event ${e.name}`);
        for (const p of doc.cssParts) assert.ok(text.includes(p.name), `${tag}: part ${p.name}`);
        for (const p of doc.cssProperties)
          assert.ok(text.includes(p.name), `${tag}: custom property ${p.name}`);
        assert.ok(doc.attributes.length > 0 && doc.cssParts.length > 0, `${tag}: the manifest was read`);
        const [sw, cw] = (await page.evaluate(
          '[document.documentElement.scrollWidth, document.documentElement.clientWidth]',
        )) as [number, number];
        assert.ok(sw <= cw, `${tag}: the docs scroll sideways on a phone: ${sw} > ${cw}`);
        // Back to the story, from the keyboard: arrow keys move between tabs.
        await page.focus('#tab-docs');
        await page.keyboard.press('ArrowLeft');
        assert.equal(await page.$eval('#tab-story', (t) => t.getAttribute('aria-selected')), 'true');
        assert.equal(await page.evaluate('document.activeElement.id'), 'tab-story');
      } finally {
        await page.close();
      }
    }
  });

  test("the HTML snippet is the README's embedding, with the file names the build produces", async () => {
    const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
    const block = embedSnippet(readme);
    const page = await open('three-days-left', DESKTOP);
    try {
      const shown = (await page.$eval('#snippet', (s) => s.textContent)) as string;
      assert.doesNotMatch(shown, /unpkg\.example/);
      if (block === null) {
        assert.match(shown, /README\.md has no embed-snippet block/);
      } else {
        assert.ok(shown.includes(block.code.trim()), `the README's block is shown: ${shown}`);
        // The script files it loads are those the build writes to dist/lib (scripts/build.ts).
        const sources = [...shown.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]!);
        assert.ok(sources.length > 0, 'the snippet loads the library');
        for (const src of sources)
          assert.ok(BUILT_SCRIPTS.includes(src.split('/').pop()!), `${src} is a file of dist/lib`);
        const note = (await page.$eval('#snippet-source', (s) => s.textContent)) as string;
        assert.match(note, /dist\/lib/);
      }
    } finally {
      await page.close();
    }
  });

  test('the sidebar search filters stories by name and opens one from the keyboard', async () => {
    const page = await open('ok', DESKTOP);
    try {
      const visible = () =>
        page.$$eval('#stories a', (as) =>
          as.filter((a) => (a as HTMLElement).offsetParent !== null).map((a) => a.textContent),
        );
      const all = await visible();
      assert.equal(all.length, stories.length);
      await page.focus('#story-search');
      await page.keyboard.type('test failing');
      const filtered = await visible();
      assert.deepEqual(
        filtered,
        stories.filter((s) => /test failing/i.test(s.title)).map((s) => s.title),
      );
      const status = (await page.$eval('#search-status', (s) => s.textContent)) as string;
      assert.match(status, new RegExp(`${filtered.length} of ${stories.length}`));
      // Down arrow moves into the list; Enter opens the story.
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      assert.equal(await page.evaluate('document.activeElement.textContent'), filtered[1]);
      await page.keyboard.press('Enter');
      const id = stories.find((s) => s.title === filtered[1])!.id;
      await page.waitForSelector(`#canvas[data-rendered="${id}"]`, { timeout: 20_000 });
      // Nothing found is said, and Escape clears the search.
      await page.focus('#story-search');
      await page.keyboard.type('zzz-no-such-story');
      assert.deepEqual(await visible(), []);
      assert.match((await page.$eval('#search-status', (s) => s.textContent)) as string, /No story matches/);
      await page.keyboard.press('Escape');
      assert.equal((await visible()).length, stories.length);
    } finally {
      await page.close();
    }
  });
});
