// Serves the library exactly as shipped (the script tags, their chunks and the worker: `npm run build`'s
// settings) under /built/, built once per test run on first request, so that an end-to-end test can run the
// built banner rather than its sources.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, normalize, sep } from 'node:path';
import { buildLibrary } from '../../scripts/lib-build.ts';

export function builtLibraryPlugin() {
  let dir: string | null = null;
  let building: Promise<string> | null = null;
  const ensure = () =>
    (building ??= (async () => {
      const d = await mkdtemp(join(tmpdir(), 'zbb-built-'));
      dir = d;
      await buildLibrary(d);
      return d;
    })());
  return {
    name: 'built-library',
    async serve(context: { path: string }) {
      if (!context.path.startsWith('/built/')) return undefined;
      const root = await ensure();
      const file = normalize(join(root, context.path.slice('/built/'.length)));
      if (!file.startsWith(root + sep)) return undefined;
      const body = await readFile(file, 'utf8').catch(() => null);
      return body === null ? undefined : { body, type: 'js' };
    },
    async serverStop() {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
