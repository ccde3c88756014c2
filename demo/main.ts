// The story page: a sidebar of stories (a menu on a phone, with a search), the canvas, controls bound to the
// element's attributes, the README's embedding, a log of the events fired, and a Docs tab per element, all
// read from custom-elements.json. Everything is rendered by Lit or set as text; nothing is parsed as HTML.
import '../components/index.ts';
import { html, nothing, render } from 'lit';
import embed from 'virtual:zbb-embed-snippet';
import { docsView } from './docs-view.ts';
import { attributeOptions, elementDocs, type ElementDoc, type Manifest } from './manifest.ts';
import { MISSING_SNIPPET, SNIPPET_START, withZvm } from './snippet.ts';
import { stories, STORY_SITE, type DemoServers, type Story } from './stories.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const canvas = $('canvas');
const controls = $<HTMLFormElement>('controls');
const log = $('log');
const menuButton = $<HTMLButtonElement>('menu-button');
const sidebar = $('sidebar');
const search = $<HTMLInputElement>('story-search');
const list = $('stories');
const themeToggle = $<HTMLButtonElement>('theme-toggle');
const tabs = { story: $<HTMLButtonElement>('tab-story'), docs: $<HTMLButtonElement>('tab-docs') };
const panels = { story: $('panel-story'), docs: $('docs') };

async function loadJson<T>(url: string): Promise<T | null> {
  try {
    const res = await fetch(url);
    return res.ok ? ((await res.json()) as T) : null;
  } catch {
    return null;
  }
}

const [manifest, servers] = await Promise.all([
  loadJson<Manifest>(new URL('./custom-elements.json', location.href).href),
  loadJson<DemoServers>('/__demo/servers'),
]);
const docs: ElementDoc[] = manifest ? elementDocs(manifest) : [];
const docOf = (el: Element | null) => (el ? docs.find((d) => d.tagName === el.localName) : undefined);
const NO_MANIFEST = 'custom-elements.json was not found: run npm run build or npm start.';

let story: Story = stories[0]!;
let element: HTMLElement | null = null;
let docsTag = '';
/**
 * The site the controls named (site-id, site-name), for this story: the stored state names its site, so a new
 * name or identifier is shown by telling the story again for that site, not by an attribute alone.
 */
let site = { ...STORY_SITE };
const SITE_ATTRIBUTES: Record<string, keyof typeof site> = { 'site-id': 'id', 'site-name': 'name' };

/* ---------- the event log ---------- */

const entries: string[] = [];
function renderLog(): void {
  render(
    entries.map((e) => html`<li>${e}</li>`),
    log,
  );
}
function logEvent(e: CustomEvent): void {
  const detail = e.detail as Record<string, unknown> | null;
  const shown =
    detail && typeof detail === 'object'
      ? Object.fromEntries(
          Object.entries(detail).filter(([k]) => k !== 'view' && k !== 'result' && k !== 'steps'),
        )
      : detail;
  entries.unshift(`${new Date().toLocaleTimeString()} ${e.type} ${JSON.stringify(shown)}`);
  renderLog();
}
for (const name of new Set(docs.flatMap((d) => d.events.map((e) => e.name))))
  canvas.addEventListener(name, (e) => logEvent(e as CustomEvent));

/* ---------- the sidebar: stories, search, and the menu it becomes on a phone ---------- */

const narrow = matchMedia('(max-width: 699px)');
const terms = () => search.value.toLowerCase().split(/\s+/).filter(Boolean);
const matches = (s: Story) => {
  const title = s.title.toLowerCase().replace(/’/g, "'");
  return terms().every((t) => title.includes(t.replace(/’/g, "'")));
};

function renderNav(): void {
  const shown = stories.filter(matches);
  const groups = [...new Set(shown.map((s) => s.group))];
  render(
    groups.map(
      (g) =>
        html`<li class="group" aria-hidden="true">${g}</li>
          ${shown
            .filter((s) => s.group === g)
            .map(
              (s) =>
                html`<li>
                  <a href="#story=${s.id}" aria-current=${s.id === story.id ? 'page' : nothing}>${s.title}</a>
                </li>`,
            )}`,
    ),
    list,
  );
  $('search-status').textContent = terms().length
    ? shown.length
      ? `${shown.length} of ${stories.length} stories`
      : `No story matches “${search.value.trim()}”.`
    : '';
}

function setMenu(open: boolean, focus: 'search' | 'button' | null = null): void {
  menuButton.setAttribute('aria-expanded', String(open));
  document.body.classList.toggle('menu-open', open);
  if (focus === 'search' && open) search.focus();
  if (focus === 'button') menuButton.focus();
}
menuButton.addEventListener('click', () =>
  setMenu(menuButton.getAttribute('aria-expanded') !== 'true', 'search'),
);
narrow.addEventListener('change', () => setMenu(false));

const links = () => [...list.querySelectorAll<HTMLAnchorElement>('a')];
search.addEventListener('input', renderNav);
search.addEventListener('keydown', (e) => {
  if (e.key === 'ArrowDown') {
    e.preventDefault();
    links()[0]?.focus();
  } else if (e.key === 'Enter') {
    e.preventDefault();
    links()[0]?.click();
  } else if (e.key === 'Escape' && search.value) {
    e.preventDefault();
    e.stopPropagation();
    search.value = '';
    renderNav();
  }
});
list.addEventListener('keydown', (e) => {
  const all = links();
  const at = all.indexOf(document.activeElement as HTMLAnchorElement);
  if (at < 0) return;
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault();
    const next = at + (e.key === 'ArrowDown' ? 1 : -1);
    (next < 0 ? search : (all[Math.min(next, all.length - 1)] ?? search)).focus();
  } else if (e.key === 'Home' || e.key === 'End') {
    e.preventDefault();
    all[e.key === 'Home' ? 0 : all.length - 1]?.focus();
  }
});
sidebar.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && narrow.matches && menuButton.getAttribute('aria-expanded') === 'true')
    setMenu(false, 'button');
});
list.addEventListener('click', (e) => {
  if ((e.target as Element).closest('a')) setMenu(false);
});

/* ---------- the theme: the whole shell, and the elements that take a theme ---------- */

const THEME_KEY = 'zbb-demo-theme';
const dark = () => document.documentElement.dataset.theme === 'dark';

/**
 * Elements in the canvas that take a theme follow the shell: dark sets theme="dark" on those showing the default
 * light theme, and light sets it back. A theme the story gave (the dark story) or picked in the controls stays.
 */
function themeElements(): void {
  for (const el of canvas.querySelectorAll<HTMLElement>('*')) {
    if (!docOf(el)?.attributes.some((a) => a.name === 'theme')) continue;
    const ours = el.hasAttribute('data-demo-theme');
    if (dark() && !ours && (el.getAttribute('theme') ?? 'light') === 'light') {
      el.setAttribute('theme', 'dark');
      el.setAttribute('data-demo-theme', '');
    } else if (!dark() && ours) {
      el.setAttribute('theme', 'light');
      el.removeAttribute('data-demo-theme');
    }
  }
}
function setTheme(theme: 'light' | 'dark', remember = true): void {
  document.documentElement.dataset.theme = theme;
  themeToggle.setAttribute('aria-pressed', String(theme === 'dark'));
  // A toggle button: its name stays "Dark mode" (pressed or not), and its text says which way it is now.
  themeToggle.textContent = `Dark mode: ${theme === 'dark' ? 'on' : 'off'}`;
  if (remember) localStorage.setItem(THEME_KEY, theme);
  themeElements();
  if (element) renderControls(element);
}
const chosenTheme = () => (localStorage.getItem(THEME_KEY) === 'dark' ? 'dark' : 'light');
themeToggle.addEventListener('click', () => setTheme(dark() ? 'light' : 'dark'));
setTheme(chosenTheme(), false);

/* ---------- the snippet: the README's embedding, and this story's element ---------- */

/** The README's embedding with this demo's ZVM simulator in its zvm-url (npm start's ZVM_PORT moves it). */
const embedded = embed && servers ? withZvm(embed.code, servers.zvmUrl) : (embed?.code ?? null);
render(
  html`<pre>${embedded ?? MISSING_SNIPPET}</pre>
    ${
      embed && embedded !== embed.code
        ? html`<details>
            <summary>As README.md writes it</summary>
            <pre>${embed.code}</pre>
          </details>`
        : nothing
    }`,
  $('snippet'),
);
$('snippet-source').textContent = embed
  ? `From README.md (its ${SNIPPET_START} block)${
      embedded !== embed.code && servers ? `, with this demo's ZVM simulator, ${servers.zvmUrl}` : ''
    }. The scripts are the files npm run build writes to dist/lib (zerto-billing-banner.js, zerto-billing.js and the chunks and worker beside them): copy the whole folder.`
  : '';
$('copy').addEventListener('click', () => void navigator.clipboard?.writeText(embedded ?? ''));
($('copy') as HTMLButtonElement).disabled = !embed;

function renderElementSnippet(el: HTMLElement): void {
  const out = $('element-snippet');
  if (!docOf(el)) {
    out.textContent =
      el instanceof HTMLIFrameElement ? `<iframe src="${el.getAttribute('src')}"></iframe>` : '';
    $('element-title').hidden = out.textContent === '';
    return;
  }
  $('element-title').hidden = false;
  const attrs = [...el.attributes]
    .filter((a) => a.name !== 'data-demo-theme')
    .map((a) => (a.value === '' ? ` ${a.name}` : ` ${a.name}="${a.value.replace(/"/g, '&quot;')}"`))
    .join('');
  out.textContent = `<${el.localName}${attrs}></${el.localName}>`;
}

/* ---------- the controls: one input per attribute ---------- */

function renderControls(el: HTMLElement): void {
  const doc = docOf(el);
  if (!doc) {
    render(html`<p>${manifest ? 'This story has no element to control.' : NO_MANIFEST}</p>`, controls);
    return;
  }
  const changed = () => renderElementSnippet(el);
  const input = (a: ElementDoc['attributes'][number]) => {
    const id = `control-${a.name}`;
    const options = attributeOptions(a.type);
    if (a.type === 'boolean')
      return html`<input
        id=${id}
        name=${a.name}
        type="checkbox"
        .checked=${el.hasAttribute(a.name)}
        @change=${(e: Event) => {
          el.toggleAttribute(a.name, (e.target as HTMLInputElement).checked);
          changed();
        }}
      />`;
    if (options.length > 1)
      return html`<select
        id=${id}
        name=${a.name}
        @change=${(e: Event) => {
          el.setAttribute(a.name, (e.target as HTMLSelectElement).value);
          el.removeAttribute('data-demo-theme');
          changed();
        }}
      >
        ${options.map((o) => html`<option value=${o} ?selected=${el.getAttribute(a.name) === o}>${o}</option>`)}
      </select>`;
    return html`<input
      id=${id}
      name=${a.name}
      type="text"
      placeholder="not set"
      .value=${el.getAttribute(a.name) ?? ''}
      @change=${(e: Event) => {
        const v = (e.target as HTMLInputElement).value;
        const key = SITE_ATTRIBUTES[a.name];
        if (key && v !== '') {
          site = { ...site, [key]: v };
          void show(story, { keepSite: true });
          return;
        }
        if (v === '') el.removeAttribute(a.name);
        else el.setAttribute(a.name, v);
        changed();
      }}
    />`;
  };
  const props = doc.properties.filter((p) => p.kind === 'field');
  render(
    html`${doc.attributes.map(
      (a) =>
        html`<label for="control-${a.name}"><span title=${a.description}>${a.name}</span>${input(a)}</label>`,
    )}
    ${
      props.length
        ? html`<p class="muted">Properties set from script: ${props.map((p) => p.name).join(', ')}</p>`
        : nothing
    }`,
    controls,
  );
}
controls.addEventListener('submit', (e) => e.preventDefault());

/* ---------- the tabs: the story, and the Docs of its element ---------- */

type Tab = keyof typeof tabs;
function renderDocs(): void {
  render(
    docsView(
      docs,
      docsTag,
      (tag) => {
        docsTag = tag;
        renderDocs();
      },
      NO_MANIFEST,
    ),
    panels.docs,
  );
}
function selectTab(tab: Tab, focus = false): void {
  for (const [name, button] of Object.entries(tabs) as Array<[Tab, HTMLButtonElement]>) {
    const on = name === tab;
    button.setAttribute('aria-selected', String(on));
    button.tabIndex = on ? 0 : -1;
    panels[name].hidden = !on;
  }
  if (tab === 'docs') renderDocs();
  if (focus) tabs[tab].focus();
}
for (const [name, button] of Object.entries(tabs) as Array<[Tab, HTMLButtonElement]>) {
  button.addEventListener('click', () => selectTab(name));
  button.addEventListener('keydown', (e) => {
    const order: Tab[] = ['story', 'docs'];
    const at = order.indexOf(name);
    const to =
      e.key === 'ArrowRight'
        ? order[(at + 1) % order.length]
        : e.key === 'ArrowLeft'
          ? order[(at + order.length - 1) % order.length]
          : e.key === 'Home'
            ? order[0]
            : e.key === 'End'
              ? order[order.length - 1]
              : undefined;
    if (!to) return;
    e.preventDefault();
    selectTab(to, true);
  });
}

/* ---------- a story ---------- */

async function show(next: Story, { keepSite = false } = {}): Promise<void> {
  story = next;
  if (!keepSite) site = { ...STORY_SITE };
  renderNav();
  $('story-title').textContent = story.title;
  $('story-description').textContent = story.description;
  canvas.replaceChildren();
  canvas.className = 'canvas';
  canvas.removeAttribute('dir');
  delete canvas.dataset.rendered;
  entries.length = 0;
  renderLog();
  document.title = `${story.title} — zerto-billing-banner`;
  const el = await story.render({ canvas, now: Date.now(), servers, site });
  // A story that does not seed its site (the live one reads the simulator's) takes the controls' site as
  // attributes, and checks again at once, with them.
  const takes = (attr: string) => docOf(el)?.attributes.some((a) => a.name === attr) ?? false;
  const renamed = Object.entries(SITE_ATTRIBUTES).filter(
    ([attr, key]) => site[key] !== STORY_SITE[key] && takes(attr) && el.getAttribute(attr) !== site[key],
  );
  for (const [attr, key] of renamed) el.setAttribute(attr, site[key]);
  if (renamed.length) (el as HTMLElement & { refresh?: () => void }).refresh?.();
  element = el;
  // The element the Docs tab opens on: the story's own, or the banner for a story in a frame.
  docsTag = docOf(el)?.tagName ?? docOf(canvas.querySelector('*'))?.tagName ?? docs[0]?.tagName ?? '';
  // A story on a dark page (the dark theme story) darkens the whole shell while it is shown; otherwise the
  // shell is as the switch left it.
  setTheme(canvas.classList.contains('dark') ? 'dark' : chosenTheme(), false);
  renderControls(el);
  renderElementSnippet(el);
  if (!panels.docs.hidden) renderDocs();
  canvas.dataset.rendered = story.id;
}

function current(): Story {
  const id = new URLSearchParams(location.hash.slice(1)).get('story');
  return stories.find((s) => s.id === id) ?? stories[0]!;
}

window.addEventListener('hashchange', () => void show(current()));
await show(current());
