// `npm start`: the reference billing server, the ZVM simulator and the story page, stopped together on Ctrl-C.
import { ensureManifest, PortTakenError, startDemo } from './demo-server.ts';

const env = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);

try {
  ensureManifest();
  const demo = await startDemo({
    port: env('DEMO_PORT'),
    billingPort: env('BILLING_PORT'),
    zvmPort: env('ZVM_PORT'),
  });
  console.log(`\n  zerto-billing-banner demo: ${demo.url}\n`);
  console.log(
    `  reference billing server  ${demo.billing.url}  (control token ${demo.billing.controlToken})`,
  );
  console.log(
    `  ZVM simulator             ${demo.zvm.url}  (token demo-token, control token ${demo.zvm.controlToken})`,
  );
  console.log(
    '  (the demo page gets the control tokens itself; send one as X-Control-Token to use /control/*)',
  );
  console.log('\n  Ctrl-C stops all three.\n');
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
      `\n  Cannot start: ${err.message}.\n  (ports: DEMO_PORT=5170, BILLING_PORT=5171, ZVM_PORT=5172 by default)\n`,
    );
    process.exit(1);
  }
  throw err;
}
