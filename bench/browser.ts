// What the browser scenarios stand on: the in-page helpers built with Vite, a static server on loopback for
// them and the built library, headless Chromium, and main-thread task times read from a Chromium trace.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import puppeteer, { type Browser, type Page, type Target } from 'puppeteer-core';
import { build, type Plugin, type Rollup } from 'vite';
import { CHROME_ARGS, chromePath } from '../scripts/chrome-path.mjs';
import type * as Harness from './page/harness.ts';
import type * as Measure from './page/measure.ts';

export const root = resolve(import.meta.dirname, '..');
export const EXPORT_SOURCE = resolve(root, 'src/world/export-usage.ts');

/** Resolves `virtual:zbb-bench-export` to the export module when it exists, else to null. */
function exportModulePlugin(): Plugin {
  const id = 'virtual:zbb-bench-export';
  return {
    name: 'zbb-bench-export',
    resolveId: (source) => (source === id ? `\0${id}` : null),
    load(loaded) {
      if (loaded !== `\0${id}`) return null;
      return existsSync(EXPORT_SOURCE)
        ? `import * as m from ${JSON.stringify(EXPORT_SOURCE)};\nexport const exportModule = m;`
        : 'export const exportModule = null;';
    },
  };
}

/** Builds bench/page/*.ts in memory, minified like the library, into files served under /bench/. */
export async function buildPages(): Promise<Map<string, string>> {
  const out = (await build({
    root,
    configFile: false,
    logLevel: 'silent',
    base: './',
    plugins: [exportModulePlugin()],
    esbuild: { legalComments: 'none' },
    build: {
      write: false,
      target: 'es2022',
      minify: true,
      sourcemap: false,
      reportCompressedSize: false,
      lib: {
        entry: { measure: 'bench/page/measure.ts', harness: 'bench/page/harness.ts' },
        formats: ['es'],
        fileName: (_f, name) => `${name}.js`,
      },
    },
  })) as Rollup.RollupOutput | Rollup.RollupOutput[];
  const files = new Map<string, string>();
  for (const o of Array.isArray(out) ? out : [out])
    for (const item of o.output) if (item.type === 'chunk') files.set(item.fileName, item.code);
  return files;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.html': 'text/html; charset=utf-8',
};

const PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bench</title></head><body></body></html>';

export interface StaticServer {
  origin: string;
  /** The paths requested under /lib/ since the last call (by pages and workers alike), in order. */
  takeLibRequests(): string[];
  close(): Promise<void>;
}

/**
 * Serves `/page.html` (an empty page; `/page-noworker.html` is the same under a CSP that forbids workers),
 * the built library under `/lib/` and the bench's page modules under `/bench/`, on loopback.
 */
export async function startStatic(libDir: string, pages: Map<string, string>): Promise<StaticServer> {
  let libRequests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path.startsWith('/lib/')) libRequests.push(path.slice('/lib/'.length));
    const send = (
      status: number,
      type: string,
      body: string | Buffer,
      headers: Record<string, string> = {},
    ) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
      res.end(body);
    };
    if (path === '/page.html') return send(200, TYPES['.html']!, PAGE);
    if (path === '/page-noworker.html')
      return send(200, TYPES['.html']!, PAGE, { 'content-security-policy': "worker-src 'none'" });
    if (path.startsWith('/bench/')) {
      const code = pages.get(path.slice('/bench/'.length));
      return code === undefined ? send(404, 'text/plain', 'not found') : send(200, TYPES['.js']!, code);
    }
    if (path.startsWith('/lib/')) {
      const file = normalize(join(libDir, path.slice('/lib/'.length)));
      if (!file.startsWith(libDir + sep) || !existsSync(file) || !statSync(file).isFile())
        return send(404, 'text/plain', 'not found');
      return send(200, TYPES[extname(file)] ?? 'application/octet-stream', readFileSync(file));
    }
    send(404, 'text/plain', 'not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    takeLibRequests: () => {
      const taken = libRequests;
      libRequests = [];
      return taken;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * The JavaScript heap a page or a worker uses, in bytes, after a full garbage collection (CDP
 * `HeapProfiler.collectGarbage`, then `Runtime.getHeapUsage`: V8's used size, DOM objects' C++ side not
 * included).
 */
export async function heapUsed(target: Page | Target): Promise<number> {
  const session = await target.createCDPSession();
  try {
    // Twice: objects a first collection finalizes are freed by the second.
    await session.send('HeapProfiler.collectGarbage');
    await session.send('HeapProfiler.collectGarbage');
    const { usedSize } = await session.send('Runtime.getHeapUsage');
    return usedSize;
  } finally {
    await session.detach().catch(() => undefined);
  }
}

export async function launch(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromePath(),
    headless: true,
    args: CHROME_ARGS,
    protocolTimeout: 240_000,
  });
}

/**
 * A bench page's window once `openPage` loaded its modules: `zbb` (bench/page/measure.ts) and, when asked,
 * `zbbHarness` (bench/page/harness.ts). Functions given to `page.evaluate` run in the page, so they reach
 * these through `window` (a cast, nothing from this file).
 */
export type BenchWindow = { zbb: typeof Measure; zbbHarness: typeof Harness };

/** Opens one of the static pages and loads the bench's page modules into it. */
export async function openPage(
  page: Page,
  origin: string,
  o: { noWorker?: boolean; harness?: boolean } = {},
): Promise<void> {
  await page.goto(`${origin}/${o.noWorker ? 'page-noworker.html' : 'page.html'}`, { waitUntil: 'load' });
  await page.evaluate(`(async () => {
    window.zbb = await import('/bench/measure.js');
    ${o.harness ? "window.zbbHarness = await import('/bench/harness.js');" : ''}
  })()`);
}

export interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  /** Thread (CPU) time, where the platform reports it. */
  tdur?: number;
  pid: number;
  tid: number;
}

const TRACE_CATEGORIES = ['toplevel', 'blink.user_timing'];

/** Starts recording what every thread runs (top-level tasks) and the pages' performance marks. */
export async function startTrace(page: Page): Promise<void> {
  await page.tracing.start({ categories: TRACE_CATEGORIES });
}

export async function stopTrace(page: Page): Promise<TraceEvent[]> {
  const buf = await page.tracing.stop();
  if (!buf) return [];
  return (JSON.parse(new TextDecoder().decode(buf)) as { traceEvents: TraceEvent[] }).traceEvents;
}

/** Runs `fn` under a trace (see `startTrace`). */
export async function traced<T>(
  page: Page,
  fn: () => Promise<T>,
): Promise<{ value: T; events: TraceEvent[] }> {
  await startTrace(page);
  const r = await fn().then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const events = await stopTrace(page);
  if (!r.ok) throw r.error;
  return { value: r.value, events };
}

/** A main-thread task: wall-clock start and end, and the thread (CPU) time it took, in microseconds. */
export interface Task {
  start: number;
  end: number;
  cpu: number;
}

/** The top-level main-thread tasks of the page that made the marks named `markPrefix…`. */
export function mainThreadTasks(events: TraceEvent[], markPrefix: string): Task[] {
  const mark = events.find((e) => e.cat.includes('blink.user_timing') && e.name.startsWith(markPrefix));
  if (!mark) throw new Error(`no mark ${markPrefix}* in the trace`);
  const tasks = events
    .filter(
      (e) =>
        e.pid === mark.pid &&
        e.tid === mark.tid &&
        e.ph === 'X' &&
        e.name === 'ThreadControllerImpl::RunTask' &&
        typeof e.dur === 'number',
    )
    .map((e): Task => ({ start: e.ts, end: e.ts + e.dur!, cpu: e.tdur ?? e.dur! }))
    .sort((a, b) => a.start - b.start);
  // Outermost only: a task run inside another (a nested run loop) is already in its parent's time.
  const outer: Task[] = [];
  for (const t of tasks) {
    const last = outer[outer.length - 1];
    if (last && t.start < last.end) last.end = Math.max(last.end, t.end);
    else outer.push({ ...t });
  }
  return outer;
}

export function markTimes(events: TraceEvent[], prefix: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of events)
    if (e.cat.includes('blink.user_timing') && e.name.startsWith(prefix) && !out.has(e.name))
      out.set(e.name, e.ts);
  return out;
}

export interface Busy {
  /** Thread time of the tasks that started in the window, ms: what the main thread worked. */
  cpuMs: number;
  /** Wall time the main thread was in a task within the window, ms (includes time the OS ran others). */
  wallMs: number;
  /** The longest task overlapping the window, wall-clock ms (the long-task API's measure). */
  longestMs: number;
  /** The longest task's thread time, ms. */
  longestCpuMs: number;
}

/** What the main thread did within [from, to] (trace microseconds). */
export function busy(tasks: Task[], from: number, to: number): Busy {
  let cpu = 0;
  let wall = 0;
  let longest = 0;
  let longestCpu = 0;
  for (const t of tasks) {
    if (t.end <= from || t.start >= to) continue;
    if (t.start >= from) cpu += t.cpu;
    wall += Math.min(t.end, to) - Math.max(t.start, from);
    if (t.end - t.start > longest) {
      longest = t.end - t.start;
      longestCpu = t.cpu;
    }
  }
  return {
    cpuMs: cpu / 1000,
    wallMs: wall / 1000,
    longestMs: longest / 1000,
    longestCpuMs: longestCpu / 1000,
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until `check` is true, checking every `everyMs`, for at most `timeoutMs`; returns whether it became so. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 20,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(everyMs);
  }
  return false;
}
