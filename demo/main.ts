// The story page: a sidebar of stories, the canvas, controls bound to the element's attributes (read from
// custom-elements.json), the HTML to copy, and a log of the events fired. Everything is text; nothing is
// parsed as HTML.
import '../components/index.ts';
import { stories, type DemoServers, type Story } from './stories.ts';

interface ManifestAttribute {
  name: string;
  type?: { text: string };
  description?: string;
  fieldName?: string;
}
interface ManifestDeclaration {
  tagName?: string;
  attributes?: ManifestAttribute[];
  events?: Array<{ name: string }>;
  members?: Array<{
    kind: string;
    name: string;
    privacy?: string;
    static?: boolean;
    type?: { text: string };
    description?: string;
  }>;
}
interface Manifest {
  modules: Array<{ declarations?: ManifestDeclaration[] }>;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const canvas = $('canvas');
const controls = $<HTMLFormElement>('controls');
const snippet = $('snippet');
const log = $('log');

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
const declarations = new Map<string, ManifestDeclaration>();
for (const m of manifest?.modules ?? [])
  for (const d of m.declarations ?? []) if (d.tagName) declarations.set(d.tagName, d);
const eventNames = new Set([...declarations.values()].flatMap((d) => (d.events ?? []).map((e) => e.name)));
for (const name of eventNames) canvas.addEventListener(name, (e) => logEvent(e as CustomEvent));

function logEvent(e: CustomEvent): void {
  const li = document.createElement('li');
  const detail = e.detail as Record<string, unknown> | null;
  const shown =
    detail && typeof detail === 'object'
      ? Object.fromEntries(
          Object.entries(detail).filter(([k]) => k !== 'view' && k !== 'result' && k !== 'steps'),
        )
      : detail;
  li.textContent = `${new Date().toLocaleTimeString()} ${e.type} ${JSON.stringify(shown)}`;
  log.prepend(li);
}

function renderNav(current: string): void {
  const list = $('stories');
  list.replaceChildren();
  let group = '';
  for (const s of stories) {
    if (s.group !== group) {
      group = s.group;
      const g = document.createElement('li');
      g.className = 'group';
      g.textContent = group;
      list.append(g);
    }
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = `#story=${s.id}`;
    a.textContent = s.title;
    if (s.id === current) a.setAttribute('aria-current', 'page');
    li.append(a);
    list.append(li);
  }
}

function renderSnippet(el: HTMLElement): void {
  if (!declarations.has(el.localName)) {
    snippet.textContent =
      el instanceof HTMLIFrameElement ? `<iframe src="${el.getAttribute('src')}"></iframe>` : '';
    return;
  }
  const attrs = [...el.attributes]
    .map((a) => (a.value === '' ? ` ${a.name}` : ` ${a.name}="${a.value.replace(/"/g, '&quot;')}"`))
    .join('');
  snippet.textContent = `<script type="module" src="https://unpkg.example/zerto-billing-banner/zerto-billing.js"></script>\n<${el.localName}${attrs}></${el.localName}>`;
}

function renderControls(el: HTMLElement): void {
  controls.replaceChildren();
  const decl = declarations.get(el.localName);
  if (!decl) {
    const p = document.createElement('p');
    p.textContent = manifest
      ? 'This story has no element to control.'
      : 'custom-elements.json was not found: run npm run build or npm start.';
    controls.append(p);
    return;
  }
  for (const attr of decl.attributes ?? []) {
    const label = document.createElement('label');
    const name = document.createElement('span');
    name.textContent = attr.name;
    name.title = attr.description ?? '';
    const type = attr.type?.text ?? 'string';
    let input: HTMLInputElement | HTMLSelectElement;
    const options = [...type.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
    if (type === 'boolean') {
      input = document.createElement('input');
      input.type = 'checkbox';
      input.checked = el.hasAttribute(attr.name);
      input.addEventListener('change', () =>
        el.toggleAttribute(attr.name, (input as HTMLInputElement).checked),
      );
    } else if (options.length > 1) {
      input = document.createElement('select');
      for (const o of options) input.append(new Option(o, o, false, el.getAttribute(attr.name) === o));
      input.addEventListener('change', () => el.setAttribute(attr.name, input.value));
    } else {
      input = document.createElement('input');
      input.type = 'text';
      input.value = el.getAttribute(attr.name) ?? '';
      input.placeholder = 'not set';
      input.addEventListener('change', () =>
        input.value === '' ? el.removeAttribute(attr.name) : el.setAttribute(attr.name, input.value),
      );
    }
    input.addEventListener('change', () => renderSnippet(el));
    label.append(name, input);
    controls.append(label);
  }
  const props = (decl.members ?? []).filter(
    (m) =>
      m.kind === 'field' &&
      !m.static &&
      m.privacy !== 'private' &&
      m.privacy !== 'protected' &&
      !(decl.attributes ?? []).some((a) => a.fieldName === m.name),
  );
  if (props.length) {
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = `Properties set from script: ${props.map((m) => m.name).join(', ')}`;
    controls.append(p);
  }
}

async function show(story: Story): Promise<void> {
  renderNav(story.id);
  $('story-title').textContent = story.title;
  $('story-description').textContent = story.description;
  canvas.replaceChildren();
  canvas.className = 'canvas';
  canvas.removeAttribute('dir');
  log.replaceChildren();
  document.title = `${story.title} — zerto-billing-banner`;
  const el = await story.render({ canvas, now: Date.now(), servers });
  renderControls(el);
  renderSnippet(el);
  canvas.dataset.rendered = story.id;
}

function current(): Story {
  const id = new URLSearchParams(location.hash.slice(1)).get('story');
  return stories.find((s) => s.id === id) ?? stories[0]!;
}

$('copy').addEventListener('click', () => void navigator.clipboard?.writeText(snippet.textContent ?? ''));
window.addEventListener('hashchange', () => void show(current()));
await show(current());
