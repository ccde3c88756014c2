/**
 * `npm run zvm-sim -- --port 5172 --billing http://127.0.0.1:5171`
 * Starts the ZVM API simulator until SIGINT or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { parsePolicy, type Policy } from '../../src/core/index.ts';
import { DEFAULT_ALLOW_ORIGINS, isHttpUrl, isOrigin, parsePort, PortInUseError } from '../http.ts';
import { startZvmSim } from './server.ts';

const USAGE = `usage: npm run zvm-sim -- [options]
  --port N              port to listen on (default 5172; 0 = any free port)
  --host H              address to bind (default 127.0.0.1)
  --billing URL         billing receiver to transmit to (default http://127.0.0.1:5171)
  --token T             bearer token accepted (default demo-token)
  --user U --password P basic-auth credentials for POST /v1/session/add (default admin / admin)
  --site-id ID          SiteIdentifier (default a fixed GUID)
  --site-name NAME      SiteName (default "Demo Site")
  --protected-vms N     protected VMs reported (default 42)
  --camel               answer with camelCase field names (default PascalCase)
  --interval-ms N       milliseconds between transmissions (default 3600000)
  --alert-after-ms N    milliseconds without success before the alert (default 86400000)
  --grace-days N        days from the alert until VRAs are disconnected (default 15)
  --no-auto-send        transmit only when POST /v1/localsite/billing/sendUsage is called
  --allow-origin URL    an origin allowed by CORS; repeatable
                        (default ${DEFAULT_ALLOW_ORIGINS.join(' and ')})
  --quiet               no request log
  --help                this text`;

function fail(message: string, code = 2): never {
  console.error(`zvm-sim: ${message}`);
  if (code === 2) console.error(USAGE);
  process.exit(code);
}

let args;
try {
  args = parseArgs({
    options: {
      port: { type: 'string', default: '5172' },
      host: { type: 'string', default: '127.0.0.1' },
      billing: { type: 'string', default: 'http://127.0.0.1:5171' },
      token: { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string' },
      'site-id': { type: 'string' },
      'site-name': { type: 'string' },
      'protected-vms': { type: 'string' },
      camel: { type: 'boolean', default: false },
      'interval-ms': { type: 'string' },
      'alert-after-ms': { type: 'string' },
      'grace-days': { type: 'string' },
      'no-auto-send': { type: 'boolean', default: false },
      'allow-origin': { type: 'string', multiple: true },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  }).values;
} catch (e) {
  fail((e as Error).message);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

const port = parsePort(args.port, '--port');
if (!port.ok) fail(port.error);

/** A flag's number; NaN for text that is not one, so that parsePolicy names the flag's field. */
const num = (v: string | undefined): number | undefined =>
  v === undefined ? undefined : v.trim() === '' ? NaN : Number(v);
const given: Partial<Policy> = {};
const interval = num(args['interval-ms']);
const alertAfter = num(args['alert-after-ms']);
const graceDays = num(args['grace-days']);
if (interval !== undefined) given.interval = interval;
if (alertAfter !== undefined) given.alertAfter = alertAfter;
if (graceDays !== undefined) given.graceDays = graceDays;
const policy = parsePolicy(given);
if (!policy.ok) {
  fail(`${policy.error} (flags: --interval-ms, --alert-after-ms, --grace-days)`);
}

if (!isHttpUrl(args.billing)) {
  fail(
    `--billing must be an http(s) URL such as http://127.0.0.1:5171 (got ${JSON.stringify(args.billing)})`,
  );
}

let protectedVms: number | undefined;
if (args['protected-vms'] !== undefined) {
  protectedVms = num(args['protected-vms']);
  if (protectedVms === undefined || !Number.isInteger(protectedVms) || protectedVms < 0) {
    fail(`--protected-vms must be a whole number ≥ 0 (got ${JSON.stringify(args['protected-vms'])})`);
  }
}

const allowOrigins = args['allow-origin'] ?? [...DEFAULT_ALLOW_ORIGINS];
const badOrigin = allowOrigins.find((o) => !isOrigin(o));
if (badOrigin !== undefined) {
  fail(`--allow-origin must be an origin such as http://localhost:5170, without a path (got ${badOrigin})`);
}

try {
  const sim = await startZvmSim({
    port: port.port,
    host: args.host,
    billingUrl: args.billing,
    token: args.token,
    user: args.user,
    password: args.password,
    siteId: args['site-id'],
    siteName: args['site-name'],
    protectedVms,
    casing: args.camel ? 'camel' : 'pascal',
    policy: policy.value,
    autoSend: !args['no-auto-send'],
    allowOrigins,
    quiet: args.quiet,
  });
  console.log(`ZVM simulator listening on ${sim.url}, transmitting to ${args.billing}`);
  console.log(
    `auth: Authorization: Bearer ${args.token ?? 'demo-token'}, or POST /v1/session/add with basic auth; ` +
      `CORS allowed for: ${allowOrigins.join(', ') || 'no origin'}`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`ZVM simulator: ${signal}, stopping`);
    sim.close().then(
      () => process.exit(0),
      (e: unknown) => fail(`could not stop cleanly: ${(e as Error).message}`, 1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
} catch (e) {
  if (e instanceof PortInUseError) {
    fail(`port ${e.port} is already in use (on ${e.host}); stop what uses it or pass --port N`, 1);
  }
  fail(`could not start: ${(e as Error).message}`, 1);
}
