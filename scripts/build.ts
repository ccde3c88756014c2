// `npm run build`: the library (script-tag bundles, ES modules and types for bundlers, the custom elements
// manifest), the extension and the static demo, each into its own folder of dist/.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'vite';
import { buildLibrary, common } from './lib-build.ts';

const root = resolve(import.meta.dirname, '..');
const only = process.argv.slice(2);
const wanted = (name: string) => only.length === 0 || only.includes(name);

async function main() {
  if (wanted('lib')) {
    rmSync('dist/lib', { recursive: true, force: true });
    mkdirSync('dist/lib', { recursive: true });
    // Script tags (zerto-billing-banner.js, zerto-billing.js, one per element), the chunks they share and load
    // on demand, and the shared worker: one module graph (see lib-build.ts).
    await buildLibrary('dist/lib');
    // ES modules for bundlers: one file per source module, dependencies left to the bundler.
    await build({
      ...common,
      build: {
        ...common.build,
        minify: false,
        outDir: 'dist/lib/esm',
        lib: { entry: { index: 'components/index.ts', core: 'src/core/index.ts' }, formats: ['es'] },
        rollupOptions: {
          external: [/^lit/, /^idb/, /^zod/],
          output: { preserveModules: true, preserveModulesRoot: root, entryFileNames: '[name].js' },
        },
      },
    });
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit', cwd: root });
    execFileSync(
      'npx',
      ['custom-elements-manifest', 'analyze', '--config', 'custom-elements-manifest.config.mjs', '--quiet'],
      {
        stdio: 'inherit',
        cwd: root,
      },
    );
    copyFileSync('custom-elements.json', 'dist/lib/custom-elements.json');
    console.log('built dist/lib (script tags and chunks/, ES modules, types, custom-elements.json)');
  }
  for (const [name, config] of [
    ['extension', 'extension/vite.config.ts'],
    ['demo', 'demo/vite.config.ts'],
  ] as const) {
    if (!wanted(name) || !existsSync(config)) continue;
    execFileSync('npx', ['vite', 'build', '--config', config], { stdio: 'inherit', cwd: root });
  }
}

await main();
