// Every story mounts real elements over a real IndexedDB state; the clock is injected so that any point of
// the timeline can be shown. Stories that need a transmission use the real reference servers when `npm start`
// runs them, and otherwise a host probe whose answer the story names.
import {
  createState,
  DAY,
  DEFAULT_POLICY,
  HOUR,
  MINUTE,
  reduce,
  type FailureReason,
  type GraceState,
} from '../src/core/index.ts';
import { testActionLabel } from '../src/core/texts.ts';
import type { CustomAnswer } from '../src/world/probes/index.ts';
import { openBillingDb, storageConfig } from '../src/world/storage/db.ts';
import { applyEvent } from '../src/world/storage/repo.ts';
import type { SiteRow } from '../components/sites/sites.component.ts';
import { dayStrip } from '../components/sites/strip.ts';
import { mountFleet, type DemoFleetAnswer } from './fleet.ts';
import { mountLive } from './live.ts';

export interface DemoServers {
  billingUrl: string;
  zvmUrl: string;
  token: string;
  /** The fleet service `npm start` runs, with its read-only key (the Fleet story). */
  fleet?: DemoFleetAnswer | null;
}

export interface StoryContext {
  canvas: HTMLElement;
  now: number;
  servers: DemoServers | null;
  /**
   * The site the story's elements watch and its stored state names: STORY_SITE, or what the controls' site-id
   * and site-name say (the story is then told again for that site, as a console set up so from the start).
   */
  site: { id: string; name: string };
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

export const STORY_SITE = { id: 'ams-zvm-01', name: 'Amsterdam DR' };
const failing: CustomAnswer = {
  ok: false,
  reason: { kind: 'network', detail: 'billing link cut in this story' },
};

/** Stores a site whose last success was `ago` before `now`. */
async function seed(now: number, ago: number, site: StoryContext['site']): Promise<void> {
  const db = await openBillingDb();
  await applyEvent(db, site, DEFAULT_POLICY, { type: 'succeeded' }, now - ago);
  await applyEvent(db, site, DEFAULT_POLICY, { type: 'failed', reason: { kind: 'network' } }, now);
}

function banner(ctx: StoryContext, answer: CustomAnswer, attrs: Record<string, string> = {}): HTMLElement {
  const el = document.createElement('zerto-billing-banner');
  el.setAttribute('site-id', ctx.site.id);
  el.setAttribute('site-name', ctx.site.name);
  el.setAttribute('mode', 'custom');
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  Object.assign(el, { clock: () => ctx.now, probe: () => answer });
  ctx.canvas.append(el);
  return el;
}

function bannerAt(id: string, ago: number, answer = failing, attrs: Record<string, string> = {}) {
  return async (ctx: StoryContext) => {
    await freshDb(id);
    await seed(ctx.now, ago, ctx.site);
    return banner(ctx, answer, attrs);
  };
}

const ALERT = DEFAULT_POLICY.alertAfter;

/**
 * Nothing listens here: a real refused connection. (Not port 9, discard: browsers refuse to connect to it at
 * all, net::ERR_UNSAFE_PORT. 65535 is above the ephemeral ports Linux hands out, so no test server gets it.)
 */
const REFUSED = 'http://127.0.0.1:65535';
/** The ZVM of the seeded zvm-mode stories: never read unless "Test usage transmission" is pressed. */
const SEEDED_ZVM = 'https://zvm.amsterdam.example:9669';

/**
 * Stores a zvm-mode site as the poller stores what the ZVM reported at `at`: the TurnedOn of its usage alert
 * (LIC0012 by default) and of its disconnection alert (LIC0013), in this clock's frame, its clock's skew, and its answer
 * to sendUsage (Failed while it lists an alert).
 */
async function seedZvm(
  site: StoryContext['site'],
  at: number,
  word: { usageAlertAt?: number; disconnectedAt?: number; skew?: number },
): Promise<void> {
  const db = await openBillingDb();
  await applyEvent(
    db,
    site,
    { policy: DEFAULT_POLICY, authority: true },
    {
      type: 'zvm',
      usageAlertAt: word.usageAlertAt ?? null,
      disconnectedAt: word.disconnectedAt ?? null,
      passed: false,
      skew: word.skew ?? 0,
    },
    at,
  );
}

/**
 * A banner in another mode than custom, at the story's time. With the state just read (seeded at `ctx.now`),
 * the poller waits an interval before it reads again, and the story's clock stands still: what is shown is
 * the stored state. With none, or an older one, it checks at once, for real.
 */
function modeBanner(
  ctx: StoryContext,
  attrs: Record<string, string>,
  props: Record<string, unknown> = {},
): HTMLElement {
  const el = document.createElement('zerto-billing-banner');
  el.setAttribute('site-id', ctx.site.id);
  el.setAttribute('site-name', ctx.site.name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  Object.assign(el, { clock: () => ctx.now, ...props });
  ctx.canvas.append(el);
  return el;
}

function zvmStory(
  id: string,
  title: string,
  description: string,
  word: (now: number) => { usageAlertAt?: number; disconnectedAt?: number; skew?: number },
  group = 'Banner: zvm mode (the ZVM’s word)',
): Story {
  return {
    id,
    group,
    title,
    description,
    async render(ctx) {
      await freshDb(id);
      await seedZvm(ctx.site, ctx.now, word(ctx.now));
      return modeBanner(ctx, { mode: 'zvm', 'zvm-url': SEEDED_ZVM, timeout: '3s' });
    },
  };
}

/**
 * A frame as tall as the page in it: the framed page (csp-page.ts, other-origin.ts) posts its height whenever
 * it changes, which works across origins and under its strict CSP; the frame's own height is only the start.
 */
function sizedFrame(ctx: StoryContext, src: string, title: string, className: string): HTMLIFrameElement {
  const frame = document.createElement('iframe');
  frame.className = className;
  frame.title = title;
  frame.src = src;
  const onMessage = (e: MessageEvent) => {
    if (!frame.isConnected) return removeEventListener('message', onMessage);
    const height = (e.data as { zbbFrameHeight?: unknown } | null)?.zbbFrameHeight;
    if (e.source === frame.contentWindow && typeof height === 'number' && height > 0)
      frame.style.height = `${Math.ceil(height)}px`;
  };
  addEventListener('message', onMessage);
  ctx.canvas.append(frame);
  return frame;
}

/** Where a story's frame is served from another origin: another host name of the demo server (*.localhost). */
function otherOrigin(path: string): URL | null {
  const url = new URL(path, location.href);
  if (url.hostname !== 'localhost' && url.hostname !== '127.0.0.1') return null;
  url.hostname = 'zbb-console.localhost';
  return url;
}

function note(ctx: StoryContext, text: string): HTMLElement {
  const p = document.createElement('p');
  p.textContent = text;
  ctx.canvas.append(p);
  return p;
}

/**
 * The usage test runs when it is clicked, as in a console: the story says so above the button, with its label,
 * and what the test will meet.
 */
function usageTest(ctx: StoryContext, attrs: Record<string, string>, probe?: () => unknown): HTMLElement {
  const hint = note(
    ctx,
    `Click “${testActionLabel(attrs.mode ?? 'custom', false)}” below to run the test: it opens a dialog with each step.`,
  );
  hint.className = 'story-hint';
  const el = document.createElement('zerto-usage-test');
  el.setAttribute('site-id', ctx.site.id);
  el.setAttribute('site-name', ctx.site.name);
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

const CUSTOM = 'Banner: custom mode (the vendor’s rule)';
const BLIND = 'Banner: cannot see, cannot confirm';
const CLOCKS = 'Banner: clocks';

export const stories: Story[] = [
  {
    id: 'ok',
    group: CUSTOM,
    title: 'OK (status chip)',
    description: 'Usage was sent two hours ago. The banner shows nothing; with show-ok, a small chip.',
    render: bannerAt('ok', 2 * HOUR, { ok: true }, { 'show-ok': '' }),
  },
  {
    id: 'warning-first-day',
    group: CUSTOM,
    title: 'Warning, first day',
    description:
      'No usage got through for 24 hours (the host’s probe, custom mode): this console applies the vendor’s rule, and the urgent banner appears with 15 days to go.',
    render: bannerAt('warning-first-day', ALERT + 2 * HOUR),
  },
  {
    id: 'three-days-left',
    group: CUSTOM,
    title: 'Three days left',
    description: 'Day 12 of the grace period.',
    render: bannerAt('three-days-left', ALERT + 12 * DAY),
  },
  {
    id: 'last-day',
    group: CUSTOM,
    title: 'The last day, in hours',
    description: 'On the last day the countdown is in hours.',
    render: bannerAt('last-day', ALERT + 15 * DAY - 5 * HOUR),
  },
  {
    id: 'disconnected',
    group: CUSTOM,
    title: 'Disconnected, by the vendor’s rule',
    description:
      'The deadline passed. This console cannot see the VRAs: it says that, by the vendor’s rule, the ZVM stopped communicating with them on that day, until usage is sent.',
    render: bannerAt('disconnected', ALERT + 16 * DAY),
  },
  {
    id: 'recovered',
    group: CUSTOM,
    title: 'Recovered',
    description:
      'Usage got through again after a disconnection: the alerts are resolved and a short notice says so.',
    async render(ctx) {
      await freshDb('recovered');
      await seed(ctx.now - HOUR, ALERT + 16 * DAY, ctx.site);
      const db = await openBillingDb();
      await applyEvent(db, ctx.site, DEFAULT_POLICY, { type: 'succeeded' }, ctx.now - 10 * 60_000);
      return banner(ctx, { ok: true });
    },
  },
  zvmStory(
    'zvm-usage-alert',
    'The ZVM’s usage alert',
    'zvm mode: the ZVM lists its usage alert (LIC0012), turned on 3 days ago, and its sendUsage answers Failed. The banner says what the ZVM says, in the vendor’s words, and counts down to its TurnedOn plus 15 days. (Seeded: the state stored as the poller read it just now.)',
    (now) => ({ usageAlertAt: now - 3 * DAY - 2 * HOUR }),
  ),
  zvmStory(
    'zvm-disconnected',
    'The ZVM disconnected its VRAs',
    'zvm mode: the ZVM lists its disconnection alert (LIC0013), turned on 2 days ago: it has stopped communicating with its VRAs. The banner reports it since that TurnedOn, no longer "by the vendor’s rule". (Seeded: the state stored as the poller read it just now.)',
    (now) => ({ usageAlertAt: now - 17 * DAY, disconnectedAt: now - 2 * DAY }),
  ),
  zvmStory(
    'zvm-overdue',
    'The ZVM’s deadline passed',
    'zvm mode: the usage alert’s 15 days ran out 3 hours ago, but the ZVM still lists only its usage alert. Only the ZVM’s word disconnects its VRAs: until it gives it, the banner says the deadline passed, not that they stopped. (Seeded: the state stored as the poller read it just now.)',
    (now) => ({ usageAlertAt: now - 15 * DAY - 3 * HOUR }),
  ),
  {
    id: 'zvm-blind-credentials',
    group: BLIND,
    title: 'Cannot read the ZVM: credentials refused',
    description:
      'zvm mode against the demo’s real ZVM simulator, with a wrong token: the ZVM answers 401. This console cannot see the ZVM’s alerts, says why, and starts no countdown. (Without npm start: the same state, seeded.)',
    async render(ctx) {
      await freshDb('zvm-blind-credentials');
      if (ctx.servers)
        return modeBanner(
          ctx,
          { mode: 'zvm', 'zvm-url': ctx.servers.zvmUrl, timeout: '3s' },
          { token: 'not-the-demo-token' },
        );
      const db = await openBillingDb();
      const reason: FailureReason = {
        kind: 'auth',
        status: 401,
        detail: 'the ZVM refused the credentials: give the element a valid token or session',
      };
      await applyEvent(
        db,
        ctx.site,
        { policy: DEFAULT_POLICY, authority: true },
        { type: 'blind', reason },
        ctx.now,
      );
      return modeBanner(ctx, { mode: 'zvm', 'zvm-url': SEEDED_ZVM });
    },
  },
  {
    id: 'zvm-blind-last-known',
    group: BLIND,
    title: 'Cannot read the ZVM: its last known state',
    description:
      'zvm mode: the ZVM listed its usage alert when it was last read, 2 days ago (seeded); now nothing answers at its zvm-url (a real refused connection). The banner keeps that last known state, says how old it is, and why the ZVM cannot be read.',
    async render(ctx) {
      await freshDb('zvm-blind-last-known');
      await seedZvm(ctx.site, ctx.now - 2 * DAY, { usageAlertAt: ctx.now - 6 * DAY });
      return modeBanner(ctx, { mode: 'zvm', 'zvm-url': REFUSED, timeout: '3s' });
    },
  },
  {
    id: 'zvm-cors',
    group: BLIND,
    title: 'Cannot read the ZVM: CORS refusal',
    description:
      'The frame below is a console served from another origin (another host name of the demo server), which the real ZVM simulator’s CORS allow-list does not name: the browser refuses its answers, and the banner names the refusal, the ZVM and the origin to allow.',
    async render(ctx) {
      const src = ctx.servers ? otherOrigin('other-origin.html') : null;
      if (!src)
        return note(
          ctx,
          ctx.servers
            ? 'This story frames the console from zbb-console.localhost: open the demo at localhost or 127.0.0.1.'
            : 'This story needs the real ZVM simulator: run `npm start` and open the URL it prints.',
        );
      const frame = sizedFrame(
        ctx,
        src.href,
        `A console on another origin (${src.origin})`,
        'csp other-origin',
      );
      await new Promise((r) => frame.addEventListener('load', r, { once: true }));
      return frame;
    },
  },
  {
    id: 'unconfirmed',
    group: BLIND,
    title: 'Billing status not confirmed',
    description:
      'direct mode: this console began watching 3 hours ago and no transmission has gone through since (a real refused connection at billing-url). It is too early for the vendor’s alert, but more than an interval without a confirmation is never shown as silence.',
    async render(ctx) {
      await freshDb('unconfirmed');
      const db = await openBillingDb();
      const reason: FailureReason = {
        kind: 'network',
        detail: `could not connect to ${new URL(REFUSED).host}`,
      };
      await applyEvent(db, ctx.site, DEFAULT_POLICY, { type: 'failed', reason }, ctx.now - 3 * HOUR);
      return modeBanner(ctx, {
        mode: 'direct',
        'billing-url': REFUSED,
        'protected-vms': '42',
        timeout: '3s',
      });
    },
  },
  {
    id: 'cannot-check-reachability',
    group: BLIND,
    title: 'Reachability mode: usage cannot be checked',
    description:
      'reachability mode checks only this browser’s path to the billing host (the demo’s reference billing server when npm start runs, for real): even when it answers, that is not usage sent, so the banner says billing usage cannot be checked, with what the check found.',
    async render(ctx) {
      await freshDb('cannot-check-reachability');
      return modeBanner(ctx, {
        mode: 'reachability',
        ...(ctx.servers ? { 'billing-url': ctx.servers.billingUrl } : {}),
        timeout: '5s',
      });
    },
  },
  {
    id: 'cannot-check-settings',
    group: BLIND,
    title: 'Usage cannot be checked: settings',
    description:
      'direct mode with no usage counts to report (no protected-vms, zvm-url or usage provider): the probe cannot run. That is a configuration to fix, said as such, never "usage not sent", and no countdown starts.',
    async render(ctx) {
      await freshDb('cannot-check-settings');
      return modeBanner(ctx, {
        mode: 'direct',
        ...(ctx.servers ? { 'billing-url': ctx.servers.billingUrl } : {}),
        timeout: '3s',
      });
    },
  },
  zvmStory(
    'zvm-skew',
    'The ZVM’s clock is skewed',
    'zvm mode: the ZVM’s Date header was 2 hours ahead of this computer’s clock when it was read. Its alert times are moved into this clock’s frame, days left are counted on the ZVM’s clock, and the banner says so. (Seeded: the state stored as the poller read it just now, skew included.)',
    (now) => ({ usageAlertAt: now - 5 * DAY - 30 * MINUTE, skew: 2 * HOUR }),
    CLOCKS,
  ),
  {
    id: 'clock-turned-back',
    group: CLOCKS,
    title: 'This computer’s clock turned back',
    description:
      'custom mode: the stored state was last read 3 days later than this computer’s clock now says (seeded: a warning, then the clock turned back 3 days). Every date moved with the clock, so the time left is unchanged, and the jump is shown.',
    async render(ctx) {
      await freshDb('clock-turned-back');
      const before = ctx.now + 3 * DAY;
      await seed(before, ALERT + 6 * DAY, ctx.site);
      const db = await openBillingDb();
      await applyEvent(db, ctx.site, DEFAULT_POLICY, { type: 'tick' }, ctx.now);
      return banner(ctx, failing);
    },
  },
  {
    id: 'dark',
    group: 'Looks',
    title: 'Dark theme',
    description:
      'theme="dark" (or "auto" to follow the operating system), on a dark page: the whole demo turns dark with this story; the Dark mode switch in the header does the same for every story.',
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
      const frame = sizedFrame(
        ctx,
        new URL('csp.html', location.href).href, // beside the story page, in dev and in the build
        'A console under a strict Content-Security-Policy',
        'csp',
      );
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
      'billing-url': REFUSED,
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
      await applyEvent(db, ctx.site, DEFAULT_POLICY, { type: 'succeeded' }, ctx.now - 40 * DAY);
      await applyEvent(db, ctx.site, DEFAULT_POLICY, { type: 'tick' }, ctx.now - 20 * DAY);
      await applyEvent(db, ctx.site, DEFAULT_POLICY, { type: 'succeeded' }, ctx.now - 19 * DAY);
      await applyEvent(db, ctx.site, DEFAULT_POLICY, { type: 'tick' }, ctx.now);
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
  {
    id: 'fleet',
    group: 'Live',
    title: 'Fleet service: one truth for every console',
    description:
      'npm start runs the fleet service over simulated ZVMs in every state: ok, warning, the last day, disconnected, and one it cannot see (its token is refused). Each banner reads the service (mode="service"), not the ZVM; beside them, the service’s /metrics and the signed webhooks it posted, as a NOC sees them.',
    render: (ctx) => mountFleet(ctx, freshDb),
  },
];
