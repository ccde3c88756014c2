// Which modules a script tag can load (its entry, the chunks it imports or loads on demand, the worker it
// starts), and what each costs (minified bytes before gzip), grouped by package or folder:
// `npx tsx bench/bundle-cost.ts [script tag]` (default zerto-billing-banner.js). Built as shipped
// (scripts/lib-build.ts), in memory.
import { posix, resolve } from 'node:path';
import { build, type Rollup } from 'vite';
import { libraryConfig } from '../scripts/lib-build.ts';
import { lazyLoads } from './sizes.ts';

const root = resolve(import.meta.dirname, '..');
const entry = process.argv[2] ?? 'zerto-billing-banner.js';
const groups = new Map<string, number>();
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
// Everything reachable: static and dynamic imports, and files referenced by URL (the worker).
const reachable = new Set<string>();
const visit = (name: string) => {
  const c = byName.get(name);
  if (!c || reachable.has(name)) return;
  reachable.add(name);
  const byUrl = lazyLoads(c.code).map((u) => posix.join(posix.dirname(name), u));
  for (const i of [...c.imports, ...c.dynamicImports, ...byUrl]) visit(i);
};
visit(entry);
{
  for (const item of chunks) {
    if (!reachable.has(item.fileName)) continue;
    for (const [id, m] of Object.entries(item.modules)) {
      const rel = id.replace(`${root}/`, '');
      const key = rel.startsWith('node_modules/')
        ? rel
            .split('/')
            .slice(1, rel.split('/')[1]!.startsWith('@') ? 3 : 2)
            .join('/') +
          (rel.includes('/mini/')
            ? ' (mini)'
            : rel.includes('/core/') && rel.includes('zod')
              ? ' (core)'
              : '')
        : rel.split('/').slice(0, 3).join('/');
      groups.set(key, (groups.get(key) ?? 0) + m.renderedLength);
    }
  }
}
const rows = [...groups].sort((a, b) => b[1] - a[1]);
const total = rows.reduce((s, [, n]) => s + n, 0);
for (const [k, n] of rows)
  console.log(`${String(n).padStart(8)}  ${((100 * n) / total).toFixed(1).padStart(5)}%  ${k}`);
console.log(`${String(total).padStart(8)}  total (minified, before gzip)`);
