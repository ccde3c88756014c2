#!/usr/bin/env node
// Runs every test (browser tests in headless Chromium through @web/test-runner, Node tests with node:test)
// and ends with the line `N passed, N failed` (`, N skipped` when some were skipped).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const results = '.wtr-results.json';
const nodeResults = '.node-test-results.json';
const total = { passed: 0, failed: 0, skipped: 0, failures: [] };
const extra = process.argv.slice(2);

function add(file, runner, exitCode) {
  if (!existsSync(file)) {
    total.failed++;
    total.failures.push(`${runner} ended (exit ${exitCode}) without reporting any result`);
    return;
  }
  const c = JSON.parse(readFileSync(file, 'utf8'));
  total.passed += c.passed;
  total.failed += c.failed;
  total.skipped += c.skipped;
  total.failures.push(...c.failures);
  if (exitCode !== 0 && c.failed === 0) {
    total.failed++;
    total.failures.push(`${runner} exited with ${exitCode}`);
  }
  rmSync(file, { force: true });
}

rmSync(results, { force: true });
// Under tsx, so that the config can start the TypeScript reference servers in-process.
const wtrBin = 'node_modules/@web/test-runner/dist/bin.js';
const wtr = spawnSync(
  process.execPath,
  ['--import', 'tsx', wtrBin, '--config', 'web-test-runner.config.mjs', ...extra],
  {
    stdio: 'inherit',
    env: { ...process.env, WTR_RESULTS: results },
  },
);
add(results, 'web-test-runner', wtr.status ?? 1);

const nodeDir = 'test/node';
const nodeFiles = existsSync(nodeDir)
  ? readdirSync(nodeDir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => join(nodeDir, f))
      .sort()
  : [];
if (nodeFiles.length > 0 && extra.length === 0) {
  rmSync(nodeResults, { force: true });
  const node = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-concurrency=1',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=./scripts/node-count-reporter.mjs',
      `--test-reporter-destination=${nodeResults}`,
      ...nodeFiles,
    ],
    { stdio: 'inherit' },
  );
  add(nodeResults, 'node --test', node.status ?? 1);
}

if (total.failures.length) {
  console.log('\nFailed:');
  for (const f of total.failures) console.log(`  - ${f}`);
}
console.log(
  `\n${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`,
);
process.exit(total.failed > 0 ? 1 : 0);
