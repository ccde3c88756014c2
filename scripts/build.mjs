#!/usr/bin/env node
// `npm run build`: every product the repository ships, each from its own Vite config.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const configs = ['vite.lib.config.ts', 'vite.extension.config.ts', 'vite.demo.config.ts'].filter((c) =>
  existsSync(c),
);
for (const config of configs) {
  console.log(`\n== vite build --config ${config}`);
  const r = spawnSync('npx', ['vite', 'build', '--config', config], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
