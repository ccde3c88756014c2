/**
 * The ZVM API as this project reads it: the one place its shape is written (docs: ../../../shared/spec's
 * ZVM-API.md, from Zerto 10's published OpenAPI document and Zerto's own wrappers). The browser probe, the
 * fleet service, the Nagios-style check and the ZVM simulator all go through this module, as
 * `src/protocol/usage.ts` is the usage wire's.
 *
 * What the facts say, and this module holds to:
 * - two dialects: the Zerto 10 appliance (camelCase, ids only in `link.identifier`, Keycloak tokens, port 443)
 *   and Windows ZVMs (PascalCase, `x-zerto-session`, a top-level `SiteIdentifier`, port 9669). Field names are
 *   read case-insensitively; unknown fields are ignored;
 * - every string may be null (`siteName` and `helpIdentifier` included), and many objects and lists too;
 * - `turnedOn` is ISO 8601 with an offset, or `/Date(ms±zzzz)/`; a time with no zone is refused, never guessed;
 * - `sendUsage` answers 200 with no body (Zerto 10), `"Passed"`/`"Failed"` or `["Passed"]` (older help pages),
 *   or plain text: an empty 200 only says that the ZVM took the request, its alerts say the rest;
 * - the billing alerts' help identifiers are not published: they are settings, with defaults from the best
 *   evidence, and a billing-looking alert that no setting names is never ignored.
 *
 * Every string that comes from a ZVM is made storable here (NUL and lone surrogates replaced) and bounded in
 * code points, so that no answer can make an attempt unstorable or a record unbounded.
 */
import { z } from 'zod/mini';

export const ZVM_DIALECTS = ['zerto10', 'windows'] as const;
export type ZvmDialect = (typeof ZVM_DIALECTS)[number];

/** The API's paths, relative to the ZVM's base URL (which may carry a path of its own behind a proxy). */
export const ZVM_PATHS = {
  localSite: 'v1/localsite',
  license: 'v1/license',
  alerts: 'v1/alerts',
  helpIdentifiers: 'v1/alerts/helpidentifiers',
  alertLevels: 'v1/alerts/levels',
  alertEntities: 'v1/alerts/entities',
  sendUsage: 'v1/localsite/billing/sendUsage',
  serverTimeUtc: 'v1/serverDateTime/serverDateTimeUtc',
  serverTimeLocal: 'v1/serverDateTime/serverDateTimeLocal',
  vras: 'v1/vras',
  /** Windows ZVMs: HTTP basic auth in, the session in the `x-zerto-session` answer header. */
  sessionAdd: 'v1/session/add',
  /** Zerto 10: Keycloak, realm `zerto`, form-encoded. */
  token: 'auth/realms/zerto/protocol/openid-connect/token',
} as const;

/** The public Keycloak client Zerto's own UI logs in with (password grant, no secret). */
export const ZERTO_PUBLIC_CLIENT = 'zerto-client';
/** The session header of Windows ZVMs, both ways. */
export const SESSION_HEADER = 'x-zerto-session';

export * from './zvm-ids.ts';
import { ZVM_LIMITS } from './zvm-ids.ts';
import type { BillingAlertIds } from './zvm-ids.ts';

// ---------------------------------------------------------------------------------------------------------
// Strings from outside

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A string made storable and bounded: NUL and lone surrogates (which PostgreSQL's jsonb and many logs refuse)
 * become U+FFFD, other control characters but tab and newline are dropped, and at most `max` code points are
 * kept (a surrogate pair is never split).
 */
export function cleanText(s: string, max: number): string {
  // Bounded first, so that a megabyte answer costs no more than its first code points.
  let t = s.length > 2 * max + 2 ? s.slice(0, 2 * max + 2) : s;
  t = t.replace(LONE_SURROGATE, '\uFFFD').replace(/\0/g, '\uFFFD');
  // eslint-disable-next-line no-control-regex
  t = t.replace(/[\u0001-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '');
  if (t.length <= max) return t;
  let n = 0;
  let end = 0;
  for (const ch of t) {
    if (n === max) break;
    n++;
    end += ch.length;
  }
  return t.slice(0, end);
}

/** ZVM fields come in PascalCase or camelCase: every key lower-cased first (nested, depth-bounded). */
export function lowerKeys(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => lowerKeys(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k.toLowerCase()] = lowerKeys(v, depth + 1);
  return out;
}

/** A nullable string of the ZVM, cleaned and bounded; a number is taken as its text (enumerations vary). */
const str = (max: number) =>
  z.pipe(
    z.optional(z.nullable(z.union([z.string(), z.number(), z.boolean()]))),
    z.transform((v): string | null =>
      v === null || v === undefined ? null : cleanText(String(v), max) || null,
    ),
  );
const num = z.pipe(
  z.optional(z.nullable(z.number())),
  z.transform((v): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)),
);
const bool = z.pipe(
  z.optional(z.nullable(z.boolean())),
  z.transform((v): boolean | null => (typeof v === 'boolean' ? v : null)),
);
/** `{rel, href, type, identifier}`, every field nullable: the API's ids live in `identifier`. */
const LinkSchema = z.optional(
  z.nullable(
    z.object({
      identifier: str(ZVM_LIMITS.id),
    }),
  ),
);

// ---------------------------------------------------------------------------------------------------------
// Times

/** A ZVM time read: epoch ms on the ZVM's clock, or why it cannot be used. */
export type ZvmTime = { ok: true; ms: number } | { ok: false; error: string };

const MS_DATE = /^\/Date\((-?\d{1,16})([+-]\d{4})?\)\/$/;
const ISO_ZONED = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})$/;
const ISO_LOCAL = /^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?$/;

/**
 * A ZVM time: ISO 8601 with `Z` or an offset, or the older `/Date(ms±zzzz)/` (ms are UTC; the offset is only
 * how it was shown). A time without a zone is refused with a clear error, unless `zoneless` says which zone
 * the endpoint means (the server's UTC clock does). Epoch ms as a number are taken as they are.
 */
export function parseZvmTime(value: unknown, zoneless: 'refuse' | 'utc' = 'refuse'): ZvmTime {
  if (typeof value === 'number')
    return Number.isFinite(value) && Math.abs(value) <= 8.64e15
      ? { ok: true, ms: value }
      : { ok: false, error: 'a number that is not a time' };
  if (typeof value !== 'string') return { ok: false, error: value == null ? 'no time' : 'not a time' };
  // Read as far as it is a time: NUL, control characters and lone surrogates around or inside it are dropped
  // (they would make a billing alert unreadable, and hide it), and a megabyte of text is not searched.
  const s = value
    .slice(0, 200)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001F\u007F\uFFFD]/g, '')
    .replace(LONE_SURROGATE, '')
    .trim();
  const ms = MS_DATE.exec(s);
  if (ms) return parseZvmTime(Number(ms[1]));
  let iso = s;
  if (!ISO_ZONED.test(s)) {
    if (!ISO_LOCAL.test(s)) return { ok: false, error: `not an ISO 8601 time (${preview(s)})` };
    if (zoneless === 'refuse')
      return { ok: false, error: `a time without a time zone (${preview(s)}): it cannot be placed` };
    iso = `${s.length === 10 ? `${s}T00:00:00` : s}Z`;
  }
  const t = Date.parse(iso.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isFinite(t) ? { ok: true, ms: t } : { ok: false, error: `not a valid time (${preview(s)})` };
}

const preview = (s: string) => JSON.stringify(cleanText(s, 40));

// ---------------------------------------------------------------------------------------------------------
// GET /v1/localsite

const LocalSiteWire = z.object({
  siteidentifier: str(ZVM_LIMITS.id),
  link: LinkSchema,
  sitename: str(ZVM_LIMITS.name),
  version: str(100),
  displayversion: str(100),
  utcoffsetinminutes: num,
});

export interface ZvmLocalSite {
  /** The top-level `SiteIdentifier` (Windows, some scripts) or else `link.identifier` (Zerto 10). */
  id: string | null;
  name: string | null;
  version: string | null;
  utcOffsetMinutes: number | null;
}

// ---------------------------------------------------------------------------------------------------------
// GET /v1/license

const LicenseWire = z.object({
  details: z.optional(
    z.nullable(
      z.object({
        licensekey: str(100),
        licensetype: str(ZVM_LIMITS.text),
        expirytime: z.optional(z.unknown()),
        maxvms: num,
      }),
    ),
  ),
  usage: z.optional(
    z.nullable(
      z.object({
        totalvmscount: num,
        sitesusage: z.optional(
          z.nullable(
            z.array(
              z.nullable(
                z.object({
                  siteidentifier: str(ZVM_LIMITS.id),
                  sitename: str(ZVM_LIMITS.name),
                  protectedvmscount: num,
                }),
              ),
            ),
          ),
        ),
      }),
    ),
  ),
});

export interface ZvmLicense {
  type: string | null;
  /** Epoch ms, or null when the ZVM gives none (or none it could place). */
  expiry: number | null;
  maxVms: number | null;
  /** `totalVmsCount`, else the sum over the sites, else null. */
  protectedVms: number | null;
  sites: Array<{ id: string; name: string | null; protectedVms: number | null }>;
  /** The licence key is never kept: it is a secret of the CSP's. */
}

/**
 * Why a licence is likely the reason usage is not billed, or null. Zerto's field notice: only Cloud (and
 * CloudOneToMany) licences take part in automated billing; its troubleshooting article: trial and NFR licences
 * transmit no billing data. The exact type strings are not published, so this is worded as a likely cause.
 */
export function licenceConcern(l: Pick<ZvmLicense, 'type' | 'expiry'>, now: number): string | null {
  if (l.expiry !== null && l.expiry <= now)
    return `the ZVM's licence expired on ${new Date(l.expiry).toISOString().slice(0, 10)}: an expired licence is a likely reason usage is not billed`;
  const type = cleanText(l.type ?? '', 60);
  if (/\b(trial|eval(uation)?|nfr|not ?for ?resale|poc)\b/i.test(type))
    return `the ZVM's licence type is "${type}": trial and NFR licences transmit no billing data, a likely reason usage is not billed`;
  if (type && !/cloud|msp|csp|provider/i.test(type))
    return `the ZVM's licence type is "${type}", which does not look like a Cloud licence: only Cloud licences take part in automated billing, so this may be why usage is not billed`;
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// GET /v1/alerts

const AlertWire = z.nullable(
  z.object({
    link: LinkSchema,
    /** Windows ZVMs and older scripts: the id at the top level. */
    alertidentifier: str(ZVM_LIMITS.id),
    level: str(40),
    entity: str(60),
    isdismissed: bool,
    helpidentifier: str(60),
    description: str(ZVM_LIMITS.text),
    turnedon: z.optional(z.unknown()),
  }),
);
const AlertsWire = z.array(AlertWire);
type AlertWireItem = NonNullable<z.infer<typeof AlertWire>>;

export type BillingKind = 'usage' | 'disconnection';

/** One billing alert of a ZVM, as read: its kind, and whether a setting named it or it only looks billing. */
export interface ZvmBillingAlert {
  /** The alert's identity: `link.identifier` (or `AlertIdentifier`), else its TurnedOn on the ZVM's clock. */
  key: string;
  kind: BillingKind;
  /** False when no setting names its help identifier: it looks billing, and counts as a usage alert. */
  recognised: boolean;
  helpIdentifier: string | null;
  level: string | null;
  entity: string | null;
  /** The ZVM's own words, cleaned and bounded; shown escaped beside ours. */
  description: string | null;
  /** On the ZVM's clock. */
  turnedOn: number;
  dismissed: boolean;
}

/**
 * Whether an alert no setting names looks like billing: entity Licensing or License, or a description that
 * speaks of billing, call home, or sending usage. ("Usage" alone is not enough: journal and datastore usage
 * alerts are storage, not billing.)
 */
export function looksLikeBilling(a: { entity: string | null; description: string | null }): boolean {
  if (a.entity && /^licen[cs]/i.test(a.entity)) return true;
  const d = a.description ?? '';
  return (
    /\bbilling\b|\bcall\s?-?home\b|\bautologs\b/i.test(d) ||
    /\b(send|sent|sending|transmit\w*|report\w*)\b[^.]{0,40}\busage\b|\busage (information|data|report)/i.test(
      d,
    )
  );
}

/** Which billing alert, if any: settings first, then the look of it. */
function kindOf(a: AlertWireItem, ids: BillingAlertIds): { kind: BillingKind; recognised: boolean } | null {
  const help = a.helpidentifier?.toUpperCase() ?? null;
  if (help !== null && ids.disconnection.includes(help)) return { kind: 'disconnection', recognised: true };
  if (help !== null && ids.usage.includes(help)) return { kind: 'usage', recognised: true };
  if (!looksLikeBilling(a)) return null;
  // One no setting names counts as the usage alert, unless its own words say the VRAs were cut off already
  // (the usage alert says the ZVM *will* stop): a ZVM that replaced its usage alert must not read as days left.
  return { kind: readsAsStopped(a.description) ? 'disconnection' : 'usage', recognised: false };
}

/** Words of a disconnection that happened (not one to come: the usage alert says the ZVM *will* stop). */
export function readsAsStopped(description: string | null): boolean {
  return /\b(has|have) stopped communicating|\bVRAs?\b[^.]{0,20}\b(were|are|have been|has been|got)\s+disconnected\b|\bdisconnected\s+(from\s+)?(its\s+|the\s+)?VRAs?\b/i.test(
    description ?? '',
  );
}

export type ZvmAlertsReading =
  | {
      ok: true;
      /** Every billing alert listed (dismissed ones included: dismissing is not resolving), oldest first. */
      billing: ZvmBillingAlert[];
      /** How many alerts the ZVM listed in all. */
      listed: number;
    }
  | { ok: false; error: string };

/**
 * The billing alerts of a ZVM's alert list. A billing alert whose TurnedOn cannot be placed makes the reading
 * unusable (it would start or hide a countdown); any other alert may be anything at all.
 */
export function billingAlertsOf(
  list: ReadonlyArray<z.infer<typeof AlertWire>>,
  ids: BillingAlertIds,
): ZvmAlertsReading {
  const billing: ZvmBillingAlert[] = [];
  for (const a of list) {
    if (!a) continue;
    const k = kindOf(a, ids);
    if (!k) continue;
    const t = parseZvmTime(a.turnedon);
    if (!t.ok)
      return {
        ok: false,
        error: `billing alert ${a.helpidentifier ?? '(no help identifier)'} has no usable TurnedOn: ${t.error}`,
      };
    billing.push({
      key: a.link?.identifier ?? a.alertidentifier ?? `turnedOn:${t.ms}`,
      ...k,
      helpIdentifier: a.helpidentifier,
      level: a.level,
      entity: a.entity,
      description: a.description,
      turnedOn: t.ms,
      dismissed: a.isdismissed === true,
    });
  }
  billing.sort((x, y) => x.turnedOn - y.turnedOn);
  return { ok: true, billing: billing.slice(0, 50), listed: list.length };
}

// ---------------------------------------------------------------------------------------------------------
// POST /v1/localsite/billing/sendUsage

/**
 * What sendUsage answered: `passed`/`failed` when the ZVM said so; `accepted` for any other 2xx (Zerto 10's
 * empty 200 among them): it took the request, and its alerts, read again, say the rest.
 */
export type SendUsageAnswer = { result: 'passed' | 'failed' | 'accepted'; text: string | null };

export function readSendUsage(body: string): SendUsageAnswer {
  const raw = body.trim();
  if (raw === '') return { result: 'accepted', text: null };
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // Plain text: taken as it is.
  }
  if (Array.isArray(value) && value.length === 1) value = value[0];
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const o = lowerKeys(value) as Record<string, unknown>;
    value = o.result ?? o.status ?? o.value ?? value;
  }
  const word = typeof value === 'string' ? value.trim().replace(/^"|"$/g, '').toLowerCase() : null;
  if (word === 'passed' || word === 'success' || word === 'succeeded')
    return { result: 'passed', text: cleanText(raw, 100) };
  if (word === 'failed' || word === 'failure') return { result: 'failed', text: cleanText(raw, 100) };
  return { result: 'accepted', text: cleanText(raw, 100) };
}

// ---------------------------------------------------------------------------------------------------------
// GET /v1/serverDateTime/serverDateTimeUtc, GET /v1/alerts/helpidentifiers

/** The ZVM's UTC clock: a JSON or plain string; one without a zone is UTC (the endpoint says so). */
export function readServerTime(body: string): ZvmTime {
  let value: unknown = body.trim();
  try {
    value = JSON.parse(body);
  } catch {
    // Plain text.
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const o = lowerKeys(value) as Record<string, unknown>;
    value = o.serverdatetimeutc ?? o.datetime ?? o.value;
  }
  return parseZvmTime(value, 'utc');
}

const HelpIdsWire = z.array(z.nullable(z.unknown()));

// ---------------------------------------------------------------------------------------------------------
// Reading an answer

export type ZvmRead<T> = { ok: true; value: T } | { ok: false; error: string };

function readWith<S extends z.core.$ZodType>(schema: S, json: unknown, what: string): ZvmRead<z.output<S>> {
  const parsed = (schema as unknown as z.ZodMiniType).safeParse(lowerKeys(json));
  if (parsed.success) return { ok: true, value: parsed.data as z.output<S> };
  const issue = parsed.error.issues[0];
  return { ok: false, error: `${what}: unexpected shape at ${issue?.path.join('.') || 'top level'}` };
}

/** GET /v1/localsite. A site with no identifier at all is the caller's to refuse, where it needs one. */
export function readLocalSite(json: unknown): ZvmRead<ZvmLocalSite> {
  const r = readWith(LocalSiteWire, json, 'localsite');
  if (!r.ok) return r;
  const v = r.value;
  return {
    ok: true,
    value: {
      id: v.siteidentifier ?? v.link?.identifier ?? null,
      name: v.sitename,
      version: v.displayversion ?? v.version,
      utcOffsetMinutes: v.utcoffsetinminutes,
    },
  };
}

/** GET /v1/license. */
export function readLicense(json: unknown): ZvmRead<ZvmLicense> {
  const r = readWith(LicenseWire, json, 'license');
  if (!r.ok) return r;
  const d = r.value.details ?? null;
  const u = r.value.usage ?? null;
  const sites = (u?.sitesusage ?? [])
    .filter((s): s is NonNullable<typeof s> => s !== null && s.siteidentifier !== null)
    .map((s) => ({
      id: s.siteidentifier as string,
      name: s.sitename,
      protectedVms: nonNegative(s.protectedvmscount),
    }));
  const summed =
    sites.every((s) => s.protectedVms !== null) && sites.length > 0
      ? sites.reduce((n, s) => n + (s.protectedVms as number), 0)
      : null;
  const expiry =
    d?.expirytime === undefined || d.expirytime === null ? null : parseZvmTime(d.expirytime, 'utc');
  return {
    ok: true,
    value: {
      type: d?.licensetype ?? null,
      expiry: expiry?.ok ? expiry.ms : null,
      maxVms: nonNegative(d?.maxvms ?? null),
      protectedVms: nonNegative(u?.totalvmscount ?? null) ?? summed,
      sites,
    },
  };
}

/** GET /v1/alerts, classified by the billing help identifiers in force. */
export function readAlerts(
  json: unknown,
  ids: BillingAlertIds,
): ZvmRead<Extract<ZvmAlertsReading, { ok: true }>> {
  const r = readWith(AlertsWire, json, 'alerts');
  if (!r.ok) return r;
  const b = billingAlertsOf(r.value, ids);
  return b.ok ? { ok: true, value: b } : { ok: false, error: `alerts: ${b.error}` };
}

/** GET /v1/alerts/helpidentifiers: the identifiers this ZVM knows, upper-cased. */
export function readHelpIds(json: unknown): ZvmRead<Set<string>> {
  const r = HelpIdsWire.safeParse(json);
  if (!r.success) return { ok: false, error: 'helpidentifiers: not a list' };
  return {
    ok: true,
    value: new Set(
      r.data.filter((x): x is string => typeof x === 'string').map((x) => cleanText(x, 60).toUpperCase()),
    ),
  };
}

/**
 * The configured identifiers that a ZVM which lists its help identifiers does not know: per kind, each one the
 * operator set (`explicit`), or, for the defaults, all of them when it knows none (the defaults name two
 * candidates per kind, and a ZVM need not know both).
 */
export function unknownHelpIds(
  ids: BillingAlertIds,
  known: ReadonlySet<string>,
  explicit: { usage: boolean; disconnection: boolean },
): string[] {
  if (known.size === 0) return [];
  const unknown = (list: readonly string[], set: boolean) => {
    const missing = list.filter((id) => !known.has(id.toUpperCase()));
    return set || missing.length === list.length ? missing : [];
  };
  return [...unknown(ids.usage, explicit.usage), ...unknown(ids.disconnection, explicit.disconnection)];
}

/**
 * The fields Zerto 10's published document gives each answer (camelCase; a Windows ZVM answers the same names
 * in PascalCase, with `SiteIdentifier` on the local site and `AlertIdentifier` on an alert beside them). The
 * simulator's answers are held to these in its tests; readers ignore fields they do not know.
 */
export const ZVM_FIELDS = {
  localSite: [
    'link',
    'siteName',
    'location',
    'version',
    'displayVersion',
    'zvmApiVersion',
    'contactEmail',
    'contactName',
    'contactPhone',
    'isReplicationToSelfEnabled',
    'utcOffsetInMinutes',
    'siteType',
    'ipAddress',
    'bandwidthThrottlingInMBs',
    'siteTypeVersion',
    'platformInformation',
    'isLoginBannerEnabled',
    'loginBanner',
  ],
  link: ['rel', 'href', 'type', 'identifier'],
  license: ['details', 'usage'],
  licenseDetails: ['licenseKey', 'licenseType', 'expiryTime', 'maxVms'],
  licenseUsage: ['sitesUsage', 'totalVmsCount'],
  siteUsage: ['siteIdentifier', 'siteName', 'protectedVmsCount'],
  alert: [
    'link',
    'level',
    'entity',
    'isDismissed',
    'helpIdentifier',
    'site',
    'description',
    'turnedOn',
    'affectedVpgs',
    'affectedZorgs',
    'generation',
  ],
  /** Extra top-level fields a Windows ZVM sends. */
  windowsExtra: { localSite: ['siteIdentifier'], alert: ['alertIdentifier'] },
} as const;

const nonNegative = (n: number | null) => (n !== null && n >= 0 ? n : null);
