// The demo at every width, and every control of it, in real headless Chromium against the real servers
// `npm start` runs: Monitoring > Alerts shows each cell whole at 390 and 1280 px (scrolling inside its own
// frame where it is narrower than its table), the framed consoles are as tall as their pages, each control
// changes what it names, a right-to-left page keeps each sentence's full stop at its end, the dark theme keeps
// text at 4.5:1 and the strip's marks at 3:1, the HTML panel names the ports the demo really uses, the usage
// test stories say to click, the live story starts over, and Lit runs in production mode.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, ElementHandle, Frame, Page } from 'puppeteer-core';
import { elementDocs, type ElementDoc } from '../../demo/manifest.ts';
import { stories } from '../../demo/stories.ts';
import { readManifest, type Demo } from '../../scripts/demo-server.ts';
import { startDemoBrowser, type DemoBrowser } from '../support/demo-browser.ts';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

let demo: Demo;
let browser: Browser;
let running: DemoBrowser | undefined;
let docs: ElementDoc[] = [];

before(async () => {
  running = await startDemoBrowser('zbb-demo-controls-');
  ({ demo, browser } = running);
  const manifest = readManifest();
  assert.ok(manifest, 'custom-elements.json');
  docs = elementDocs(manifest);
});
after(() => running?.stop());

/** Every console message of the page and its frames, as "type: text". */
const consoleOf = new WeakMap<Page, string[]>();

async function open(id: string, viewport: { width: number; height: number }, theme?: 'dark'): Promise<Page> {
  const page = await browser.newPage();
  const messages: string[] = [];
  consoleOf.set(page, messages);
  page.on('console', (m) => messages.push(`${m.type()}: ${m.text()}`));
  await page.setViewport(viewport);
  if (theme) await page.evaluateOnNewDocument(`localStorage.setItem('zbb-demo-theme', '${theme}')`);
  await page.goto(`${demo.url}#story=${id}`, { waitUntil: 'load', timeout: 20_000 });
  await page.waitForSelector(`#canvas[data-rendered="${id}"]`, { timeout: 20_000 });
  return page;
}

/*
 * The probes below are page source (strings): functions compiled here would carry tsx's helpers, which the
 * page does not have.
 */

/**
 * What is wrong with each <zerto-billing-alerts> of the page: a cell whose text is cut, a cell that cannot be
 * reached (outside its frame, or past a frame that does not scroll), an element wider than what holds it, a
 * description squeezed to a word a line. Returns the number of cells looked at with the problems.
 */
const ALERT_CELLS = `(() => {
  const problems = [];
  let cells = 0;
  for (const el of document.querySelectorAll('zerto-billing-alerts')) {
    const sr = el.shadowRoot;
    const frame = sr.querySelector('[part=scroll]');
    const all = [...sr.querySelectorAll('th, td')];
    cells += all.length;
    if (all.length === 0) continue;
    if (!frame) { problems.push('the table has no frame of its own'); continue; }
    const host = el.getBoundingClientRect();
    const holder = el.parentElement.getBoundingClientRect();
    if (Math.round(host.right) > Math.ceil(holder.right) || Math.round(host.left) < Math.floor(holder.left))
      problems.push('the element is wider than what holds it: ' + host.width + ' in ' + holder.width);
    const box = frame.getBoundingClientRect();
    if (Math.round(box.right) > Math.ceil(host.right)) problems.push('the frame sticks out of the element');
    const scrolls = frame.scrollWidth > frame.clientWidth + 1;
    if (scrolls && !['auto', 'scroll'].includes(getComputedStyle(frame).overflowX))
      problems.push('the table is wider than its frame, which does not scroll');
    for (const cell of all) {
      const text = cell.textContent.trim().replace(/\\s+/g, ' ').slice(0, 30);
      if (cell.scrollWidth > cell.clientWidth + 1)
        problems.push('cut: "' + text + '" (' + cell.scrollWidth + ' > ' + cell.clientWidth + ')');
      // Reachable: within the frame's scrollable width.
      const r = cell.getBoundingClientRect();
      const right = r.right - box.left + frame.scrollLeft;
      if (Math.round(right) > frame.scrollWidth + 1) problems.push('out of reach: "' + text + '"');
    }
    for (const d of sr.querySelectorAll('tbody td:nth-child(3)'))
      if (d.clientWidth < 150) problems.push('description squeezed to ' + d.clientWidth + ' px');
  }
  return { cells, problems };
})()`;

async function alertCells(page: Page): Promise<{ cells: number; problems: string[] }> {
  await page.waitForFunction(
    `[...document.querySelectorAll('zerto-billing-alerts')].some((a) => a.shadowRoot?.querySelector('td'))`,
    { timeout: 20_000 },
  );
  return (await page.evaluate(ALERT_CELLS)) as { cells: number; problems: string[] };
}

/** Presses one of the live story's buttons by its text and waits for it to be done. */
async function press(page: Page, label: string): Promise<void> {
  const button = (await page.waitForSelector(`::-p-text(${label})`)) as ElementHandle<HTMLButtonElement>;
  await button.click();
  await page.waitForFunction((b) => !b.disabled, { timeout: 30_000 }, button);
}

describe('Monitoring > Alerts at every width', () => {
  for (const [label, viewport] of [
    ['390 px', PHONE],
    ['1280 px', DESKTOP],
  ] as const) {
    test(`at ${label}, the alerts story shows every cell whole, within reach`, async () => {
      const page = await open('alerts', viewport);
      try {
        const { cells, problems } = await alertCells(page);
        assert.ok(cells >= 10, `the table's cells were looked at (${cells})`);
        assert.deepEqual(problems, []);
      } finally {
        await page.close();
      }
    });
  }

  test('at 1280 px, in a panel as narrow as the live story gave it (435 px), every cell is whole, within reach', async () => {
    const page = await open('alerts', DESKTOP);
    try {
      await page.$eval('#canvas zerto-billing-alerts', (el) => ((el as HTMLElement).style.width = '435px'));
      const { cells, problems } = await alertCells(page);
      assert.ok(cells >= 10, `the table's cells were looked at (${cells})`);
      assert.deepEqual(problems, []);
      assert.ok(
        (await page.$eval('#canvas zerto-billing-alerts', (el) => {
          const f = el.shadowRoot!.querySelector('[part=scroll]')!;
          return f.scrollWidth > f.clientWidth;
        })) as boolean,
        'the table scrolls inside its frame there',
      );
    } finally {
      await page.close();
    }
  });

  test('in the live story, Monitoring > Alerts takes the whole row at 1280 px, and fits its panel at 390 px', async () => {
    const page = await open('live', DESKTOP);
    try {
      const fit = () =>
        page.$eval('#canvas zerto-billing-alerts', (el) => {
          const section = el.closest('section')!.getBoundingClientRect();
          const grid = el.closest('.live')!.getBoundingClientRect();
          const own = el.getBoundingClientRect();
          return { section: section.width, grid: grid.width, inside: own.right <= section.right + 1 };
        });
      const wide = await fit();
      assert.ok(Math.abs(wide.section - wide.grid) <= 1, `the whole row: ${JSON.stringify(wide)}`);
      assert.ok(wide.inside, 'the element within its panel');
      await page.setViewport(PHONE);
      assert.ok((await fit()).inside, 'the element within its panel at 390 px');
    } finally {
      await page.close();
    }
  });
});

describe('the framed consoles', () => {
  for (const id of ['strict-csp', 'zvm-cors']) {
    for (const [label, viewport] of [
      ['390 px', PHONE],
      ['1280 px', DESKTOP],
    ] as const) {
      test(`at ${label}, "${id}" frames its console at the console's own height`, async () => {
        const page = await open(id, viewport);
        try {
          const frame = page.frames().find((f) => f !== page.mainFrame());
          assert.ok(frame, 'the story has a frame');
          await frame.waitForFunction(
            `document.querySelector('zerto-billing-banner')?.shadowRoot?.querySelector('[part=title], [part=message]')`,
            { timeout: 20_000 },
          );
          const contentHeight = () =>
            frame.evaluate('document.documentElement.getBoundingClientRect().height');
          const frameHeight = () => page.$eval('#canvas iframe', (f) => f.clientHeight);
          // The frame follows its page's height (which settles as the banner renders): equal, never less.
          let last = '';
          for (let i = 0; i < 50; i++) {
            const [c, f] = [(await contentHeight()) as number, await frameHeight()];
            last = `page ${c} px, frame ${f} px`;
            if (Math.abs(Math.ceil(c) - f) <= 1) break;
            await new Promise((r) => setTimeout(r, 100));
          }
          const [c, f] = [(await contentHeight()) as number, await frameHeight()];
          assert.ok(f >= Math.ceil(c) - 1, `the frame shows its whole page (${last})`);
          assert.ok(f <= Math.ceil(c) + 1, `and is no taller (${last})`);
        } finally {
          await page.close();
        }
      });
    }
  }
});

/** A value each text control can take, which its element accepts. */
const TEXT_VALUES: Record<string, string> = {
  'site-id': 'rtm-zvm-02',
  'site-name': 'Rotterdam DR',
  'billing-url': 'https://billing.example',
  'zvm-url': 'https://zvm.example:9669',
  'service-url': 'https://fleet.example',
  'protected-vms': '17',
  interval: '2h',
  'alert-after': '36h',
  'grace-days': '10',
  timeout: '4s',
};

/** The element a story binds its controls to (the canvas' element of that tag). */
const EL = (tag: string) => `document.querySelector('#canvas ${tag}')`;

describe('every control changes what it names', () => {
  const byStory: Array<[string, string]> = [
    ['three-days-left', 'zerto-billing-banner'],
    ['test-passing', 'zerto-usage-test'],
    ['alerts', 'zerto-billing-alerts'],
    ['sites-50', 'zerto-billing-sites'],
  ];
  for (const [id, tag] of byStory) {
    test(`each control of <${tag}> sets its attribute, its property and the HTML panel`, async () => {
      const doc = docs.find((d) => d.tagName === tag);
      assert.ok(doc, `${tag} in the manifest`);
      const page = await open(id, DESKTOP);
      try {
        const controls = (await page.$$eval('#controls [name]', (cs) =>
          cs.map((c) => ({ name: c.getAttribute('name')!, kind: (c as HTMLInputElement).type })),
        )) as Array<{ name: string; kind: string }>;
        assert.deepEqual(
          controls.map((c) => c.name).sort(),
          doc.attributes.map((a) => a.name).sort(),
          'one control per attribute',
        );
        for (const { name, kind } of controls) {
          const field: string | undefined = doc.attributes.find((a) => a.name === name)?.fieldName;
          let expected: string | null;
          if (kind === 'checkbox') {
            const box = (): Promise<boolean> =>
              page.$eval(`#control-${name}`, (c) => (c as HTMLInputElement).checked) as Promise<boolean>;
            const before = await box();
            await page.click(`#control-${name}`);
            assert.notEqual(await box(), before, `${name}: the box changes`);
            // What the box says now is what the element must show (read after the click: the story may have
            // been drawn again by the control before it, and the element with it).
            const checked = (await page.$eval(
              `#control-${name}`,
              (c) => (c as HTMLInputElement).checked,
            )) as boolean;
            expected = checked ? '' : null;
          } else if (kind.startsWith('select')) {
            const options = (await page.$$eval(`#control-${name} option`, (os) =>
              os.map((o) => (o as HTMLOptionElement).value),
            )) as string[];
            const now = (await page.$eval(
              `#control-${name}`,
              (s) => (s as HTMLSelectElement).value,
            )) as string;
            expected = options.find((o) => o !== now)!;
            await page.select(`#control-${name}`, expected);
          } else {
            expected = TEXT_VALUES[name] ?? 'x';
            // Set as a person's edit ends (a change event), without focus moving: typing here would leave a
            // change for the next control's focus to fire again.
            await page.$eval(
              `#control-${name}`,
              (i, v) => {
                (i as HTMLInputElement).value = v;
                i.dispatchEvent(new Event('change', { bubbles: true }));
              },
              expected,
            );
            // site-id and site-name tell the story again for that site.
            await page.waitForSelector(`#canvas[data-rendered="${id}"]`);
          }
          await page
            .waitForFunction(`${EL(tag)}?.getAttribute('${name}') === ${JSON.stringify(expected)}`, {
              timeout: 10_000,
            })
            .catch(() => {});
          const attr = (await page.evaluate(`${EL(tag)}.getAttribute('${name}')`)) as string | null;
          assert.equal(attr, expected, `${name}: the attribute`);
          if (field) {
            const prop: unknown = await page.evaluate(`${EL(tag)}[${JSON.stringify(field)}]`);
            const want = kind === 'checkbox' ? expected !== null : expected;
            assert.equal(prop, want, `${name}: the property ${field}`);
          }
          const snippet = (await page.$eval('#element-snippet', (s) => s.textContent)) as string;
          if (expected === null)
            assert.ok(!snippet.includes(` ${name}`), `${name}: gone from the HTML panel`);
          else
            assert.ok(
              snippet.includes(expected === '' ? ` ${name}` : `${name}="${expected}"`),
              `${name}: in the HTML panel (${snippet})`,
            );
        }
      } finally {
        await page.close();
      }
    });
  }

  test('site-name and site-id: the banner names the new site, in its text and its state', async () => {
    const page = await open('three-days-left', DESKTOP);
    const text = () =>
      page.evaluate(
        `${EL('zerto-billing-banner')}.shadowRoot.textContent.replace(/\\s+/g, ' ')`,
      ) as Promise<string>;
    try {
      await page.waitForFunction(`${EL('zerto-billing-banner')}.shadowRoot.querySelector('[part=message]')`);
      assert.match(await text(), /Amsterdam DR/);
      for (const [name, value] of [
        ['site-name', 'Rotterdam DR'],
        ['site-id', 'rtm-zvm-02'],
      ] as const) {
        await page.$eval(
          `#control-${name}`,
          (i, v) => {
            (i as HTMLInputElement).value = v;
            i.dispatchEvent(new Event('change', { bubbles: true }));
          },
          value,
        );
        await page.waitForFunction(
          `${EL('zerto-billing-banner')}?.view?.site.${name === 'site-name' ? 'name' : 'id'} === '${value}'`,
          { timeout: 10_000 },
        );
      }
      await page.waitForFunction(`${EL('zerto-billing-banner')}.shadowRoot.querySelector('[part=message]')`);
      const shown = await text();
      assert.match(shown, /Rotterdam DR/);
      assert.doesNotMatch(shown, /Amsterdam DR/);
      // Still the story it was: day 12 of the grace period.
      assert.equal(await page.evaluate(`${EL('zerto-billing-banner')}.view.daysLeft`), 3);
    } finally {
      await page.close();
    }
  });

  test('show-ok, theme and mode: the banner shows the chip, turns dark, says what its settings lack', async () => {
    const page = await open('ok', DESKTOP);
    const banner = EL('zerto-billing-banner');
    try {
      await page.waitForFunction(`${banner}.shadowRoot.querySelector('[part=chip]')`);
      await page.click('#control-show-ok');
      await page.waitForFunction(`!${banner}.shadowRoot.querySelector('[part=chip]')`);
      await page.click('#control-show-ok');
      await page.waitForFunction(`${banner}.shadowRoot.querySelector('[part=chip]')`);
      const colour = () =>
        page.evaluate(`getComputedStyle(${banner}.shadowRoot.querySelector('[part=chip]')).color`);
      const light = await colour();
      await page.select('#control-theme', 'dark');
      assert.notEqual(await colour(), light, 'the chip takes the dark theme');
      await page.$eval('#control-mode', (i) => {
        (i as HTMLInputElement).value = 'zvm';
        i.dispatchEvent(new Event('change', { bubbles: true }));
      });
      await page.waitForFunction(`${banner}.shadowRoot.querySelector('[part=config-error]')`);
      assert.match(
        (await page.evaluate(
          `${banner}.shadowRoot.querySelector('[part=config-error]').textContent`,
        )) as string,
        /zvm-url/,
      );
    } finally {
      await page.close();
    }
  });

  test('the theme switch says which way it is', async () => {
    const page = await open('ok', DESKTOP);
    try {
      const state = () =>
        page.$eval('#theme-toggle', (b) => [b.textContent!.trim(), b.getAttribute('aria-pressed')]);
      assert.deepEqual(await state(), ['Dark mode: off', 'false']);
      await page.click('#theme-toggle');
      assert.deepEqual(await state(), ['Dark mode: on', 'true']);
      await page.click('#theme-toggle');
      assert.deepEqual(await state(), ['Dark mode: off', 'false']);
    } finally {
      await page.close();
    }
  });
});

describe('right to left, dark, and what the panels say', () => {
  test('in the right-to-left story, each sentence ends with its full stop, not starts with it', async () => {
    const page = await open('rtl', PHONE);
    try {
      await page.waitForFunction(`${EL('zerto-billing-banner')}.shadowRoot.querySelector('[part=message]')`);
      const misplaced = (await page.evaluate(`(() => {
        const out = [];
        const sr = document.querySelector('#canvas zerto-billing-banner').shadowRoot;
        for (const p of sr.querySelectorAll('.message, .deadline, .note, .title')) {
          // Every character of the sentence, with its text node: its full stop must be after (to the right of)
          // the letter before it in this English text, on the same line.
          const chars = [];
          const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
          for (let n = walker.nextNode(); n; n = walker.nextNode())
            for (let i = 0; i < n.data.length; i++) if (n.data[i].trim()) chars.push([n, i]);
          const [n, i] = chars[chars.length - 1] ?? [];
          if (chars.length < 2 || n.data[i] !== '.') continue;
          const box = ([n, i]) => { const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + 1); return r.getBoundingClientRect(); };
          const stop = box(chars[chars.length - 1]);
          const before = box(chars[chars.length - 2]);
          if (stop.left < before.left || Math.abs(stop.top - before.top) > 2)
            out.push(p.className + ': "' + p.textContent.trim().slice(-20) + '" stop at ' + Math.round(stop.left) + ', letter at ' + Math.round(before.left));
        }
        return out;
      })()`)) as string[];
      assert.deepEqual(misplaced, []);
    } finally {
      await page.close();
    }
  });

  /**
   * Each visible text of the document (shadow roots included) whose contrast with what is behind it is under
   * `min`, and, for the sites overview's strip and legend, each day mark under 3:1 on its day. Colours are
   * composed as painted: a translucent background over what is under it.
   */
  const CONTRAST = `(() => {
    const rgba = (c) => {
      let m = /^rgba?\\(([^)]+)\\)$/.exec(c);
      if (m) { const v = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number); return [v[0] / 255, v[1] / 255, v[2] / 255, v[3] ?? 1]; }
      m = /^color\\(srgb ([^)]+)\\)$/.exec(c);
      if (m) { const v = m[1].split(/[\\s\\/]+/).filter(Boolean).map(Number); return [v[0], v[1], v[2], v[3] ?? 1]; }
      return null;
    };
    const over = (top, base) => [0, 1, 2].map((i) => top[i] * top[3] + base[i] * (1 - top[3])).concat(1);
    const parentOf = (el) => el.parentElement ?? (el.parentNode instanceof ShadowRoot ? el.parentNode.host : null);
    const background = (el) => {
      const layers = [];
      for (let e = el; e; e = parentOf(e)) {
        const c = rgba(getComputedStyle(e).backgroundColor);
        if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
      }
      let base = [1, 1, 1, 1];
      for (const l of layers.reverse()) base = over(l, base);
      return base;
    };
    const lum = (c) => { const f = (x) => (x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4); return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
    const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
    const low = [];
    let texts = 0, marks = 0;
    const visit = (root) => {
      for (const el of root.querySelectorAll('*')) {
        if (el.shadowRoot) visit(el.shadowRoot);
        const text = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.data).join('').trim();
        if (!text || !el.checkVisibility({ visibilityProperty: true })) continue;
        if (el.closest('.visually-hidden, [disabled], option')) continue;
        const r = el.getBoundingClientRect();
        if (r.width < 2 || r.height < 2) continue;
        const bg = background(el);
        const cr = ratio(over(rgba(getComputedStyle(el).color) ?? [0, 0, 0, 1], bg), bg);
        const mark = el.classList.contains('day');
        if (mark) marks++; else texts++;
        if (cr < (mark ? 3 : 4.5)) low.push((mark ? 'mark ' : '') + el.localName + '.' + el.className + ' "' + text.slice(0, 30) + '" ' + cr.toFixed(2) + ':1');
      }
    };
    visit(document);
    return { texts, marks, low };
  })()`;

  for (const id of ['sites-50', 'alerts', 'three-days-left', 'recovered', 'test-passing']) {
    test(`in the dark theme, "${id}" keeps text at 4.5:1 and the strip's marks at 3:1`, async () => {
      const page = await open(id, DESKTOP, 'dark');
      try {
        assert.equal(await page.evaluate(`document.documentElement.dataset.theme`), 'dark');
        await page.waitForFunction(
          `[...document.querySelectorAll('#canvas *')].some((e) => e.shadowRoot?.textContent.trim())`,
        );
        await new Promise((r) => setTimeout(r, 300));
        const { texts, marks, low } = (await page.evaluate(CONTRAST)) as {
          texts: number;
          marks: number;
          low: string[];
        };
        assert.ok(texts > 10, `texts looked at (${texts})`);
        if (id === 'sites-50') assert.ok(marks >= 7, `the strip's marks looked at (${marks})`);
        assert.deepEqual(low, []);
      } finally {
        await page.close();
      }
    });
  }

  test("the HTML panel's embedding names the demo's own ZVM simulator, and folds the README's as written", async () => {
    const page = await open('three-days-left', DESKTOP);
    try {
      const shown = (await page.$eval('#snippet > pre', (p) => p.textContent)) as string;
      const zvm = new URL(demo.zvm.url).origin;
      assert.match(shown, new RegExp(`zvm-url="${zvm.replace(/[.]/g, '\\.')}"`), shown);
      const readmeShown = (
        await page.$$eval('#snippet details pre', (ps) => ps.map((p) => p.textContent))
      )[0];
      if (new URL(zvm).port === '5172') assert.equal(readmeShown, undefined, 'nothing to fold');
      else assert.match(readmeShown ?? '', /zvm-url="http:\/\/127\.0\.0\.1:5172"/);
      assert.match((await page.$eval('#snippet-source', (p) => p.textContent)) as string, new RegExp(zvm));
    } finally {
      await page.close();
    }
  });

  test('each usage test story says to click its button, by the label the button has', async () => {
    for (const story of stories.filter((s) => s.group === 'Usage transmission test')) {
      const page = await open(story.id, PHONE);
      try {
        await page.waitForFunction(`${EL('zerto-usage-test')}.shadowRoot?.querySelector('[part=button]')`);
        const label = (await page.evaluate(
          `${EL('zerto-usage-test')}.shadowRoot.querySelector('[part=button]').textContent.trim()`,
        )) as string;
        const hint = (await page.$eval('#canvas .story-hint', (p) => p.textContent)) as string;
        assert.ok(hint.includes(`Click “${label}”`), `${story.id}: "${hint}" names "${label}"`);
      } finally {
        await page.close();
      }
    }
  });

  test('the live story starts over: the simulator back at today, the billing link up', async () => {
    const page = await open('live', DESKTOP);
    try {
      await press(page, 'Cut the billing link');
      await press(page, '+15 days');
      assert.ok(demo.zvm.now() > Date.now() + 14 * 86_400_000, 'the simulator moved on');
      const navigated = page.waitForNavigation({ waitUntil: 'load' });
      await (await page.waitForSelector('::-p-text(Start over (today, link up))'))!.click();
      await navigated;
      await page.waitForSelector('#canvas[data-rendered="live"]', { timeout: 20_000 });
      assert.ok(Math.abs(demo.zvm.now() - Date.now()) < 60_000, 'the simulator is at today');
      const status = (await page.waitForFunction(
        `(() => { const p = document.querySelector('#canvas [role=status]'); return p && /simulator clock/.test(p.textContent) && p.textContent; })()`,
      ))!;
      const text = (await status.jsonValue()) as string;
      assert.match(text, /Billing link up/);
      const clock = Date.parse(/simulator clock (.*?) ·/.exec(text)![1]!);
      assert.ok(Math.abs(clock - Date.now()) < 60_000, `the story's clock is today's: ${text}`);
    } finally {
      await page.close();
    }
  });

  test('the demo runs Lit in production mode: no development warning, in the page or its frames', async () => {
    for (const id of ['three-days-left', 'strict-csp']) {
      const page = await open(id, DESKTOP);
      try {
        await new Promise((r) => setTimeout(r, 500));
        const dev = consoleOf.get(page)!.filter((m) => /Lit is in dev mode/.test(m));
        assert.deepEqual(dev, [], id);
        const frames: Frame[] = page.frames();
        for (const f of frames)
          assert.equal(
            await f.evaluate(`Boolean(globalThis.litIssuedWarnings?.size)`),
            false,
            `${id}: ${f.url()}: Lit issued no development warning`,
          );
      } finally {
        await page.close();
      }
    }
  });
});
