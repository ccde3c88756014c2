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
const defaultOutDir = resolve(here, 'dist/extension');

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

/** The schema of chrome.storage.managed, named by the manifest: crxjs does not copy it. */
function managedSchema(): Plugin {
  return {
    name: 'zbb-managed-schema',
    apply: 'build',
    generateBundle() {
      this.emitFile({
        type: 'asset',
        fileName: 'managed-schema.json',
        source: readFileSync(resolve(root, 'managed-schema.json'), 'utf8'),
      });
    },
  };
}

/** Zips the built folder beside it (`--outDir` builds elsewhere, as the tests do, and zips there). */
function zipExtension(): Plugin {
  let outDir = defaultOutDir;
  return {
    name: 'zbb-zip-extension',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      const zipFile = resolve(outDir, '..', 'zerto-billing-banner-extension.zip');
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
      mkdirSync(resolve(outDir, '..'), { recursive: true });
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
    outDir: defaultOutDir,
    emptyOutDir: true,
    target: 'es2022',
    minify: true,
    sourcemap: false,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  plugins: [crx({ manifest }), noWebAccessibleResources(), managedSchema(), zipExtension()],
});
