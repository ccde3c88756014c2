import { z } from 'zod/mini';
import {
  DEFAULT_POLICY,
  HOUR,
  MINUTE,
  parsePolicy,
  parseWith,
  PolicySchema,
  POLICY_LIMITS,
  SECOND,
  type Parsed,
  type Policy,
} from '../../src/core/index.ts';
import {
  CONFIG_LIMITS,
  DEFAULT_BILLING_URL,
  isHttpUrl,
  parseSiteConfig,
  type SiteConfig,
  type SiteSecrets,
} from '../../src/world/probes/index.ts';
import { parseMatchPattern } from './match.ts';

/**
 * What the admin configures, as stored in chrome.storage.local: the watched sites (no secrets), the schedule
 * and thresholds shared by every site, the consoles that get the banner, and the optional proxy for the
 * billing host. Credentials live apart (`secrets`), in chrome.storage.local only: never synced, never sent
 * anywhere but to the host they belong to, never readable by content scripts.
 */
export const STORAGE_KEYS = {
  settings: 'settings',
  secrets: 'secrets',
  /** Diagnostics: milliseconds added to the system clock (tests and demos move time with it). */
  clockOffset: 'clockOffsetMs',
  /** The last notification shown per site, so that each transition is announced once. */
  notified: 'notified',
  /** Per site, the notification shown before a refusal of its credentials (it counts as shown again after). */
  notifiedBefore: 'notifiedBefore',
  /** The browser's proxy setting found before this extension took control of it. */
  proxyUnderlying: 'proxyUnderlying',
  /** Diagnostics: the last notifications shown, newest last (the options page lists them). */
  noticeLog: 'noticeLog',
  /** What the IndexedDB held after the last check (sites, waiting reports), to see it if it is evicted. */
  storeMark: 'storeMark',
  /** A loss of the IndexedDB found, with the reports that were waiting. */
  eviction: 'eviction',
} as const;

/** The key under which an organisation's policy lists its sites (chrome.storage.managed, managed-schema.json). */
export const MANAGED_SITES_KEY = 'sites';
/** How the worker's list of problems names the organisation's policy (the options page lists those apart). */
export const MANAGED_PROBLEM_PREFIX = 'your organisation’s policy';

/**
 * The ways an extension can watch a site: the probe modes it can run (`custom` needs a function that cannot
 * be stored), and `service`, where the fleet service watches the ZVM and the extension reads its state.
 */
export const EXTENSION_MODES = ['zvm', 'direct', 'reachability', 'service'] as const;
export type ExtensionMode = (typeof EXTENSION_MODES)[number];
/** The modes this browser checks itself (every one but `service`). */
export type ProbingMode = Exclude<ExtensionMode, 'service'>;

/** Chrome fires an alarm at most every 30 seconds: a shorter interval could not be kept. */
export const MIN_ALARM_MS = 30 * SECOND;
export const MAX_SITES = 50;
export const MAX_CONSOLES = 20;

const text = (max: number) => z.string().check(z.maxLength(max));

export const SiteEntrySchema = z.object({
  siteId: z.string().check(z.minLength(1), z.maxLength(200)),
  siteName: z._default(text(200), ''),
  mode: z.enum(EXTENSION_MODES),
  zvmUrl: z.optional(text(2000)),
  /** The fleet service's base URL (`service` mode): the site's state is read there. */
  serviceUrl: z.optional(text(2000)),
  billingUrl: z._default(text(2000), DEFAULT_BILLING_URL),
  protectedVms: z.optional(z.number()),
  timeoutMs: z._default(z.number(), 10_000),
  retries: z._default(z.number(), 2),
  /** Match patterns of the consoles where this site's banner appears. */
  consoles: z._default(z.array(text(2000)).check(z.maxLength(MAX_CONSOLES)), []),
});
export type SiteEntry = z.infer<typeof SiteEntrySchema>;

export const PROXY_SCHEMES = ['http', 'https', 'socks5'] as const;
export type ProxyScheme = (typeof PROXY_SCHEMES)[number];

export const ProxySettingsSchema = z.object({
  enabled: z.boolean(),
  scheme: z.enum(PROXY_SCHEMES),
  host: text(253),
  port: z.number().check(z.int(), z.gte(1), z.lte(65535)),
});
export type ProxySettings = z.infer<typeof ProxySettingsSchema>;

export const DEFAULT_PROXY: ProxySettings = { enabled: false, scheme: 'http', host: '', port: 3128 };

export interface Settings {
  v: 1;
  sites: SiteEntry[];
  policy: Policy;
  proxy: ProxySettings;
}

export const DEFAULT_SETTINGS: Settings = {
  v: 1,
  sites: [],
  policy: { ...DEFAULT_POLICY },
  proxy: DEFAULT_PROXY,
};

export const SecretsSchema = z.object({
  sites: z._default(
    z.record(
      z.string(),
      z.object({
        token: z.optional(text(4000)),
        session: z.optional(text(4000)),
        /** The fleet service's API key (`service` mode). */
        apiKey: z.optional(text(4000)),
      }),
    ),
    {},
  ),
  proxy: z.optional(z.object({ username: text(500), password: text(500) })),
});
export type Secrets = z.infer<typeof SecretsSchema>;
/** What one site keeps in `secrets`: the ZVM's or billing endpoint's credentials, or the service's API key. */
export type SiteCredentials = SiteSecrets & { apiKey?: string };

/**
 * Reads stored settings, keeping every part that is still valid: a damaged site is reported and left out,
 * never allowed to stop the others from being watched.
 */
export function readSettings(raw: unknown): { settings: Settings; problems: string[] } {
  const problems: string[] = [];
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const policy = parsePolicy(r.policy);
  if (!policy.ok) problems.push(policy.error);
  const proxy = parseWith(ProxySettingsSchema, 'proxy', r.proxy ?? DEFAULT_PROXY);
  if (!proxy.ok) problems.push(proxy.error);
  const sites: SiteEntry[] = [];
  const seen = new Set<string>();
  for (const [i, s] of (Array.isArray(r.sites) ? r.sites : []).slice(0, MAX_SITES).entries()) {
    const p = parseWith(SiteEntrySchema, `sites.${i}`, s);
    if (!p.ok) problems.push(p.error);
    else if (seen.has(p.value.siteId)) problems.push(`sites.${i}: site id ${p.value.siteId} is listed twice`);
    else {
      seen.add(p.value.siteId);
      sites.push(p.value);
    }
  }
  return {
    settings: {
      v: 1,
      sites,
      policy: policy.ok ? policy.value : { ...DEFAULT_POLICY },
      proxy: proxy.ok ? proxy.value : DEFAULT_PROXY,
    },
    problems,
  };
}

export function readSecrets(raw: unknown): Secrets {
  const p = parseWith(SecretsSchema, 'secrets', raw ?? {});
  return p.ok ? p.value : { sites: {} };
}

/** The engine's view of a stored site: its config, validated by the same parser the element uses. */
export function siteConfig(entry: SiteEntry, policy: Policy): Parsed<SiteConfig> {
  if (entry.mode === 'service')
    return {
      ok: false,
      error: 'config.mode: a service site is read from the fleet service, not checked here',
    };
  return parseSiteConfig({
    siteId: entry.siteId,
    siteName: entry.siteName,
    mode: entry.mode,
    ...(entry.zvmUrl ? { zvmUrl: entry.zvmUrl } : {}),
    billingUrl: entry.billingUrl,
    ...(entry.protectedVms !== undefined ? { protectedVms: entry.protectedVms } : {}),
    policy,
    timeoutMs: entry.timeoutMs,
    retries: entry.retries,
  });
}

export function siteSecrets(secrets: Secrets, siteId: string): SiteSecrets {
  const s = secrets.sites[siteId];
  return { ...(s?.token ? { token: s.token } : {}), ...(s?.session ? { session: s.session } : {}) };
}

/** The fleet service's API key of a `service` site, if one is stored. */
export function serviceKey(secrets: Secrets, siteId: string): string | undefined {
  return secrets.sites[siteId]?.apiKey || undefined;
}

// ---- `service` mode: the fleet service watches the ZVM; the extension reads its state. ----

/** A `service` site as the worker reads it. */
export interface ServiceSite {
  /** The site's id in the fleet service (its config's `zvms[].id`), the id this extension knows it by too. */
  siteId: string;
  siteName: string;
  /** The service's base URL, without a trailing slash. */
  url: string;
  timeoutMs: number;
}

/** Why a fleet service address cannot be used, in the form's words; null when it can. */
export function serviceUrlProblem(url: string | undefined): string | null {
  const u = url?.trim() ?? '';
  if (!u) return 'required: the fleet service’s address, e.g. https://fleet.example.com:5180';
  if (!isHttpUrl(u)) return `"${u}" is not an http or https address, e.g. https://fleet.example.com:5180`;
  const parsed = new URL(u);
  if (parsed.username || parsed.password)
    return 'must not hold credentials: the API key has its own field, kept apart';
  if (parsed.search || parsed.hash) return 'must be the service’s base address, without ? or #';
  return null;
}

export function serviceSite(entry: SiteEntry): Parsed<ServiceSite> {
  if (entry.mode !== 'service') return { ok: false, error: `mode: ${entry.mode} is not service` };
  const problem = serviceUrlProblem(entry.serviceUrl);
  if (problem) return { ok: false, error: `serviceUrl: ${problem}` };
  const { min, max } = CONFIG_LIMITS.timeoutMs;
  if (!(entry.timeoutMs >= min && entry.timeoutMs <= max))
    return { ok: false, error: `timeoutMs: must be between ${min} and ${max}` };
  return {
    ok: true,
    value: {
      siteId: entry.siteId,
      siteName: entry.siteName,
      url: entry.serviceUrl!.trim().replace(/\/+$/, ''),
      timeoutMs: entry.timeoutMs,
    },
  };
}

/** What is wrong with a stored site for its mode (the engine's parser, or the service's rules); null if none. */
export function entryProblem(entry: SiteEntry, policy: Policy): string | null {
  if (entry.mode === 'service') {
    const s = serviceSite(entry);
    return s.ok ? null : s.error;
  }
  const c = siteConfig(entry, policy);
  return c.ok ? null : c.error.replace(/\bconfig\./g, '');
}

// ---- Sites an organisation deploys by policy (chrome.storage.managed) ----

/**
 * What chrome.storage.managed held, checked entry by entry: the browser validates the policy against
 * managed-schema.json, and this checks it again with the same rules as a site saved in the options page (a
 * policy can come from an older schema, and a bad entry must be shown, never crash the worker).
 */
export interface ManagedSites {
  sites: SiteEntry[];
  /** One line per entry that cannot be used, naming it and what is wrong. */
  problems: string[];
}

export function readManaged(raw: unknown): ManagedSites {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const list = r[MANAGED_SITES_KEY];
  if (list === undefined) return { sites: [], problems: [] };
  if (!Array.isArray(list)) return { sites: [], problems: ['"sites" must be a list of sites'] };
  const sites: SiteEntry[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [i, s] of list.entries()) {
    const id = s && typeof s === 'object' ? (s as Record<string, unknown>).siteId : undefined;
    const name = `entry ${i + 1}${typeof id === 'string' && id ? ` (${id})` : ''}`;
    if (i >= MAX_SITES) {
      problems.push(`${name}: at most ${MAX_SITES} sites`);
      continue;
    }
    const p = parseWith(SiteEntrySchema, 'site', s);
    if (!p.ok) {
      problems.push(`${name}: ${p.error.replace(/^site\.?/, '').replace(/^: /, '')}`);
      continue;
    }
    const entry = p.value;
    const bad: string[] = [];
    if (seen.has(entry.siteId)) bad.push(`site id ${entry.siteId} is listed twice`);
    for (const c of entry.consoles) {
      const m = parseMatchPattern(c);
      if (!m.ok) bad.push(m.error);
    }
    const problem = entryProblem(entry, DEFAULT_POLICY);
    if (problem) bad.push(problem);
    if (bad.length) {
      problems.push(`${name}: ${bad.join('; ')}`);
      continue;
    }
    seen.add(entry.siteId);
    sites.push(entry);
  }
  return { sites, problems };
}

/**
 * The sites the worker watches: the organisation's first, then the admin's own. A site id set by policy wins
 * over the same id saved locally, which is then said rather than silently dropped.
 */
export function mergeManaged(
  local: Settings,
  managed: ManagedSites,
): { settings: Settings; problems: string[] } {
  const ids = new Set(managed.sites.map((s) => s.siteId));
  const problems = local.sites
    .filter((s) => ids.has(s.siteId))
    .map((s) => `site ${s.siteId} is also set by your organisation: the organisation’s entry is used`);
  const own = local.sites.filter((s) => !ids.has(s.siteId));
  return {
    settings: { ...local, sites: [...managed.sites, ...own].slice(0, MAX_SITES) },
    problems,
  };
}

// ---- The options form: strings in, a valid entry or one message per field out. ----

export interface SiteForm {
  siteId: string;
  siteName: string;
  mode: string;
  zvmUrl: string;
  billingUrl: string;
  protectedVms: string;
  timeoutSeconds: string;
  consoles: string;
  token: string;
  session: string;
  /** `service` mode: the fleet service's base URL and an API key of it. */
  serviceUrl: string;
  apiKey: string;
}
export type SiteField = keyof SiteForm;
export type FieldErrors<F extends string> = Partial<Record<F, string>>;
export type FormResult<T, F extends string> = { ok: true; value: T } | { ok: false; errors: FieldErrors<F> };

const CONFIG_FIELDS: Record<string, SiteField> = {
  siteId: 'siteId',
  siteName: 'siteName',
  mode: 'mode',
  zvmUrl: 'zvmUrl',
  billingUrl: 'billingUrl',
  protectedVms: 'protectedVms',
  timeoutMs: 'timeoutSeconds',
  serviceUrl: 'serviceUrl',
};

/** Splits the engine parser's one-line message (`config.zvmUrl: …; config.mode: …`) onto the form fields. */
function configErrors(message: string): FieldErrors<SiteField> {
  const errors: FieldErrors<SiteField> = {};
  for (const part of message.split('; ')) {
    const m = /^config\.(\w+)(?:\.[\w.]*)?: (.*)$/.exec(part);
    const field = m ? CONFIG_FIELDS[m[1]!] : undefined;
    if (!m || !field) {
      errors.siteId ??= part;
      continue;
    }
    errors[field] ??= m[2]!.replace(/^\w+ must/, 'must');
  }
  return errors;
}

export function validateSiteForm(
  form: SiteForm,
  policy: Policy,
  otherIds: readonly string[],
): FormResult<{ entry: SiteEntry; secrets: SiteCredentials }, SiteField> {
  const errors: FieldErrors<SiteField> = {};
  const siteId = form.siteId.trim();
  const service = form.mode === 'service';
  if (!siteId)
    errors.siteId = service
      ? 'required: the site’s id in the fleet service (the id its config gives this ZVM)'
      : 'required: the ZVM site identifier (SiteIdentifier)';
  else if (otherIds.includes(siteId)) errors.siteId = `another site already has the id ${siteId}`;
  const mode = (EXTENSION_MODES as readonly string[]).includes(form.mode)
    ? (form.mode as ExtensionMode)
    : null;
  if (!mode) errors.mode = `must be one of ${EXTENSION_MODES.join(', ')}`;
  let protectedVms: number | undefined;
  if (form.protectedVms.trim() !== '') {
    protectedVms = Number(form.protectedVms);
    if (!Number.isInteger(protectedVms) || protectedVms < 0)
      errors.protectedVms = `"${form.protectedVms}" is not a whole number of VMs`;
  }
  let timeoutMs = 10_000;
  if (form.timeoutSeconds.trim() !== '') {
    const s = Number(form.timeoutSeconds);
    if (!Number.isFinite(s) || s < 0.1 || s > 120)
      errors.timeoutSeconds = 'must be a number of seconds between 0.1 and 120';
    else timeoutMs = Math.round(s * 1000);
  }
  const consoles: string[] = [];
  const consoleErrors: string[] = [];
  for (const line of form.consoles.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const p = parseMatchPattern(line);
    if (p.ok) consoles.push(p.value);
    else consoleErrors.push(p.error);
  }
  if (consoles.length > MAX_CONSOLES) consoleErrors.push(`at most ${MAX_CONSOLES} patterns per site`);
  if (consoleErrors.length) errors.consoles = consoleErrors.join('; ');
  if (mode === 'direct' && protectedVms === undefined && !form.zvmUrl.trim())
    errors.protectedVms =
      'direct mode needs usage counts: the protected VM count, or a ZVM URL to read them from';
  if (form.token.length > 4000) errors.token = 'too long (at most 4000 characters)';
  if (form.session.length > 4000) errors.session = 'too long (at most 4000 characters)';
  if (service) return validateServiceForm(form, siteId, timeoutMs, consoles, errors);

  const entry: SiteEntry = {
    siteId,
    siteName: form.siteName.trim(),
    mode: mode ?? 'zvm',
    ...(form.zvmUrl.trim() ? { zvmUrl: form.zvmUrl.trim() } : {}),
    billingUrl: form.billingUrl.trim() || DEFAULT_BILLING_URL,
    ...(protectedVms !== undefined && !errors.protectedVms ? { protectedVms } : {}),
    timeoutMs,
    retries: 2,
    consoles,
  };
  // The engine's parser checks the rest (URLs, zvm mode's address); a missing id must not hide those.
  const parsed = siteConfig({ ...entry, siteId: siteId || 'unnamed' }, policy);
  if (!parsed.ok)
    for (const [k, v] of Object.entries(configErrors(parsed.error))) errors[k as SiteField] ??= v;
  if (Object.keys(errors).length) return { ok: false, errors };
  const secrets: SiteSecrets = {
    ...(form.token ? { token: form.token } : {}),
    ...(form.session ? { session: form.session } : {}),
  };
  return { ok: true, value: { entry, secrets } };
}

/**
 * A `service` site: the service's address and an API key are needed (every read of the service is
 * authenticated); the ZVM's address, credentials and the billing endpoint are not, and are not kept: the
 * service holds them. A read key shows the state; sending usage needs an operator key.
 */
function validateServiceForm(
  form: SiteForm,
  siteId: string,
  timeoutMs: number,
  consoles: string[],
  errors: FieldErrors<SiteField>,
): FormResult<{ entry: SiteEntry; secrets: SiteCredentials }, SiteField> {
  // The fields of the other modes are not used here, and their errors would name fields not shown.
  delete errors.protectedVms;
  delete errors.token;
  delete errors.session;
  const url = form.serviceUrl.trim();
  const urlProblem = serviceUrlProblem(url);
  if (urlProblem) errors.serviceUrl = urlProblem;
  const key = form.apiKey.trim();
  if (!key)
    errors.apiKey =
      'required: an API key of the fleet service (a read key shows the state; sending usage needs an operator key)';
  else if (key.length > 4000) errors.apiKey = 'too long (at most 4000 characters)';
  else if (/\s/.test(key)) errors.apiKey = 'an API key has no spaces or line breaks: paste the key alone';
  if (Object.keys(errors).length) return { ok: false, errors };
  return {
    ok: true,
    value: {
      entry: {
        siteId,
        siteName: form.siteName.trim(),
        mode: 'service',
        serviceUrl: url.replace(/\/+$/, ''),
        billingUrl: DEFAULT_BILLING_URL,
        timeoutMs,
        retries: 2,
        consoles,
      },
      secrets: { apiKey: key },
    },
  };
}

export function siteForm(entry: SiteEntry | null, secrets: SiteCredentials = {}): SiteForm {
  return {
    siteId: entry?.siteId ?? '',
    siteName: entry?.siteName ?? '',
    // A new site asks its ZVM, as most CSPs would; a stored site keeps the mode it was saved with.
    mode: entry?.mode ?? 'zvm',
    zvmUrl: entry?.zvmUrl ?? '',
    billingUrl: entry?.billingUrl ?? DEFAULT_BILLING_URL,
    protectedVms: entry?.protectedVms === undefined ? '' : String(entry.protectedVms),
    timeoutSeconds: String((entry?.timeoutMs ?? 10_000) / 1000),
    consoles: (entry?.consoles ?? []).join('\n'),
    token: secrets.token ?? '',
    session: secrets.session ?? '',
    serviceUrl: entry?.serviceUrl ?? '',
    apiKey: secrets.apiKey ?? '',
  };
}

export interface PolicyForm {
  intervalMinutes: string;
  alertAfterHours: string;
  graceDays: string;
}
export type PolicyField = keyof PolicyForm;

const round = (n: number) => Math.round(n * 1000) / 1000;

export function policyForm(p: Policy): PolicyForm {
  return {
    intervalMinutes: String(round(p.interval / MINUTE)),
    alertAfterHours: String(round(p.alertAfter / HOUR)),
    graceDays: String(round(p.graceDays)),
  };
}

/** Reads the schedule in the units the form speaks, validated by the engine's own policy parser. */
export function validatePolicyForm(form: PolicyForm): FormResult<Policy, PolicyField> {
  const errors: FieldErrors<PolicyField> = {};
  const num = (field: PolicyField, s: string, unit: number, lo: number, hi: number, unitName: string) => {
    const n = Number(s);
    const message = `must be a number of ${unitName} between ${round(lo / unit)} and ${round(hi / unit)}`;
    if (s.trim() === '' || !Number.isFinite(n)) {
      errors[field] = message;
      return undefined;
    }
    const value = n * unit;
    if (!parseWith(PolicySchema.shape[FIELD_KEY[field]], field, value).ok || value < lo)
      errors[field] = message;
    return value;
  };
  const L = POLICY_LIMITS;
  const interval = num(
    'intervalMinutes',
    form.intervalMinutes,
    MINUTE,
    MIN_ALARM_MS,
    L.interval.max,
    'minutes',
  );
  const alertAfter = num(
    'alertAfterHours',
    form.alertAfterHours,
    HOUR,
    L.alertAfter.min,
    L.alertAfter.max,
    'hours',
  );
  const graceDays = num('graceDays', form.graceDays, 1, L.graceDays.min, L.graceDays.max, 'days');
  if (Object.keys(errors).length) return { ok: false, errors };
  const p = parsePolicy({ interval, alertAfter, graceDays });
  if (!p.ok) return { ok: false, errors: { intervalMinutes: p.error } };
  return { ok: true, value: p.value };
}

const FIELD_KEY: Record<PolicyField, keyof Policy> = {
  intervalMinutes: 'interval',
  alertAfterHours: 'alertAfter',
  graceDays: 'graceDays',
};

export interface ProxyForm {
  enabled: boolean;
  scheme: string;
  host: string;
  port: string;
  username: string;
  password: string;
}
export type ProxyField = keyof ProxyForm;

export function validateProxyForm(
  form: ProxyForm,
): FormResult<{ proxy: ProxySettings; credentials: Secrets['proxy'] | null }, ProxyField> {
  const errors: FieldErrors<ProxyField> = {};
  const scheme = (PROXY_SCHEMES as readonly string[]).includes(form.scheme)
    ? (form.scheme as ProxyScheme)
    : null;
  if (!scheme) errors.scheme = `must be one of ${PROXY_SCHEMES.join(', ')}`;
  const host = form.host.trim();
  const port = Number(form.port);
  if (form.enabled || host) {
    if (!host) errors.host = 'required: the proxy host name or address';
    else if (!/^[A-Za-z0-9.-]+$/.test(host) && !/^\[[0-9A-Fa-f:.]+\]$/.test(host))
      errors.host = `"${host}" is not a host name or address (no scheme, no port: those have their own fields)`;
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      errors.port = 'must be a port number from 1 to 65535';
  }
  if (form.password && !form.username) errors.username = 'required when a password is given';
  if (scheme === 'socks5' && form.username)
    errors.username = 'Chrome cannot authenticate to a SOCKS proxy: leave the credentials empty';
  if (Object.keys(errors).length) return { ok: false, errors };
  return {
    ok: true,
    value: {
      proxy: {
        enabled: form.enabled,
        scheme: scheme ?? 'http',
        host,
        port: Number.isInteger(port) && port >= 1 && port <= 65535 ? port : DEFAULT_PROXY.port,
      },
      credentials: form.username ? { username: form.username, password: form.password } : null,
    },
  };
}

/** A copy of `record` without `key` (records here are plain data, rebuilt rather than mutated). */
export function omit<V>(record: Readonly<Record<string, V>>, key: string): Record<string, V> {
  return Object.fromEntries(Object.entries(record).filter(([k]) => k !== key));
}
