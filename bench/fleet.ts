// The fleet service over 1,000 ZVMs: the CPU time of one interval's work (every ZVM read once: localsite,
// license, sendUsage, alerts, and one database transaction each) and the service's resident memory.
//
// The 1,000 ZVMs are a LIGHT IN-PROCESS FAKE of the ZVM HTTP API, for this bench only (the tests use the real
// simulator): one HTTP server in the bench process answering under /z/<n>/ with the answers a real ZVM
// simulator gave once at the start (so the shapes are the simulator's), each site its own identifier. The
// service runs as its own process (`fleet/bin.mjs`, the `zerto-fleet` command, PGlite in a temp folder), and
// its CPU and memory are read from /proc, so that the fake's work is not counted.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBillingServer } from '../servers/billing/server.ts';
import { startZvmSim } from '../servers/zvm/server.ts';
import { root } from './browser.ts';

export interface FleetFigures {
  /** CPU time (user + system) of the service over one interval in which each ZVM was read once, ms. */
  cpuMs: number;
  /** Attempts the fake ZVMs saw within that interval (1,000 when each was read once). */
  attempts: number;
  intervalMs: number;
  /** Resident memory at the end of the interval, and the peak, MB. */
  rssMb: number;
  peakRssMb: number;
}

const TOKEN = 'bench-token';
const PATHS = ['v1/localsite', 'v1/license', 'v1/localsite/billing/sendUsage', 'v1/alerts'] as const;

/** What a real simulator answers at each path (status and body). */
async function sampleAnswers(dir: string): Promise<Map<string, { status: number; body: string }>> {
  const billing = await startBillingServer({ port: 0, dataDir: join(dir, 'billing'), quiet: true });
  const sim = await startZvmSim({
    port: 0,
    billingUrl: billing.url,
    autoSend: false,
    token: TOKEN,
    quiet: true,
    siteId: 'bench-site',
    siteName: 'Bench',
  });
  try {
    const out = new Map<string, { status: number; body: string }>();
    for (const p of PATHS) {
      const res = await fetch(`${sim.url}/${p}`, {
        method: p.endsWith('sendUsage') ? 'POST' : 'GET',
        headers: { Authorization: `Bearer ${TOKEN}`, accept: 'application/json' },
      });
      out.set(p, { status: res.status, body: await res.text() });
    }
    return out;
  } finally {
    await sim.close();
    await billing.close();
  }
}

/** Serves each site's answers under /z/<n>/, counting the reads of `alerts` (the last request of each). */
async function fakeZvms(answers: Map<string, { status: number; body: string }>) {
  let reads = 0;
  const server: Server = createServer((req, res) => {
    const m = /^\/z\/(\d+)\/(.*)$/.exec(req.url ?? '');
    const a = m ? answers.get(m[2]!) : undefined;
    req.resume();
    if (!m || !a) {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"Message":"not found"}');
      return;
    }
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"Message":"unauthorized"}');
      return;
    }
    if (m[2] === 'v1/alerts') reads++;
    const body = a.body.replaceAll('bench-site', `bench-site-${m[1]}`);
    res.writeHead(a.status, { 'Content-Type': 'application/json' }).end(body);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: (n: number) => `http://127.0.0.1:${port}/z/${n}`,
    reads: () => reads,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** utime + stime of a process, ms (from /proc: clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function memoryOf(pid: number): { rssMb: number; peakRssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
}

export async function fleetFigures(o: {
  sites: number;
  intervalMs: number;
  log: (msg: string) => void;
}): Promise<FleetFigures> {
  if (!existsSync('/proc/self/stat')) throw new Error('needs /proc (Linux) to read the service CPU time');
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'zbb-bench-fleet-'));
  const fake = await fakeZvms(await sampleAnswers(dir));
  const configPath = join(dir, 'fleet.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      dataDir: join(dir, 'data'),
      http: { port: 0 },
      concurrency: 16,
      defaults: {
        policy: { interval: o.intervalMs },
        timeoutMs: 10_000,
        jitter: 0.1,
        startSpreadMs: o.intervalMs,
      },
      zvms: Array.from({ length: o.sites }, (_, n) => ({
        id: `zvm-${n}`,
        url: fake.url(n),
        auth: { type: 'token', token: { env: 'BENCH_ZVM_TOKEN' } },
      })),
    }),
  );
  // PGlite, the default, whatever this shell's DATABASE_URL says.
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_ZVM_TOKEN: TOKEN, DATABASE_URL: '' };
  const child = spawn(process.execPath, ['fleet/bin.mjs', '--config', configPath, '--quiet'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  try {
    const until = Date.now() + 120_000;
    while (!/listening on/.test(out)) {
      if (child.exitCode !== null || Date.now() > until)
        throw new Error(`the fleet service did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // The first interval spreads the first reads; the second is the steady state that is measured.
    o.log(`bench: fleet: ${o.sites} ZVMs, interval ${o.intervalMs / 1000} s: warming up one interval…`);
    await new Promise((r) => setTimeout(r, o.intervalMs));
    const pid = child.pid!;
    const cpu0 = cpuMsOf(pid);
    const reads0 = fake.reads();
    o.log('bench: fleet: measuring one interval…');
    await new Promise((r) => setTimeout(r, o.intervalMs));
    const cpuMs = cpuMsOf(pid) - cpu0;
    const attempts = fake.reads() - reads0;
    const mem = memoryOf(pid);
    return { cpuMs, attempts, intervalMs: o.intervalMs, ...mem };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => r(clearTimeout(t)));
      if (child.exitCode !== null) r(clearTimeout(t));
    });
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
