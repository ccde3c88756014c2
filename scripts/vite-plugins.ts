import { resolve } from 'node:path';
import type { Plugin } from 'vite';

/**
 * In built code the worker is its own emitted file (see src/world/poller/worker-url.ts): Vite bundles it in a
 * graph of its own (`?worker&url`). The demo's build uses this; the library uses `workerInGraph` below.
 */
export function builtWorkerUrl(): Plugin {
  return {
    name: 'zbb-built-worker-url',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (!/\/worker-url\.ts$/.test(source) || !importer) return null;
      const resolved = await this.resolve(
        source.replace(/worker-url\.ts$/, 'worker-url.build.ts'),
        importer,
        options,
      );
      return resolved?.id ?? null;
    },
  };
}

const WORKER_URL_ID = '\0zbb-worker-url';

/**
 * The library's worker, built in the same module graph as the pages' code: the shared worker
 * (src/world/poller/shared-worker.ts) is one more entry of the build, so that the engine, the schemas, idb
 * and the storage code it shares with the in-page poller are chunks both import, never two copies. A module
 * worker (`{ type: 'module' }`, see src/world/client.ts) can import those chunks. worker-url.ts becomes a
 * module that gives the emitted file's URL relative to the chunk that asks for it.
 */
export function workerInGraph(workerSource: string, name = 'shared-worker'): Plugin {
  let ref = '';
  return {
    name: 'zbb-worker-in-graph',
    enforce: 'pre',
    apply: 'build',
    buildStart() {
      ref = this.emitFile({ type: 'chunk', id: resolve(workerSource), name });
    },
    resolveId(source, importer) {
      if (!/\/worker-url\.ts$/.test(source) || !importer) return null;
      return WORKER_URL_ID;
    },
    load(id) {
      if (id !== WORKER_URL_ID) return null;
      return `export function workerUrl() { return import.meta.ROLLUP_FILE_URL_${ref}; }\n`;
    },
  };
}

const BOOT = 'zbb-boot:';

/**
 * The script tags' files. Each is a few lines that load its element's module from chunks/ and, where that
 * fails (the library copied without its chunks/ folder, a file blocked), say so in every element of theirs on
 * the page (as text, while the element is still undefined) and in the console, instead of stopping silently.
 * `entries` maps each script tag's name to its module and the tags it defines; `locator`, a module whose
 * `locate(error)` names the file that made the import fail (the browser names the module it was asked for,
 * not its import that is missing), loaded only then.
 */
export function scriptTagBoot(
  entries: Record<string, { source: string; tags: readonly string[] }>,
  locator?: string,
): Plugin {
  return {
    name: 'zbb-script-tag-boot',
    enforce: 'pre',
    resolveId(source) {
      // Vite's library mode may hand the entry over as a path under the root.
      const at = source.indexOf(BOOT);
      return at >= 0 ? `\0${source.slice(at)}` : null;
    },
    load(id) {
      if (!id.startsWith(`\0${BOOT}`)) return null;
      const entry = entries[id.slice(BOOT.length + 1)];
      if (!entry) return null;
      // Module scripts run once the document is parsed: the elements are there to be told.
      const locate = locator
        ? `e = await import(${JSON.stringify(resolve(locator))}).then((m) => m.locate(e), () => e);`
        : '';
      return `import(${JSON.stringify(resolve(entry.source))}).catch(async (e) => {
  ${locate}
  const why = \` could not be loaded (\${e.message}): copy the whole dist/lib folder, chunks/ included\`;
  console.error('zerto-billing:' + why);
  for (const el of document.querySelectorAll(${JSON.stringify(entry.tags.join(','))}))
    if (!customElements.get(el.localName)) el.textContent = '<' + el.localName + '>' + why;
});
`;
    },
  };
}

/** The entry id of a script tag's boot file (see `scriptTagBoot`). */
export const bootEntry = (name: string): string => BOOT + name;
