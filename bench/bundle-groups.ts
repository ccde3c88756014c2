// What the library's files are made of, in gzip bytes, per package or folder, with the chunks a script tag
// loads at page load apart from the others: `npx tsx bench/bundle-groups.ts [script tag] [--json]` (default
// zerto-billing-banner.js). bench/bundle-cost.ts gives rendered bytes per group; this builds the same way
// (scripts/lib-build.ts's settings, one graph, in memory) and adds estimates of each group's gzip cost:
//  - "alone": the group's code, minified, gzipped by itself (-9). Groups compress better together than
//    apart, so these add up to more than the chunk;
//  - "share": the chunk's real gzip size split in proportion to "alone": these add up to the chunk.
import { relative, resolve } from 'node:path';
import { build, minify, type Rollup } from 'vite';
import { libraryConfig } from '../scripts/lib-build.ts';
import { gzipBytes } from './sizes.ts';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const json = args.includes('--json');
const entry = args.find((a) => !a.startsWith('--')) ?? 'zerto-billing-banner.js';

/** Groups a module id like bench/bundle-cost.ts does: a package (zod split in core and mini), else a folder. */
export function groupOf(id: string): string {
  const rel = relative(root, id.replace(/^\0/, '')).split('\\').join('/');
  const nm = rel.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = rel.slice(nm + 'node_modules/'.length).split('/');
    const pkg = parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
    if (pkg === 'zod') return rel.includes('/mini/') ? 'zod (mini)' : 'zod (core)';
    return pkg;
  }
  return rel.split('/').slice(0, 3).join('/');
}

interface Group {
  group: string;
  rendered: number;
  gzipAlone: number;
  gzipShare: number;
}

interface ChunkReport {
  file: string;
  /** Loaded at page load (the entry and what it imports statically), or later. */
  eager: boolean;
  bytes: number;
  gzip: number;
  /** Gzip of the chunk fully minified (whitespace too), for comparison with what the build emits. */
  gzipFullyMinified: number;
  groups: Group[];
}

// Built as scripts/build.ts builds the library (the same settings), in memory.
const config = libraryConfig('dist/unused');
const out = (await build({
  ...config,
  logLevel: 'silent',
  build: { ...config.build, write: false, sourcemap: false },
})) as Rollup.RollupOutput | Rollup.RollupOutput[];

const chunks = (Array.isArray(out) ? out : [out]).flatMap((o) =>
  o.output.filter((i): i is Rollup.OutputChunk => i.type === 'chunk'),
);
const byName = new Map(chunks.map((c) => [c.fileName, c]));
const eager = new Set<string>();
const visit = (name: string) => {
  if (eager.has(name)) return;
  eager.add(name);
  for (const i of byName.get(name)?.imports ?? []) visit(i);
};
if (!byName.has(entry)) throw new Error(`no ${entry} among ${[...byName.keys()].join(', ')}`);
visit(entry);

const minified = async (name: string, code: string) =>
  (await minify(name, code, { compress: false, mangle: true })).code;

const reports: ChunkReport[] = [];
for (const c of chunks) {
  const groups = new Map<string, { rendered: number; code: string[] }>();
  for (const [id, m] of Object.entries(c.modules)) {
    const g = groups.get(groupOf(id)) ?? { rendered: 0, code: [] };
    g.rendered += m.renderedLength;
    if (m.code) g.code.push(m.code);
    groups.set(groupOf(id), g);
  }
  const rows: Group[] = [];
  for (const [group, g] of groups) {
    const code = g.code.join('\n');
    let alone = 0;
    if (code.trim()) {
      try {
        alone = gzipBytes(await minified(`${group}.js`, code));
      } catch {
        alone = gzipBytes(code);
      }
    }
    rows.push({ group, rendered: g.rendered, gzipAlone: alone, gzipShare: 0 });
  }
  const gzip = gzipBytes(c.code);
  const totalAlone = rows.reduce((s, r) => s + r.gzipAlone, 0) || 1;
  for (const r of rows) r.gzipShare = Math.round((r.gzipAlone / totalAlone) * gzip);
  rows.sort((a, b) => b.gzipShare - a.gzipShare || b.rendered - a.rendered);
  reports.push({
    file: c.fileName,
    eager: eager.has(c.fileName),
    bytes: Buffer.byteLength(c.code),
    gzip,
    gzipFullyMinified: gzipBytes(await minified(c.fileName, c.code)),
    groups: rows,
  });
}
reports.sort((a, b) => Number(b.eager) - Number(a.eager) || b.gzip - a.gzip);

if (json) console.log(JSON.stringify({ entry, chunks: reports }));
else {
  for (const r of reports) {
    console.log(
      `\n${r.file} (${r.eager ? 'loaded at page load' : 'not at page load'}): ${r.bytes} bytes, ${r.gzip} gzip -9` +
        ` (${r.gzipFullyMinified} if whitespace were minified too)`,
    );
    console.log('   share    alone  rendered  group');
    for (const g of r.groups)
      console.log(
        `${String(g.gzipShare).padStart(8)} ${String(g.gzipAlone).padStart(8)} ${String(g.rendered).padStart(9)}  ${g.group}`,
      );
  }
}
