// `npm start` stops everything it started (the story page, the billing server, the ZVM simulator and the fleet
// service, a process of its own) on SIGTERM sent to npm alone, as a service manager or `kill` sends it, and on
// Ctrl-C, which the terminal sends to the whole foreground process group.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../support/free-port.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

/** Every process below `root` now (children, their children…), with its command line. */
function tree(root: number): Map<number, string> {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      // The command name (in parentheses) may hold spaces: the fields after it are split.
      const stat = readFileSync(`/proc/${d}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      /* gone meanwhile */
    }
  }
  const found = new Map<number, string>();
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      try {
        found.set(c, readFileSync(`/proc/${c}/cmdline`, 'latin1').replaceAll('\0', ' ').trim());
      } catch {
        continue;
      }
      walk(c);
    }
  };
  walk(root);
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    // A zombie is gone in all but name (its parent has not read its status yet).
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
};

/** Processes whose environment carries the marker: whatever the run left, however detached. */
function marked(marker: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'latin1').includes(`ZBB_TEST_MARK=${marker}`)) continue;
      if (!alive(Number(pid))) continue;
      found.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ')}`);
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}

const killMarked = (marker: string) => {
  for (const line of marked(marker)) {
    try {
      process.kill(Number(line.split(' ')[0]), 'SIGKILL');
    } catch {
      /* gone */
    }
  }
};

for (const how of ['SIGTERM to npm', 'SIGINT to the process group (Ctrl-C)'] as const) {
  test(`npm start stops everything on ${how}: every port closed, no process left`, async () => {
    const ports = {
      DEMO_PORT: await freePort(),
      BILLING_PORT: await freePort(),
      ZVM_PORT: await freePort(),
      FLEET_PORT: await freePort(),
    };
    const dataDir = await mkdtemp(join(tmpdir(), 'zbb-start-'));
    const marker = `start-${process.pid}-${Date.now()}`;
    const env: Record<string, string | undefined> = {
      ...process.env,
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      DEMO_DATA_DIR: dataDir,
      ZBB_TEST_MARK: marker,
    };
    delete env.NODE_TEST_CONTEXT;
    // In a process group of its own, as a terminal runs a foreground command.
    const npm = spawn('npm', ['start'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    npm.stdout.on('data', (c: Buffer) => (output += c.toString()));
    npm.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((r) => npm.once('exit', (code) => r(code)));
    try {
      const until = Date.now() + 120_000;
      while (!output.includes('Ctrl-C stops them all')) {
        assert.ok(npm.exitCode === null, `npm start ended before it was up:\n${output}`);
        assert.ok(Date.now() < until, `npm start was not up within 2 minutes:\n${output}`);
        await sleep(200);
      }
      for (const [name, port] of Object.entries(ports)) {
        assert.ok(await listening(port), `${name} ${port} is not listening:\n${output}`);
      }
      const started = tree(npm.pid!);
      assert.ok(
        [...started.values()].some((c) => c.includes('fleet/cli.ts')),
        `the fleet service is among npm's processes: ${[...started.values()].join(' | ')}`,
      );

      if (how === 'SIGTERM to npm') npm.kill('SIGTERM');
      else process.kill(-npm.pid!, 'SIGINT');
      const stoppedBy = Date.now() + 30_000;
      const left = () => [...started].filter(([pid]) => alive(pid)).map(([pid, cmd]) => `${pid} ${cmd}`);
      while ((left().length > 0 || npm.exitCode === null) && Date.now() < stoppedBy) await sleep(200);
      assert.deepEqual(left(), [], 'every process npm start started has ended');
      await exited;
      const open = [];
      for (const [name, port] of Object.entries(ports))
        if (await listening(port)) open.push(`${name} ${port}`);
      assert.deepEqual(open, [], 'every port is closed');
      assert.deepEqual(marked(marker), [], 'no process of this run is left');
    } finally {
      killMarked(marker);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
}
