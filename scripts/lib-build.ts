// The library's build settings, shared by `npm run build` (scripts/build.ts), the byte-budget test
// (test/node/budget.test.ts) and the test pages that run the built library (test/support/built-plugin.ts): all
// of them build the library exactly as shipped.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { build, type InlineConfig, type Plugin, type Rolldown } from 'vite';
import { minifyLitTemplates } from './minify-templates.ts';
import { bootEntry, builtWorkerUrl, scriptTagBoot, workerInGraph } from './vite-plugins.ts';

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

/**
 * The script-tag entries, each loaded with one `<script type="module">`: every element, and each element
 * alone (the banner's is the one a console usually loads). The file names are public: the README and the
 * package's exports name them.
 */
export const SCRIPT_TAGS = {
  'zerto-billing-banner': 'components/banner/zerto-billing-banner.ts',
  'zerto-billing': 'components/index.ts',
  'zerto-billing-alerts': 'components/alerts/zerto-billing-alerts.ts',
  'zerto-usage-test': 'components/usage-test/zerto-usage-test.ts',
  'zerto-billing-sites': 'components/sites/zerto-billing-sites.ts',
  'zerto-usage-export': 'components/export/zerto-usage-export.ts',
} as const;

/** Every element's tag: each per-element script tag is named after its element. */
const ELEMENT_TAGS = Object.keys(SCRIPT_TAGS).filter((name) => name !== 'zerto-billing');

/** The origin's shared poller worker: a module worker, one more entry of the same graph. */
export const WORKER_SOURCE = 'src/world/poller/shared-worker.ts';
const WORKER_NAME = 'shared-worker';

/**
 * One module graph for everything a browser loads from dist/lib: the script-tag entries, the parts they load
 * on demand and the shared worker. A module used by several of them is in one chunk under chunks/, which each
 * imports: no code is in two files.
 */
export function libraryConfig(outDir: string): InlineConfig {
  const banner = resolve(root, SCRIPT_TAGS['zerto-billing-banner']);
  return {
    ...common,
    plugins: [
      scriptTagBoot(
        Object.fromEntries(
          Object.entries(SCRIPT_TAGS).map(([name, source]) => [
            name,
            { source: resolve(root, source), tags: name === 'zerto-billing' ? ELEMENT_TAGS : [name] },
          ]),
        ),
        resolve(root, 'src/world/missing.ts'),
      ),
      workerInGraph(resolve(root, WORKER_SOURCE), WORKER_NAME),
      minifyLitTemplates(),
      sideEffectFree(/\/src\/core\/texts\/[^/]+\.ts$/),
      lazyProbes(),
      inlineRuntime(),
    ],
    worker: undefined,
    build: {
      ...common.build,
      outDir,
      lib: {
        // Each script tag's file is a boot file that loads its element's module (see `scriptTagBoot`).
        entry: Object.fromEntries(Object.keys(SCRIPT_TAGS).map((name) => [name, bootEntry(name)])),
        formats: ['es'],
        // The worker's file name carries a hash: a tab of a newer release never joins the shared worker that
        // a tab of an older one started (a shared worker is one per script URL and name).
        fileName: (_format, name) => (name === WORKER_NAME ? `chunks/${name}-[hash].js` : `${name}.js`),
      },
      rollupOptions: {
        // Entries may export what chunks of theirs hold, rather than a facade file more per entry.
        preserveEntrySignatures: 'allow-extension',
        onLog(level, log, handler) {
          // zerto-billing.js imports the export element statically, the alerts load its entry on demand:
          // both are right, and nothing moves.
          if (log.code === 'INEFFECTIVE_DYNAMIC_IMPORT' && /zerto-usage-export\.ts/.test(log.message)) return;
          handler(level, log);
        },
        output: {
          // A short hash: each page-load file names the chunks it imports, and 6 characters (of 64) tell one
          // release's files from another's as well as 8.
          chunkFileNames: 'chunks/[name]-[hash:6].js',
          codeSplitting: { groups: pageLoadGroups(banner, resolve(root, WORKER_SOURCE)) },
          // Fully minified, whitespace included: Vite's library mode keeps it in ES output for bundlers that
          // read pure annotations, but these files go to browsers as they are.
          minify: true,
          // V8's compile hint: nearly all of the banner's page-load code runs in its first render, so
          // compiling it as it loads (about 3 ms more then) saves compiling each function on its first call
          // during that render.
          postBanner: (chunk) =>
            PAGE_LOAD_GROUPS.includes(chunk.name) ? '//# allFunctionsCalledOnLoad' : '',
        },
      },
    },
  };
}

/**
 * Modules that only declare (constants and pure functions), which the bundler cannot tell by itself: the
 * operator's words (src/core/texts/) build their tables with `Object.freeze` and `new Set`, calls it must
 * assume do something. Left so, every importer of the core's index (the shared worker, which shows no text)
 * imported the texts chunk for those calls alone.
 */
function sideEffectFree(id: RegExp): Plugin {
  return {
    name: 'zbb-side-effect-free',
    transform: { filter: { id }, handler: () => ({ moduleSideEffects: false }) },
  };
}

/**
 * Rolldown puts its runtime helpers (here the one that makes a lazily imported module's namespace object) in a
 * chunk of their own, which no code-splitting group can take: 159 bytes that a chunk importing them fetches
 * only once it has parsed, one more round trip (in the banner's first render among others). Each importer
 * gets the helpers in place of that import, in a scope of their own, on lines of their own inserted before the
 * import's (the import's text becomes as many spaces, so that the source map only gains empty lines); the
 * runtime chunk is dropped once nothing imports it.
 */
function inlineRuntime(): Plugin {
  const isRuntime = (fileName: string): boolean => /(^|\/)rolldown-runtime-[^/]*\.js$/.test(fileName);
  const specs = (list: string): [string, string][] =>
    list.split(',').map((spec) => {
      const [a, b = a] = spec.trim().split(/\s+as\s+/);
      return [a!, b!];
    });
  /** Chunks given the helpers: where (line, from 0) and how many lines were inserted, empty in their maps. */
  const insertedLines = new Map<string, { at: number; count: number }>();
  return {
    name: 'zbb-inline-runtime',
    // Rolldown writes a chunk's source map as it rendered it, whatever `generateBundle` sets: the written map
    // gets its empty line here.
    writeBundle(options) {
      for (const [fileName, { at, count }] of insertedLines) {
        const file = resolve(options.dir ?? '', `${fileName}.map`);
        if (!existsSync(file)) continue;
        const map = JSON.parse(readFileSync(file, 'utf8')) as { mappings: string };
        const lines = map.mappings.split(';');
        lines.splice(at, 0, ...Array<string>(count).fill(''));
        writeFileSync(file, JSON.stringify({ ...map, mappings: lines.join(';') }));
      }
    },
    generateBundle(_options, bundle) {
      insertedLines.clear();
      const runtime = Object.values(bundle).find((f) => f.type === 'chunk' && isRuntime(f.fileName));
      if (runtime?.type !== 'chunk') return;
      const code = runtime.code.replace(/\/\/# sourceMappingURL=.*$/m, '');
      const exp = /export\s*\{([^}]*)\};?/.exec(code);
      if (!exp) return;
      const own = new Map(specs(exp[1]!).map(([local, exported]) => [exported, local]));
      const body = code.slice(0, exp.index) + code.slice(exp.index + exp[0].length);
      const name = runtime.fileName
        .split('/')
        .pop()!
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const importOf = new RegExp(`import\\s*\\{([^}]*)\\}\\s*from\\s*"\\./${name}";`);
      for (const f of Object.values(bundle)) {
        if (f.type !== 'chunk' || f === runtime) continue;
        const imp = importOf.exec(f.code);
        if (!imp) continue;
        const wanted = specs(imp[1]!);
        if (wanted.some(([exported]) => !own.has(exported))) continue;
        const lineStart = f.code.lastIndexOf('\n', imp.index) + 1;
        const line = f.code.slice(0, lineStart).split('\n').length - 1;
        const helpers = `var{${wanted.map(([e, l]) => `${e}:${l}`).join(',')}}=(()=>{${body}\n;return{${wanted
          .map(([e]) => `${e}:${own.get(e)}`)
          .join(',')}}})();\n`;
        f.code =
          f.code.slice(0, lineStart) +
          helpers +
          f.code.slice(lineStart, imp.index) +
          ' '.repeat(imp[0].length) +
          f.code.slice(imp.index + imp[0].length);
        insertedLines.set(f.fileName, { at: line, count: helpers.split('\n').length - 1 });
        // Another reference to the runtime chunk (a second import, a re-export) keeps it, and the chunk with it.
        if (!f.code.includes(`./${runtime.fileName.split('/').pop()!}`))
          f.imports = f.imports.filter((i) => i !== runtime.fileName);
      }
      const used = Object.values(bundle).some(
        (f) =>
          f.type === 'chunk' &&
          (f.imports.includes(runtime.fileName) || f.dynamicImports.includes(runtime.fileName)),
      );
      // A file is removed from the output by removing it from the bundle.
      if (!used)
        for (const f of [runtime.fileName, `${runtime.fileName}.map`]) Reflect.deleteProperty(bundle, f);
    },
  };
}

/**
 * In the library's browser files each mode's probe loads on demand (src/world/probes/load.lazy.ts in place of
 * load.ts). Not in the extension's build: its background is a service worker, where `import()` is not allowed.
 */
function lazyProbes(): Plugin {
  const eager = resolve(root, 'src/world/probes/load.ts');
  return {
    name: 'zbb-lazy-probes',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (!/\/load\.ts$/.test(source) || !importer) return null;
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      return resolved?.id === eager ? resolve(root, 'src/world/probes/load.lazy.ts') : null;
    },
  };
}

const PAGE_LOAD_GROUPS = ['elements', 'core'];

/**
 * The shared worker's code past the page load, in one chunk: the poller, what every probe that sends anything
 * (zvm, direct) uses, and (the group takes what they import) the database, its schemas (zod), the engine's
 * writer, the channel and the usage history. Each mode's probe, loaded on demand, is a small chunk over it.
 * Left to itself the bundler cut this into a file per set of importers (seven for the worker, each gzipped
 * apart). The alerts, sites and export elements load it too, for the storage: in a page whose banner
 * started the worker it is in the HTTP cache already.
 */
const POLLER_KIT = [
  'src/world/poller/monitor.ts',
  'src/world/poller/schedule.ts',
  'src/world/probes/load.lazy.ts',
  'src/world/probes/types.ts',
  'src/world/probes/http.ts',
  'src/world/probes/steps.ts',
  'src/world/probes/usage.ts',
];

/**
 * The banner's renderer with what it needs beyond the page load (the operator's words, the date formats, the
 * controls' styles, the test's event): one chunk, so that a banner with something to show fetches it in one
 * round trip, not the renderer then its imports. The other elements, which show the same words, import it too.
 */
const TEXTS = [
  'components/banner/banner-parts.ts',
  'components/banner/banner-look.styles.ts',
  'components/shared/format.ts',
  'components/shared/controls.styles.ts',
  'components/shared/test-result.ts',
  'src/core/texts/messages.ts',
  'src/core/texts/advice.ts',
];

/**
 * What the banner loads at page load, in as few files as sharing allows. Left to itself the bundler makes a
 * chunk for each set of entries that share modules, which spread the banner's page-load code over five files,
 * each gzipped apart and each with its own imports and exports. Here it is three:
 *  - the entry, which registers <zerto-billing-banner> and nothing else, since the other entries must not
 *    import it (each entry registers its own element only);
 *  - `core`: the part the shared worker runs too (the engine, the guard, the storage names). It must be a
 *    chunk of its own, free of DOM code, for the worker to import it;
 *  - `elements`: the rest (Lit, the shared element code, the page's client of the worker, the banner's
 *    class), which every element's entry imports.
 * Past the page load: `poller` (see POLLER_KIT) and `texts` (see TEXTS).
 */
function pageLoadGroups(bannerEntry: string, workerEntry: string): Rolldown.CodeSplittingGroup[] {
  let sets: { page: Set<string>; worker: Set<string> } | undefined;
  const closure = (from: string, info: (id: string) => Rolldown.ModuleInfo | null, lazy: boolean) => {
    const seen = new Set<string>();
    const visit = (id: string) => {
      if (seen.has(id)) return;
      seen.add(id);
      const m = info(id);
      for (const dep of m?.importedIds ?? []) visit(dep);
      if (lazy) for (const dep of m?.dynamicallyImportedIds ?? []) visit(dep);
    };
    visit(from);
    return seen;
  };
  const group = (name: string, want: (inPage: boolean, inWorker: boolean, id: string) => boolean) => ({
    debugName: name,
    name: (id: string, ctx: { getModuleInfo(id: string): Rolldown.ModuleInfo | null }) => {
      const info = (m: string) => ctx.getModuleInfo(m);
      // The worker's side counts what it loads on demand too (each mode's probe, the outbox): a module of the
      // banner's page load that one of those needs must be in `core`, never in `elements` with the DOM code.
      sets ??= { page: closure(bannerEntry, info, false), worker: closure(workerEntry, info, true) };
      return want(sets.page.has(id), sets.worker.has(id), id) ? name : null;
    },
  });
  const named = (files: readonly string[]) => {
    const ids = new Set(files.map((f) => resolve(root, f)));
    return (id: string) => ids.has(id);
  };
  const pollerKit = named(POLLER_KIT);
  const texts = named(TEXTS);
  return [
    { ...group('core', (inPage, inWorker) => inPage && inWorker), priority: 4 },
    {
      ...group('elements', (inPage, inWorker, id) => inPage && !inWorker && id !== bannerEntry),
      priority: 3,
    },
    { ...group('poller', (inPage, _w, id) => !inPage && pollerKit(id)), priority: 2 },
    { ...group('banner-parts', (inPage, _w, id) => !inPage && texts(id)), priority: 1 },
  ];
}

/** Builds the library's browser files (script tags, chunks, worker) into `outDir`. */
export async function buildLibrary(outDir: string): Promise<void> {
  await build(libraryConfig(outDir));
}
