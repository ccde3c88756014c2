// In-page measurement helpers for pages that load the BUILT library (dist/lib, served under /lib/). Built by
// bench/browser.ts with Vite and served as /bench/measure.js. Nothing here imports the library's code: the
// only shared thing is the name of the origin's state channel (a string).
import { CHANNEL_NAME } from '../../src/world/poller/channel.ts';

type SiteElement = HTMLElement & {
  updateComplete: Promise<boolean>;
  view: { phase: string; lastSuccessAt: number | null } | null;
  clock: (() => number) | undefined;
  /** The element's live handle (a protected field of the built element; property names are not mangled). */
  handle?: {
    wake(): void;
    subscribe(listener: () => void): () => void;
    /** Its port to the origin's shared worker (a private field); null where the page polls itself. */
    port?: MessagePort | null;
  } | null;
  refresh(): void;
};

type SitesElement = HTMLElement & {
  sites: unknown;
  clock: (() => number) | undefined;
  updateComplete: Promise<boolean>;
};

/** Loads a built script-tag module and waits for its element to be defined. */
export async function load(src: string, tag: string): Promise<void> {
  await import(/* @vite-ignore */ src);
  await customElements.whenDefined(tag);
}

/**
 * The end of the next frame: the animation frame callback, then a message, which runs once that frame's
 * style, layout and paint are done on the main thread. Resolves to that time; `frame` gets the time the
 * animation frame callback ran (the frame's start: before it, the page waits for the display's next beat).
 */
export function nextPaint(frame?: (at: number) => void): Promise<number> {
  return new Promise((resolve) => {
    requestAnimationFrame(() => {
      frame?.(performance.now());
      const ch = new MessageChannel();
      ch.port1.onmessage = () => resolve(performance.now());
      ch.port2.postMessage(null);
    });
  });
}

const bannerText = (root: ShadowRoot): string =>
  root.querySelector('[part~="banner"]')?.textContent?.replace(/\s+/g, ' ').trim() ?? '';

/** Shows text in the banner's font stack at its three weights, and a date through Intl, and waits a frame. */
async function showText(): Promise<void> {
  const p = document.createElement('p');
  p.style.font = "14px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
  for (const weight of ['400', '600', '700']) {
    const span = document.createElement('span');
    span.style.fontWeight = weight;
    span.textContent = `Console text ${new Intl.DateTimeFormat(undefined, { dateStyle: 'full' }).format(Date.now())} `;
    p.append(span);
  }
  document.body.append(p);
  await nextPaint();
}

export interface FirstRender {
  /** Connected to the banner's text in the shadow DOM. */
  domMs: number;
  /** Connected to the end of the next frame after that. */
  paintMs: number;
  phase: string | null;
  text: string;
}

/**
 * Creates a banner, connects it, and times (performance.now) until its text is in the shadow DOM and the
 * next frame is painted. The state it shows must already be stored in IndexedDB.
 */
export async function firstRender(o: {
  attrs: Record<string, string>;
  timeoutMs: number;
  /**
   * A page that already shows text, in the banner's fonts and weights, and dates, as a console does (a
   * diagnostic): an empty fresh page pays for loading those fonts in the banner's first layout.
   */
  warmPage?: boolean;
}): Promise<FirstRender> {
  if (o.warmPage) await showText();
  const el = document.createElement('zerto-billing-banner') as unknown as SiteElement;
  for (const [k, v] of Object.entries(o.attrs)) el.setAttribute(k, v);
  let observer: MutationObserver | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t0 = performance.now();
  document.body.append(el);
  const root = el.shadowRoot;
  if (!root) throw new Error('the banner has no shadow root once connected');
  const tDom = await new Promise<number>((resolve, reject) => {
    const check = (): boolean => {
      if (!bannerText(root)) return false;
      resolve(performance.now());
      return true;
    };
    if (check()) return;
    observer = new MutationObserver(check);
    observer.observe(root, { childList: true, subtree: true, characterData: true });
    timer = setTimeout(
      () => reject(new Error(`no banner text after ${o.timeoutMs} ms (view: ${JSON.stringify(el.view)})`)),
      o.timeoutMs,
    );
  });
  observer?.disconnect();
  clearTimeout(timer);
  const tPaint = await nextPaint();
  return { domMs: tDom - t0, paintMs: tPaint - t0, phase: el.view?.phase ?? null, text: bannerText(root) };
}

/**
 * What the banner's first render waits for at least: opening the origin's database in a fresh page and
 * reading one site's record, in raw IndexedDB (no library code), in ms.
 */
export function idbOpenRead(o: { db: string; store: string; key: string }): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(o.db);
    req.onerror = () => reject(req.error ?? new Error('open failed'));
    req.onsuccess = () => {
      const db = req.result;
      const get = db.transaction(o.store).objectStore(o.store).get(o.key);
      get.onerror = () => reject(get.error ?? new Error('get failed'));
      get.onsuccess = () => {
        const ms = performance.now() - t0;
        db.close();
        if (get.result === undefined) reject(new Error(`no ${o.store} record ${o.key}`));
        else resolve(ms);
      };
    };
  });
}

let longTaskObserver: PerformanceObserver | null = null;
let longTasks: number[] = [];
let lagTimer: ReturnType<typeof setTimeout> | undefined;
let maxLag = 0;
const LAG_EVERY_MS = 10;

/**
 * Starts collecting this page's long tasks (50 ms and more, as the browser reports them), and a timer that
 * asks to run every 10 ms and keeps how late it ran at worst: no task can be longer than that lateness, so
 * under 50 ms (where the browser reports nothing) it bounds the longest task from above.
 */
export function watchLongTasks(): void {
  longTaskObserver?.disconnect();
  longTasks = [];
  longTaskObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push(e.duration);
  });
  longTaskObserver.observe({ type: 'longtask' });
  clearTimeout(lagTimer);
  maxLag = 0;
  let due = performance.now() + LAG_EVERY_MS;
  const beat = () => {
    const now = performance.now();
    maxLag = Math.max(maxLag, now - due);
    due = now + LAG_EVERY_MS;
    lagTimer = setTimeout(beat, LAG_EVERY_MS);
  };
  lagTimer = setTimeout(beat, LAG_EVERY_MS);
}

export function longTaskSummary(): { count: number; maxMs: number; maxTimerLagMs: number } {
  for (const e of longTaskObserver?.takeRecords() ?? []) longTasks.push(e.duration);
  return {
    count: longTasks.length,
    maxMs: longTasks.length ? Math.max(...longTasks) : 0,
    maxTimerLagMs: maxLag,
  };
}

export function stopWatching(): void {
  longTaskObserver?.disconnect();
  clearTimeout(lagTimer);
}

let banner: SiteElement | null = null;
let fakeNow = 0;
let mountedAt = 0;
const phases: Array<{ ms: number; phase: string }> = [];
let channelMessages = 0;
let channel: BroadcastChannel | null = null;
let onChannel: (() => void) | null = null;

/**
 * Mounts one banner. `clock: 'real'` injects the system clock (which makes this page poll the site itself,
 * as the leader tab does where no shared worker runs); `{ start }` injects a clock that `tick` moves;
 * no clock leaves polling to the origin's shared worker.
 */
export function mountBanner(o: {
  attrs: Record<string, string>;
  clock?: 'real' | { start: number };
  /** Listen to the origin's channel (for `tick`); false leaves the page as a console's would be. */
  channel?: boolean;
  /** The ZVM's token (zvm mode), set as a console sets it: a property, never an attribute. */
  token?: string;
}): void {
  if (o.channel !== false) {
    channel ??= new BroadcastChannel(CHANNEL_NAME);
    channel.onmessage = () => {
      channelMessages++;
      onChannel?.();
    };
  }
  const el = document.createElement('zerto-billing-banner') as unknown as SiteElement;
  for (const [k, v] of Object.entries(o.attrs)) el.setAttribute(k, v);
  if (o.token) (el as unknown as { token: string }).token = o.token;
  if (o.clock === 'real') el.clock = () => Date.now();
  else if (o.clock) {
    fakeNow = o.clock.start;
    el.clock = () => fakeNow;
  }
  el.addEventListener('zerto-billing-state-change', (e) => {
    const phase = (e as CustomEvent<{ phase: string }>).detail.phase;
    performance.mark(`zbb-phase-${phase}`);
    phases.push({ ms: performance.now() - mountedAt, phase });
  });
  banner = el;
  performance.mark('zbb-mount');
  mountedAt = performance.now();
  document.body.append(el);
}

export function bannerStatus(): { phase: string | null; changes: Array<{ ms: number; phase: string }> } {
  return { phase: banner?.view?.phase ?? null, changes: [...phases] };
}

/**
 * One poll tick of the page's own poller, on demand: marks the start (for the trace), moves the injected
 * clock by `advanceMs`, wakes the poller, and waits until the tick published its state on the origin's
 * channel, then for `settleMs` and a painted frame (the re-render the state causes is part of the tick).
 */
export async function tick(o: {
  mark: string;
  advanceMs: number;
  settleMs: number;
  timeoutMs: number;
}): Promise<{ wallMs: number } | { timeout: true }> {
  const el = banner;
  if (!el) throw new Error('mountBanner first');
  const before = channelMessages;
  // Waits on the channel message itself (no polling timers: they would count as the tick's main-thread time).
  const published = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), o.timeoutMs);
    onChannel = () => {
      if (channelMessages === before) return;
      clearTimeout(timer);
      onChannel = null;
      resolve(true);
    };
  });
  performance.mark(o.mark);
  const t0 = performance.now();
  fakeNow += o.advanceMs;
  if (el.handle) el.handle.wake();
  else el.refresh();
  if (!(await published)) return { timeout: true };
  const wallMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, o.settleMs));
  await nextPaint();
  return { wallMs };
}

/**
 * Every state the banner's handle hears from now on (with no injected clock: from the origin's shared worker,
 * over its port) gets a mark `${prefix}${n}`, made inside the task that delivered it; resolves once `count`
 * arrived or after `timeoutMs`, without a timer or anything else running on this thread meanwhile.
 */
export async function deliveries(o: {
  prefix: string;
  count: number;
  timeoutMs: number;
}): Promise<{ count: number; viaWorker: boolean; timeout: boolean }> {
  const el = banner;
  if (!el) throw new Error('mountBanner first');
  const handle = el.handle;
  if (!handle) throw new Error('the banner has no handle');
  let n = 0;
  let unsubscribe = () => {};
  const timeout = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(true), o.timeoutMs);
    unsubscribe = handle.subscribe(() => {
      performance.mark(`${o.prefix}${n++}`);
      if (n < o.count) return;
      clearTimeout(timer);
      resolve(false);
    });
  });
  unsubscribe();
  return { count: n, viaWorker: !!handle.port, timeout };
}

/** Removes the banner (its handle closes: the worker stops polling a site no tab watches). */
export function unmountBanner(): void {
  banner?.remove();
  banner = null;
}

/** `count` marks `${prefix}${i}`, `everyMs` apart (a timer each), the first after `delayMs`. */
export async function timedMarks(o: {
  prefix: string;
  count: number;
  everyMs: number;
  delayMs: number;
}): Promise<void> {
  await new Promise((r) => setTimeout(r, o.delayMs));
  for (let i = 0; i < o.count; i++) {
    performance.mark(`${o.prefix}${i}`);
    if (i + 1 < o.count) await new Promise((r) => setTimeout(r, o.everyMs));
  }
}

export function mark(name: string): void {
  performance.mark(name);
}

/**
 * Renders `<zerto-billing-sites>` over the given rows `samples` times, each a fresh element: from setting
 * `.sites` (the element evaluates every state and sorts) to the rows in the shadow DOM and the next frame.
 */
export async function sitesRender(o: {
  rows: unknown[];
  now: number;
  samples: number;
  /**
   * Where in the display's frame each sample starts. `after-frame`: just after a frame was painted, so that the
   * next one is a whole frame away whatever the element does. `spread`: at phases spread evenly over the frame
   * (a golden-ratio sequence of delays after a frame's start), as data arriving from the network does.
   */
  start: 'after-frame' | 'spread';
}): Promise<Array<{ domMs: number; frameMs: number; paintMs: number; rows: number }>> {
  const out: Array<{ domMs: number; frameMs: number; paintMs: number; rows: number }> = [];
  const frameStart = () => new Promise<number>((r) => requestAnimationFrame(r));
  const a = await frameStart();
  const frame = Math.max(1, (await frameStart()) - a);
  for (let i = 0; i < o.samples; i++) {
    if (o.start === 'spread') {
      await frameStart();
      await new Promise((r) => setTimeout(r, ((i * 0.6180339887) % 1) * frame));
    }
    const el = document.createElement('zerto-billing-sites') as unknown as SitesElement;
    el.clock = () => o.now;
    const t0 = performance.now();
    el.sites = o.rows;
    document.body.append(el);
    await el.updateComplete;
    const rows = el.shadowRoot?.querySelectorAll('[part~="row"]').length ?? 0;
    const tDom = performance.now();
    let tFrame = 0;
    const tPaint = await nextPaint((at) => (tFrame = at));
    out.push({ domMs: tDom - t0, frameMs: tFrame - t0, paintMs: tPaint - t0, rows });
    el.remove();
    await nextPaint();
  }
  return out;
}
