// Real processes for the fleet tests: reference billing receivers and ZVM simulators in this process (real
// HTTP servers on loopback), the fleet service as a child process started the way an operator starts it.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY, HOUR } from '../../../src/core/index.ts';
import { startBillingServer, type BillingServer } from '../../../servers/billing/server.ts';
import { startZvmSim, type ZvmSim, type ZvmSimOptions } from '../../../servers/zvm/server.ts';
import { REPO_ROOT, request, sleep, waitFor, type Answer } from '../http-client.ts';

export const T0 = Date.UTC(2026, 10, 1, 9, 0, 0);
export const CONTROL_TOKEN = 'zvm-control-token-for-fleet-tests';
export const SIM_POLICY = { interval: HOUR, alertAfter: DAY, graceDays: 15 };
export const READ_KEY = 'read-key-0123456789abcdef';
export const OPERATOR_KEY = 'operator-key-0123456789abcdef';

export interface SimState {
  now: string;
  phase: string;
  deadline: string | null;
  daysLeft: number | null;
  auth: { tokensIssued: number; expiredTokensRefused: number };
}

export async function tempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export async function billing(dataDir: string): Promise<BillingServer> {
  return startBillingServer({ port: 0, dataDir, quiet: true });
}

export async function sim(billingUrl: string, opts: Partial<ZvmSimOptions> = {}): Promise<ZvmSim> {
  return startZvmSim({
    port: 0,
    billingUrl,
    autoSend: false,
    startAt: T0,
    policy: SIM_POLICY,
    sendTimeoutMs: 1000,
    controlToken: CONTROL_TOKEN,
    quiet: true,
    // Each its own site: the billing receiver refuses a second report of one site for a period already billed.
    siteId: randomUUID(),
    ...opts,
  });
}

export async function simState(s: ZvmSim): Promise<SimState> {
  const a = await request(`${s.url}/control/state`, { headers: { 'X-Control-Token': CONTROL_TOKEN } });
  return a.json<SimState>();
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export interface FleetProcess {
  url: string;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  get(path: string, key?: string | null): Promise<Answer>;
  post(path: string, key?: string | null): Promise<Answer>;
  /** Resolves with the exit code (after SIGKILL past `timeoutMs`). */
  exited(timeoutMs?: number): Promise<number | null>;
}

/** Starts `fleet/cli.ts --config PATH` under tsx and waits for its listening line. */
export async function startFleet(
  configPath: string,
  env: Record<string, string> = {},
): Promise<FleetProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'fleet/cli.ts', '--config', configPath], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const until = Date.now() + 60_000;
  let url: string | null = null;
  while (!url) {
    const m = /listening on (http:\/\/\S+),/.exec(out);
    if (m) url = m[1]!;
    else if (child.exitCode !== null || Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`the fleet service did not start; stdout: ${out}\nstderr: ${err}`);
    } else await sleep(50);
  }
  const base = url;
  const auth = (key: string | null | undefined): Record<string, string> =>
    key === null ? {} : { Authorization: `Bearer ${key ?? READ_KEY}` };
  return {
    url: base,
    child,
    stdout: () => out,
    stderr: () => err,
    get: (path, key) => request(`${base}${path}`, { headers: auth(key), timeoutMs: 10_000 }),
    post: (path, key) => request(`${base}${path}`, { method: 'POST', headers: auth(key), timeoutMs: 15_000 }),
    async exited(timeoutMs = 15_000) {
      const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exit;
      clearTimeout(t);
      return code;
    },
  };
}

export async function writeConfig(path: string, config: unknown): Promise<void> {
  await writeFile(path, JSON.stringify(config, null, 2));
}

export interface Summary {
  id: string;
  status: string;
  phase: string;
  lastDay: boolean;
  deadline: string | null;
  zvmDeadline: string | null;
  daysLeft: number | null;
  secondsLeft: number | null;
  firstAlertAt: string | null;
  lastAttemptAt: string | null;
  lastResult: string | null;
  cannotSee: { since: string; reason: string } | null;
}

export async function sites(f: FleetProcess): Promise<Map<string, Summary>> {
  const a = await f.get('/v1/sites');
  if (a.status !== 200) throw new Error(`GET /v1/sites answered ${a.status}: ${a.text}`);
  return new Map(a.json<{ sites: Summary[] }>().sites.map((s) => [s.id, s]));
}

/** Polls GET /v1/sites until `check` accepts it. */
export async function waitForSites(
  f: FleetProcess,
  check: (s: Map<string, Summary>) => boolean,
  timeoutMs = 20_000,
  what = 'sites',
): Promise<Map<string, Summary>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const last = await sites(f);
    if (check(last)) return last;
    if (Date.now() > until) {
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify([...last.values()], null, 1)}`);
    }
    await sleep(200);
  }
}

/**
 * A strict parser of the Prometheus text exposition format (0.0.4): every line a comment (# HELP / # TYPE of
 * a metric named once), or a sample `name{label="value",…} number` of a metric whose TYPE came first.
 */
export function parsePrometheus(text: string): {
  types: Map<string, string>;
  samples: Array<{ name: string; labels: Record<string, string>; value: number }>;
} {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const sampleRe = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
  const labelRe = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/;
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  for (const [i, line] of text.slice(0, -1).split('\n').entries()) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = new RegExp(`^# (HELP|TYPE) (${NAME}) (.*)$`).exec(line);
      if (!m) throw new Error(`line ${i + 1}: a comment that is neither HELP nor TYPE: ${line}`);
      if (m[1] === 'TYPE') {
        if (types.has(m[2]!)) throw new Error(`line ${i + 1}: TYPE of ${m[2]} twice`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3]!)) {
          throw new Error(`line ${i + 1}: unknown type ${m[3]}`);
        }
        types.set(m[2]!, m[3]!);
      } else {
        if (helps.has(m[2]!)) throw new Error(`line ${i + 1}: HELP of ${m[2]} twice`);
        helps.add(m[2]!);
      }
      continue;
    }
    const m = sampleRe.exec(line);
    if (!m) throw new Error(`line ${i + 1}: not a sample: ${line}`);
    const name = m[1]!;
    const family = [name, name.replace(/_(bucket|sum|count|total|created)$/, '')].find((n) => types.has(n));
    if (!family) throw new Error(`line ${i + 1}: sample of ${name} before its TYPE`);
    const labels: Record<string, string> = {};
    let rest = m[2] ?? '';
    while (rest !== '') {
      const l = labelRe.exec(rest);
      if (!l) throw new Error(`line ${i + 1}: malformed labels: ${m[2]}`);
      if (l[1]! in labels) throw new Error(`line ${i + 1}: label ${l[1]} twice`);
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      rest = rest.slice(l[0].length);
    }
    const raw = m[3]!;
    // As Prometheus reads them (Go's ParseFloat): NaN and Inf in any case; prom-client writes `Nan` for an
    // event-loop statistic with no sample yet, in the first seconds.
    const special = raw.toLowerCase();
    const value =
      special === '+inf' || special === 'inf'
        ? Infinity
        : special === '-inf'
          ? -Infinity
          : special === 'nan'
            ? NaN
            : Number(raw);
    if (Number.isNaN(value) && special !== 'nan')
      throw new Error(`line ${i + 1}: value ${raw} is not a number`);
    samples.push({ name, labels, value });
  }
  return { types, samples };
}

export interface SseEvent {
  id: string | null;
  event: string;
  data: Record<string, unknown>;
}

/**
 * Reads the service's event stream with fetch (EventSource cannot send the API key): every event is kept in
 * `events`; `until` waits for one that matches. A stream that does not answer 200 fails `until` with its status.
 */
export function openStream(url: string, key: string = READ_KEY, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const events: SseEvent[] = [];
  let refused: string | null = null;
  void (async () => {
    const res = await fetch(url, {
      headers: { Authorization: `Bearer ${key}`, ...headers },
      signal: controller.signal,
    });
    if (res.status !== 200) {
      refused = `the event stream answered ${res.status}`;
      return;
    }
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buf += value;
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        const id = /^id: (.*)$/m.exec(block)?.[1] ?? null;
        if (event && data) events.push({ id, event, data: JSON.parse(data) as Record<string, unknown> });
      }
    }
  })().catch(() => undefined);
  return {
    events,
    until: (match: (e: SseEvent) => boolean, what: string, timeoutMs = 15_000): Promise<SseEvent> =>
      waitFor(
        async () => {
          if (refused) throw new Error(refused);
          return events.find(match);
        },
        timeoutMs,
        `${what} (events so far: ${events.map((e) => e.event).join(', ') || 'none'})`,
      ),
    close: () => controller.abort(),
  };
}
