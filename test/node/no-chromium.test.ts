// Without Chromium the tests end, within a minute, failing, saying how to install it, and leave nothing running:
// `npm test` stops before anything starts, and the demo's test (which starts the demo's servers, the fleet
// service among them, then a browser) stops every server it started when the browser cannot be launched.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { test } from 'node:test';
import { freePort } from '../support/free-port.ts';

const MISSING = 'Chromium not found: install it with `apt-get install -y chromium`';
const LIMIT_MS = 60_000;

interface Ended {
  code: number | null;
  output: string;
  ms: number;
}

/**
 * Runs node with these arguments in a process group of its own, its environment marked so that any process it
 * leaves (however detached) can be found; stops the group if it has not ended within the minute.
 */
async function runMarked(args: string[], env: Record<string, string>, marker: string): Promise<Ended> {
  const started = Date.now();
  // Not as a subtest of this file's run: node:test marks its children with NODE_TEST_CONTEXT.
  const outer = { ...process.env };
  delete outer.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...outer, ...env, ZBB_TEST_MARK: marker },
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, LIMIT_MS + 5_000);
  const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
  clearTimeout(timer);
  return { code, output, ms: Date.now() - started };
}

/** Processes whose environment carries the marker: what a run left behind. */
function marked(marker: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'latin1').includes(`ZBB_TEST_MARK=${marker}`)) continue;
      found.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ')}`);
      process.kill(Number(pid), 'SIGKILL'); // not left for the next test either
    } catch {
      /* gone meanwhile, or not ours to read */
    }
  }
  return found;
}

/** True when something accepts connections on this loopback port. */
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

async function leftBehind(marker: string, ports: number[]) {
  // A server closing as its process exits gets a moment.
  await new Promise((r) => setTimeout(r, 500));
  const open = [];
  for (const p of ports) if (await listening(p)) open.push(p);
  return { processes: marked(marker), open };
}

test('npm test without Chromium stops at once, failing, and says how to install it', async () => {
  const marker = `npm-test-${process.pid}-${Date.now()}`;
  const r = await runMarked(['scripts/test.mjs'], { CHROME_PATH: '/nonexistent/chromium' }, marker);
  assert.ok(r.ms < LIMIT_MS, `took ${r.ms} ms`);
  assert.equal(r.code, 1, r.output);
  assert.ok(r.output.includes(MISSING), r.output);
  assert.match(r.output.trim().split('\n').at(-1)!, /^0 passed, 1 failed$/);
  assert.deepEqual(marked(marker), []);
});

for (const [what, chrome] of [
  ['CHROME_PATH names nothing', '/nonexistent/chromium'],
  // A file that is there but is no browser: the servers are up by the time the launch fails.
  ['the browser cannot be launched', '/bin/false'],
] as const) {
  test(`the demo's test ends within a minute, failing, with no server left running, when ${what}`, async () => {
    const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
    const marker = `demo-${process.pid}-${Date.now()}`;
    const r = await runMarked(
      ['--import', 'tsx', '--test', '--test-reporter=spec', 'test/node/demo.test.ts'],
      { CHROME_PATH: chrome, DEMO_TEST_PORTS: ports.join(',') },
      marker,
    );
    const left = await leftBehind(marker, ports);
    assert.ok(r.ms < LIMIT_MS, `took ${r.ms} ms:\n${r.output.slice(-2000)}`);
    assert.notEqual(r.code, 0, r.output.slice(-2000));
    assert.match(r.output, /ℹ (fail|cancelled) [1-9]/);
    if (chrome.startsWith('/nonexistent')) assert.ok(r.output.includes(MISSING), r.output.slice(-2000));
    else assert.match(r.output, /Failed to launch the browser process/);
    assert.deepEqual(left, { processes: [], open: [] });
  });
}
