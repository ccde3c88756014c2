#!/usr/bin/env node
// The `zerto-fleet` command: the fleet service's CLI (fleet/cli.ts), as `npm run fleet` runs it, but compiled
// once with esbuild (tsx's own compiler) into a cached module rather than through tsx's loader, which stays
// resident: the long-running service then takes some 90 MB less memory. Packages stay outside the bundle; the
// bundle is cached in node_modules/.cache/zerto-fleet, where they resolve as from the sources (PGlite finds its
// WebAssembly beside its own module), and builds of older sources are pruned. ZERTO_FLEET_TSX=1 runs it under
// tsx instead.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const entry = fileURLToPath(new URL('./cli.ts', import.meta.url));
/** How long a cached build of other sources is kept untouched before it goes. */
const PRUNE_AFTER_MS = 60 * 60_000;

if (process.env.ZERTO_FLEET_TSX === '1') {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./cli.ts');
} else {
  const { build, stop } = await import('esbuild');
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'error',
    packages: 'external',
  });
  // esbuild's compiler runs as a child process: not kept for the life of the service.
  await stop();
  const code = out.outputFiles[0].contents;
  const dir = fileURLToPath(new URL('../node_modules/.cache/zerto-fleet/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `cli-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
  if (!existsSync(file) || !readFileSync(file).equals(code)) {
    const tmp = `${file}.${process.pid}`;
    writeFileSync(tmp, code);
    renameSync(tmp, file);
  } else {
    // Used again: touched, so that no other version's start prunes it as untouched.
    const now = new Date();
    utimesSync(file, now, now);
  }
  // Builds of other sources go once untouched for an hour (a process of another version starting meanwhile
  // finds its own; one running has loaded its module already).
  for (const name of readdirSync(dir)) {
    const other = join(dir, name);
    if (other === file || !/^cli-[0-9a-f]{16}\.mjs(\.\d+)?$/.test(name)) continue;
    try {
      if (Date.now() - statSync(other).mtimeMs > PRUNE_AFTER_MS) rmSync(other, { force: true });
    } catch {
      /* gone already */
    }
  }
  await import(pathToFileURL(file).href);
}
