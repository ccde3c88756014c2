/**
 * `npm run fleet -- --config fleet.json`: the fleet service, until SIGINT or SIGTERM; SIGHUP reloads the
 * config (sites added, removed or changed keep their stored state; a bad config is refused and the running
 * one kept).
 * `npm run fleet -- check --zvm URL --token-env VAR`: one Nagios-style check of one ZVM.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pkg from '../package.json' with { type: 'json' };
import { PortInUseError } from '../servers/http.ts';
import { DEFAULT_BILLING_ALERT_IDS, parseHelpIds } from '../src/protocol/zvm.ts';
import { startApi, type Api } from './api.ts';
import { EXIT, runCheck } from './check.ts';
import { ConfigError, loadConfig, type FleetConfig, type ResolvedAuth } from './config.ts';
import { Fleet, newSharing } from './fleet.ts';
import { createMetrics } from './metrics.ts';
import { Store } from './store.ts';
import { WebhookSender } from './webhooks.ts';

const SERVE_USAGE = `usage: npm run fleet -- --config fleet.json [--quiet]
       npm run fleet -- check --zvm URL (credentials) [options]   (see: check --help)

  --config PATH   the fleet config (JSON); see docs/fleet.md
  --quiet         no transition log
  --help          this text
Environment: DATABASE_URL=postgres://… uses a PostgreSQL server instead of PGlite in dataDir; several
instances on one server share the sites (leases).
Signals: SIGHUP reloads the config; SIGINT or SIGTERM stops.`;

const CHECK_USAGE = `usage: npm run fleet -- check --zvm URL (credentials) [options]
Reads one ZVM's billing alerts (no sendUsage) and prints one line with perfdata; exits 0 OK (no billing
alert), 1 WARNING (a usage alert, or a billing-looking alert no setting names), 2 CRITICAL (the VRAs are
disconnected, or fewer than -c days left), 3 UNKNOWN (the ZVM cannot be read: never a billing alarm).
Never 0 while the ZVM lists a billing alert, dismissed or not.

Credentials (by reference: a variable's name or a file, never the secret on the command line):
  --token-env VAR | --token-file PATH                  a bearer token
  --client-id ID --client-secret-env VAR | --client-secret-file PATH
                                                       Zerto 10 token endpoint, client credentials grant
  --user U --password-env VAR | --password-file PATH [--client-id ID] [--session]
                                                       password grant (zerto-client unless --client-id), or
                                                       with --session an x-zerto-session (Windows ZVMs)
Options:
  -w, --warning DAYS   days_left's warning threshold in the perfdata (whole days; default the grace days).
                       Any usage alert is a WARNING whatever -w says
  -c, --critical DAYS  a usage alert with fewer whole days left is CRITICAL (default 1: its last day)
  -t, --timeout SECONDS  the whole check, login included (default 10)
  --grace-days N       days from the usage alert until the VRAs are disconnected (default 15)
  --usage-alert-ids LIST         help identifiers of the usage alert (comma or space separated;
                                 default ${DEFAULT_BILLING_ALERT_IDS.usage.join(',')})
  --disconnection-alert-ids LIST help identifiers of the disconnection alert
                                 (default ${DEFAULT_BILLING_ALERT_IDS.disconnection.join(',')})
  -h, --help           this text;  -V, --version  the version
Zerto does not publish the billing alerts' help identifiers: the defaults are the best public evidence. A
billing-looking alert no flag names is counted as a usage alert, quoted, with the identifier to add. Where the
ZVM lists its help identifiers, one given by a flag that it does not know is a WARNING.
Deprecated: --critical-days N (= -c N), --timeout-ms N (= -t N/1000).`;

const argv = process.argv.slice(2);
if (argv[0] === 'check') await check(argv.slice(1));
else await serve(argv);

async function check(args: string[]): Promise<never> {
  const unknown = (message: string): never => {
    console.log(`ZERTO BILLING UNKNOWN - ${message}`);
    process.exit(EXIT.UNKNOWN);
  };
  let v;
  try {
    v = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        zvm: { type: 'string' },
        'token-env': { type: 'string' },
        'token-file': { type: 'string' },
        'client-id': { type: 'string' },
        'client-secret-env': { type: 'string' },
        'client-secret-file': { type: 'string' },
        user: { type: 'string' },
        'password-env': { type: 'string' },
        'password-file': { type: 'string' },
        session: { type: 'boolean', default: false },
        'grace-days': { type: 'string', default: '15' },
        warning: { type: 'string', short: 'w' },
        critical: { type: 'string', short: 'c' },
        timeout: { type: 'string', short: 't' },
        'usage-alert-ids': { type: 'string' },
        'disconnection-alert-ids': { type: 'string' },
        'critical-days': { type: 'string' },
        'timeout-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'V', default: false },
      },
    }).values;
  } catch (e) {
    return unknown(`${(e as Error).message} (see check --help)`);
  }
  // As the monitoring plugins do, help and version exit UNKNOWN: they are not a check.
  if (v.help) {
    console.log(CHECK_USAGE);
    process.exit(EXIT.UNKNOWN);
  }
  if (v.version) {
    console.log(`zerto-fleet check ${pkg.version}`);
    process.exit(EXIT.UNKNOWN);
  }
  if (!v.zvm) return unknown('--zvm URL is required (the ZVM API base, e.g. https://zvm.example)');
  try {
    const u = new URL(v.zvm);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
  } catch {
    return unknown(`--zvm must be an http(s) URL (got ${JSON.stringify(v.zvm)})`);
  }
  const secret = async (
    env: string | undefined,
    file: string | undefined,
    what: string,
  ): Promise<string | null> => {
    if (env !== undefined) {
      const value = process.env[env];
      if (!value) return unknown(`${what}: the environment variable ${env} is not set (or empty)`);
      return value;
    }
    if (file !== undefined) {
      try {
        const value = (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
        if (!value) return unknown(`${what}: the file ${file} is empty`);
        return value;
      } catch (e) {
        return unknown(`${what}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
    return null;
  };
  let auth: ResolvedAuth;
  const token = await secret(v['token-env'], v['token-file'], '--token-env/--token-file');
  const password = await secret(v['password-env'], v['password-file'], '--password-env/--password-file');
  const clientSecret = await secret(
    v['client-secret-env'],
    v['client-secret-file'],
    '--client-secret-env/--client-secret-file',
  );
  if (token !== null) auth = { type: 'token', secret: token };
  else if (v.user !== undefined && password !== null) {
    auth = v.session
      ? { type: 'session', username: v.user, secret: password }
      : {
          type: 'password',
          username: v.user,
          secret: password,
          clientId: v['client-id'] ?? 'zerto-client',
          ...(clientSecret !== null ? { clientSecret } : {}),
        };
  } else if (v['client-id'] !== undefined && clientSecret !== null) {
    auth = { type: 'client-credentials', clientId: v['client-id'], secret: clientSecret };
  } else {
    return unknown(
      'no credentials: give --token-env, --client-id with --client-secret-env, or --user with --password-env',
    );
  }
  const num = (s: string, flag: string, min: number, max: number): number => {
    const n = Number(s);
    if (s.trim() === '' || !Number.isFinite(n) || n < min || n > max)
      return unknown(`${flag} must be a number from ${min} to ${max} (got ${JSON.stringify(s)})`);
    return n;
  };
  const days = (s: string | undefined, flag: string): number | undefined => {
    if (s === undefined) return undefined;
    const n = num(s, flag, 0, 365);
    if (!Number.isInteger(n))
      return unknown(`${flag} must be a whole number of days (got ${JSON.stringify(s)})`);
    return n;
  };
  const helpIds = (s: string | undefined, flag: string): string[] | undefined => {
    if (s === undefined) return undefined;
    const r = parseHelpIds(s);
    return r.ok ? r.ids : unknown(`${flag}: ${r.error}`);
  };
  if (v.critical !== undefined && v['critical-days'] !== undefined)
    return unknown('give -c or --critical-days (its old name), not both');
  if (v.timeout !== undefined && v['timeout-ms'] !== undefined)
    return unknown('give -t or --timeout-ms (its old name), not both');
  const timeoutMs =
    v['timeout-ms'] !== undefined
      ? num(v['timeout-ms'], '--timeout-ms', 100, 300_000)
      : num(v.timeout ?? '10', '-t', 0.1, 300) * 1000;
  const usage = helpIds(v['usage-alert-ids'], '--usage-alert-ids');
  const disconnection = helpIds(v['disconnection-alert-ids'], '--disconnection-alert-ids');
  const result = await runCheck({
    url: v.zvm,
    auth,
    graceDays: num(v['grace-days'], '--grace-days', 1 / 24, 365),
    warningDays: days(v.warning, '-w'),
    criticalDays: days(v.critical ?? v['critical-days'], v.critical !== undefined ? '-c' : '--critical-days'),
    timeoutMs,
    ids: { ...(usage ? { usage } : {}), ...(disconnection ? { disconnection } : {}) },
  });
  console.log(result.line.replace(/[\r\n]+/g, ' '));
  process.exit(EXIT[result.state]);
}

async function serve(args: string[]): Promise<void> {
  const fail = (message: string, code = 2): never => {
    console.error(`fleet: ${message}`);
    if (code === 2) console.error(SERVE_USAGE);
    process.exit(code);
  };
  let v;
  try {
    v = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (e) {
    return fail((e as Error).message);
  }
  if (v.help) {
    console.log(SERVE_USAGE);
    process.exit(0);
  }
  if (!v.config) return fail('--config PATH is required');
  const log = (line: string) => {
    if (!v.quiet) console.log(`[fleet] ${new Date().toISOString()} ${line}`);
  };
  let config: FleetConfig;
  try {
    config = await loadConfig(v.config);
  } catch (e) {
    return fail(e instanceof ConfigError ? `invalid config: ${e.message}` : String(e), 1);
  }
  const databaseUrl = process.env.DATABASE_URL || undefined;
  let store: Store;
  try {
    store = await Store.open({ dataDir: config.dataDir, databaseUrl, log });
  } catch (e) {
    return fail(
      databaseUrl
        ? `cannot open the PostgreSQL database of DATABASE_URL: ${(e as Error).message}`
        : `cannot open the database in ${config.dataDir}: ${(e as Error).message}`,
      1,
    );
  }
  const stored = await store.loadSites((id, error) =>
    console.error(
      `fleet: the stored state of site ${id} is damaged and set aside (${error}); it starts afresh`,
    ),
  );
  const sharing = store.kind === 'server' ? newSharing(config.leases) : null;
  const fleet = new Fleet(store, config, stored, log, Date.now, Math.random, sharing);
  const metrics = createMetrics(fleet, store);
  let api: Api;
  try {
    api = await startApi({
      ...config.http,
      apiKeys: () => config.apiKeys,
      fleet,
      store,
      metrics,
      log,
    });
  } catch (e) {
    await store.close();
    return fail(
      e instanceof PortInUseError
        ? `port ${e.port} is already in use on ${e.host}: change http.port in the config`
        : `could not start the API: ${(e as Error).message}`,
      1,
    );
  }
  const webhooks = new WebhookSender(store, () => config.webhooks, log);
  fleet.on('outbox', () => webhooks.kick());
  webhooks.start();
  await fleet.start();
  // The export reaches back 400 days at most: older usage goes, once a day.
  const prune = () =>
    void store
      .pruneUsage(Date.now() - 401 * 86_400_000)
      .catch((e: unknown) => log(`usage prune failed: ${String(e)}`));
  prune();
  setInterval(prune, 86_400_000).unref();
  console.log(
    `fleet service listening on ${api.url}, watching ${config.sites.length} ZVMs (data in ${store.where})` +
      (sharing
        ? `; instance ${sharing.name}, sharing the sites by leases (${fleet.stats.owned} held now)`
        : ''),
  );
  if (config.apiKeys.length === 0) console.log('fleet: no apiKeys configured: every /v1 route answers 401');

  let reloading = Promise.resolve();
  process.on('SIGHUP', () => {
    reloading = reloading.then(async () => {
      try {
        const next = await loadConfig(v.config!);
        if (JSON.stringify(next.http) !== JSON.stringify(config.http) || next.dataDir !== config.dataDir) {
          console.log('fleet: http and dataDir changes take effect at the next start');
        }
        const { added, removed, changed } = fleet.reconfigure(next);
        config = { ...next, http: config.http, dataDir: config.dataDir };
        console.log(
          `fleet: config reloaded: ${config.sites.length} ZVMs (added ${added.length}, removed ${removed.length}, changed ${changed.length})`,
        );
      } catch (e) {
        console.error(
          `fleet: config not reloaded, the running one is kept: ${e instanceof ConfigError ? e.message : String(e)}`,
        );
      }
    });
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`fleet: ${signal}, stopping`);
    void (async () => {
      await api.close();
      await fleet.close();
      await webhooks.close();
      await store.close();
      process.exit(0);
    })().catch((e: unknown) => {
      console.error(`fleet: could not stop cleanly: ${String(e)}`);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
