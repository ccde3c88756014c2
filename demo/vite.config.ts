import { copyFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { builtWorkerUrl } from '../scripts/vite-plugins.ts';

// The static demo: every story works from the files alone; the live story asks for `npm start`.
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  logLevel: 'warn',
  plugins: [
    builtWorkerUrl(),
    {
      name: 'zbb-demo-manifest',
      closeBundle() {
        const manifest = resolve(import.meta.dirname, '../custom-elements.json');
        if (existsSync(manifest))
          copyFileSync(manifest, resolve(import.meta.dirname, '../dist/demo/custom-elements.json'));
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
