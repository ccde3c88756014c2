// The library's build settings, shared by `npm run build` (scripts/build.ts) and the byte-budget test, which
// builds the script-tag banner exactly as shipped.
import { resolve } from 'node:path';
import { build, type InlineConfig } from 'vite';
import { minifyLitTemplates } from './minify-templates.ts';
import { builtWorkerUrl } from './vite-plugins.ts';

const root = resolve(import.meta.dirname, '..');

export const common: InlineConfig = {
  root,
  configFile: false,
  logLevel: 'warn',
  base: './',
  plugins: [builtWorkerUrl(), minifyLitTemplates()],
  worker: { format: 'es', plugins: () => [builtWorkerUrl()] },
  esbuild: { legalComments: 'none' },
  build: { target: 'es2022', sourcemap: true, minify: true, emptyOutDir: false, reportCompressedSize: false },
};

/** One self-contained ES module per script tag (plus the worker file it starts). */
export function scriptTagConfig(name: string, entry: string, outDir: string): InlineConfig {
  return {
    ...common,
    build: {
      ...common.build,
      outDir,
      lib: { entry: { [name]: entry }, formats: ['es'], fileName: (_f, n) => `${n}.js` },
      rollupOptions: {
        // Shared code stays in the entry (the one file a script tag loads); parts loaded on demand, such as
        // the export, import from it.
        preserveEntrySignatures: 'allow-extension',
        // Fully minified, whitespace included: Vite's library mode keeps it in ES output for bundlers that
        // read pure annotations, but these files go to browsers as they are.
        output: {
          chunkFileNames: `chunks/${name}-[name]-[hash].js`,
          minify: true,
          // V8's compile hint: nearly all of the entry runs in the first render, so compiling it as it loads
          // (about 3 ms more then) saves compiling each function on its first call during that render.
          postBanner: (chunk) => (chunk.isEntry ? '//# allFunctionsCalledOnLoad' : ''),
        },
      },
    },
  };
}

export async function buildScriptTag(name: string, entry: string, outDir: string): Promise<void> {
  await build(scriptTagConfig(name, entry, outDir));
}
