// The byte budget of issue 8, asserted: what a console loads at page load for the banner (the script-tag build
// and the files it imports statically, gzip -9) stays within 16,384 bytes. Built here exactly as
// `npm run build` builds it (scripts/lib-build.ts), into a temporary folder.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { measureSizes, sum, type Sizes } from '../../bench/sizes.ts';
import { buildScriptTag } from '../../scripts/lib-build.ts';

const BANNER_GZIP_CEILING = 16_384;

let dir: string;
let sizes: Sizes;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zbb-budget-'));
  await buildScriptTag('zerto-billing-banner', 'components/banner/zerto-billing-banner.ts', dir);
  sizes = measureSizes(dir);
});
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
      later.some((f) => f.startsWith('assets/shared-worker-')),
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
});
