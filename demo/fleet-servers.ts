// The demo's fleet (Node side): simulated ZVMs in the states a NOC sees (ok, warning, last day, disconnected,
// cannot see), the fleet service watching them (fleet/cli.ts, a child process started as an operator starts
// it), and a webhook receiver that checks each signed post and keeps it for the Fleet story. Started and
// stopped by the demo server (scripts/demo-server.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { join, resolve } from 'node:path';
import { DAY, HOUR } from '../src/core/index.ts';
import { startBillingServer } from '../servers/billing/server.ts';
import { startZvmSim, type ZvmSim } from '../servers/zvm/server.ts';

const root = resolve(import.meta.dirname, '..');

/** What a simulated ZVM of the fleet is made to be. */
export type FleetScenario = 'ok' | 'warning' | 'last-day' | 'disconnected' | 'cannot-see';

/** A site of the demo's fleet, as the story lists it (the banner reads the rest from the service). */
export interface FleetSiteInfo {
  id: string;
  name: string;
  scenario: FleetScenario;
  /** How the demo made it so, in a sentence. */
  how: string;
}

/** One post the webhook receiver took, checked, as the Fleet story lists it. */
export interface WebhookEntry {
  receivedAt: string;
  id: string;
  type: string;
  siteId: string;
  siteName: string;
  from: string;
  to: string;
  /** `valid`, or why the signature was refused (the receiver then answered 401). */
  signature: string;
  /** The event id was received before: a retry, which a receiver de-duplicates. */
  duplicate: boolean;
}

export interface DemoFleet {
  url: string;
  /** The service's read-only API key: what the story's elements and its metrics panel use. */
  readKey: string;
  /** The service's operator key (may also POST /v1/sites/{id}/send-usage): printed by `npm start` only. */
  operatorKey: string;
  sites: FleetSiteInfo[];
  /** The simulators by fleet site id (the cannot-see site has none of its own). */
  sims: Map<string, ZvmSim>;
  /** Newest first. */
  webhooks(): WebhookEntry[];
  close(): Promise<void>;
}

export interface DemoFleetOptions {
  host: string;
  port: number;
  /** Wiped at each start: the simulators are new each time, so is the service's memory of them. */
  dataDir: string;
  /** Origins of the demo page (the service's CORS allow-list). */
  allowOrigins: string[];
  /** The demo's own ZVM simulator: the cannot-see site is it, read with a token it refuses. */
  zvmUrl: string;
}

/** How long ago (on the ZVM's clock) usage last went through, per scenario: the ZVM's alert follows from it. */
const AGO: Record<Exclude<FleetScenario, 'cannot-see'>, number> = {
  ok: 0,
  // The usage alert turned on 3 days ago: about 12 days left.
  warning: DAY + 3 * DAY + HOUR,
  // 20 hours left.
  'last-day': DAY + 14 * DAY + 4 * HOUR,
  // The deadline passed 2 days ago: the ZVM stopped talking to its VRAs.
  disconnected: DAY + 17 * DAY,
};

const SITES: Array<FleetSiteInfo & { sim?: { ago: number; billing: 'up' | 'down' } }> = [
  {
    id: 'oslo',
    name: 'Oslo DR',
    scenario: 'ok',
    how: 'Its billing link works: each read, the service asks it to send usage, and Zerto acknowledges.',
    sim: { ago: AGO.ok, billing: 'up' },
  },
  {
    id: 'paris',
    name: 'Paris DR',
    scenario: 'warning',
    how: 'No billing link: its usage alert turned on 3 days ago (its clock was moved on from 4 days back).',
    sim: { ago: AGO.warning, billing: 'down' },
  },
  {
    id: 'rome',
    name: 'Rome DR',
    scenario: 'last-day',
    how: 'No billing link: its usage alert turned on 14 days and 20 hours ago, so its last day has begun.',
    sim: { ago: AGO['last-day'], billing: 'down' },
  },
  {
    id: 'madrid',
    name: 'Madrid DR',
    scenario: 'disconnected',
    how: 'No billing link: its 15 days ran out 2 days ago, and it stopped communicating with its VRAs.',
    sim: { ago: AGO.disconnected, billing: 'down' },
  },
  {
    id: 'lisbon-revoked',
    name: 'Lisbon DR (revoked token)',
    scenario: 'cannot-see',
    how: 'The demo’s own ZVM simulator, read with a token it refuses: the service cannot see it, which is no billing alarm.',
  },
];

/** Nothing listens on the discard port: a billing link that is down for good. */
const DEAD_BILLING = 'http://127.0.0.1:9';
const key = () => randomBytes(24).toString('base64url');
const MAX_LOG = 100;
/** A signature older (or newer) than this is refused, as a replay. */
const SIGNATURE_TOLERANCE_S = 300;

/** Checks `X-Zerto-Fleet-Signature: t=<unix s>,v1=<hex>` (HMAC-SHA256 of `${t}.${body}`); null when valid. */
export function signatureProblem(header: string | undefined, body: string, secret: string): string | null {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return 'no signature header in the t=…,v1=… form';
  const t = Number(m[1]);
  if (Math.abs(Date.now() / 1000 - t) > SIGNATURE_TOLERANCE_S) return 'timestamp out of tolerance';
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex')) ? null : 'signature does not match';
}

const text = (v: unknown, max = 200): string => (typeof v === 'string' ? v.slice(0, max) : '');

/** A loopback receiver of the service's webhooks: verifies, de-duplicates by event id, keeps the latest. */
async function startReceiver(host: string, secret: string) {
  const log: WebhookEntry[] = [];
  const seen = new Set<string>();
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/webhook') {
      req.resume();
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 256 * 1024) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const problem = signatureProblem(header(req.headers, 'x-zerto-fleet-signature'), body, secret);
      let event: Record<string, unknown> = {};
      try {
        event = (JSON.parse(body) as Record<string, unknown> | null) ?? {};
      } catch {
        // Shown as an entry with empty fields.
      }
      const site = (event.site ?? {}) as Record<string, unknown>;
      const id = text(event.id) || text(header(req.headers, 'x-zerto-fleet-event-id'));
      log.unshift({
        receivedAt: new Date().toISOString(),
        id,
        type: text(event.type),
        siteId: text(site.id),
        siteName: text(site.name),
        from: text(event.from),
        to: text(event.to),
        signature: problem ?? 'valid',
        duplicate: problem === null && seen.has(id),
      });
      if (problem === null) seen.add(id);
      log.length = Math.min(log.length, MAX_LOG);
      res.writeHead(problem ? 401 : 204).end();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, host, () => ok());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${host}:${port}/webhook`,
    entries: () => log.map((e) => ({ ...e })),
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Starts `fleet/cli.ts --config PATH` and resolves its URL once it listens. In a process group of its own, so
 * that Ctrl-C in the terminal reaches the demo server only, which then stops it (once, cleanly).
 */
async function startService(configPath: string, env: Record<string, string>) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'fleet/cli.ts', '--config', configPath],
    {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    },
  );
  // If the demo server exits without closing (an uncaught error), the service goes with it.
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  let out = '';
  const keep = (c: Buffer) => (out = (out + c.toString()).slice(-16_384));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = await new Promise<string>((ok, fail) => {
    const check = () => {
      const m = /listening on (http:\/\/\S+),/.exec(out);
      if (m) {
        child.stdout!.off('data', check);
        clearTimeout(timer);
        ok(m[1]!);
      }
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`the fleet service did not start within 60 s:\n${out}`));
    }, 60_000);
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const inUse = /already in use/.test(out);
      fail(
        Object.assign(new Error(`the fleet service exited (${String(code)}) before listening:\n${out}`), {
          code: inUse ? 'EADDRINUSE' : undefined,
        }),
      );
    });
  });
  return {
    url,
    async close() {
      process.off('exit', orphanGuard);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(kill);
    },
  };
}

export async function startDemoFleet(o: DemoFleetOptions): Promise<DemoFleet> {
  const opened: Array<() => Promise<unknown>> = [];
  const closeAll = async () => {
    for (const close of opened.reverse()) await close().catch(() => {});
  };
  try {
    await rm(o.dataDir, { recursive: true, force: true });
    await mkdir(o.dataDir, { recursive: true });
    const secrets = {
      ZBB_DEMO_FLEET_READ_KEY: key(),
      ZBB_DEMO_FLEET_OPERATOR_KEY: key(),
      ZBB_DEMO_WEBHOOK_SECRET: key(),
      ZBB_DEMO_ZVM_CLIENT_SECRET: key(),
      ZBB_DEMO_REVOKED_TOKEN: key(),
    };
    // Zerto's billing servers for the fleet's ZVMs: their own receiver, so that the live story's faults on
    // the demo's billing server leave the fleet alone.
    const billing = await startBillingServer({
      port: 0,
      host: o.host,
      dataDir: join(o.dataDir, 'billing'),
      quiet: true,
    });
    opened.push(() => billing.close());
    const sims = new Map<string, ZvmSim>();
    const zvms: unknown[] = [];
    for (const s of SITES) {
      if (!s.sim) {
        zvms.push({
          id: s.id,
          name: s.name,
          url: o.zvmUrl,
          auth: { type: 'token', token: { env: 'ZBB_DEMO_REVOKED_TOKEN' } },
        });
        continue;
      }
      const { ago } = s.sim;
      // Started `ago` back and moved on to now: its engine lived through those days without a transmission
      // (autoSend off; the service asks it to send), and its clock agrees with this machine's.
      const sim = await startZvmSim({
        port: 0,
        host: o.host,
        billingUrl: s.sim.billing === 'up' ? billing.url : DEAD_BILLING,
        siteId: `demo-fleet-${s.id}`,
        siteName: s.name,
        autoSend: false,
        sendTimeoutMs: 2000,
        clientSecret: secrets.ZBB_DEMO_ZVM_CLIENT_SECRET,
        ...(ago > 0 ? { startAt: Date.now() - ago } : {}),
        quiet: true,
      });
      opened.push(() => sim.close());
      if (ago > 0) await sim.advance(ago);
      sims.set(s.id, sim);
      zvms.push({
        id: s.id,
        name: s.name,
        url: sim.url,
        // Zerto 10's token endpoint, as a real ZVM is read.
        auth: {
          type: 'client-credentials',
          clientId: 'zerto-fleet',
          clientSecret: { env: 'ZBB_DEMO_ZVM_CLIENT_SECRET' },
        },
      });
    }
    const receiver = await startReceiver(o.host, secrets.ZBB_DEMO_WEBHOOK_SECRET);
    opened.push(() => receiver.close());
    const configPath = join(o.dataDir, 'fleet.json');
    await writeFile(
      configPath,
      JSON.stringify(
        {
          dataDir: join(o.dataDir, 'service'),
          http: { host: o.host, port: o.port, allowOrigins: o.allowOrigins },
          apiKeys: [
            { name: 'demo-page', role: 'read', key: { env: 'ZBB_DEMO_FLEET_READ_KEY' } },
            { name: 'demo-operator', role: 'operator', key: { env: 'ZBB_DEMO_FLEET_OPERATOR_KEY' } },
          ],
          webhooks: [{ name: 'demo', url: receiver.url, secret: { env: 'ZBB_DEMO_WEBHOOK_SECRET' } }],
          concurrency: 4,
          // Read every 30 s, so that the story's metrics move; all at once at start.
          defaults: {
            policy: { interval: 30_000 },
            timeoutMs: 3000,
            maxBackoffMs: 60_000,
            jitter: 0.1,
            startSpreadMs: 0,
          },
          zvms,
        },
        null,
        2,
      ),
    );
    const service = await startService(configPath, secrets);
    opened.push(() => service.close());
    return {
      url: service.url,
      readKey: secrets.ZBB_DEMO_FLEET_READ_KEY,
      operatorKey: secrets.ZBB_DEMO_FLEET_OPERATOR_KEY,
      sites: SITES.map(({ id, name, scenario, how }) => ({ id, name, scenario, how })),
      sims,
      webhooks: receiver.entries,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
