import { crx } from '@crxjs/vite-plugin';
import { zipSync } from 'fflate';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import manifest from './manifest.config.ts';

/**
 * The Manifest V3 extension, built by @crxjs/vite-plugin from extension/ into dist/extension/ (the unpacked
 * folder Chromium loads), then zipped into dist/zerto-billing-banner-extension.zip (what a store or a
 * policy installs).
 */
const here = resolve(import.meta.dirname, '..');
const root = resolve(here, 'extension');
const outDir = resolve(here, 'dist/extension');
const zipFile = resolve(here, 'dist/zerto-billing-banner-extension.zip');

/** Content scripts registered at run time load from the extension itself: no page needs to fetch them. */
function noWebAccessibleResources(): Plugin {
  return {
    name: 'zbb-no-web-accessible-resources',
    enforce: 'post',
    // crxjs calls this on every plugin after it rendered the manifest; it lists the content scripts as
    // web-accessible to every http(s) page, which would let any page probe for the extension.
    renderCrxManifest(m: { web_accessible_resources?: unknown }) {
      delete m.web_accessible_resources;
      return m;
    },
    generateBundle(_options, bundle) {
      // crxjs leaves the ES-module form of each IIFE content script beside it, unreferenced.
      for (const [name, file] of Object.entries(bundle))
        if (file.type === 'chunk' && /\/extension\/content\/[^/]+\.ts$/.test(file.facadeModuleId ?? ''))
          Reflect.deleteProperty(bundle, name); // how a Rollup plugin drops a file from the output
    },
  } as Plugin;
}

function zipExtension(): Plugin {
  return {
    name: 'zbb-zip-extension',
    apply: 'build',
    closeBundle() {
      const files: Record<string, Uint8Array> = {};
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const path = join(dir, name);
          if (statSync(path).isDirectory()) walk(path);
          else if (!name.endsWith('.map'))
            files[relative(outDir, path).split('\\').join('/')] = readFileSync(path);
        }
      };
      walk(outDir);
      mkdirSync(resolve(here, 'dist'), { recursive: true });
      // A fixed date keeps the zip identical for identical files.
      writeFileSync(zipFile, zipSync(files, { level: 9, mtime: new Date('2026-01-01T00:00:00Z') }));
    },
  };
}

export default defineConfig({
  root,
  publicDir: false,
  logLevel: 'warn',
  resolve: {
    // Banners in the extension are fed by the service worker and never start the page's poller worker.
    alias: [{ find: /^.*\/poller\/worker-url\.ts$/, replacement: resolve(root, 'content/no-worker.ts') }],
  },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    minify: true,
    sourcemap: false,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  plugins: [crx({ manifest }), noWebAccessibleResources(), zipExtension()],
});
