// `npm start`: the reference billing server, the ZVM simulator, the fleet service over simulated ZVMs and the
// story page, stopped together on Ctrl-C.
import { ensureManifest, PortTakenError, startDemo } from './demo-server.ts';

const env = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);

try {
  ensureManifest();
  const demo = await startDemo({
    port: env('DEMO_PORT'),
    billingPort: env('BILLING_PORT'),
    zvmPort: env('ZVM_PORT'),
    fleetPort: env('FLEET_PORT'),
  });
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
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await demo.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
} catch (err) {
  if (err instanceof PortTakenError) {
    console.error(
      `\n  Cannot start: ${err.message}.\n  (ports: DEMO_PORT=5170, BILLING_PORT=5171, ZVM_PORT=5172, FLEET_PORT=5180 by default)\n`,
    );
    process.exit(1);
  }
  throw err;
}
