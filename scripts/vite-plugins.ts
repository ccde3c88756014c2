import type { Plugin } from 'vite';

/** In built code the worker is its own emitted file (see src/world/poller/worker-url.ts). */
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
