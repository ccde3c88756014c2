// `npm start`: the reference billing server, the ZVM simulator, the fleet service over simulated ZVMs and the
// story page, stopped together on Ctrl-C or SIGTERM. DEMO_PORT, BILLING_PORT, ZVM_PORT, FLEET_PORT move them;
// DEMO_DATA_DIR moves their data (default .data).
import { ensureManifest, PortTakenError, startDemo, type Demo } from './demo-server.ts';

const env = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);

// Stopped together, however it is asked: Ctrl-C (SIGINT), SIGTERM (a service manager, `kill`, npm passing on
// its own), SIGHUP (the terminal closed), or whoever started this process going away. npm runs the script
// through `sh -c`, and a shell that gets SIGTERM dies without passing it on: this process then finds itself
// with another parent, and stops as if it had been told.
let starting: Promise<Demo> | null = null;
let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  // A close that hangs still ends: exiting stops the fleet service (its child process) on the way out.
  setTimeout(() => process.exit(1), 20_000).unref();
  const demo = await starting?.catch(() => null);
  await demo?.close();
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop());
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void stop();
}, 500).unref();

try {
  ensureManifest();
  starting = startDemo({
    port: env('DEMO_PORT'),
    billingPort: env('BILLING_PORT'),
    zvmPort: env('ZVM_PORT'),
    fleetPort: env('FLEET_PORT'),
    dataDir: process.env.DEMO_DATA_DIR || undefined,
  });
  const demo = await starting;
  console.log(`\n  zerto-billing-banner demo: ${demo.url}\n`);
  console.log(
    `  reference billing server  ${demo.billing.url}  (control token ${demo.billing.controlToken})`,
  );
  console.log(
    `  ZVM simulator             ${demo.zvm.url}  (token demo-token, control token ${demo.zvm.controlToken})`,
  );
  console.log(
    `  fleet service             ${demo.fleet.url}  (${demo.fleet.sites.length} sites: ${demo.fleet.sites.map((s) => s.scenario).join(', ')})`,
  );
  console.log(
    `    read key      ${demo.fleet.readKey}   (Authorization: Bearer …, e.g. GET /v1/sites, /metrics)`,
  );
  console.log(`    operator key  ${demo.fleet.operatorKey}   (also POST /v1/sites/{id}/send-usage)`);
  console.log(
    '  (the demo page gets the control tokens and the read key itself; send a control token as X-Control-Token to use /control/*)',
  );
  console.log('\n  Ctrl-C stops them all.\n');
} catch (err) {
  if (err instanceof PortTakenError) {
    console.error(
      `\n  Cannot start: ${err.message}.\n  (ports: DEMO_PORT=5170, BILLING_PORT=5171, ZVM_PORT=5172, FLEET_PORT=5180 by default)\n`,
    );
    process.exit(1);
  }
  throw err;
}
