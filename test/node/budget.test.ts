// The byte budget of issue 8, asserted: what a console loads at page load for the banner (its script tag,
// dist/lib/zerto-billing-banner.js, and the chunks it imports statically, gzip -9) stays within 16,384 bytes.
// The library is built here exactly as `npm run build` builds it (scripts/lib-build.ts: one module graph for
// every script tag, chunk and the worker), into a temporary folder.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { measureSizes, staticClosure, sum, type Sizes } from '../../bench/sizes.ts';
import { buildLibrary } from '../../scripts/lib-build.ts';

const BANNER_GZIP_CEILING = 16_384;

let dir: string;
let sizes: Sizes;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zbb-budget-'));
  await buildLibrary(dir);
  sizes = measureSizes(dir);
});
const closureOf = (file: string) => staticClosure(dir, file);
after(() => rm(dir, { recursive: true, force: true }));

describe('the byte budget', () => {
  test(`the banner loads at most ${BANNER_GZIP_CEILING} bytes (gzip -9) at page load`, () => {
    const files = sizes.banner.map((f) => `${f.file} ${f.gzip}`).join(', ');
    assert.ok(
      sizes.banner.some((f) => f.file === 'zerto-billing-banner.js'),
      'the entry is measured',
    );
    const total = sum(sizes.banner);
    assert.ok(total <= BANNER_GZIP_CEILING, `banner_gzip_bytes ${total} > ${BANNER_GZIP_CEILING} (${files})`);
  });

  test('storage, zod and the probes are loaded later, not at page load', async () => {
    // The page-load code reads state through the shared worker; the in-page poller, the database and the
    // schemas come in chunks loaded on demand, and the worker is a file of its own.
    const later = sizes.bannerLater.map((f) => f.file);
    assert.ok(
      later.some((f) => f.startsWith('chunks/shared-worker-')),
      `worker among ${later.join(', ')}`,
    );
    assert.ok(
      later.some((f) => /page-host/.test(f)),
      `the in-page poller among ${later.join(', ')}`,
    );
    for (const f of sizes.banner) {
      const code = await readFile(join(dir, f.file), 'utf8');
      // zod's message for a wrong type, and the IndexedDB classes idb wraps (the page-load code opens none).
      assert.doesNotMatch(code, /Invalid input/, `${f.file} carries zod`);
      assert.doesNotMatch(code, /\bIDBCursor\b/, `${f.file} carries idb`);
    }
  });

  test('a banner with something to show fetches its renderer in one request, beside the page-load files', () => {
    // The renderer (texts, formats, the banner's look) is the one chunk a banner with a warning loads before
    // its first paint: every file it imports must already be loaded at page load, or the paint waits for one
    // more round trip (as it did for Rolldown's 159-byte runtime chunk, now inlined by the build).
    const renderer = sizes.bannerLater.find((f) => f.file.startsWith('chunks/banner-parts-'));
    assert.ok(renderer, `the renderer among ${sizes.bannerLater.map((f) => f.file).join(', ')}`);
    const pageLoad = new Set(sizes.banner.map((f) => f.file));
    const beyond = [...closureOf(renderer.file)].filter((f) => f !== renderer.file && !pageLoad.has(f));
    assert.deepEqual(beyond, [], `${renderer.file} imports files the page load did not fetch`);
  });

  test('no chunk imports a runtime-helper chunk of the bundler, or carries the decorator helper', async () => {
    for (const f of sizes.all) {
      const code = await readFile(join(dir, f.file), 'utf8');
      // Elements declare their reactive properties statically: a decorator brings a helper chunk back.
      assert.doesNotMatch(code, /Reflect\.decorate/, `${f.file} carries the decorator helper`);
      assert.doesNotMatch(
        code,
        /from\s*"\.\/rolldown-runtime-/,
        `${f.file} imports the bundler's runtime chunk`,
      );
    }
    assert.ok(!sizes.all.some((f) => /rolldown-runtime/.test(f.file)), 'a runtime chunk is shipped');
  });

  test('the worker shares the engine with the page and loads no element code', async () => {
    // One module graph: the engine the banner runs at page load is the very file the worker imports (cached
    // once), and the chunks the worker imports hold no Lit or element (a worker has no DOM to run them).
    const worker = sizes.bannerLater.find((f) => f.file.startsWith('chunks/shared-worker-'))!.file;
    const workerFiles = closureOf(worker);
    const shared = sizes.banner.filter((f) => workerFiles.has(f.file)).map((f) => f.file);
    assert.ok(shared.length > 0, `the worker (${[...workerFiles].join(', ')}) shares no page-load chunk`);
    for (const f of workerFiles) {
      const code = await readFile(join(dir, f), 'utf8');
      assert.doesNotMatch(code, /customElements|attachShadow|createTreeWalker/, `${f} carries DOM code`);
    }
  });
});
