// The demo with its real servers: the reference billing server, the ZVM simulator and the story page (Vite) in
// this process, and the fleet service (a child process) over simulated ZVMs in every state, with a webhook
// receiver (demo/fleet-servers.ts). `npm start` runs it; the demo test starts it on free ports.
import { execFileSync } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { createServer, type Plugin, type ViteDevServer } from 'vite';
import { startDemoFleet, type DemoFleet, type FleetSiteInfo } from '../demo/fleet-servers.ts';
import { readManifest } from '../demo/manifest-file.ts';
import { embedSnippetPlugin } from '../demo/snippet-plugin.ts';
import { startBillingServer, type BillingServer } from '../servers/billing/server.ts';
import { startZvmSim, type ZvmSim } from '../servers/zvm/server.ts';

export { readManifest };

export const DEMO_TOKEN = 'demo-token';
const root = resolve(import.meta.dirname, '..');

export interface DemoOptions {
  port?: number;
  billingPort?: number;
  zvmPort?: number;
  /** The fleet service's API port. Default 5180. */
  fleetPort?: number;
  host?: string;
  /** The reference billing server's data folder. Default .data/billing. */
  dataDir?: string;
  /** The fleet's folder (its database, config, billing receiver), wiped at each start. Default: `fleet` in dataDir, or .data/fleet. */
  fleetDataDir?: string;
}

export interface Demo {
  url: string;
  billing: BillingServer;
  /** The ZVM simulator now running (the live story's reset starts a new one on the same port). */
  readonly zvm: ZvmSim;
  fleet: DemoFleet;
  close(): Promise<void>;
}

/** Which port a start-up failed on, said plainly. */
export class PortTakenError extends Error {
  constructor(
    readonly port: number,
    readonly what: string,
  ) {
    super(`port ${port} (${what}) is already in use: stop what uses it, or choose another port`);
  }
}

export function ensureManifest(): void {
  execFileSync(
    'npx',
    ['custom-elements-manifest', 'analyze', '--config', 'custom-elements-manifest.config.mjs', '--quiet'],
    {
      cwd: root,
      stdio: 'ignore',
    },
  );
}

/** Where the demo's servers are, and the control tokens the live story needs to drive them. */
export interface DemoServersAnswer {
  billingUrl: string;
  zvmUrl: string;
  /** The simulator's API bearer token (a stand-in for a console's ZVM session). */
  token: string;
  /** The X-Control-Token of each server, for the live story's buttons (faults, clock). */
  control: { billing: string; zvm: string };
  /** The fleet service, its read-only API key, and its sites (the Fleet story). */
  fleet: { url: string; key: string; sites: FleetSiteInfo[] } | null;
}

/**
 * True for a request the page itself made (same origin) or one typed in the address bar: the control tokens
 * go to no other page. Vite's CORS is off for the demo, and its host check keeps rebinding names out.
 */
function sameOrigin(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  return origin === undefined || origin === `http://${req.headers.host ?? ''}`;
}

/** Answers JSON to the demo page only. */
function pageOnly(req: IncomingMessage, res: ServerResponse, body: () => unknown): void {
  res.setHeader('cache-control', 'no-store');
  res.setHeader('content-type', 'application/json');
  if (!sameOrigin(req)) {
    res.statusCode = 403;
    res.end(JSON.stringify({ error: { code: 'forbidden-origin', message: 'for the demo page only' } }));
    return;
  }
  res.end(JSON.stringify(body()));
}

/** What the demo page may ask of the demo server besides reading: starting the live story over. */
interface DemoActions {
  servers(): DemoServersAnswer;
  webhooks(): unknown;
  /** The simulator and the billing server as at start: the simulator's clock back to now, no fault. */
  resetLive(): Promise<void>;
}

function demoPlugin(actions: DemoActions): Plugin {
  return {
    name: 'zbb-demo',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = req.url ?? '';
        if (url.startsWith('/__demo/servers')) return pageOnly(req, res, actions.servers);
        // The live story's Reset: its clock only moves forward, and it outlives the page (npm start keeps it).
        if (url.startsWith('/__demo/live/reset') && req.method === 'POST') {
          if (!sameOrigin(req)) return pageOnly(req, res, () => null);
          actions.resetLive().then(
            () => pageOnly(req, res, () => ({ reset: true })),
            (err: unknown) => {
              res.statusCode = 500;
              pageOnly(req, res, () => ({ error: { code: 'reset-failed', message: String(err) } }));
            },
          );
          return;
        }
        // What the demo's webhook receiver took from the fleet service, newest first (the Fleet story).
        if (url.startsWith('/__demo/fleet-webhooks'))
          return pageOnly(req, res, () => ({ webhooks: actions.webhooks() }));
        if (url.startsWith('/demo/custom-elements.json')) {
          // Read at each request, so that a regenerated manifest shows without a restart.
          const manifest = readManifest();
          if (!manifest) return next();
          res.setHeader('content-type', 'application/json');
          res.setHeader('cache-control', 'no-store');
          res.end(JSON.stringify(manifest));
          return;
        }
        if (url.startsWith('/demo/csp.html')) {
          res.setHeader('content-security-policy', "default-src 'self'; require-trusted-types-for 'script'");
        }
        next();
      });
    },
  };
}

async function tryStart<T>(what: string, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    if ((err as { code?: string }).code === 'EADDRINUSE') throw new PortTakenError(port, what);
    throw err;
  }
}

export async function startDemo(o: DemoOptions = {}): Promise<Demo> {
  const host = o.host ?? '127.0.0.1';
  const port = o.port ?? 5170;
  const origins = [`http://localhost:${port}`, `http://127.0.0.1:${port}`];
  const opened: Array<() => Promise<unknown>> = [];
  try {
    const billing = await tryStart('the reference billing server', o.billingPort ?? 5171, () =>
      startBillingServer({
        port: o.billingPort ?? 5171,
        host,
        dataDir: o.dataDir ?? resolve(root, '.data/billing'),
        allowOrigins: origins,
        quiet: true,
      }),
    );
    opened.push(() => billing.close());
    const zvmOptions = {
      port: o.zvmPort ?? 5172,
      host,
      billingUrl: billing.url,
      token: DEMO_TOKEN,
      siteId: 'sim-site-01',
      siteName: 'Lisbon DR (simulated ZVM)',
      protectedVms: 128,
      allowOrigins: origins,
      quiet: true,
    };
    let zvm = await tryStart('the ZVM simulator', zvmOptions.port, () => startZvmSim(zvmOptions));
    opened.push(() => zvm.close());
    /** A new simulator on the same port (its clock at now, its alerts none), and the billing link restored. */
    const resetLive = async (): Promise<void> => {
      const port = zvm.port;
      await zvm.close();
      zvm = await startZvmSim({ ...zvmOptions, port });
      await fetch(`${billing.url}/control/fault`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-control-token': billing.controlToken },
        body: JSON.stringify({ mode: 'none' }),
      });
    };
    // The fleet service takes a few seconds to start (tsx, PGlite): it starts while Vite does.
    const fleetPort = o.fleetPort ?? 5180;
    const fleetStarting = startDemoFleet({
      host,
      port: fleetPort,
      dataDir: o.fleetDataDir ?? (o.dataDir ? join(o.dataDir, 'fleet') : resolve(root, '.data/fleet')),
      allowOrigins: origins,
      zvmUrl: zvm.url,
    });
    fleetStarting.catch(() => {}); // awaited below, where a failure is reported
    opened.push(() => fleetStarting.then((f) => f.close()));
    let fleet: DemoFleet | null = null;
    let vite: ViteDevServer;
    try {
      vite = await createServer({
        root,
        configFile: false,
        logLevel: 'warn',
        clearScreen: false,
        // No CORS: the control tokens in /__demo/servers are for this page's own origin only.
        server: { port, host, strictPort: true, hmr: false, cors: false },
        // Lit as a console gets it (its production build): the development build warns in every page's console.
        resolve: { conditions: ['module', 'browser', 'production'] },
        plugins: [
          embedSnippetPlugin(),
          demoPlugin({
            servers: () => ({
              billingUrl: billing.url,
              zvmUrl: zvm.url,
              token: DEMO_TOKEN,
              control: { billing: billing.controlToken, zvm: zvm.controlToken },
              fleet: fleet && { url: fleet.url, key: fleet.readKey, sites: fleet.sites },
            }),
            webhooks: () => fleet?.webhooks() ?? [],
            resetLive,
          }),
        ],
      });
      await vite.listen();
    } catch (err) {
      if (/already in use|EADDRINUSE/.test(String((err as Error).message)))
        throw new PortTakenError(port, 'the demo page');
      throw err;
    }
    opened.push(() => vite.close());
    fleet = await tryStart('the fleet service', fleetPort, () => fleetStarting);
    const address = vite.httpServer?.address();
    const actual = typeof address === 'object' && address ? address.port : port;
    return {
      url: `http://${host === '127.0.0.1' ? 'localhost' : host}:${actual}/demo/`,
      billing,
      get zvm() {
        return zvm;
      },
      fleet,
      close: async () => {
        for (const close of opened.reverse()) await close().catch(() => {});
      },
    };
  } catch (err) {
    for (const close of opened.reverse()) await close().catch(() => {});
    throw err;
  }
}
