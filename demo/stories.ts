// Every story mounts real elements over a real IndexedDB state; the clock is injected so that any point of
// the timeline can be shown. Stories that need a transmission use the real reference servers when `npm start`
// runs them, and otherwise a host probe whose answer the story names.
import { createState, DAY, DEFAULT_POLICY, HOUR, reduce, type GraceState } from '../src/core/index.ts';
import type { CustomAnswer } from '../src/world/probes/index.ts';
import { openBillingDb, storageConfig } from '../src/world/storage/db.ts';
import { applyEvent } from '../src/world/storage/repo.ts';
import type { SiteRow } from '../components/sites/sites.component.ts';
import { dayStrip } from '../components/sites/strip.ts';
import { mountLive } from './live.ts';

export interface DemoServers {
  billingUrl: string;
  zvmUrl: string;
  token: string;
}

export interface StoryContext {
  canvas: HTMLElement;
  now: number;
  servers: DemoServers | null;
}

export interface Story {
  id: string;
  group: string;
  title: string;
  description: string;
  /** Mounts the story; returns the element the controls panel is bound to. */
  render(ctx: StoryContext): Promise<HTMLElement>;
}

let dbCounter = 0;
/** Each opening of a story gets a database of its own (the origin remembers the latest time it saw). */
async function freshDb(id: string): Promise<void> {
  storageConfig.dbName = `zbb-demo-${id}-${Date.now()}-${++dbCounter}`;
  await openBillingDb();
}

const SITE = { id: 'ams-zvm-01', name: 'Amsterdam DR' };
const failing: CustomAnswer = {
  ok: false,
  reason: { kind: 'network', detail: 'billing link cut in this story' },
};

/** Stores a site whose last success was `ago` before `now`. */
async function seed(now: number, ago: number, site = SITE): Promise<void> {
  const db = await openBillingDb();
  await applyEvent(db, site, DEFAULT_POLICY, { type: 'succeeded' }, now - ago);
  await applyEvent(db, site, DEFAULT_POLICY, { type: 'failed', reason: { kind: 'network' } }, now);
}

function banner(ctx: StoryContext, answer: CustomAnswer, attrs: Record<string, string> = {}): HTMLElement {
  const el = document.createElement('zerto-billing-banner');
  el.setAttribute('site-id', SITE.id);
  el.setAttribute('site-name', SITE.name);
  el.setAttribute('mode', 'custom');
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  Object.assign(el, { clock: () => ctx.now, probe: () => answer });
  ctx.canvas.append(el);
  return el;
}

function bannerAt(id: string, ago: number, answer = failing, attrs: Record<string, string> = {}) {
  return async (ctx: StoryContext) => {
    await freshDb(id);
    await seed(ctx.now, ago);
    return banner(ctx, answer, attrs);
  };
}

const ALERT = DEFAULT_POLICY.alertAfter;

function usageTest(ctx: StoryContext, attrs: Record<string, string>, probe?: () => unknown): HTMLElement {
  const el = document.createElement('zerto-usage-test');
  el.setAttribute('site-id', SITE.id);
  el.setAttribute('site-name', SITE.name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (probe) Object.assign(el, { probe });
  ctx.canvas.append(el);
  return el;
}

const slow =
  <T>(value: T, ms = 900) =>
  () =>
    new Promise<T>((r) => setTimeout(() => r(value), ms));

function failingTest(
  id: string,
  title: string,
  description: string,
  answer: () => unknown,
  live?: (s: DemoServers) => Record<string, string>,
): Story {
  return {
    id,
    group: 'Usage transmission test',
    title,
    description,
    async render(ctx) {
      await freshDb(id);
      if (live && ctx.servers) return usageTest(ctx, { ...live(ctx.servers), timeout: '3s' });
      return usageTest(ctx, { mode: 'custom', timeout: '3s' }, answer);
    },
  };
}

export function sitesRows(count: number, now: number): SiteRow[] {
  const rows: SiteRow[] = [];
  for (let i = 0; i < count; i++) {
    const site = {
      id: `zvm-${String(i).padStart(4, '0')}`,
      name: `${['Amsterdam', 'Lisbon', 'Porto', 'Oslo', 'Turin', 'Ghent'][i % 6]} DR ${i}`,
    };
    let s: GraceState = createState(site, DEFAULT_POLICY, now - 40 * DAY);
    // Most sites are fine; some are in their grace period, a few are cut off.
    const ago = i % 17 === 0 ? 20 * DAY : i % 5 === 0 ? ALERT + (i % 15) * DAY : (i % 12) * HOUR;
    s = reduce(s, { type: 'succeeded' }, now - ago);
    s = reduce(s, { type: 'tick' }, now);
    const log = Array.from({ length: 7 }, (_, d) => ({
      at: now - d * DAY - HOUR,
      ok: d * DAY + HOUR < ago ? false : true,
    })).filter((_, d) => (i + d) % 9 !== 0);
    rows.push({ state: s, strip: dayStrip(log, now) });
  }
  return rows;
}

function sitesStory(count: number): Story {
  return {
    id: `sites-${count}`,
    group: 'Sites overview',
    title: `${count.toLocaleString('en')} sites`,
    description:
      'One row per manager, most urgent first, with seven days of transmission results. Only the rows in view are rendered.',
    async render(ctx) {
      const el = document.createElement('zerto-billing-sites');
      Object.assign(el, { sites: sitesRows(count, ctx.now), clock: () => ctx.now });
      ctx.canvas.append(el);
      return el;
    },
  };
}

export const stories: Story[] = [
  {
    id: 'ok',
    group: 'Banner',
    title: 'OK (status chip)',
    description: 'Usage was sent two hours ago. The banner shows nothing; with show-ok, a small chip.',
    render: bannerAt('ok', 2 * HOUR, { ok: true }, { 'show-ok': '' }),
  },
  {
    id: 'warning-first-day',
    group: 'Banner',
    title: 'Warning, first day',
    description: 'No usage got through for 24 hours: the urgent banner appears with 15 days to go.',
    render: bannerAt('warning-first-day', ALERT + 2 * HOUR),
  },
  {
    id: 'three-days-left',
    group: 'Banner',
    title: 'Three days left',
    description: 'Day 12 of the grace period.',
    render: bannerAt('three-days-left', ALERT + 12 * DAY),
  },
  {
    id: 'last-day',
    group: 'Banner',
    title: 'The last day, in hours',
    description: 'On the last day the countdown is in hours.',
    render: bannerAt('last-day', ALERT + 15 * DAY - 5 * HOUR),
  },
  {
    id: 'disconnected',
    group: 'Banner',
    title: 'Disconnected',
    description: 'The deadline passed: the ZVM stopped communicating with its VRAs until usage is sent.',
    render: bannerAt('disconnected', ALERT + 16 * DAY),
  },
  {
    id: 'recovered',
    group: 'Banner',
    title: 'Recovered',
    description:
      'Usage got through again after a disconnection: the alerts are resolved and a short notice says so.',
    async render(ctx) {
      await freshDb('recovered');
      await seed(ctx.now - HOUR, ALERT + 16 * DAY);
      const db = await openBillingDb();
      await applyEvent(db, SITE, DEFAULT_POLICY, { type: 'succeeded' }, ctx.now - 10 * 60_000);
      return banner(ctx, { ok: true });
    },
  },
  {
    id: 'dark',
    group: 'Looks',
    title: 'Dark theme',
    description: 'theme="dark" (or "auto" to follow the operating system).',
    async render(ctx) {
      ctx.canvas.classList.add('dark');
      return bannerAt('dark', ALERT + 9 * DAY, failing, { theme: 'dark' })(ctx);
    },
  },
  {
    id: 'rtl',
    group: 'Looks',
    title: 'Right-to-left',
    description: 'In a page or a container with dir="rtl", the layout mirrors.',
    async render(ctx) {
      ctx.canvas.dir = 'rtl';
      return bannerAt('rtl', ALERT + 4 * DAY)(ctx);
    },
  },
  {
    id: 'strict-csp',
    group: 'Looks',
    title: 'Host page under a strict CSP',
    description:
      "The frame below is served with Content-Security-Policy: default-src 'self'; require-trusted-types-for 'script'.",
    async render(ctx) {
      const frame = document.createElement('iframe');
      frame.className = 'csp';
      frame.title = 'A console under a strict Content-Security-Policy';
      frame.src = new URL('csp.html', location.href).href; // beside the story page, in dev and in the build
      ctx.canvas.append(frame);
      await new Promise((r) => frame.addEventListener('load', r, { once: true }));
      return frame;
    },
  },
  {
    id: 'test-passing',
    group: 'Usage transmission test',
    title: 'Test passing',
    description:
      'Collects the usage, reaches the billing server, gets the report acknowledged (the reference billing server when npm start runs).',
    async render(ctx) {
      await freshDb('test-passing');
      if (ctx.servers)
        return usageTest(ctx, {
          mode: 'direct',
          'billing-url': ctx.servers.billingUrl,
          'protected-vms': '42',
        });
      return usageTest(
        ctx,
        { mode: 'custom' },
        slow({ ok: true, reportId: 'demo-report-1', protectedVms: 42 }),
      );
    },
  },
  failingTest(
    'test-server-down',
    'Test failing: server down',
    'Nothing listens at the billing address (a real refused connection).',
    slow(null),
    () => ({
      mode: 'direct',
      'billing-url': 'http://127.0.0.1:9',
      'protected-vms': '42',
    }),
  ),
  failingTest(
    'test-timeout',
    'Test failing: timeout',
    'The billing host never answers (simulated by the host probe).',
    () => new Promise(() => {}),
  ),
  failingTest(
    'test-proxy',
    'Test failing: proxy',
    'The proxy server failed (the extension can tell this; here the host probe says so).',
    slow({
      ok: false,
      reason: { kind: 'proxy', detail: 'net::ERR_PROXY_CONNECTION_FAILED' },
    }),
  ),
  failingTest(
    'test-credentials',
    'Test failing: wrong credentials',
    'The ZVM refuses the credentials (the ZVM simulator, with no token, when npm start runs).',
    slow({ ok: false, reason: { kind: 'auth', status: 401, detail: 'credentials refused' } }),
    (s) => ({ mode: 'zvm', 'zvm-url': s.zvmUrl, 'site-id': 'sim-site' }),
  ),
  failingTest(
    'test-wrong-shape',
    'Test failing: answer of the wrong shape',
    'What answered is not the billing server (the answer is validated and refused).',
    slow({ fine: 'yes' }),
  ),
  sitesStory(50),
  sitesStory(1000),
  {
    id: 'alerts',
    group: 'Monitoring',
    title: 'Alerts list',
    description: 'Monitoring > Alerts: active and resolved billing alerts, in the ZVM alert shape.',
    async render(ctx) {
      await freshDb('alerts');
      const db = await openBillingDb();
      await applyEvent(db, SITE, DEFAULT_POLICY, { type: 'succeeded' }, ctx.now - 40 * DAY);
      await applyEvent(db, SITE, DEFAULT_POLICY, { type: 'tick' }, ctx.now - 20 * DAY);
      await applyEvent(db, SITE, DEFAULT_POLICY, { type: 'succeeded' }, ctx.now - 19 * DAY);
      await applyEvent(db, SITE, DEFAULT_POLICY, { type: 'tick' }, ctx.now);
      const el = document.createElement('zerto-billing-alerts');
      ctx.canvas.append(el);
      return el;
    },
  },
  {
    id: 'live',
    group: 'Live',
    title: 'Live outage, end to end',
    description:
      'The banner in zvm mode against the ZVM simulator, which sends usage to the reference billing server. Cut the link, move time, and watch the VRAs disconnect and come back.',
    render: (ctx) => mountLive(ctx, freshDb),
  },
];
