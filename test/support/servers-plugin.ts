// A test-runner plugin that starts real reference servers on loopback for the browser tests that ask,
// one set per test file (so that faults set by one file never reach another), and stops them after.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBillingServer, type BillingServer, type Fault } from '../../servers/billing/server.ts';
import { MAX_ADVANCE_MS, startZvmSim, type ZvmSim, type ZvmSimOptions } from '../../servers/zvm/server.ts';
import { startFleet, writeConfig, type FleetProcess } from '../node/fleet/harness.ts';

/** The read-only API key of the fleet services the browser tests start. */
export const FLEET_READ_KEY = 'browser-test-read-key-0123456789';

interface ServerSet {
  billing: BillingServer;
  zvm: ZvmSim | null;
  dataDir: string;
  /** The fleet service watching this set's ZVM, when a test started one (`servers:fleet`). */
  fleet?: FleetProcess;
  /** The bearer token the simulator accepts, to read its alerts as a console does. */
  zvmToken: string;
}

export interface StartPayload {
  /**
   * Starts a ZVM simulator with these options. `startAt` (epoch ms) sets its clock apart from the browser's
   * (both otherwise read this machine's clock); see also `zvmSkewMs`.
   */
  zvm?: Partial<Omit<ZvmSimOptions, 'billingUrl' | 'allowOrigins'>>;
  /**
   * The simulator's clock runs this many ms ahead of the machine's (behind when negative): its `startAt` is
   * taken as `Date.now() + zvmSkewMs` when the simulator starts. Not together with `zvm.startAt`.
   */
  zvmSkewMs?: number;
  /** Restart the billing server on the same data folder (durability tests). */
  restartOf?: string;
}

const sets = new Map<string, ServerSet>();
let next = 0;

export function serversPlugin(origins: () => string[]) {
  return {
    name: 'reference-servers',
    async executeCommand({ command, payload }: { command: string; payload?: unknown }): Promise<unknown> {
      if (!command.startsWith('servers:')) return undefined;
      const p = (payload ?? {}) as Record<string, unknown>;
      const set = typeof p.id === 'string' ? sets.get(p.id) : undefined;
      switch (command) {
        case 'servers:start': {
          const opts = p as StartPayload;
          const zvmOpts = opts.zvm ? { ...opts.zvm, ...zvmStartAt(opts) } : null;
          const dataDir = await mkdtemp(join(tmpdir(), 'zbb-billing-'));
          const billing = await startBillingServer({
            port: 0,
            dataDir,
            allowOrigins: origins(),
            quiet: true,
          });
          const zvm = zvmOpts
            ? await startZvmSim({
                port: 0,
                billingUrl: billing.url,
                allowOrigins: origins(),
                quiet: true,
                ...zvmOpts,
              }).catch(async (e: unknown) => {
                await billing.close();
                await rm(dataDir, { recursive: true, force: true });
                throw e;
              })
            : null;
          const id = `set-${++next}`;
          sets.set(id, { billing, zvm, dataDir, zvmToken: zvmOpts?.token ?? 'demo-token' });
          return { id, billingUrl: billing.url, zvmUrl: zvm?.url ?? null };
        }
        case 'servers:fault':
          set?.billing.setFault(p.fault as Fault);
          return true;
        case 'servers:stats':
          return set?.billing.stats() ?? null;
        case 'servers:restart-billing': {
          if (!set) return null;
          const port = set.billing.port;
          await set.billing.close();
          set.billing = await startBillingServer({
            port,
            dataDir: set.dataDir,
            allowOrigins: origins(),
            quiet: true,
          });
          return true;
        }
        case 'servers:advance':
          await set?.zvm?.advance(Number(p.ms));
          return set?.zvm?.state() ?? null;
        case 'servers:zvm-now':
          // The simulator's clock: its startAt, plus real time since, plus every advance.
          return set?.zvm?.now() ?? null;
        case 'servers:zvm-state':
          return set?.zvm ? zvmState(set.zvm, set.zvmToken) : null;
        case 'servers:fleet': {
          // The fleet service (fleet/cli.ts, a child process as an operator starts it) watching this set's
          // ZVM, with the test page's origin allowed and a read-only key; the site's id in it is `p.siteId`.
          if (!set?.zvm) return null;
          if (!set.fleet) {
            const configPath = join(set.dataDir, 'fleet.json');
            await writeConfig(configPath, {
              dataDir: join(set.dataDir, 'fleet-data'),
              http: { port: 0, allowOrigins: origins() },
              apiKeys: [{ name: 'console', role: 'read', key: { env: 'ZBB_FLEET_READ_KEY' } }],
              defaults: { timeoutMs: 3000, startSpreadMs: 0, jitter: 0 },
              zvms: [
                {
                  id: String(p.siteId),
                  url: set.zvm.url,
                  auth: { type: 'token', token: { env: 'ZBB_FLEET_ZVM_TOKEN' } },
                  ...(p.policy ? { policy: p.policy } : {}),
                },
              ],
            });
            set.fleet = await startFleet(configPath, {
              ZBB_FLEET_READ_KEY: FLEET_READ_KEY,
              ZBB_FLEET_ZVM_TOKEN: set.zvmToken,
            });
          }
          return { url: set.fleet.url, key: FLEET_READ_KEY };
        }
        case 'servers:stop': {
          if (!set) return false;
          set.fleet?.child.kill('SIGTERM');
          await set.fleet?.exited();
          await Promise.all([set.billing.close(), set.zvm?.close()]);
          await rm(set.dataDir, { recursive: true, force: true });
          sets.delete(p.id as string);
          return true;
        }
      }
      return undefined;
    },
    async serverStop() {
      for (const id of [...sets.keys()]) {
        const s = sets.get(id)!;
        s.fleet?.child.kill('SIGKILL');
        await Promise.all([s.billing.close(), s.zvm?.close()]).catch(() => {});
        await rm(s.dataDir, { recursive: true, force: true });
      }
      sets.clear();
    },
  };
}

/** The simulator's start time from the payload: `zvm.startAt`, or the machine's clock moved by `zvmSkewMs`. */
function zvmStartAt(opts: StartPayload): { startAt?: number } {
  const { zvmSkewMs } = opts;
  const given = opts.zvm?.startAt;
  if (zvmSkewMs !== undefined && given !== undefined) {
    throw new TypeError('servers:start: give zvm.startAt or zvmSkewMs, not both');
  }
  if (zvmSkewMs !== undefined && (typeof zvmSkewMs !== 'number' || !Number.isFinite(zvmSkewMs))) {
    throw new TypeError(`servers:start: zvmSkewMs must be a number of ms (got ${JSON.stringify(zvmSkewMs)})`);
  }
  const startAt = zvmSkewMs === undefined ? given : Date.now() + zvmSkewMs;
  if (startAt === undefined) return {};
  // A Date holds ±8.64e15 ms; the sim must also be able to advance 400 days from there.
  if (
    typeof startAt !== 'number' ||
    !Number.isFinite(startAt) ||
    Math.abs(startAt) > 8.64e15 - MAX_ADVANCE_MS
  ) {
    throw new RangeError(
      `servers:start: the ZVM start time must be epoch ms (got ${JSON.stringify(startAt)})`,
    );
  }
  return { startAt };
}

/**
 * What the simulator enforces, read the way /control/state and a console read it: its control state (phase,
 * deadline, days left, VRAs with their Status, last attempt) plus `alerts`, the active alerts exactly as
 * GET /v1/alerts lists them, and `nowMs`/`deadlineMs` as epoch ms.
 */
async function zvmState(zvm: ZvmSim, token: string): Promise<Record<string, unknown>> {
  const read = async (path: string, headers: Record<string, string>) => {
    const res = await fetch(`${zvm.url}${path}`, { headers, signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`servers:zvm-state: GET ${path} answered HTTP ${res.status}`);
    return res.json() as Promise<unknown>;
  };
  const state = (await read('/control/state', { 'X-Control-Token': zvm.controlToken })) as Record<
    string,
    unknown
  >;
  // In camelCase whatever the dialect (a Windows ZVM answers in PascalCase; a link's own keys stay lower-case).
  const camel = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(camel)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k[0]!.toLowerCase() + k.slice(1), camel(x)]))
        : v;
  const alerts = camel(await read('/v1/alerts', { Authorization: `Bearer ${token}` }));
  const ms = (v: unknown) => (typeof v === 'string' ? Date.parse(v) : null);
  return { ...state, alerts, nowMs: ms(state.now), deadlineMs: ms(state.deadline) };
}
