// Gzip sizes of the built library (dist/lib), at gzip -9.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

export const gzipBytes = (buf: Buffer | string): number => gzipSync(buf, { level: 9 }).length;

/** Files a module imports statically (`import … from "./x.js"`, `import "./x.js"`, `export … from "./x.js"`). */
export function staticImports(code: string): string[] {
  const out: string[] = [];
  const re = /(?:^|[;}\n])\s*(?:import|export)\s*(?:[\w$*{}\s,]+?\s*from\s*)?["'](\.{1,2}\/[^"']+)["']/g;
  for (const m of code.matchAll(re)) out.push(m[1]!);
  return out;
}

/** Files a module loads lazily (`import("./x.js")`) or starts as a worker (`new URL("x.js", import.meta.url)`). */
export function lazyLoads(code: string): string[] {
  const out: string[] = [];
  // Quoted with ' " or ` (a full minifier writes template literals).
  for (const m of code.matchAll(/\bimport\(\s*["'`](\.{1,2}\/[^"'`]+)["'`]\s*\)/g)) out.push(m[1]!);
  for (const m of code.matchAll(/new URL\(\s*["'`]([^"'`:]+\.js)["'`]\s*,\s*import\.meta\.url\s*\)/g))
    out.push(m[1]!.startsWith('.') ? m[1]! : `./${m[1]!}`);
  return out;
}

export interface FileSize {
  file: string;
  bytes: number;
  gzip: number;
}

const resolveFrom = (libDir: string, from: string, spec: string) =>
  relative(libDir, resolve(libDir, dirname(from), spec))
    .split('\\')
    .join('/');

/** `file` and every file it imports statically, transitively (paths relative to `libDir`). */
export function staticClosure(libDir: string, file: string): Set<string> {
  const seen = new Set<string>();
  const visit = (f: string) => {
    if (seen.has(f) || !existsSync(join(libDir, f))) return;
    seen.add(f);
    for (const s of staticImports(readFileSync(join(libDir, f), 'utf8'))) visit(resolveFrom(libDir, f, s));
  };
  visit(file);
  return seen;
}

export interface Sizes {
  /** The script-tag banner and every file it imports statically (what a console loads at page load). */
  banner: FileSize[];
  /** Everything the banner can load later: lazy chunks and the poller worker. */
  bannerLater: FileSize[];
  /** Every script file of the library (see `libraryFiles`). */
  all: FileSize[];
  /** zerto-billing.js (every element) with everything it loads, eagerly or later. */
  allElements: FileSize[];
  /** The shared worker the banner starts and the files it imports. */
  worker: FileSize[];
}

export const sum = (files: FileSize[]): number => files.reduce((s, f) => s + f.gzip, 0);

/**
 * "Every file of the library": every .js file under dist/lib except source maps and the esm/ and types/
 * folders (those are the same code again, unbundled for bundlers, and type declarations). That is the
 * script-tag entries, the chunks they share and load on demand, and the shared worker: one module graph,
 * each file counted once.
 */
export function libraryFiles(libDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      const rel = relative(libDir, p);
      if (e.isDirectory()) {
        if (rel !== 'esm' && rel !== 'types') walk(p);
      } else if (e.name.endsWith('.js')) out.push(rel);
    }
  };
  walk(libDir);
  return out.sort();
}

export function measureSizes(libDir: string): Sizes {
  const cache = new Map<string, FileSize>();
  const size = (rel: string): FileSize => {
    let s = cache.get(rel);
    if (!s) {
      const buf = readFileSync(join(libDir, rel));
      s = { file: rel, bytes: buf.length, gzip: gzipBytes(buf) };
      cache.set(rel, s);
    }
    return s;
  };
  const code = (rel: string) => readFileSync(join(libDir, rel), 'utf8');

  /** The entry and its static imports, transitively; then what those load later, transitively. */
  const closure = (entry: string) => {
    // A script tag's file is a boot file whose first import (dynamic, so that a missing chunk can be named in
    // the page) runs as it loads: what it imports belongs to the page load as much as a static import would.
    // Its second, the module that names a missing file, loads only when that import failed.
    const eager = new Set([entry]);
    const boot = lazyLoads(code(entry))[0];
    for (const f of [entry, ...(boot ? [resolveFrom(libDir, entry, boot)] : [])])
      for (const g of staticClosure(libDir, f)) eager.add(g);
    const later = new Set<string>();
    const queue = [...eager];
    while (queue.length) {
      const f = queue.shift()!;
      const next = [...lazyLoads(code(f)), ...staticImports(code(f))].map((s) => resolveFrom(libDir, f, s));
      for (const n of next) {
        if (eager.has(n) || later.has(n) || !existsSync(join(libDir, n))) continue;
        later.add(n);
        queue.push(n);
      }
    }
    return { eager: [...eager].map(size), later: [...later].sort().map(size) };
  };

  const banner = closure('zerto-billing-banner.js');
  const everything = closure('zerto-billing.js');
  // The worker: the file the page code starts with `new URL(…, import.meta.url)` (a chunk named so).
  const workerFile = banner.later.find((f) => /(^|\/)shared-worker-[^/]*\.js$/.test(f.file))?.file;
  return {
    banner: banner.eager,
    bannerLater: banner.later,
    all: libraryFiles(libDir).map(size),
    allElements: [...everything.eager, ...everything.later],
    worker: workerFile ? [...staticClosure(libDir, workerFile)].map(size) : [],
  };
}
