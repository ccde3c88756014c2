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
import {
  DEFAULT_BILLING_ALERT_IDS,
  parseHelpIds,
  ZERTO_PUBLIC_CLIENT,
  ZVM_LIMITS,
} from '../../src/protocol/zvm.ts';
import type { ZvmLogin } from '../../src/world/zvm-credentials.ts';
import { parseMatchPattern } from './match.ts';

/**
 * What the admin configures, as stored in chrome.storage.local: the watched sites (no secrets), the schedule
 * and thresholds shared by every site, the consoles that get the banner, and the optional proxy for the
 * billing host. Credentials live apart (`secrets`), in chrome.storage.local only: never synced, never sent
 * anywhere but to the host they belong to, never readable by content scripts (the worker sets the area's
 * access level to trusted contexts), and never shown back in the options page.
 *
 * Why chrome.storage.local and not chrome.storage.session for the long-lived ones (a Keycloak client's
 * secret, a ZVM user's password, a static token, the fleet service's key): the session area is memory only
 * and is emptied when the browser closes, so every restart would stop every check until the admin typed
 * them again, while nobody may be looking. What is obtained from them (the ZVM's access tokens and
 * sessions, which end within minutes) is kept in chrome.storage.session only (background/credentials.ts):
 * lost with the browser, obtained again at the next check.
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
/** Bounded here; what an identifier may be is the engine's rule (`parseHelpIds`), applied by `siteConfig`. */
const helpIdList = z.array(text(100)).check(z.maxLength(ZVM_LIMITS.ids * 2));

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
  /**
   * zvm mode: the help identifiers of the ZVM's usage alert and of its disconnection alert. Zerto does not
   * publish them: absent, the engine's defaults (DEFAULT_BILLING_ALERT_IDS); checked by `parseHelpIds`
   * through the engine's own config parser.
   */
  usageAlertIds: z.optional(helpIdList),
  disconnectionAlertIds: z.optional(helpIdList),
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

const name = text(200).check(z.minLength(1));

/** The long-lived credentials the worker signs in to a ZVM with (see src/world/zvm-credentials.ts). */
export const LoginSchema = z.discriminatedUnion('type', [
  /** Zerto 10: a Keycloak client the admin created, client_credentials grant. */
  z.object({ type: z.literal('client-credentials'), clientId: name, clientSecret: text(4000) }),
  /** Zerto 10: a ZVM user, password grant through `zerto-client` unless another client is named. */
  z.object({
    type: z.literal('password'),
    clientId: z.optional(text(200)),
    username: name,
    password: text(4000),
  }),
  /** A Windows ZVM: POST /v1/session/add with basic auth. */
  z.object({ type: z.literal('session'), username: name, password: text(4000) }),
]);

export const SecretsSchema = z.object({
  sites: z._default(
    z.record(
      z.string(),
      z.object({
        /** A bearer token obtained elsewhere (Zerto 10, or the billing endpoint's in direct mode). */
        token: z.optional(text(4000)),
        /** An `x-zerto-session` obtained elsewhere (Windows ZVM). */
        session: z.optional(text(4000)),
        /** What the worker obtains tokens or sessions with, renewing them itself. */
        login: z.optional(LoginSchema),
        /** The fleet service's API key (`service` mode). */
        apiKey: z.optional(text(4000)),
      }),
    ),
    {},
  ),
  proxy: z.optional(z.object({ username: text(500), password: text(500) })),
});
export type Secrets = z.infer<typeof SecretsSchema>;
/**
 * What one site keeps in `secrets`: a static token or session, or the login the worker obtains them with (the
 * ZVM's), the billing endpoint's token, or the service's API key.
 */
export type SiteCredentials = SiteSecrets & { apiKey?: string; login?: ZvmLogin };

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

/**
 * Reads the stored credentials site by site: one damaged record (an older shape, say) leaves that site without
 * credentials, where its ZVM's refusal says so, and never the others.
 */
export function readSecrets(raw: unknown): Secrets {
  const p = parseWith(SecretsSchema, 'secrets', raw ?? {});
  if (p.ok) return p.value;
  const r = (raw && typeof raw === 'object' ? raw : {}) as { sites?: unknown; proxy?: unknown };
  const sites = r.sites && typeof r.sites === 'object' ? (r.sites as Record<string, unknown>) : {};
  const kept: Secrets['sites'] = {};
  for (const [id, v] of Object.entries(sites)) {
    const one = parseWith(SecretsSchema, 'secrets', { sites: { [id]: v } });
    if (one.ok) Object.assign(kept, one.value.sites);
  }
  const proxy = parseWith(SecretsSchema, 'secrets', { proxy: r.proxy });
  return { sites: kept, ...(proxy.ok && proxy.value.proxy ? { proxy: proxy.value.proxy } : {}) };
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
    ...(entry.usageAlertIds?.length ? { usageAlertIds: entry.usageAlertIds } : {}),
    ...(entry.disconnectionAlertIds?.length ? { disconnectionAlertIds: entry.disconnectionAlertIds } : {}),
    policy,
    timeoutMs: entry.timeoutMs,
    retries: entry.retries,
  });
}

/** A site's static token or session, as the probe takes them (the worker adds what a login obtains). */
export function siteSecrets(secrets: Secrets, siteId: string): SiteSecrets {
  const s = secrets.sites[siteId];
  return { ...(s?.token ? { token: s.token } : {}), ...(s?.session ? { session: s.session } : {}) };
}

/** What the worker signs in to a site's ZVM with, if a login is stored. */
export function siteLogin(secrets: Secrets, siteId: string): ZvmLogin | undefined {
  return secrets.sites[siteId]?.login;
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
  // The help identifiers' message names its field once more after the path: once is enough.
  return c.ok ? null : c.error.replace(/\bconfig\./g, '').replace(/\b(\w+): \1: /g, '$1: ');
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

/** How the worker signs in to a site's ZVM, as the options form offers it. */
export const ZVM_AUTH_CHOICES = [
  'client-credentials',
  'password',
  'session',
  'token',
  'session-key',
  'none',
] as const;
export type ZvmAuthChoice = (typeof ZVM_AUTH_CHOICES)[number];

/**
 * The form's secret fields. They are never filled from storage: left empty, the stored value is kept (the
 * page shows "stored", with Replace and Clear); typed, it replaces it.
 */
export const SECRET_FIELDS = ['clientSecret', 'password', 'token', 'session', 'apiKey'] as const;
export type SecretField = (typeof SECRET_FIELDS)[number];

export interface SiteForm {
  /** zvm mode: empty reads it from the ZVM (GET /v1/localsite) when the site is saved. */
  siteId: string;
  siteName: string;
  mode: string;
  zvmUrl: string;
  billingUrl: string;
  protectedVms: string;
  timeoutSeconds: string;
  consoles: string;
  /** zvm mode: how the worker signs in to the ZVM (one of ZVM_AUTH_CHOICES). */
  auth: string;
  /** The Keycloak client (client credentials; the password grant's, `zerto-client` when empty). */
  clientId: string;
  /** The ZVM user (password grant, or a Windows ZVM's session login). */
  username: string;
  clientSecret: string;
  password: string;
  /** A static bearer token (zvm mode), or the billing endpoint's token (direct mode). */
  token: string;
  /** A static `x-zerto-session` (Windows ZVM). */
  session: string;
  /** zvm mode: the billing alerts' help identifiers, spaces or commas between them; empty: the defaults. */
  usageAlertIds: string;
  disconnectionAlertIds: string;
  /** `service` mode: the fleet service's base URL and an API key of it. */
  serviceUrl: string;
  apiKey: string;
}
export type SiteField = keyof SiteForm;
export type FieldErrors<F extends string> = Partial<Record<F, string>>;
export type FormResult<T, F extends string> = { ok: true; value: T } | { ok: false; errors: FieldErrors<F> };

/** The credentials stored for the site being edited, with the mode it was stored in. */
export interface StoredCredentials {
  mode: string;
  secrets: SiteCredentials;
}

/** A site to save: its entry, its credentials, and whether its id is still to be read from the ZVM. */
export interface ValidSite {
  entry: SiteEntry;
  secrets: SiteCredentials;
  /** zvm mode with the site identifier left empty: read it from the ZVM before saving. */
  discover: boolean;
}

/**
 * The stored value a secret field stands for while it is left empty, if any: only for the way of signing in
 * it was stored for (a Keycloak user's password is not a Windows user's), and a token only in the mode it
 * was given for (the ZVM's is not the billing endpoint's).
 */
export function storedSecret(
  field: SecretField,
  form: Pick<SiteForm, 'mode' | 'auth'>,
  stored: StoredCredentials | null,
): string | undefined {
  if (!stored || stored.mode !== form.mode) return undefined;
  const s = stored.secrets;
  switch (field) {
    case 'apiKey':
      return s.apiKey || undefined;
    case 'token':
      return s.token || undefined;
    case 'session':
      return s.session || undefined;
    case 'clientSecret':
      return s.login?.type === 'client-credentials' && form.auth === 'client-credentials'
        ? s.login.clientSecret || undefined
        : undefined;
    case 'password':
      return s.login && s.login.type !== 'client-credentials' && s.login.type === form.auth
        ? s.login.password || undefined
        : undefined;
  }
}

/** The secret fields a site of this mode and way of signing in asks for. */
export function secretFieldsOf(form: Pick<SiteForm, 'mode' | 'auth'>): SecretField[] {
  switch (form.mode) {
    case 'service':
      return ['apiKey'];
    case 'direct':
      return ['token'];
    case 'zvm':
      switch (form.auth) {
        case 'client-credentials':
          return ['clientSecret'];
        case 'password':
        case 'session':
          return ['password'];
        case 'token':
          return ['token'];
        case 'session-key':
          return ['session'];
      }
  }
  return [];
}

const CONFIG_FIELDS: Record<string, SiteField> = {
  siteId: 'siteId',
  siteName: 'siteName',
  mode: 'mode',
  zvmUrl: 'zvmUrl',
  billingUrl: 'billingUrl',
  protectedVms: 'protectedVms',
  timeoutMs: 'timeoutSeconds',
  serviceUrl: 'serviceUrl',
  usageAlertIds: 'usageAlertIds',
  disconnectionAlertIds: 'disconnectionAlertIds',
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
    errors[field] ??= m[2]!.replace(/^\w+ must/, 'must').replace(/^(usage|disconnection)AlertIds: /, '');
  }
  return errors;
}

/** A help identifier list as typed; null when left empty (the defaults apply). */
function helpIdsOf(
  field: 'usageAlertIds' | 'disconnectionAlertIds',
  text: string,
  errors: FieldErrors<SiteField>,
): string[] | null {
  if (!text.trim()) return null;
  const r = parseHelpIds(text);
  if (!r.ok) {
    errors[field] = r.error;
    return null;
  }
  return r.ids;
}

const SECRET_MAX = 4000;

export function validateSiteForm(
  form: SiteForm,
  policy: Policy,
  otherIds: readonly string[],
  stored: StoredCredentials | null = null,
): FormResult<ValidSite, SiteField> {
  const errors: FieldErrors<SiteField> = {};
  const siteId = form.siteId.trim();
  const service = form.mode === 'service';
  // zvm mode: the ZVM names its own site; it is read when the site is saved.
  const discover = !siteId && form.mode === 'zvm';
  if (!siteId && !discover)
    errors.siteId = service
      ? 'required: the site’s id in the fleet service (the id its config gives this ZVM)'
      : 'required: the ZVM site identifier (SiteIdentifier)';
  else if (siteId && otherIds.includes(siteId)) errors.siteId = `another site already has the id ${siteId}`;
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
  // A typed secret replaces the stored one; left empty, the stored one (if any) is kept.
  const secret = (f: SecretField): string | undefined => {
    const typed = f === 'password' || f === 'clientSecret' ? form[f] : form[f].trim();
    if (typed.length > SECRET_MAX) {
      errors[f] = `too long (at most ${SECRET_MAX} characters)`;
      return undefined;
    }
    return typed || storedSecret(f, form, stored);
  };
  if (service) return validateServiceForm(form, siteId, timeoutMs, consoles, errors, secret);

  const zvm = mode === 'zvm';
  const usageIds = zvm ? helpIdsOf('usageAlertIds', form.usageAlertIds, errors) : null;
  const offIds = zvm ? helpIdsOf('disconnectionAlertIds', form.disconnectionAlertIds, errors) : null;
  const both = (usageIds ?? []).find((id) => (offIds ?? []).includes(id));
  if (both)
    errors.disconnectionAlertIds = `${both} is also a usage alert identifier: an alert is one or the other`;
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
    ...(usageIds ? { usageAlertIds: usageIds } : {}),
    ...(offIds ? { disconnectionAlertIds: offIds } : {}),
  };
  // The engine's parser checks the rest (URLs, zvm mode's address); a missing id must not hide those.
  const parsed = siteConfig({ ...entry, siteId: siteId || 'unnamed' }, policy);
  if (!parsed.ok)
    for (const [k, v] of Object.entries(configErrors(parsed.error))) errors[k as SiteField] ??= v;
  const secrets: SiteCredentials =
    mode === 'direct' ? pick('token', secret('token')) : zvm ? zvmCredentials(form, errors, secret) : {};
  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, value: { entry, secrets, discover } };
}

const pick = <K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> =>
  value ? ({ [key]: value } as Record<K, string>) : {};

/** A zvm site's credentials, by the way it signs in: every field it needs, or a message on each. */
function zvmCredentials(
  form: SiteForm,
  errors: FieldErrors<SiteField>,
  secret: (f: SecretField) => string | undefined,
): SiteCredentials {
  const auth = form.auth as ZvmAuthChoice;
  const need = <T>(field: SiteField, value: T | undefined, message: string): T | undefined => {
    if (value === undefined || value === '') errors[field] ??= message;
    return value;
  };
  const clientId = form.clientId.trim();
  const username = form.username.trim();
  if (clientId.length > 200 || /\s/.test(clientId))
    errors.clientId = 'a client ID has no spaces and at most 200 characters';
  if (username.length > 200) errors.username = 'at most 200 characters';
  switch (auth) {
    case 'client-credentials': {
      need('clientId', clientId, 'required: the ID of the Keycloak client created for this extension');
      const clientSecret = need('clientSecret', secret('clientSecret'), 'required: that client’s secret');
      return clientId && clientSecret ? { login: { type: auth, clientId, clientSecret } } : {};
    }
    case 'password':
    case 'session': {
      need('username', username, 'required: the ZVM user name');
      const password = need('password', secret('password'), 'required: that user’s password');
      if (!username || !password) return {};
      return auth === 'password'
        ? {
            login: {
              type: auth,
              ...(clientId && clientId !== ZERTO_PUBLIC_CLIENT ? { clientId } : {}),
              username,
              password,
            },
          }
        : { login: { type: auth, username, password } };
    }
    case 'token': {
      const token = need('token', secret('token'), 'required: the bearer token');
      if (token && /\s/.test(token))
        errors.token = 'a token has no spaces or line breaks: paste the token alone';
      return pick('token', token);
    }
    case 'session-key':
      return pick('session', need('session', secret('session'), 'required: the session key'));
    case 'none':
      return {};
    default:
      errors.auth = `must be one of ${ZVM_AUTH_CHOICES.join(', ')}`;
      return {};
  }
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
  secret: (f: SecretField) => string | undefined,
): FormResult<ValidSite, SiteField> {
  // The fields of the other modes are not used here, and their errors would name fields not shown.
  delete errors.protectedVms;
  const url = form.serviceUrl.trim();
  const urlProblem = serviceUrlProblem(url);
  if (urlProblem) errors.serviceUrl = urlProblem;
  const key = secret('apiKey');
  if (errors.apiKey) {
    // too long: said
  } else if (!key)
    errors.apiKey =
      'required: an API key of the fleet service (a read key shows the state; sending usage needs an operator key)';
  else if (/\s/.test(key)) errors.apiKey = 'an API key has no spaces or line breaks: paste the key alone';
  if (Object.keys(errors).length || !key) return { ok: false, errors };
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
      discover: false,
    },
  };
}

/** The way a stored site signs in to its ZVM; a new site is offered a Keycloak client, which renews itself. */
function authOf(entry: SiteEntry | null, secrets: SiteCredentials): ZvmAuthChoice {
  if (secrets.login) return secrets.login.type;
  if (secrets.token && entry?.mode === 'zvm') return 'token';
  if (secrets.session) return 'session-key';
  return entry?.mode === 'zvm' ? 'none' : 'client-credentials';
}

/** The form of a stored site (or a new one): every field but the secrets, which are never shown back. */
export function siteForm(entry: SiteEntry | null, secrets: SiteCredentials = {}): SiteForm {
  const login = secrets.login;
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
    auth: authOf(entry, secrets),
    clientId: login && login.type !== 'session' ? (login.clientId ?? '') : '',
    username: login && login.type !== 'client-credentials' ? login.username : '',
    clientSecret: '',
    password: '',
    token: '',
    session: '',
    usageAlertIds: (entry?.usageAlertIds ?? []).join(' '),
    disconnectionAlertIds: (entry?.disconnectionAlertIds ?? []).join(' '),
    serviceUrl: entry?.serviceUrl ?? '',
    apiKey: '',
  };
}

/** The defaults the help identifier fields show as placeholders. */
export const HELP_ID_PLACEHOLDERS = {
  usageAlertIds: DEFAULT_BILLING_ALERT_IDS.usage.join(' '),
  disconnectionAlertIds: DEFAULT_BILLING_ALERT_IDS.disconnection.join(' '),
} as const;

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
