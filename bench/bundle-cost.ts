// Which modules the script-tag banner bundle is made of, and what each costs (minified bytes before gzip),
// grouped by package or folder: `npx tsx bench/bundle-cost.ts`.
import { resolve } from 'node:path';
import { build, type Rollup } from 'vite';
import { builtWorkerUrl } from '../scripts/vite-plugins.ts';

const root = resolve(import.meta.dirname, '..');
const entry = process.argv[2] ?? 'components/banner/zerto-billing-banner.ts';
const groups = new Map<string, number>();
const out = (await build({
  root,
  configFile: false,
  logLevel: 'silent',
  base: './',
  plugins: [builtWorkerUrl()],
  worker: { format: 'es', plugins: () => [builtWorkerUrl()] },
  build: { write: false, target: 'es2022', minify: true, lib: { entry, formats: ['es'], fileName: 'x' } },
})) as Rollup.RollupOutput | Rollup.RollupOutput[];
const outputs = Array.isArray(out) ? out : [out];
for (const o of outputs) {
  for (const item of o.output) {
    if (item.type !== 'chunk') continue;
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
