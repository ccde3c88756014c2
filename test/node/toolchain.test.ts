// The project runs on the Node LTS it pins (the `node` package in devDependencies, whose binary npm scripts
// find first in node_modules/.bin), whatever Node installed it; no dependency refuses that Node; and a package
// the product runs is a direct dependency, never reached through another's.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';

const root = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  engines: Record<string, string>;
};
const pinned = `v${(JSON.parse(readFileSync(join(root, 'node_modules/node/package.json'), 'utf8')) as { version: string }).version}`;
const bin = join(root, 'node_modules/.bin');

/** The environment of a shell on this machine: no node_modules/.bin of ours in PATH, no test runner's marks. */
function shellEnv(): Record<string, string | undefined> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('npm_') && k !== 'NODE_TEST_CONTEXT'),
  );
  env.PATH = (env.PATH ?? '')
    .split(delimiter)
    .filter((p) => !p.endsWith(join('node_modules', '.bin')))
    .join(delimiter);
  return env;
}

test('the pinned Node is an LTS line (even major, 24 or later), as the package asks for it', () => {
  const major = Number(pinned.slice(1).split('.')[0]);
  assert.ok(major >= 24 && major % 2 === 0, pinned);
  assert.match(pkg.devDependencies.node!, new RegExp(`^\\^?${major}\\.`));
  assert.match(pkg.devDependencies['@types/node']!, new RegExp(`^\\^?${major}\\.`));
});

test(
  'npm test runs the tests on the pinned Node',
  { skip: process.env.npm_lifecycle_event !== 'test' },
  () => {
    assert.equal(process.version, pinned);
  },
);

test('npm run fleet starts the fleet bin on the pinned Node, from a shell whose PATH does not name it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zbb-toolchain-'));
  try {
    const probe = join(dir, 'which-node.mjs');
    // Loaded into every Node process of the run (npm's own included): each says which Node runs what.
    writeFileSync(probe, 'console.error(`which-node ${process.version} ${process.argv[1] ?? ""}`);\n');
    const env = shellEnv();
    env.NODE_OPTIONS = `--import=${pathToFileURL(probe).href}`;
    const r = spawnSync('npm', ['run', '--silent', 'fleet', '--', '--help'], {
      cwd: root,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /usage: npm run fleet/);
    const runs = r.stderr.split('\n').filter((l) => l.startsWith('which-node '));
    const fleetRun = runs.find((l) => l.endsWith(join('fleet', 'bin.mjs')));
    assert.ok(fleetRun, runs.join('\n'));
    assert.equal(fleetRun.split(' ')[1], pinned);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no installed package declares engines that refuse the pinned Node (no EBADENGINE at run time)', () => {
  const env = shellEnv();
  env.PATH = `${bin}${delimiter}${env.PATH}`;
  // Nothing is written: npm works out the install and checks every package's engines against the Node it runs on.
  const r = spawnSync(
    'npm',
    ['install', '--dry-run', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=warn'],
    { cwd: root, env, encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  // That npm ran on the pinned Node (`npm version` names the Node it runs on).
  const versions = spawnSync('npm', ['version', '--json'], { cwd: root, env, encoding: 'utf8' });
  assert.equal(`v${(JSON.parse(versions.stdout) as { node: string }).node}`, pinned);
  assert.doesNotMatch(`${r.stdout}\n${r.stderr}`, /EBADENGINE/);
});

test('the fleet bin imports only direct dependencies (esbuild and tsx), never a package reached through another', () => {
  const source = readFileSync(join(root, 'fleet/bin.mjs'), 'utf8');
  const imported = [...source.matchAll(/(?:from\s+|import\()\s*['"]([^'"]+)['"]/g)]
    .map((m) => m[1]!)
    .filter((s) => !s.startsWith('.') && !s.startsWith('node:'))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
  assert.ok(imported.includes('esbuild'), imported.join(', '));
  for (const name of imported) assert.ok(pkg.dependencies[name], `${name} is a direct dependency`);
});

test('engines says what installs the project: any Node 20 or later with npm 11', () => {
  assert.deepEqual(pkg.engines, { node: '>=20', npm: '>=11' });
});
