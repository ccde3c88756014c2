import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { builtWorkerUrl } from '../scripts/vite-plugins.ts';
import { readManifest } from './manifest-file.ts';
import { embedSnippetPlugin } from './snippet-plugin.ts';

// The static demo: every story works from the files alone; the live story asks for `npm start`.
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  logLevel: 'warn',
  plugins: [
    builtWorkerUrl(),
    embedSnippetPlugin(),
    {
      name: 'zbb-demo-manifest',
      // The controls and the Docs tab read it beside the page (with each element's tag filled in).
      closeBundle() {
        const manifest = readManifest();
        if (manifest)
          writeFileSync(
            resolve(import.meta.dirname, '../dist/demo/custom-elements.json'),
            JSON.stringify(manifest),
          );
      },
    },
  ],
  worker: { format: 'es', plugins: () => [builtWorkerUrl()] },
  build: {
    outDir: resolve(import.meta.dirname, '../dist/demo'),
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
    rollupOptions: {
      input: {
        index: resolve(import.meta.dirname, 'index.html'),
        csp: resolve(import.meta.dirname, 'csp.html'),
        'other-origin': resolve(import.meta.dirname, 'other-origin.html'),
      },
    },
  },
});
