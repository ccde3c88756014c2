// `npm run bench` (after `npm run build`) prints a table; `npm run bench -- --json` prints one JSON object
// with the same figures on stdout, and nothing else (progress goes to stderr). Figures are measured, never
// asserted: this machine is shared and noisy. docs/performance.md says what each figure means and how it is
// taken. Options: `--only sizes,engine,fleet,working,first-render,tick,tick-worker,tabs,sites,memory,flush,export` runs
// some steps only;
// `--pages N` sets the number of fresh pages of the first-render figure (default 32; the issue asks for at least 30).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, platform, arch, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { startBillingServer, type BillingServer } from '../servers/billing/server.ts';
import { startZvmSim } from '../servers/zvm/server.ts';
import { buildPages, EXPORT_SOURCE, launch, root, startStatic, type StaticServer } from './browser.ts';
import { engineFigures } from './engine.ts';
import { fleetFigures } from './fleet.ts';
import * as scenarios from './scenarios.ts';
import { gzipBytes, measureSizes, sum, type FileSize } from './sizes.ts';
import { round, type Percentiles } from './stats.ts';

const started = Date.now();
const args = process.argv.slice(2);
const json = args.includes('--json');
const option = (name: string): string | undefined => {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  return args[i]!.includes('=') ? args[i]!.slice(name.length + 1) : args[i + 1];
};
const only = option('--only')?.split(',');
const pages = Math.min(200, Math.max(1, Number(option('--pages') ?? 32) || 32));
const log = (msg: string) => process.stderr.write(`${msg}\n`);

// `--lib <dir>` measures a library built elsewhere (`buildLibrary(dir)` of scripts/lib-build.ts); dist/lib by default.
const libDir = resolve(root, option('--lib') ?? 'dist/lib');
const missing = ['zerto-billing-banner.js', 'zerto-billing.js'].filter((f) => !existsSync(join(libDir, f)));
if (missing.length) {
  log(
    `bench: the built library is missing (${missing.map((f) => `dist/lib/${f}`).join(', ')}).\n` +
      'bench: run `npm run build` (or `npx tsx scripts/build.ts lib` for the library only) first.',
  );
  process.exit(1);
}

/** Warns when a source file is newer than the build: the figures would be of older code. */
function staleness(): string | null {
  const built = statSync(join(libDir, 'zerto-billing-banner.js')).mtimeMs;
  let newest = { file: '', at: 0 };
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ts$/.test(e.name) && statSync(p).mtimeMs > newest.at)
        newest = { file: p, at: statSync(p).mtimeMs };
    }
  };
  for (const d of ['src', 'components']) walk(resolve(root, d));
  return newest.at > built
    ? `${newest.file.replace(`${root}/`, '')} is newer than ${libDir.replace(`${root}/`, '')}: rebuild for current figures`
    : null;
}

/**
 * The fleet bench reads 1,000 ZVMs every 30 s, 120 times as often as the service's default interval (an hour):
 * the CPU time of one interval's work is the same at either pace; the target is 10 % of one core over the
 * default interval, and the share at the bench's own pace is reported beside it (fleet_cpu_share_pct).
 */
const FLEET_INTERVAL_MS = 30_000;
const FLEET_DEFAULT_INTERVAL_MS = 3_600_000;
const FLEET_SITES = 1000;

/** The targets of issues 8, 13, 15 and 16. */
const TARGETS = {
  banner_gzip_bytes: { max: 16_384, text: '≤ 16,384 bytes (asserted; aim ≤ 14,336)' },
  banner_working_gzip_bytes: { max: 24_576, text: '≤ 24,576 bytes' },
  all_gzip_bytes: { max: 32_768, text: '≤ 32,768 bytes' },
  first_render_ms: { max: 16, key: 'p95', text: 'p95 ≤ 16 ms' },
  tick_main_thread_ms: { max: 2, key: 'p95', text: 'p95 ≤ 2 ms' },
  requests_per_interval_10_tabs: { max: 1, min: 1, text: '1 (one per site)' },
  sites_1000_render_ms: { max: 16, key: 'p50', text: 'p50 ≤ 16 ms' },
  worker_heap_1000_sites_mb: { max: 16, text: '≤ 16 MB' },
  page_heap_banner_mb: { max: 2, text: '≤ 2 MB' },
  outbox_flush_longest_task_ms: { max: 50, text: 'no task over 50 ms' },
  outbox_flush_reports_per_s: { min: 2000, max: Infinity, text: '≥ 2,000 reports/s (issue 13)' },
  export_longest_task_ms: { max: 50, text: 'no task over 50 ms' },
  fleet_1000_sites_tick_ms: {
    max: FLEET_DEFAULT_INTERVAL_MS * 0.1,
    text: `≤ 10 % of one core over the default 1 h interval (≤ ${(FLEET_DEFAULT_INTERVAL_MS * 0.1).toLocaleString('en')} ms CPU)`,
  },
  fleet_rss_mb: { max: 200, text: '≤ 200 MB (issue 16)' },
} as const;

type Figure = number | Percentiles | null;
const figures: Record<string, Figure> = {
  banner_gzip_bytes: null,
  banner_working_gzip_bytes: null,
  all_gzip_bytes: null,
  first_render_ms: null,
  tick_main_thread_ms: null,
  tick_main_thread_worker_ms: null,
  requests_per_interval_10_tabs: null,
  sites_1000_render_ms: null,
  worker_heap_1000_sites_mb: null,
  page_heap_banner_mb: null,
  outbox_flush_10k_ms: null,
  outbox_flush_longest_task_ms: null,
  outbox_flush_reports_per_s: null,
  export_400d_100s_ms: null,
  export_longest_task_ms: null,
  fleet_1000_sites_tick_ms: null,
  fleet_rss_mb: null,
};
/** Figures beyond the issue's, that explain the ones above. */
const extra: Record<string, Figure> = {
  banner_later_gzip_bytes: null,
  banner_working_direct_gzip_bytes: null,
  worker_gzip_bytes: null,
  all_elements_gzip_bytes: null,
  first_render_dom_ms: null,
  first_render_idb_open_read_ms: null,
  first_render_warm_page_ms: null,
  tick_main_thread_wall_ms: null,
  tick_measuring_overhead_ms: null,
  tick_latency_ms: null,
  tick_main_thread_worker_idle_ms: null,
  requests_per_interval_10_tabs_no_worker: null,
  sites_1000_render_dom_ms: null,
  sites_1000_render_frame_start_ms: null,
  sites_1000_render_after_frame_ms: null,
  sites_1000_render_after_frame_start_ms: null,
  worker_heap_one_site_mb: null,
  outbox_flush_long_tasks: null,
  outbox_flush_longest_traced_task_cpu_ms: null,
  outbox_flush_timer_lag_ms: null,
  export_long_tasks: null,
  export_longest_traced_task_cpu_ms: null,
  export_timer_lag_ms: null,
  engine_reduce_us: null,
  engine_view_us: null,
  fleet_attempts_in_interval: null,
  fleet_cpu_share_pct: null,
  fleet_peak_rss_mb: null,
};
const notes: string[] = [];
const files: Record<string, { bytes: number; gzip: number }> = {};
const stale = staleness();
if (stale) notes.push(stale);

const nullable = (n: number | null): number | null => (n === null ? null : round(n, 1));
const wanted = (name: string) => !only || only.includes(name);

async function step(name: string, fn: () => Promise<void> | void): Promise<void> {
  if (!wanted(name)) return;
  const t = Date.now();
  log(`bench: ${name}…`);
  try {
    await fn();
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    notes.push(`${name}: not measured: ${msg.split('\n')[0]}`);
    log(`bench: ${name} failed: ${(err as Error).stack ?? msg}`);
  }
  log(`bench: ${name} took ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

await step('sizes', () => {
  const s = measureSizes(libDir);
  for (const f of s.all) files[f.file] = { bytes: f.bytes, gzip: f.gzip };
  figures.banner_gzip_bytes = sum(s.banner);
  figures.all_gzip_bytes = sum(s.all);
  extra.banner_later_gzip_bytes = sum(s.bannerLater);
  extra.worker_gzip_bytes = sum(s.worker);
  extra.all_elements_gzip_bytes = sum(s.allElements);
  const names = (l: FileSize[]) => l.map((f) => f.file).join(' + ');
  notes.push(
    `banner_gzip_bytes = ${names(s.banner)}; all the banner can load later (not counted there): ${names(s.bannerLater) || 'nothing'}`,
    `worker_gzip_bytes = ${names(s.worker)}`,
    `all_gzip_bytes = ${names(s.all)} (every .js of dist/lib but esm/, types/ and source maps, each once)`,
  );
});

await step('engine', () => {
  const e = engineFigures();
  extra.engine_reduce_us = e.reduce;
  extra.engine_view_us = e.view;
});

await step('fleet', async () => {
  const r = await fleetFigures({ sites: FLEET_SITES, intervalMs: FLEET_INTERVAL_MS, log });
  figures.fleet_1000_sites_tick_ms = round(r.cpuMs, 0);
  figures.fleet_rss_mb = round(r.rssMb, 1);
  extra.fleet_attempts_in_interval = r.attempts;
  extra.fleet_cpu_share_pct = round((r.cpuMs / r.intervalMs) * 100, 2);
  extra.fleet_peak_rss_mb = round(r.peakRssMb, 1);
  notes.push(
    `fleet: the service process (fleet/bin.mjs, PGlite) reading ${FLEET_SITES} ZVMs every ${r.intervalMs / 1000} s; ` +
      `CPU (user + system, /proc) over one steady interval with ${r.attempts} reads; the ZVMs are a light in-process fake of ` +
      `the ZVM API for this bench only (the simulator's answers replayed), not counted; at the default 1 h interval the ` +
      `same work is ${round((r.cpuMs / FLEET_DEFAULT_INTERVAL_MS) * 100, 3)} % of one core, at the bench's 30 s ` +
      `${round((r.cpuMs / r.intervalMs) * 100, 1)} %`,
  );
});

const browserSteps = [
  'working',
  'first-render',
  'tick',
  'tick-worker',
  'tabs',
  'sites',
  'memory',
  'flush',
  'export',
];
let chromium: string | null = null;
if (browserSteps.some(wanted)) {
  let browser: Browser | null = null;
  let billing: BillingServer | null = null;
  let server: StaticServer | null = null;
  // The reference server fsyncs every report; on tmpfs that costs the flush nothing it would not cost anywhere.
  const dataDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'zbb-bench-'));
  try {
    log('bench: building the in-page helpers…');
    const pageFiles = await buildPages();
    server = await startStatic(libDir, pageFiles);
    billing = await startBillingServer({ port: 0, dataDir, allowOrigins: [server.origin], quiet: true });
    browser = await launch();
    chromium = await browser.version();
    const ctx: scenarios.Ctx = { browser, origin: server.origin, billing, log, notes };
    const libServer = server;

    await step('working', async () => {
      // The default deployment is zvm mode (the README's snippet, the extension's default): a ZVM simulator that
      // sends to the reference billing server. Direct mode, which also fetches its probe and the outbox, beside it.
      const zvm = await startZvmSim({
        port: 0,
        billingUrl: billing!.url,
        allowOrigins: [libServer.origin],
        quiet: true,
      });
      const sizeOf = (files: string[]) =>
        sum(
          files.map((f) => {
            const buf = readFileSync(join(libDir, f));
            return { file: f, bytes: buf.length, gzip: gzipBytes(buf) };
          }),
        );
      let r: Awaited<ReturnType<typeof scenarios.bannerWorking>>;
      try {
        r = await scenarios.bannerWorking(ctx, libServer, {
          settleMs: 1500,
          zvm: { url: zvm.url, token: 'demo-token' },
        });
      } finally {
        await zvm.close();
      }
      const direct = await scenarios.bannerWorking(ctx, libServer, { settleMs: 1500 });
      extra.banner_working_direct_gzip_bytes = sizeOf(direct.files);
      figures.banner_working_gzip_bytes = sizeOf(r.files);
      notes.push(
        `banner_working_gzip_bytes = ${r.files.join(' + ')} (requested by the page and the worker; banner ${r.phase}, ` +
          `${r.viaWorker ? 'polled by the shared worker' : 'NOT polled by the shared worker'})`,
      );
      if (r.phase !== 'ok') notes.push(`working: the banner shows ${r.phase}, not ok`);
    });

    await step('first-render', async () => {
      const r = await scenarios.firstRender(ctx, { pages, idbPages: 5, warmPagePages: 10 });
      figures.first_render_ms = r.paint;
      extra.first_render_dom_ms = r.dom;
      extra.first_render_idb_open_read_ms = r.idb;
      extra.first_render_warm_page_ms = r.warmPage;
      if (r.failures) notes.push(`first-render: ${r.failures} pages failed`);
      if (r.pages < 30)
        notes.push(`first-render: only ${r.pages} pages counted (the issue asks for at least 30)`);
    });
    await step('tick', async () => {
      const r = await scenarios.tickMainThread(ctx, { ticks: 30, warmup: 3, baseline: 8 });
      figures.tick_main_thread_ms = r.cpu;
      extra.tick_main_thread_wall_ms = r.wall;
      extra.tick_measuring_overhead_ms = r.baseline;
      extra.tick_latency_ms = r.latency;
      if (r.timeouts) notes.push(`tick: ${r.timeouts} ticks published nothing within 5 s`);
    });
    await step('tick-worker', async () => {
      const r = await scenarios.tickWorker(ctx, { ticks: 30, warmup: 3, baseline: 8, intervalMs: 1000 });
      figures.tick_main_thread_worker_ms = r.cpu;
      extra.tick_main_thread_worker_idle_ms = r.baseline;
      notes.push(
        `tick-worker: the page heard ${r.delivered} states while ${r.posts} usage POSTs reached the server; ` +
          `${r.ticks} ticks counted, ${r.longWindows} of them spanning more than 1.5 intervals`,
      );
      if (r.timeout) notes.push('tick-worker: not every state arrived in time (the trace stopped early)');
    });
    await step('tabs', async () => {
      const r = await scenarios.tabs(ctx, { tabs: 10, intervalMs: 1000, intervals: 6, noWorker: false });
      figures.requests_per_interval_10_tabs = round(r.perInterval);
      const n = await scenarios.tabs(ctx, { tabs: 10, intervalMs: 1000, intervals: 6, noWorker: true });
      extra.requests_per_interval_10_tabs_no_worker = round(n.perInterval);
    });
    await step('sites', async () => {
      const r = await scenarios.sites1000(ctx, { samples: 30 });
      figures.sites_1000_render_ms = r.paint;
      extra.sites_1000_render_dom_ms = r.dom;
      extra.sites_1000_render_frame_start_ms = r.frame;
      extra.sites_1000_render_after_frame_ms = r.afterFrame;
      extra.sites_1000_render_after_frame_start_ms = r.afterFrameStart;
      if (r.rowsRendered === 0) notes.push('sites: no row was rendered');
    });
    await step('memory', async () => {
      const mb = (bytes: number) => round(bytes / 2 ** 20, 2);
      const w = await scenarios.workerHeap(ctx, { sites: 1000, settleMs: 1000, timeoutMs: 120_000 });
      figures.worker_heap_1000_sites_mb = mb(w.bytes);
      extra.worker_heap_one_site_mb = mb(w.oneSiteBytes);
      const p = await scenarios.pageHeap(ctx, { pages: 5 });
      const sorted = [...p.bytes].sort((a, b) => a - b);
      figures.page_heap_banner_mb = mb(sorted[Math.floor(sorted.length / 2)]!);
      notes.push(
        `memory: V8 heap used after a full GC (CDP Runtime.getHeapUsage); worker after ${w.posts} checks; ` +
          `page deltas ${sorted.map((b) => mb(b)).join(', ')} MB (median reported)`,
      );
    });
    await step('flush', async () => {
      const o = { reports: 10_000, timeoutMs: 240_000, headMs: 3000, tailReports: 150 };
      // The time and the long tasks from a run without tracing; the traced CPU from a second, traced run.
      const r = await scenarios.outboxFlush(ctx, { ...o, trace: false });
      const traced = await scenarios.outboxFlush(ctx, { ...o, siteId: 'bench-flush-traced' });
      figures.outbox_flush_10k_ms = round(r.ms, 0);
      figures.outbox_flush_longest_task_ms = round(
        Math.max(scenarios.longestTask(r.blocking), scenarios.longestTask(traced.blocking)),
        1,
      );
      figures.outbox_flush_reports_per_s = round(10_001 / (r.ms / 1000), 0);
      extra.outbox_flush_long_tasks = r.blocking.longTasks + traced.blocking.longTasks;
      extra.outbox_flush_longest_traced_task_cpu_ms = nullable(traced.blocking.longestTracedCpuMs);
      extra.outbox_flush_timer_lag_ms = round(
        Math.max(r.blocking.maxTimerLagMs, traced.blocking.maxTimerLagMs),
        1,
      );
      notes.push(
        `flush: time from an untraced run; long tasks observed over both runs; traced ${traced.traced}`,
      );
      if (r.accepted < 10_000) notes.push(`flush: the server accepted ${r.accepted} new reports, not 10,001`);
    });
    await step('export', async () => {
      const r = await scenarios.exportUsage(ctx, { days: 400, sites: 100 });
      if (r.missing) {
        notes.push(
          `export: ${EXPORT_SOURCE.replace(`${root}/`, '')} (issue 7) is not there yet: no figures (the bench picks it up once it is)`,
        );
        return;
      }
      figures.export_400d_100s_ms = round(r.ms, 0);
      figures.export_longest_task_ms = round(scenarios.longestTask(r.blocking), 1);
      extra.export_long_tasks = r.blocking.longTasks;
      extra.export_longest_traced_task_cpu_ms = nullable(r.blocking.longestTracedCpuMs);
      extra.export_timer_lag_ms = round(r.blocking.maxTimerLagMs, 1);
      notes.push(`export: CSV of every site, ${r.rows ?? '?'} rows, ${r.bytes ?? '?'} bytes`);
    });
  } catch (err) {
    notes.push(`browser: not measured: ${(err as Error).message.split('\n')[0]}`);
    log(`bench: ${(err as Error).stack ?? String(err)}`);
  } finally {
    await browser?.close().catch(() => undefined);
    await billing?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const machine = {
  node: process.version,
  chromium,
  cores: cpus().length,
  cpu: cpus()[0]?.model ?? null,
  memory_gb: round(totalmem() / 2 ** 30, 1),
  platform: `${platform()}/${arch()}`,
};
const durationS = round((Date.now() - started) / 1000, 1);
log(`bench: done in ${durationS} s`);

if (json) {
  // Each target as the issue states it, and whether this run met it (null: not measured).
  const targets = Object.fromEntries(
    Object.entries(TARGETS).map(([k, t]) => {
      const v = verdict(k, figures[k] ?? null);
      return [k, { target: t.text, met: v === '' ? null : v === 'met' }];
    }),
  );
  console.log(
    JSON.stringify({
      ...figures,
      ...extra,
      targets,
      files,
      machine,
      notes,
      // The library measured (`--lib`); the engine and fleet figures are of this checkout's sources.
      lib: libDir.replace(`${root}/`, ''),
      duration_s: durationS,
    }),
  );
} else {
  printTable();
}

function show(v: Figure): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return v.toLocaleString('en');
  return `p50 ${v.p50}  p95 ${v.p95}`;
}

function verdict(name: string, v: Figure): string {
  const t = (TARGETS as Record<string, { max: number; min?: number; key?: 'p50' | 'p95' }>)[name];
  if (!t || v === null) return '';
  const n = typeof v === 'number' ? v : v[t.key ?? 'p95'];
  return n <= t.max && n >= (t.min ?? -Infinity) ? 'met' : 'MISSED';
}

function printTable(): void {
  const rows: string[][] = [['figure', 'measured', 'target', '']];
  for (const [k, v] of Object.entries(figures)) {
    const t = (TARGETS as Record<string, { text: string }>)[k];
    rows.push([k, show(v), t?.text ?? '', verdict(k, v)]);
  }
  rows.push(['', '', '', '']);
  for (const [k, v] of Object.entries(extra)) rows.push([k, show(v), '', '']);
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows)
    console.log(`${r[0]!.padEnd(w[0]!)}  ${r[1]!.padEnd(w[1]!)}  ${r[2]!.padEnd(w[2]!)}  ${r[3]}`.trimEnd());
  console.log('\nfile (dist/lib)                      bytes      gzip -9');
  for (const [f, s] of Object.entries(files))
    console.log(`${f.padEnd(36)} ${String(s.bytes).padStart(8)} ${String(s.gzip).padStart(10)}`);
  if (notes.length) console.log(`\n${notes.map((n) => `- ${n}`).join('\n')}`);
  console.log(
    `\nnode ${machine.node}, ${machine.chromium ?? 'no browser'}, ${machine.cores} cores (${machine.cpu}), ${machine.platform}; ${durationS} s; library: ${libDir.replace(`${root}/`, '')}`,
  );
}
