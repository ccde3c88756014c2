import { defineConfig } from 'vite';

// The library: ES modules for bundlers. (The script-tag build and the elements join it as they land.)
export default defineConfig({
  build: {
    outDir: 'dist/lib',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    lib: {
      entry: { core: 'src/core/index.ts' },
      formats: ['es'],
    },
    rollupOptions: { external: [/^zod/] },
  },
});
