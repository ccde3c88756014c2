/**
 * `npm run zvm-sim -- --port 5172 --billing http://127.0.0.1:5171`
 * Starts the ZVM API simulator until SIGINT or SIGTERM, and prints its URL and control token.
 */
import { parsePolicy, type Policy } from '../../src/core/index.ts';
import { commonOptions, commonUsage, createCli } from '../cli-args.ts';
import { isHttpUrl } from '../http.ts';
import { startZvmSim, TOKEN_PATH } from './server.ts';

const USAGE = `usage: npm run zvm-sim -- [options]
${commonUsage(5172)}
  --billing URL         billing receiver to transmit to (default http://127.0.0.1:5171)
  --token T             bearer token accepted on /v1 (default demo-token)
  --user U --password P basic-auth credentials for POST /v1/session/add and the token endpoint's
                        password grant (default admin / admin)
  --client-id ID --client-secret S
                        the client of the token endpoint's client_credentials grant
                        (POST /auth/realms/zerto/protocol/openid-connect/token; default zerto-fleet / fleet-secret)
  --token-ttl S         seconds an access token from the token endpoint lasts (default 300)
  --site-id ID          SiteIdentifier (default a fixed GUID)
  --site-name NAME      SiteName (default "Demo Site")
  --protected-vms N     protected VMs reported (default 42)
  --camel               answer with camelCase field names (default PascalCase)
  --interval-ms N       milliseconds between transmissions (default 3600000)
  --alert-after-ms N    milliseconds without success before the alert (default 86400000)
  --grace-days N        days from the alert until VRAs are disconnected (default 15)
  --no-auto-send        transmit only when POST /v1/localsite/billing/sendUsage is called
  --session-idle-ms N   an x-zerto-session unused this long ends (default 1800000)`;

const cli = createCli('zvm-sim', USAGE);
const args = cli.parse({
  ...commonOptions(5172),
  billing: { type: 'string', default: 'http://127.0.0.1:5171' },
  token: { type: 'string' },
  user: { type: 'string' },
  password: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  'token-ttl': { type: 'string' },
  'site-id': { type: 'string' },
  'site-name': { type: 'string' },
  'protected-vms': { type: 'string' },
  camel: { type: 'boolean', default: false },
  'interval-ms': { type: 'string' },
  'alert-after-ms': { type: 'string' },
  'grace-days': { type: 'string' },
  'no-auto-send': { type: 'boolean', default: false },
  'session-idle-ms': { type: 'string' },
});
const common = cli.common(args);

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
if (!policy.ok) cli.fail(`${policy.error} (flags: --interval-ms, --alert-after-ms, --grace-days)`);

if (!isHttpUrl(args.billing)) {
  cli.fail(
    `--billing must be an http(s) URL such as http://127.0.0.1:5171 (got ${JSON.stringify(args.billing)})`,
  );
}
const protectedVms = cli.whole(args['protected-vms'], '--protected-vms', 0);
const sessionIdleMs = cli.whole(args['session-idle-ms'], '--session-idle-ms', 1);
const tokenTtlS = cli.whole(args['token-ttl'], '--token-ttl', 1);

const sim = await cli.start(() =>
  startZvmSim({
    ...common,
    billingUrl: args.billing,
    token: args.token,
    user: args.user,
    password: args.password,
    clientId: args['client-id'],
    clientSecret: args['client-secret'],
    tokenTtlMs: tokenTtlS === undefined ? undefined : tokenTtlS * 1000,
    siteId: args['site-id'],
    siteName: args['site-name'],
    protectedVms,
    casing: args.camel ? 'camel' : 'pascal',
    policy: policy.ok ? policy.value : undefined,
    autoSend: !args['no-auto-send'],
    sessionIdleMs,
  }),
);
console.log(`ZVM simulator listening on ${sim.url}, transmitting to ${args.billing}`);
console.log(
  `auth: Authorization: Bearer ${args.token ?? 'demo-token'}, a token from POST ${TOKEN_PATH}, ` +
    `or POST /v1/session/add with basic auth; ` +
    `CORS allowed for: ${common.allowOrigins.join(', ') || 'no origin'}`,
);
cli.printControl(sim.url, sim.controlToken);
cli.stopOnSignal('ZVM simulator', () => sim.close());
