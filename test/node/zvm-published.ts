/**
 * The answers of Zerto 10's published OpenAPI document ("ZVM REST API", 10.0 U6), written down as far as the
 * simulator's tests need them: each object's fields (no others: the document declares
 * `additionalProperties: false` on every schema) and each field's type and nullability. The field lists the
 * contract holds (`ZVM_FIELDS` of src/protocol/zvm.ts) are taken from it and checked equal; the rest (VRAs,
 * platform information, counters) are from the document's `components.schemas`.
 *
 * A Windows ZVM answers the same names in PascalCase, with `SiteIdentifier` on the local site and
 * `AlertIdentifier` on an alert; inside a link (`Link`, `Site`, `AffectedVpgs`…) its keys stay `href`,
 * `identifier`, `rel`, `type`, as Zerto's own Windows examples show.
 */
import {
  DEFAULT_BILLING_ALERT_IDS,
  readAlerts,
  readHelpIds,
  readLicense,
  readLocalSite,
  readSendUsage,
  readServerTime,
  SESSION_HEADER,
  ZVM_FIELDS,
  ZVM_PATHS,
  type BillingAlertIds,
  type ZvmDialect,
} from '../../src/protocol/zvm.ts';
import { request, type Answer } from './http-client.ts';

type FieldType =
  | 'string' // a string, never null (the lists of /v1/alerts/levels and the like)
  | 'string?' // "type": "string", "nullable": true
  | 'int' // "type": "integer"
  | 'number'
  | 'bool'
  | 'date-time' // "format": "date-time", not nullable
  | 'link' // Zerto.Api.Interfaces.ResourceLink
  | { object: Fields }
  | { array: FieldType; nullable?: boolean }
  | { enum: readonly number[] };
type Fields = Readonly<Record<string, FieldType>>;

const STR = 'string?' as const;
const strings = (names: readonly string[]): Record<string, FieldType> =>
  Object.fromEntries(names.map((n) => [n, STR]));

/** Zerto.Api.Interfaces.ResourceLink: every field a nullable string. */
const LINK: Fields = strings(ZVM_FIELDS.link);

/** Zerto.Zvm.Api.Interfaces.Sites.LocalSiteApi */
export const LOCAL_SITE: Fields = {
  ...strings(ZVM_FIELDS.localSite),
  link: 'link',
  isReplicationToSelfEnabled: 'bool',
  utcOffsetInMinutes: 'int',
  bandwidthThrottlingInMBs: 'number',
  isLoginBannerEnabled: 'bool',
  platformInformation: {
    object: {
      azure: { object: strings(['regionName', 'subscription', 'resourceGroup']) },
      vCenter: { object: strings(['ip']) },
    },
  },
};

/** Zerto.Zvm.Api.Interfaces.Licenses.LicenseApi and the schemas under it. */
export const LICENSE: Fields = {
  details: {
    object: { ...strings(ZVM_FIELDS.licenseDetails), maxVms: 'int' },
  },
  usage: {
    object: {
      sitesUsage: {
        array: { object: { ...strings(ZVM_FIELDS.siteUsage), protectedVmsCount: 'int' } },
        nullable: true,
      },
      totalVmsCount: 'int',
    },
  },
};

/** Zerto.Zvm.Api.Interfaces.Alerts.AlertApi */
export const ALERT: Fields = {
  ...strings(ZVM_FIELDS.alert),
  link: 'link',
  isDismissed: 'bool',
  site: 'link',
  turnedOn: 'date-time',
  affectedVpgs: { array: 'link', nullable: true },
  affectedZorgs: { array: 'link', nullable: true },
  generation: 'int',
};

const COUNTERS: FieldType = { object: { vpgs: 'int', vms: 'int', volumes: 'int' } };

/** Zerto.Zvm.Api.Interfaces.Vras.VraApi (the contract lists no VRA fields: the product does not read VRAs). */
export const VRA: Fields = {
  link: 'link',
  vraIdentifier: 'int',
  vraName: STR,
  /** VraStatusApi: an integer enumeration 0 to 10 (its names are not in the document). */
  status: { enum: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
  /** VraAndDriverUpgradeStatusApi: 0 to 7. */
  upgradeStatus: { enum: [0, 1, 2, 3, 4, 5, 6, 7] },
  progress: 'int',
  vraVersion: STR,
  vraDisplayVersion: STR,
  hostVersion: STR,
  vraNetworkDataApi: {
    object: strings([
      'vraIPConfigurationTypeApi',
      'vraIPAddress',
      'vraIPAddressRangeEnd',
      'subnetMask',
      'defaultGateway',
    ]),
  },
  vraGroup: STR,
  memoryInGB: 'int',
  datastoreName: STR,
  datastoreIdentifier: STR,
  vmInstanceType: STR,
  datastoreClusterName: STR,
  datastoreClusterIdentifier: STR,
  networkName: STR,
  networkIdentifier: STR,
  hostIdentifier: STR,
  hostDisplayName: STR,
  protectedCounters: COUNTERS,
  recoveryCounters: COUNTERS,
  selfProtectedVpgs: 'int',
  /** AlertStatusApi: 0 to 4. */
  vraAlerts: { object: { vraAlertsStatus: { enum: [0, 1, 2, 3, 4] } } },
  numOfCpus: 'int',
  isGhost: 'bool',
  isVaio: 'bool',
  platformInformation: {
    object: { azure: { object: strings(['regionName', 'subscription', 'resourceGroup']) } },
  },
};

/** What each checked answer is: one object, a list of them, a list of strings, a date-time string. */
export type AnswerKind =
  | { one: Fields; windowsExtra?: readonly string[] }
  | { list: Fields; windowsExtra?: readonly string[] }
  | 'strings'
  | 'date-time';

export const ANSWERS = {
  localSite: { one: LOCAL_SITE, windowsExtra: ZVM_FIELDS.windowsExtra.localSite },
  license: { one: LICENSE },
  alerts: { list: ALERT, windowsExtra: ZVM_FIELDS.windowsExtra.alert },
  alert: { one: ALERT, windowsExtra: ZVM_FIELDS.windowsExtra.alert },
  vras: { list: VRA },
  strings: 'strings',
  dateTime: 'date-time',
} as const satisfies Record<string, AnswerKind>;

/** RFC 3339, as OpenAPI's `date-time` means it: a date, a time and a zone. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** What a value should have been, when it is not of the type (objects' fields are checked apart). */
function expected(t: FieldType, v: unknown): string | null {
  const is = (ok: boolean, what: string) => (ok ? null : what);
  if (t === 'string') return is(typeof v === 'string', 'a string');
  if (t === 'string?') return is(v === null || typeof v === 'string', 'a string or null');
  if (t === 'int') return is(Number.isSafeInteger(v), 'an integer');
  if (t === 'number') return is(typeof v === 'number' && Number.isFinite(v), 'a number');
  if (t === 'bool') return is(typeof v === 'boolean', 'a boolean');
  if (t === 'date-time')
    return is(
      typeof v === 'string' && DATE_TIME.test(v) && Number.isFinite(Date.parse(v)),
      'an RFC 3339 date-time with a zone',
    );
  if (t === 'link' || 'object' in t) return null;
  if ('enum' in t) return is(typeof v === 'number' && t.enum.includes(v), `one of ${t.enum.join(', ')}`);
  return is(
    (v === null && t.nullable === true) || Array.isArray(v),
    t.nullable ? 'a list or null' : 'a list',
  );
}

const pascal = (k: string) => k.charAt(0).toUpperCase() + k.slice(1);

/**
 * What is wrong with an answer against the document, in the dialect's casing: an empty list when it holds.
 * Names the JSON path of each problem.
 */
export function publishedProblems(kind: AnswerKind, body: unknown, dialect: ZvmDialect): string[] {
  const problems: string[] = [];
  const name = (k: string) => (dialect === 'windows' ? pascal(k) : k);

  const check = (t: FieldType, v: unknown, path: string): void => {
    const wanted = expected(t, v);
    if (wanted !== null) problems.push(`${path}: ${wanted} (got ${JSON.stringify(v)?.slice(0, 80)})`);
    if (t === 'link') object(LINK, v, path, [], false);
    else if (typeof t === 'object' && 'object' in t) object(t.object, v, path, [], true);
    else if (typeof t === 'object' && 'array' in t && Array.isArray(v))
      v.forEach((item, i) => check(t.array, item, `${path}[${i}]`));
  };

  /** `cased`: the dialect's casing applies to its keys (not inside a link). */
  const object = (
    fields: Fields,
    v: unknown,
    path: string,
    extra: readonly string[],
    cased: boolean,
  ): void => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      problems.push(`${path}: an object (got ${JSON.stringify(v)?.slice(0, 80)})`);
      return;
    }
    const byKey = new Map<string, FieldType>();
    for (const [k, t] of Object.entries(fields)) byKey.set(cased ? name(k) : k, t);
    if (dialect === 'windows') for (const k of extra) byKey.set(name(k), STR);
    for (const [k, value] of Object.entries(v)) {
      const t = byKey.get(k);
      if (t === undefined) problems.push(`${path}.${k}: a field the document does not name`);
      else check(t, value, `${path}.${k}`);
    }
  };

  if (kind === 'strings') check({ array: 'string' }, body, '$');
  else if (kind === 'date-time') check('date-time', body, '$');
  else if ('one' in kind) object(kind.one, body, '$', kind.windowsExtra ?? [], true);
  else if (!Array.isArray(body)) problems.push('$: a list');
  else body.forEach((item, i) => object(kind.list, item, `$[${i}]`, kind.windowsExtra ?? [], true));
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// Every route of a simulator, read as the product reads it and held to the document

/** A simulator in warning (its usage alert active, its billing link failing), and how to reach it. */
export interface SimUnderTest {
  url: string;
  dialect: ZvmDialect;
  siteId: string;
  /** Headers that authenticate a /v1 call (a bearer token). */
  auth: Record<string, string>;
  user: string;
  password: string;
  clientId: string;
  clientSecret: string;
  /** The simulator's clock. */
  now(): number;
  /** The help identifiers it was started with. */
  usageAlertId: string;
  disconnectionAlertId: string;
}

export interface RouteVerdict {
  route: string;
  problems: string[];
}

/**
 * Fetches every route of the ZVM API the simulator serves and says, for each, what does not hold: the
 * answer's shape against the document (in the dialect's casing), and what the contract's readers make of it.
 */
export async function checkEveryRoute(sim: SimUnderTest): Promise<RouteVerdict[]> {
  const verdicts: RouteVerdict[] = [];
  const get = (path: string, headers = sim.auth) => request(`${sim.url}${path}`, { headers });
  const post = (path: string, headers = sim.auth) =>
    request(`${sim.url}${path}`, { method: 'POST', headers });
  const route = async (name: string, run: (problems: string[]) => Promise<void>) => {
    const problems: string[] = [];
    try {
      await run(problems);
    } catch (e) {
      problems.push(`threw: ${(e as Error).message}`);
    }
    verdicts.push({ route: name, problems });
  };
  const status = (a: Answer, want: number, problems: string[]) => {
    if (a.status !== want) problems.push(`HTTP ${a.status}, not ${want}: ${a.text.slice(0, 120)}`);
    return a.status === want;
  };
  const shape = (kind: AnswerKind, a: Answer, problems: string[]) => {
    if (!status(a, 200, problems)) return undefined;
    const body = a.json<unknown>();
    problems.push(...publishedProblems(kind, body, sim.dialect));
    return body;
  };
  const windows = sim.dialect === 'windows';

  await route(windows ? 'POST /v1/session/add' : `POST ${ZVM_PATHS.token}`, async (problems) => {
    const basic = `Basic ${Buffer.from(`${sim.user}:${sim.password}`).toString('base64')}`;
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: sim.clientId,
      client_secret: sim.clientSecret,
    }).toString();
    let auth: Record<string, string>;
    if (windows) {
      const a = await post('/v1/session/add', { Authorization: basic });
      if (!status(a, 200, problems)) return;
      if (a.text !== '') problems.push('a body beside the session header');
      auth = { [SESSION_HEADER]: String(a.headers[SESSION_HEADER]) };
      const keycloak = await request(`${sim.url}/${ZVM_PATHS.token}`, {
        method: 'POST',
        headers: form,
        body,
      });
      if (keycloak.status !== 404)
        problems.push(`a Windows ZVM has no Keycloak, yet HTTP ${keycloak.status}`);
    } else {
      const a = await request(`${sim.url}/${ZVM_PATHS.token}`, { method: 'POST', headers: form, body });
      if (!status(a, 200, problems)) return;
      const token = a.json<{ access_token?: unknown }>().access_token;
      if (typeof token !== 'string') return void problems.push('no access_token');
      auth = { Authorization: `Bearer ${token}` };
      const session = await post('/v1/session/add', { Authorization: basic });
      if (session.status !== 404)
        problems.push(`Zerto 10 has no /v1/session/add, yet HTTP ${session.status}`);
    }
    const site = await get('/v1/localsite', auth);
    if (site.status !== 200) problems.push(`the login's credential was refused: HTTP ${site.status}`);
  });

  await route('GET /v1/localsite', async (problems) => {
    const body = shape(ANSWERS.localSite, await get('/v1/localsite'), problems);
    if (body === undefined) return;
    const read = readLocalSite(body);
    if (!read.ok) return void problems.push(read.error);
    if (read.value.id !== sim.siteId) problems.push(`readLocalSite gives id ${read.value.id}`);
    const top = Object.keys(body as object).find((k) => k.toLowerCase() === 'siteidentifier');
    if (windows && top !== 'SiteIdentifier') problems.push('no top-level SiteIdentifier');
  });

  await route('GET /v1/license', async (problems) => {
    const body = shape(ANSWERS.license, await get('/v1/license'), problems);
    if (body === undefined) return;
    const read = readLicense(body);
    if (!read.ok) return void problems.push(read.error);
    if (read.value.sites[0]?.id !== sim.siteId) problems.push('its site is not the simulator’s');
  });

  const ids: BillingAlertIds = { usage: [sim.usageAlertId], disconnection: [sim.disconnectionAlertId] };
  /** The billing alerts of an answer, read with the contract; null (and a problem) when unreadable. */
  const billing = (body: unknown, problems: string[]) => {
    const read = readAlerts(body, ids);
    if (!read.ok) return void problems.push(read.error);
    return read.value;
  };
  let usageAlertId: string | null = null;
  await route('GET /v1/alerts', async (problems) => {
    const body = shape(ANSWERS.alerts, await get('/v1/alerts'), problems);
    if (body === undefined) return;
    const read = billing(body, problems);
    const usage = read?.billing.filter((a) => a.kind === 'usage' && a.recognised) ?? [];
    if (read && usage.length !== 1) problems.push(`${usage.length} usage alerts recognised, not 1`);
    usageAlertId = usage[0]?.key ?? null;
    const defaults = readAlerts(body, DEFAULT_BILLING_ALERT_IDS);
    if (!defaults.ok || defaults.value.billing.length === 0)
      problems.push('DEFAULT_BILLING_ALERT_IDS classify no billing alert');
  });

  await route('GET /v1/alerts?filters', async (problems) => {
    const q = new URLSearchParams({
      helpIdentifier: sim.usageAlertId.toLowerCase(),
      level: 'warning',
      isDismissed: 'false',
      siteIdentifier: sim.siteId,
      startDate: new Date(sim.now() - 400 * 86_400_000).toISOString(),
      endDate: new Date(sim.now() + 60_000).toISOString(),
    });
    const body = shape(ANSWERS.alerts, await get(`/v1/alerts?${q}`), problems);
    if (body === undefined) return;
    if ((body as unknown[]).length !== 1) problems.push(`${(body as unknown[]).length} alerts kept, not 1`);
    const read = billing(body, problems);
    if (read && read.billing[0]?.key !== usageAlertId) problems.push('the filter kept another alert');
  });

  await route('GET /v1/alerts/{id}', async (problems) => {
    if (usageAlertId === null) return void problems.push('no usage alert to read');
    const body = shape(ANSWERS.alert, await get(`/v1/alerts/${encodeURIComponent(usageAlertId)}`), problems);
    if (body === undefined) return;
    const read = billing([body], problems);
    if (read && read.billing[0]?.key !== usageAlertId) problems.push('another alert');
  });

  for (const [action, dismissed] of [
    ['dismiss', true],
    ['undismiss', false],
  ] as const) {
    await route(`POST /v1/alerts/{id}/${action}`, async (problems) => {
      if (usageAlertId === null) return void problems.push('no usage alert to dismiss');
      const a = await post(`/v1/alerts/${encodeURIComponent(usageAlertId)}/${action}`);
      if (!status(a, 200, problems)) return;
      if (a.text !== '') problems.push(`a body: ${a.text.slice(0, 80)}`);
      const read = billing(shape(ANSWERS.alerts, await get('/v1/alerts'), problems), problems);
      const it = read?.billing.find((b) => b.key === usageAlertId);
      if (read && !it) problems.push('the alert is no longer listed');
      if (it && it.dismissed !== dismissed) problems.push(`isDismissed is ${it.dismissed}`);
    });
  }

  for (const path of ['/v1/alerts/levels', '/v1/alerts/entities'])
    await route(`GET ${path}`, async (problems) => {
      const body = shape(ANSWERS.strings, await get(path), problems);
      if (Array.isArray(body) && body.length === 0) problems.push('an empty list');
    });

  await route('GET /v1/alerts/helpidentifiers', async (problems) => {
    const body = shape(ANSWERS.strings, await get('/v1/alerts/helpidentifiers'), problems);
    if (body === undefined) return;
    const read = readHelpIds(body);
    if (!read.ok) return void problems.push(read.error);
    for (const id of [sim.usageAlertId, sim.disconnectionAlertId])
      if (!read.value.has(id.toUpperCase())) problems.push(`${id} is not listed`);
    const listed = (await get('/v1/alerts')).json<Array<Record<string, unknown>>>();
    for (const a of listed) {
      const help = a.helpIdentifier ?? a.HelpIdentifier;
      if (typeof help === 'string' && !read.value.has(help.toUpperCase()))
        problems.push(`${help}, of a listed alert, is not listed`);
    }
  });

  await route('POST /v1/localsite/billing/sendUsage', async (problems) => {
    const a = await post('/v1/localsite/billing/sendUsage');
    if (!status(a, 200, problems)) return;
    const read = readSendUsage(a.text);
    // The billing link is failing: a Windows ZVM says so, Zerto 10 only takes the request.
    const want = windows ? 'failed' : 'accepted';
    if (read.result !== want) problems.push(`readSendUsage gives ${read.result}, not ${want}`);
    if (!windows && a.text !== '') problems.push(`Zerto 10 declares no body: ${a.text.slice(0, 80)}`);
  });

  for (const [path, zone] of [
    ['/v1/serverDateTime/serverDateTimeUtc', /Z$/],
    ['/v1/serverDateTime/serverDateTimeLocal', /[+-]\d{2}:\d{2}$/],
  ] as const)
    await route(`GET ${path}`, async (problems) => {
      const a = await get(path);
      const body = shape(ANSWERS.dateTime, a, problems);
      if (body === undefined) return;
      if (!zone.test(String(body))) problems.push(`no ${zone.source} zone: ${String(body)}`);
      const read = readServerTime(a.text);
      if (!read.ok) return void problems.push(read.error);
      const off = Math.abs(read.ms - sim.now());
      if (off > 2000) problems.push(`${off} ms away from the simulator's clock`);
    });

  await route('GET /v1/vras', async (problems) => {
    const body = shape(ANSWERS.vras, await get('/v1/vras'), problems);
    if (Array.isArray(body) && body.length === 0) problems.push('no VRAs');
  });

  return verdicts;
}
