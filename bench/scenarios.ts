// The browser scenarios, each in a browser context of its own (its own IndexedDB, workers and locks), over
// the built library served on loopback and the reference billing server.
import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'puppeteer-core';
import type { BillingServer } from '../servers/billing/server.ts';
import { DB_NAME } from '../src/world/storage/db.ts';
import {
  busy,
  EXPORT_SOURCE,
  heapUsed,
  mainThreadTasks,
  markTimes,
  openPage,
  sleep,
  startTrace,
  stopTrace,
  traced,
  until,
  type BenchWindow,
  type Busy,
  type TraceEvent,
} from './browser.ts';
import { percentiles, type Percentiles } from './stats.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface Ctx {
  browser: Browser;
  origin: string;
  billing: BillingServer;
  /** Progress, on stderr. */
  log: (msg: string) => void;
  notes: string[];
}

const BANNER = '/lib/zerto-billing-banner.js';
const ALL = '/lib/zerto-billing.js';

async function inContext<T>(ctx: Ctx, fn: (c: BrowserContext) => Promise<T>): Promise<T> {
  const c = await ctx.browser.createBrowserContext();
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

/** A page with the harness loaded, for seeding; closed when `fn` returns. */
async function withHarness<T>(ctx: Ctx, c: BrowserContext, fn: (p: Page) => Promise<T>): Promise<T> {
  const p = await c.newPage();
  try {
    await openPage(p, ctx.origin, { harness: true });
    return await fn(p);
  } finally {
    await p.close();
  }
}

const load = (p: Page, src: string, tag: string) =>
  p.evaluate((s, t) => (window as unknown as BenchWindow).zbb.load(s, t), src, tag);

/** 2. Connected, with a warning stored, to the banner's text in the shadow DOM and the next frame painted. */
export async function firstRender(
  ctx: Ctx,
  o: { pages: number; idbPages: number; warmPagePages: number },
): Promise<{
  paint: Percentiles;
  dom: Percentiles;
  idb: Percentiles | null;
  warmPage: Percentiles | null;
  pages: number;
  failures: number;
}> {
  return inContext(ctx, async (c) => {
    const site = { id: 'bench-first-render', name: 'Amsterdam DR' };
    const now = Date.now();
    const phase = await withHarness(ctx, c, (p) =>
      p.evaluate(
        (a) => (window as unknown as BenchWindow).zbbHarness.seedWarning(a),
        // The last attempt a minute ago: no attempt is due while the pages open, only the stored state is read.
        { site, now, lastSuccessAgo: DAY + 3 * DAY, lastAttemptAgo: MINUTE },
      ),
    );
    if (phase !== 'warning') throw new Error(`the seeded state is ${phase}, not warning`);
    const attrs = {
      'site-id': site.id,
      'site-name': site.name,
      mode: 'direct',
      'billing-url': ctx.billing.url,
      'protected-vms': '42',
    };
    const paint: number[] = [];
    const dom: number[] = [];
    const warm: number[] = [];
    let failures = 0;
    // Warm pages (a diagnostic) spread among the others, so that both see the same machine.
    const order = [
      ...Array.from({ length: o.pages }, (_, i) => ({ warmPage: false, at: (i + 0.5) / o.pages })),
      ...Array.from({ length: o.warmPagePages }, (_, i) => ({
        warmPage: true,
        at: (i + 0.5) / o.warmPagePages,
      })),
    ].sort((a, b) => a.at - b.at);
    for (let i = 0; i < order.length; i++) {
      const { warmPage } = order[i]!;
      const p = await c.newPage();
      try {
        await openPage(p, ctx.origin);
        await load(p, BANNER, 'zerto-billing-banner');
        const r = await p.evaluate((a) => (window as unknown as BenchWindow).zbb.firstRender(a), {
          attrs,
          timeoutMs: 10_000,
          warmPage,
        });
        if (r.phase !== 'warning') throw new Error(`the banner shows ${r.phase}: "${r.text}"`);
        if (warmPage) warm.push(r.paintMs);
        else {
          paint.push(r.paintMs);
          dom.push(r.domMs);
        }
      } catch (err) {
        failures++;
        ctx.log(`  first render, page ${i + 1}: ${(err as Error).message}`);
      } finally {
        await p.close();
      }
      if ((i + 1) % 10 === 0) ctx.log(`  first render: ${i + 1}/${o.pages + o.warmPagePages} pages`);
    }
    if (paint.length === 0) throw new Error('no page rendered the banner');
    // What the render waits for at least: the database opened and the record read, in fresh pages too.
    const idb: number[] = [];
    for (let i = 0; i < o.idbPages; i++) {
      const p = await c.newPage();
      try {
        await openPage(p, ctx.origin);
        idb.push(
          await p.evaluate((a) => (window as unknown as BenchWindow).zbb.idbOpenRead(a), {
            db: DB_NAME,
            store: 'sites',
            key: site.id,
          }),
        );
      } catch (err) {
        ctx.log(`  first render, raw IndexedDB read: ${(err as Error).message}`);
      } finally {
        await p.close();
      }
    }
    return {
      paint: percentiles(paint),
      dom: percentiles(dom),
      idb: idb.length ? percentiles(idb) : null,
      warmPage: warm.length ? percentiles(warm) : null,
      pages: paint.length,
      failures,
    };
  });
}

/**
 * 3a. Main-thread time of one poll tick in the leader tab. The banner gets an injected clock, which makes
 * this page poll the site itself (the leader tab, as where a page's CSP forbids the shared worker); each
 * tick moves that clock one interval on and wakes the poller, so that a transmission is due, in direct mode
 * against the reference billing server. A Chromium trace gives the page's main-thread tasks; a tick's time is
 * the busy time between its mark and the next one (the page does nothing else meanwhile).
 */
export async function tickMainThread(
  ctx: Ctx,
  o: { ticks: number; warmup: number; baseline: number },
): Promise<{
  cpu: Percentiles;
  wall: Percentiles;
  latency: Percentiles;
  baseline: Percentiles;
  ticks: number;
  timeouts: number;
}> {
  return inContext(ctx, async (c) => {
    const p = await c.newPage();
    await openPage(p, ctx.origin);
    await load(p, BANNER, 'zerto-billing-banner');
    const before = ctx.billing.stats().received;
    await p.evaluate((a) => (window as unknown as BenchWindow).zbb.mountBanner(a), {
      attrs: {
        'site-id': 'bench-tick',
        'site-name': 'Lisbon DR',
        mode: 'direct',
        'billing-url': ctx.billing.url,
        'protected-vms': '42',
        interval: '1h',
      },
      clock: { start: Date.now() },
    });
    // The first attempt happens on its own when the banner connects.
    if (!(await until(() => ctx.billing.stats().received > before, 15_000)))
      throw new Error('the banner sent nothing to the billing server');
    await sleep(300);
    const total = o.warmup + o.ticks;
    let timeouts = 0;
    const latency: number[] = [];
    const { events } = await traced(p, async () => {
      for (let i = 0; i < total; i++) {
        const r = await p.evaluate((a) => (window as unknown as BenchWindow).zbb.tick(a), {
          mark: `zbb-tick-${i}`,
          advanceMs: HOUR,
          settleMs: 50,
          timeoutMs: 5000,
        });
        if ('timeout' in r) timeouts++;
        else if (i >= o.warmup) latency.push(r.wallMs);
      }
      // The same windows with nothing to do: what the measuring itself costs.
      for (let i = 0; i < o.baseline; i++) {
        await p.evaluate((m) => (window as unknown as BenchWindow).zbb.mark(m), `zbb-tick-idle-${i}`);
        await p.evaluate(() =>
          new Promise((r) => setTimeout(r, 50)).then(() =>
            (window as unknown as BenchWindow).zbb.nextPaint(),
          ),
        );
      }
      await p.evaluate((m) => (window as unknown as BenchWindow).zbb.mark(m), 'zbb-tick-end');
    });
    const tasks = mainThreadTasks(events, 'zbb-tick-');
    const marks = markTimes(events, 'zbb-tick-');
    const windowBusy = (name: string, next: string) => {
      const from = marks.get(name);
      const to = marks.get(next) ?? marks.get('zbb-tick-end');
      return from === undefined || to === undefined ? null : busy(tasks, from, to);
    };
    const cpu: number[] = [];
    const wall: number[] = [];
    for (let i = o.warmup; i < total; i++) {
      const b = windowBusy(`zbb-tick-${i}`, i + 1 < total ? `zbb-tick-${i + 1}` : 'zbb-tick-idle-0');
      if (!b) continue;
      cpu.push(b.cpuMs);
      wall.push(b.wallMs);
    }
    const idle: number[] = [];
    for (let i = 0; i < o.baseline; i++) {
      const b = windowBusy(`zbb-tick-idle-${i}`, `zbb-tick-idle-${i + 1}`);
      if (b) idle.push(b.cpuMs);
    }
    if (cpu.length === 0) throw new Error('no tick found in the trace');
    return {
      cpu: percentiles(cpu),
      wall: percentiles(wall),
      latency: percentiles(latency),
      baseline: percentiles(idle),
      ticks: cpu.length,
      timeouts,
    };
  });
}

/**
 * 3a'. Main-thread time of one poll tick in the default deployment: no injected clock, so the origin's shared
 * worker polls the site (direct mode, the reference billing server, `interval="1s"`, the minimum) and the page
 * only hears the new state over the worker's port and re-renders. The page marks each state its banner's
 * handle hears, inside the task that delivered it (no CDP call, timer or channel listener in the page while
 * the ticks run); a tick's time is the thread (CPU) time of the page's main-thread tasks that start between
 * one delivery's mark and the next (the render of one state, the delivery of the next). Then the banner is
 * removed (the worker stops polling) and idle windows of one interval, marked by a timer, give the floor.
 */
export async function tickWorker(
  ctx: Ctx,
  o: { ticks: number; warmup: number; baseline: number; intervalMs: number },
): Promise<{
  cpu: Percentiles;
  baseline: Percentiles | null;
  ticks: number;
  /** States the page heard while traced, and usage POSTs the server received meanwhile. */
  delivered: number;
  posts: number;
  /** Delivery windows longer than 1.5 intervals (an interval that brought the page nothing). */
  longWindows: number;
  timeout: boolean;
}> {
  return inContext(ctx, async (c) => {
    const p = await c.newPage();
    await openPage(p, ctx.origin);
    await load(p, BANNER, 'zerto-billing-banner');
    const before = ctx.billing.stats().received;
    await p.evaluate((a) => (window as unknown as BenchWindow).zbb.mountBanner(a), {
      attrs: {
        'site-id': 'bench-tick-worker',
        'site-name': 'Lisbon DR',
        mode: 'direct',
        'billing-url': ctx.billing.url,
        'protected-vms': '42',
        interval: `${o.intervalMs}ms`,
      },
      channel: false,
    });
    if (!(await until(() => ctx.billing.stats().received > before, 15_000)))
      throw new Error('the shared worker sent nothing to the billing server');
    await sleep(300);
    const total = o.warmup + o.ticks;
    const prefix = 'zbb-wtick-';
    let posts = 0;
    const { value: heard, events } = await traced(p, async () => {
      const from = ctx.billing.stats().received;
      const r = await p.evaluate((a) => (window as unknown as BenchWindow).zbb.deliveries(a), {
        prefix,
        count: total + 1,
        timeoutMs: 2 * (total + 1) * o.intervalMs + 10_000,
      });
      posts = ctx.billing.stats().received - from;
      // The same windows with nothing polling: what an idle page costs, measured the same way.
      await p.evaluate(() => (window as unknown as BenchWindow).zbb.unmountBanner());
      await p.evaluate((a) => (window as unknown as BenchWindow).zbb.timedMarks(a), {
        prefix: `${prefix}idle-`,
        count: o.baseline + 1,
        everyMs: o.intervalMs,
        delayMs: 1.5 * o.intervalMs,
      });
      return r;
    });
    if (!heard.viaWorker) throw new Error('the banner polls in the page, not through the shared worker');
    const tasks = mainThreadTasks(events, prefix);
    const marks = markTimes(events, prefix);
    const span = (from: string, to: string) => {
      const a = marks.get(from);
      const b = marks.get(to);
      return a === undefined || b === undefined ? null : { b: busy(tasks, a, b), ms: (b - a) / 1000 };
    };
    const cpu: number[] = [];
    let longWindows = 0;
    for (let i = o.warmup; i < total; i++) {
      const w = span(`${prefix}${i}`, `${prefix}${i + 1}`);
      if (!w) continue;
      cpu.push(w.b.cpuMs);
      if (w.ms > 1.5 * o.intervalMs) longWindows++;
    }
    const idle: number[] = [];
    for (let i = 0; i < o.baseline; i++) {
      const w = span(`${prefix}idle-${i}`, `${prefix}idle-${i + 1}`);
      if (w) idle.push(w.b.cpuMs);
    }
    if (cpu.length === 0) throw new Error(`no tick found in the trace (${heard.count} states heard)`);
    return {
      cpu: percentiles(cpu),
      baseline: idle.length ? percentiles(idle) : null,
      ticks: cpu.length,
      delivered: heard.count,
      posts,
      longWindows,
      timeout: heard.timeout,
    };
  });
}

/**
 * 3b. Ten tabs of one origin on one site, interval 2 s, direct mode: usage POSTs reaching the billing server
 * per interval, counted over `intervals` intervals after the first POST seen (one is right).
 */
export async function tabs(
  ctx: Ctx,
  o: { tabs: number; intervalMs: number; intervals: number; noWorker: boolean },
): Promise<{ perInterval: number; posts: number; intervals: number }> {
  return inContext(ctx, async (c) => {
    const site = `bench-tabs-${o.noWorker ? 'noworker' : 'worker'}`;
    const pages: Page[] = [];
    for (let i = 0; i < o.tabs; i++) {
      const p = await c.newPage();
      pages.push(p);
      await openPage(p, ctx.origin, { noWorker: o.noWorker });
      await load(p, BANNER, 'zerto-billing-banner');
      await p.evaluate((a) => (window as unknown as BenchWindow).zbb.mountBanner(a), {
        attrs: {
          'site-id': site,
          'site-name': 'Oslo DR',
          mode: 'direct',
          'billing-url': ctx.billing.url,
          'protected-vms': '42',
          interval: `${o.intervalMs}ms`,
        },
      });
    }
    // Let every tab settle, then start counting right after a POST arrived.
    await sleep(o.intervalMs);
    const seen = ctx.billing.stats().received;
    if (!(await until(() => ctx.billing.stats().received > seen, 3 * o.intervalMs, 5)))
      throw new Error(`no usage POST within ${3 * o.intervalMs} ms`);
    const start = ctx.billing.stats().received;
    await sleep((o.intervals + 0.5) * o.intervalMs);
    const posts = ctx.billing.stats().received - start;
    return { perInterval: posts / o.intervals, posts, intervals: o.intervals };
  });
}

/** 4. 1,000 sites (demo/stories.ts `sitesRows`) evaluated and `<zerto-billing-sites>` rendered, fresh elements. */
export async function sites1000(
  ctx: Ctx,
  o: { samples: number },
): Promise<{
  paint: Percentiles;
  dom: Percentiles;
  frame: Percentiles;
  afterFrame: Percentiles;
  afterFrameStart: Percentiles;
  rowsRendered: number;
  samples: number;
}> {
  const { sitesRows } = await import('../demo/stories.ts');
  const now = Date.now();
  const rows = sitesRows(1000, now);
  return inContext(ctx, async (c) => {
    const p = await c.newPage();
    await openPage(p, ctx.origin);
    await load(p, ALL, 'zerto-billing-sites');
    // One sample first, not counted: the first element of a page compiles the code it runs.
    const run = async (start: 'after-frame' | 'spread') =>
      (
        await p.evaluate((a) => (window as unknown as BenchWindow).zbb.sitesRender(a), {
          rows,
          now,
          samples: o.samples + 1,
          start,
        })
      ).slice(1);
    const counted = await run('spread');
    const aligned = await run('after-frame');
    return {
      paint: percentiles(counted.map((x) => x.paintMs)),
      dom: percentiles(counted.map((x) => x.domMs)),
      frame: percentiles(counted.map((x) => x.frameMs)),
      afterFrame: percentiles(aligned.map((x) => x.paintMs)),
      afterFrameStart: percentiles(aligned.map((x) => x.frameMs)),
      rowsRendered: counted[0]?.rows ?? 0,
      samples: counted.length,
    };
  });
}

export interface Blocking {
  /** Long tasks (50 ms and more) the browser reported over the whole run. */
  longTasks: number;
  /** The longest of them, ms (0 when none). */
  longestLongTaskMs: number;
  /** The longest main-thread task in the traced parts of the run, ms (wall clock; null when not traced). */
  longestTracedMs: number | null;
  /** Its thread (CPU) time, ms. */
  longestTracedCpuMs: number | null;
  /** The worst lateness of a timer asking to run every 10 ms, ms: how long the page had no turn. */
  maxTimerLagMs: number;
}

/** The longest main-thread task seen: by the long-task observer over the whole run, or in the traces. */
export const longestTask = (b: Blocking): number => Math.max(b.longestLongTaskMs, b.longestTracedMs ?? 0);

async function observed(p: Page): Promise<Omit<Blocking, 'longestTracedMs' | 'longestTracedCpuMs'>> {
  const s = await p.evaluate(() => {
    const w = (window as unknown as BenchWindow).zbb;
    w.stopWatching();
    return w.longTaskSummary();
  });
  return { longTasks: s.count, longestLongTaskMs: s.maxMs, maxTimerLagMs: s.maxTimerLagMs };
}

/** The longest task of the marking page's main thread from `fromMark` (or the trace's start) on. */
function longestIn(events: TraceEvent[], markPrefix: string, fromMark?: string): Busy | null {
  if (!events.some((e) => e.name.startsWith(markPrefix))) return null;
  const from = fromMark ? (markTimes(events, fromMark).get(fromMark) ?? -Infinity) : -Infinity;
  return busy(mainThreadTasks(events, markPrefix), from, Infinity);
}

/**
 * 5. `reports` reports queued during an outage, then the outage ends: the banner (built bundle, polling in
 * the page so that the flush runs on this main thread: the worst case; with the shared worker it runs there)
 * connects, its attempt is due, and the direct probe sends everything queued to the reference server, one
 * report at a time. Timed from connect to the banner's recovery (phase ok).
 * Long tasks: the page's long-task observer over the whole flush; and, since a trace of the whole flush
 * would double its time and take gigabytes, a Chromium trace of its first seconds (the attempt starting,
 * the first batches read from the outbox) and of its end (the last reports, the usage history marked
 * acknowledged, the state stored and rendered): every kind of task the flush runs, at both ends.
 */
export async function outboxFlush(
  ctx: Ctx,
  o: {
    reports: number;
    timeoutMs: number;
    headMs: number;
    tailReports: number;
    trace?: boolean;
    /** A site of its own per run: the receiver holds the periods of an earlier run's site. */
    siteId?: string;
  },
): Promise<{ ms: number; accepted: number; blocking: Blocking; traced: string }> {
  // Tracing slows the page down several times over: the time figure comes from a run without it.
  const tracing = o.trace ?? true;
  return inContext(ctx, async (c) => {
    const site = { id: o.siteId ?? 'bench-flush', name: 'Porto DR' };
    const now = Date.now();
    const seeded = await withHarness(ctx, c, async (p) => {
      const phase = await p.evaluate((a) => (window as unknown as BenchWindow).zbbHarness.seedWarning(a), {
        site,
        now,
        lastSuccessAgo: 3 * DAY,
        lastAttemptAgo: 2 * HOUR,
      });
      const q = await p.evaluate((a) => (window as unknown as BenchWindow).zbbHarness.seedOutbox(a), {
        site,
        billingUrl: ctx.billing.url,
        count: o.reports,
        now: now - 2 * HOUR,
        interval: MINUTE,
      });
      return { phase, ...q };
    });
    ctx.log(
      `  flush: seeded ${seeded.outbox} queued reports (${seeded.usage} usage snapshots), state ${seeded.phase}`,
    );
    const p = await c.newPage();
    await openPage(p, ctx.origin);
    await load(p, BANNER, 'zerto-billing-banner');
    await p.evaluate(() => (window as unknown as BenchWindow).zbb.watchLongTasks());
    const before = ctx.billing.stats();
    // Reports the receiver answered, one by one or in batches (a batch is one request for up to 500).
    const handled = (x: { accepted: number; duplicates: number; rejected: number }) =>
      x.accepted + x.duplicates + x.rejected;
    const received = () => handled(ctx.billing.stats()) - handled(before);
    const recovered = async () => {
      const st = await p.evaluate(() => (window as unknown as BenchWindow).zbb.bannerStatus());
      return st.changes.some((x) => x.phase === 'ok');
    };
    if (tracing) await startTrace(p);
    await p.evaluate((a) => (window as unknown as BenchWindow).zbb.mountBanner(a), {
      attrs: {
        'site-id': site.id,
        'site-name': site.name,
        mode: 'direct',
        'billing-url': ctx.billing.url,
        'protected-vms': '40',
        interval: '1h',
      },
      clock: 'real' as const,
    });
    const deadline = Date.now() + o.timeoutMs;
    let head: TraceEvent[] = [];
    if (tracing) {
      await sleep(o.headMs);
      head = await stopTrace(p);
    }
    let last = Date.now();
    let tail: TraceEvent[] | null = null;
    await until(
      () => {
        if (Date.now() - last >= 10_000) {
          last = Date.now();
          ctx.log(`  flush: ${received()} of ${o.reports + 1} received`);
        }
        return received() >= o.reports + 1 - o.tailReports;
      },
      deadline - Date.now(),
      50,
    );
    const tracingTail = tracing && received() < o.reports + 1;
    if (tracingTail) await startTrace(p);
    const done = await until(recovered, deadline - Date.now(), 250);
    if (tracingTail) tail = await stopTrace(p);
    if (!done)
      throw new Error(
        `not recovered after ${o.timeoutMs} ms (${received()} of ${o.reports + 1} reports received)`,
      );
    const status = await p.evaluate(() => (window as unknown as BenchWindow).zbb.bannerStatus());
    const h = longestIn(head, 'zbb-', 'zbb-mount');
    const t = tail ? longestIn(tail, 'zbb-') : null;
    const worst = [h, t].filter((x): x is Busy => !!x).sort((a, b) => b.longestMs - a.longestMs)[0];
    return {
      ms: status.changes.find((x) => x.phase === 'ok')!.ms,
      accepted: ctx.billing.stats().accepted - before.accepted,
      blocking: {
        ...(await observed(p)),
        longestTracedMs: worst?.longestMs ?? null,
        longestTracedCpuMs: worst?.longestCpuMs ?? null,
      },
      traced: !tracing
        ? 'nothing (an untraced run)'
        : `the first ${o.headMs / 1000} s${tail ? ` and the last ${o.tailReports} reports to the recovery` : ' (the end was reached too early to trace it)'}`,
    };
  });
}

/** 6. The manual-billing export of `days` days times `sites` sites (one usage snapshot per site and day), CSV. */
export async function exportUsage(
  ctx: Ctx,
  o: { days: number; sites: number },
): Promise<
  | { missing: true }
  | { missing: false; ms: number; rows: number | null; bytes: number | null; blocking: Blocking }
> {
  if (!existsSync(EXPORT_SOURCE)) return { missing: true };
  return inContext(ctx, async (c) => {
    const p = await c.newPage();
    await openPage(p, ctx.origin, { harness: true });
    if (!(await p.evaluate(() => (window as unknown as BenchWindow).zbbHarness.exportAvailable())))
      return { missing: true as const };
    const now = Date.now();
    const n = await p.evaluate((a) => (window as unknown as BenchWindow).zbbHarness.seedUsage(a), {
      sites: o.sites,
      days: o.days,
      now,
    });
    ctx.log(`  export: seeded ${n} usage snapshots`);
    if (n === 0) throw new Error('the database has no usage store');
    await sleep(200);
    await p.evaluate(() => (window as unknown as BenchWindow).zbb.watchLongTasks());
    const { value, events } = await traced(p, async () => {
      await p.evaluate(() => (window as unknown as BenchWindow).zbb.mark('zbb-export-start'));
      return p.evaluate((a) => (window as unknown as BenchWindow).zbbHarness.runExport(a), {
        days: o.days,
        now,
        format: 'csv' as const,
      });
    });
    const b = longestIn(events, 'zbb-');
    return {
      missing: false as const,
      ...value,
      blocking: {
        ...(await observed(p)),
        longestTracedMs: b?.longestMs ?? null,
        longestTracedCpuMs: b?.longestCpuMs ?? null,
      },
    };
  });
}

/** The attributes of a banner polled by the origin's shared worker, in direct mode, against the bench server. */
const workerBanner = (ctx: Ctx, siteId: string, name: string): Record<string, string> => ({
  'site-id': siteId,
  'site-name': name,
  mode: 'direct',
  'billing-url': ctx.billing.url,
  'protected-vms': '42',
});

/**
 * 1b. What a page downloads for a working banner in the default deployment: a fresh browser context (nothing
 * cached), the banner's script tag, one banner for a site whose usage gets through, polled by the origin's
 * shared worker. Counted: every file of the library the page or the worker requested (the static server
 * logs each request; nothing is cached, `no-store`) from the script tag until the worker's first check
 * reached the billing server, the banner heard its state and the page was quiet for `settleMs`.
 */
export async function bannerWorking(
  ctx: Ctx,
  server: { takeLibRequests(): string[] },
  o: { settleMs: number; zvm?: { url: string; token: string } },
): Promise<{ files: string[]; phase: string | null; viaWorker: boolean }> {
  return inContext(ctx, async (c) => {
    const p = await c.newPage();
    await openPage(p, ctx.origin);
    server.takeLibRequests();
    await load(p, BANNER, 'zerto-billing-banner');
    const before = ctx.billing.stats().received;
    // zvm mode (the README's and the extension's default): the ZVM sends its usage when the banner asks.
    const attrs = o.zvm
      ? { 'site-name': 'Madrid DR', mode: 'zvm', 'zvm-url': o.zvm.url, 'site-id': 'bench-working-zvm' }
      : workerBanner(ctx, 'bench-working', 'Madrid DR');
    await p.evaluate((a) => (window as unknown as BenchWindow).zbb.mountBanner(a), {
      attrs,
      channel: false,
      ...(o.zvm ? { token: o.zvm.token } : {}),
    });
    if (!(await until(() => ctx.billing.stats().received > before, 15_000)))
      throw new Error('the shared worker sent nothing to the billing server');
    const phase = async () =>
      (await p.evaluate(() => (window as unknown as BenchWindow).zbb.bannerStatus())).phase;
    await until(async () => (await phase()) === 'ok', 5000);
    await sleep(o.settleMs);
    const viaWorker = await p.evaluate(() => {
      const el = document.querySelector('zerto-billing-banner') as
        (HTMLElement & { handle?: { port?: MessagePort | null } | null }) | null;
      return !!el?.handle?.port;
    });
    const files = [...new Set(server.takeLibRequests().filter((f) => f.endsWith('.js')))];
    return { files, phase: await phase(), viaWorker };
  });
}

/**
 * 6a. The shared worker's JavaScript heap while it watches `sites` sites (direct mode, one banner each in one
 * page), after a tick: once the billing server received a usage POST for each, and `settleMs` more. Also the
 * same worker watching one site, for comparison. Heap read over CDP after a full garbage collection.
 */
export async function workerHeap(
  ctx: Ctx,
  o: { sites: number; settleMs: number; timeoutMs: number },
): Promise<{ oneSiteBytes: number; bytes: number; posts: number }> {
  return inContext(ctx, async (c) => {
    const p = await c.newPage();
    await openPage(p, ctx.origin);
    await load(p, BANNER, 'zerto-billing-banner');
    const mount = (from: number, to: number) =>
      p.evaluate(
        (a) => {
          const box = document.createElement('div');
          for (let i = a.from; i < a.to; i++) {
            const el = document.createElement('zerto-billing-banner');
            for (const [k, v] of Object.entries(a.attrs)) el.setAttribute(k, v);
            el.setAttribute('site-id', `bench-heap-${i}`);
            el.setAttribute('site-name', `Site ${i}`);
            box.append(el);
          }
          document.body.append(box);
        },
        { from, to, attrs: workerBanner(ctx, 'x', 'x') },
      );
    const start = ctx.billing.stats().received;
    await mount(0, 1);
    if (!(await until(() => ctx.billing.stats().received > start, 15_000)))
      throw new Error('the shared worker sent nothing to the billing server');
    await sleep(o.settleMs);
    const worker = await ctx.browser.waitForTarget(
      (t) => t.type() === 'shared_worker' && t.browserContext() === c,
      { timeout: 10_000 },
    );
    const oneSiteBytes = await heapUsed(worker);
    const before = ctx.billing.stats().received;
    await mount(1, o.sites);
    const all = await until(() => ctx.billing.stats().received - before >= o.sites - 1, o.timeoutMs, 100);
    const posts = ctx.billing.stats().received - before + 1;
    if (!all)
      ctx.notes.push(`worker heap: ${posts} of ${o.sites} sites were checked within the time allowed`);
    await sleep(o.settleMs);
    return { oneSiteBytes, bytes: await heapUsed(worker), posts };
  });
}

/**
 * 6b. What one banner adds to a page's JavaScript heap: the same fresh page before the script tag and after
 * the banner rendered its stored warning (the origin's shared worker polling, as by default), each read over
 * CDP after a full garbage collection; the median over `pages` pages.
 */
export async function pageHeap(ctx: Ctx, o: { pages: number }): Promise<{ bytes: number[] }> {
  return inContext(ctx, async (c) => {
    const site = { id: 'bench-page-heap', name: 'Paris DR' };
    const now = Date.now();
    await withHarness(ctx, c, (p) =>
      p.evaluate((a) => (window as unknown as BenchWindow).zbbHarness.seedWarning(a), {
        site,
        now,
        lastSuccessAgo: 4 * DAY,
        lastAttemptAgo: MINUTE,
      }),
    );
    const bytes: number[] = [];
    for (let i = 0; i < o.pages; i++) {
      const p = await c.newPage();
      try {
        await openPage(p, ctx.origin);
        const empty = await heapUsed(p);
        await load(p, BANNER, 'zerto-billing-banner');
        await p.evaluate((a) => (window as unknown as BenchWindow).zbb.mountBanner(a), {
          attrs: workerBanner(ctx, site.id, site.name),
          channel: false,
        });
        const shown = await until(
          async () =>
            (await p.evaluate(() => (window as unknown as BenchWindow).zbb.bannerStatus())).phase ===
            'warning',
          10_000,
        );
        if (!shown) throw new Error('the banner did not show the stored warning');
        await sleep(500);
        bytes.push((await heapUsed(p)) - empty);
      } finally {
        await p.close();
      }
    }
    return { bytes };
  });
}
