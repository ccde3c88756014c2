#!/usr/bin/env node
// Runs every test: the browser tests through @web/test-runner in headless Chromium and, when it is installed, in
// Firefox (one engine after the other: two browsers would share the machine's two cores), then the Node tests
// with node:test, one file at a time. Prints which Node runs them, the counts of each engine and of the Node
// tests, and ends with the line `N passed, N failed` (`, N skipped` when some were skipped).
//
// Every run ends: each Node test file has a time limit (and each test in it another, --test-timeout), each
// runner runs in a process group of its own, and whatever a runner leaves behind in its group is stopped and
// counted as a failure. Without Chromium it stops at once and says how to install it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { chromePath, firefoxPath, FIREFOX_MISSING } from './chrome-path.mjs';

const root = resolve(import.meta.dirname, '..');
const extra = process.argv.slice(2);
/** A whole Node test file (its servers, browsers and hooks included). The slowest take a few minutes here. */
const FILE_LIMIT_MS = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 15 * 60_000);
/** One Node test or hook (node --test's --test-timeout). */
const TEST_LIMIT_MS = Number(process.env.TEST_TIMEOUT_MS ?? 8 * 60_000);
/** One browser engine's whole run (@web/test-runner bounds each file itself, at 2 minutes). */
const ENGINE_LIMIT_MS = Number(process.env.TEST_ENGINE_TIMEOUT_MS ?? 40 * 60_000);

const total = { passed: 0, failed: 0, skipped: 0, failures: [] };
/** One entry per runner, for the line of counts by engine. */
const byRunner = [];
const scratch = mkdtempSync(join(tmpdir(), 'zbb-test-'));

const counts = (c) => `${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}`;
const seconds = (ms) => `${Math.round(ms / 1000)} s`;

function finish() {
  rmSync(scratch, { recursive: true, force: true });
  if (total.failures.length) {
    console.log('\nFailed:');
    for (const f of total.failures) console.log(`  - ${f}`);
  }
  if (byRunner.length) {
    console.log(
      `\n${byRunner.map((r) => `${r.name}: ${r.note ?? `${counts(r)} (${seconds(r.ms)})`}`).join('; ')}`,
    );
  }
  console.log(`\n${counts(total)}`);
  process.exit(total.failed > 0 ? 1 : 0);
}

function fail(message) {
  total.failed++;
  total.failures.push(message);
}

// --- Which Node: the project's pinned LTS (node_modules/.bin/node, first in PATH under `npm test`).
const pinnedFile = join(root, 'node_modules/node/package.json');
const pinned = existsSync(pinnedFile) ? `v${JSON.parse(readFileSync(pinnedFile, 'utf8')).version}` : null;
if (pinned === process.version) {
  console.log(`Node ${process.version} runs the tests (the project's pinned LTS: ${process.execPath})`);
} else {
  console.log(
    `Node ${process.version} runs the tests (${process.execPath}), not the project's pinned ` +
      `${pinned ?? 'Node (run `npm ci` first)'}: run them with \`npm test\``,
  );
}

// --- The browsers. Without Chromium nothing can run that matters here: stop now, before any server starts.
try {
  chromePath();
} catch (err) {
  console.log(`\n${err.message}`);
  fail(err.message);
  finish();
}
let engines = ['chromium'];
try {
  if (firefoxPath()) engines.push('firefox');
  else console.log(`${FIREFOX_MISSING}: the browser tests run in Chromium only.`);
} catch (err) {
  console.log(err.message);
  fail(err.message);
}
if (process.env.WTR_BROWSERS) engines = process.env.WTR_BROWSERS.split(',').map((e) => e.trim());

// --- Runners, each in a process group of its own, so that it can be stopped whole, and what it leaves found.
let current = null;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (current) stopGroup(current.pid, 'SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
    process.exit(130);
  });
}

function stopGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    /* gone */
  }
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Processes still in the group: their pids and command lines, for the failure's message. */
function groupMembers(pgid) {
  const r = spawnSync('ps', ['-e', '-o', 'pgid=,pid=,args='], { encoding: 'utf8' });
  return (r.stdout ?? '')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([g]) => g === String(pgid))
    .map(([, pid, ...args]) => `${pid} ${args.join(' ')}`.slice(0, 160));
}

function failIn(runner, message) {
  fail(message);
  runner.failed++;
}

/**
 * Runs a command in its own process group with a time limit, and stops what it left running in its group
 * (a failure). Resolves its exit code, or null when it had to be stopped (a failure too).
 */
async function run(runner, label, args, env, limitMs) {
  const child = spawn(process.execPath, args, {
    stdio: 'inherit',
    detached: true,
    env: { ...process.env, ...env },
  });
  current = child;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stopGroup(child.pid, 'SIGTERM');
    setTimeout(() => stopGroup(child.pid, 'SIGKILL'), 5000).unref();
  }, limitMs);
  const code = await new Promise((r) => child.once('exit', (c) => r(c)));
  clearTimeout(timer);
  current = null;
  if (timedOut) failIn(runner, `${label} did not end within ${seconds(limitMs)}: stopped`);
  // A browser or server still closing gets a few seconds; anything later was left behind.
  for (let i = 0; i < 50 && groupAlive(child.pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (groupAlive(child.pid)) {
    const left = groupMembers(child.pid);
    stopGroup(child.pid, 'SIGKILL');
    if (!timedOut)
      failIn(runner, `${label} left processes running after it ended (stopped): ${left.join(' | ')}`);
  }
  return timedOut ? null : code;
}

/** Adds a runner's counts (the JSON its count reporter wrote); an exit code that counts did not explain is a failure. */
function add(runner, file, exitCode, label) {
  if (!existsSync(file)) {
    if (exitCode !== null) failIn(runner, `${label} ended (exit ${exitCode}) without reporting any result`);
    return;
  }
  const c = JSON.parse(readFileSync(file, 'utf8'));
  for (const k of ['passed', 'failed', 'skipped']) {
    total[k] += c[k];
    runner[k] += c[k];
  }
  total.failures.push(...c.failures.map((f) => (runner.name === 'node' ? f : `[${runner.name}] ${f}`)));
  if (exitCode !== null && exitCode !== 0 && c.failed === 0)
    failIn(runner, `${label} exited with ${exitCode}`);
  rmSync(file, { force: true });
}

// --- Browser tests, one engine after the other. Under tsx, so that the config can start the TypeScript
// reference servers in-process.
const wtrBin = 'node_modules/@web/test-runner/dist/bin.js';
/** A loopback port free now: several runs on one machine (or one beside a test's servers) do not collide. */
const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
for (const engine of engines) {
  const runner = { name: engine, label: `web-test-runner (${engine})`, passed: 0, failed: 0, skipped: 0 };
  byRunner.push(runner);
  const results = join(scratch, `wtr-${engine}.json`);
  console.log(`\n--- browser tests in ${engine}\n`);
  const started = Date.now();
  const code = await run(
    runner,
    runner.label,
    ['--import', 'tsx', wtrBin, '--config', 'web-test-runner.config.mjs', ...extra],
    {
      WTR_RESULTS: results,
      WTR_BROWSERS: engine,
      WTR_PORT: process.env.WTR_PORT ?? String(await freePort()),
    },
    ENGINE_LIMIT_MS,
  );
  runner.ms = Date.now() - started;
  add(runner, results, code, runner.label);
}
if (!engines.includes('firefox') && !process.env.WTR_BROWSERS) {
  byRunner.push({ name: 'firefox', note: 'not installed, not run' });
}

// --- Node tests, one file at a time, each in its own process group with its own time limit.
const nodeDir = 'test/node';
const nodeFiles = existsSync(nodeDir)
  ? readdirSync(nodeDir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => join(nodeDir, f))
      .sort()
  : [];
if (nodeFiles.length > 0 && extra.length === 0) {
  const runner = { name: 'node', label: 'node --test', passed: 0, failed: 0, skipped: 0, ms: 0 };
  byRunner.push(runner);
  console.log(`\n--- Node tests (${nodeFiles.length} files)\n`);
  for (const file of nodeFiles) {
    const results = join(scratch, 'node.json');
    const started = Date.now();
    const code = await run(
      runner,
      `node --test ${file}`,
      [
        '--import',
        'tsx',
        '--test',
        `--test-timeout=${TEST_LIMIT_MS}`,
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        '--test-reporter=./scripts/node-count-reporter.mjs',
        `--test-reporter-destination=${results}`,
        file,
      ],
      {},
      FILE_LIMIT_MS,
    );
    runner.ms += Date.now() - started;
    add(runner, results, code, `node --test ${file}`);
  }
}

finish();
