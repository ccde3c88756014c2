/**
 * `npm run zvm-sim -- --port 5172 --billing http://127.0.0.1:5171 [--dialect windows]`
 * Starts the ZVM API simulator until SIGINT or SIGTERM, and prints its URL and control token.
 */
import { parsePolicy, type Policy } from '../../src/core/index.ts';
import { HELP_ID_PATTERN, ZVM_DIALECTS, type ZvmDialect } from '../../src/protocol/zvm.ts';
import { commonOptions, commonUsage, createCli } from '../cli-args.ts';
import { isHttpUrl } from '../http.ts';
import { DEFAULT_DISCONNECTION_ALERT_ID, DEFAULT_USAGE_ALERT_ID } from './alerts.ts';
import { DEFAULT_LICENSE_TYPE, startZvmSim, TOKEN_PATH } from './server.ts';

const USAGE = `usage: npm run zvm-sim -- [options]
  (a real Windows ZVM listens on 9669, e.g. --dialect windows --port 9669; the default port stays 5172)
${commonUsage(5172)}
  --dialect D           zerto10 (default: a Zerto 10 appliance, camelCase, ids in link objects,
                        Keycloak tokens, sendUsage answering 200 with no body) or windows (a Windows
                        ZVM: PascalCase, SiteIdentifier/AlertIdentifier, POST /v1/session/add,
                        sendUsage answering "Passed" or "Failed")
  --billing URL         billing receiver to transmit to (default http://127.0.0.1:5171)
  --token T             bearer token accepted on /v1 in both dialects (default demo-token)
  --user U --password P basic-auth credentials for POST /v1/session/add (windows) and the token
                        endpoint's password grant (zerto10) (default admin / admin)
  --client-id ID --client-secret S
                        the client of the token endpoint's client_credentials grant (zerto10;
                        POST ${TOKEN_PATH}; default zerto-fleet / fleet-secret)
  --token-ttl S         seconds an access token from the token endpoint lasts (default 300)
  --site-id ID          the local site's identifier (default a fixed GUID)
  --site-name NAME      the local site's name (default "Demo Site")
  --protected-vms N     protected VMs reported (default 42)
  --usage-alert-id ID   help identifier of the usage alert (default ${DEFAULT_USAGE_ALERT_ID})
  --disconnection-alert-id ID
                        help identifier of the disconnection alert (default ${DEFAULT_DISCONNECTION_ALERT_ID})
  --no-other-alerts     list only the billing alerts (default: a VPG, a VRA and a storage alert too)
  --license-type T      the licence type of GET /v1/license (default ${DEFAULT_LICENSE_TYPE}; e.g. Trial, NFR)
  --license-expiry TIME the licence's expiry, an ISO 8601 date-time (default: none)
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
  dialect: { type: 'string', default: 'zerto10' },
  'usage-alert-id': { type: 'string' },
  'disconnection-alert-id': { type: 'string' },
  'no-other-alerts': { type: 'boolean', default: false },
  'license-type': { type: 'string' },
  'license-expiry': { type: 'string' },
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
if (!(ZVM_DIALECTS as readonly string[]).includes(args.dialect)) {
  cli.fail(`--dialect must be ${ZVM_DIALECTS.join(' or ')} (got ${JSON.stringify(args.dialect)})`);
}
for (const flag of ['usage-alert-id', 'disconnection-alert-id'] as const) {
  const id = args[flag];
  if (id !== undefined && !HELP_ID_PATTERN.test(id)) {
    cli.fail(`--${flag} must be a help identifier such as LIC0012 (got ${JSON.stringify(id)})`);
  }
}
let licenseExpiry: number | undefined;
if (args['license-expiry'] !== undefined) {
  licenseExpiry = Date.parse(args['license-expiry']);
  if (!Number.isFinite(licenseExpiry)) {
    cli.fail(
      `--license-expiry must be an ISO 8601 date-time such as 2027-01-31T00:00:00Z (got ${JSON.stringify(args['license-expiry'])})`,
    );
  }
}
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
    dialect: args.dialect as ZvmDialect,
    usageAlertId: args['usage-alert-id'],
    disconnectionAlertId: args['disconnection-alert-id'],
    otherAlerts: !args['no-other-alerts'],
    licenseType: args['license-type'],
    licenseExpiry,
    policy: policy.ok ? policy.value : undefined,
    autoSend: !args['no-auto-send'],
    sessionIdleMs,
  }),
);
const windows = args.dialect === 'windows';
console.log(
  `ZVM simulator listening on ${sim.url} (${windows ? 'a Windows ZVM' : 'a Zerto 10 appliance'}), transmitting to ${args.billing}`,
);
console.log(
  `auth: Authorization: Bearer ${args.token ?? 'demo-token'}, or ` +
    (windows ? 'POST /v1/session/add with basic auth; ' : `a token from POST ${TOKEN_PATH}; `) +
    `CORS allowed for: ${common.allowOrigins.join(', ') || 'no origin'}`,
);
cli.printControl(sim.url, sim.controlToken);
// Said at once: a simulator whose billing receiver is not running fails every transmission, and raises its
// usage alert a day later, which a first try should not have to discover.
void fetch(`${args.billing.replace(/\/+$/, '')}/v1/health`, { signal: AbortSignal.timeout(2000) }).then(
  (r) => r.ok || noReceiver(`it answered HTTP ${r.status}`),
  () => noReceiver('nothing answers there'),
);
function noReceiver(why: string): void {
  console.log(
    `note: no billing receiver at ${args.billing} (${why}): this ZVM's usage transmissions fail until one runs ` +
      '(npm run billing-server, or --billing URL), and its usage alert opens after --alert-after-ms.',
  );
}
cli.stopOnSignal('ZVM simulator', () => sim.close());
