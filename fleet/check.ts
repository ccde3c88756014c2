/**
 * A check for Nagios/Icinga-style monitors: reads one ZVM's billing alerts through the ZVM contract
 * (src/protocol/zvm.ts; no side effect: sendUsage is not called), prints one line with perfdata and returns the
 * plugin exit code. The ZVM is the authority: whenever it lists a billing alert (recognised by a help
 * identifier setting or only billing-looking, dismissed or not), the check says WARNING or CRITICAL, never OK.
 *
 * - 0 OK: no billing alert listed.
 * - 1 WARNING: a usage alert with `-c` whole days left or more; a billing-looking alert no setting names
 *   (counted as a usage alert, so CRITICAL too once its days run out); an identifier given by a flag that the
 *   ZVM does not know (a setup problem: the check may be blind to the alert it was told to watch).
 * - 2 CRITICAL: a disconnection alert (the ZVM stopped communicating with its VRAs), or a billing-looking alert
 *   no setting names that reads as one (Error level, or words of VRAs stopped or disconnected); a usage alert
 *   with fewer than `-c` whole days left (deadline = its TurnedOn + grace days, on the ZVM's clock).
 * - 3 UNKNOWN: the ZVM cannot be read (never a billing alarm).
 *
 * Perfdata carries the same labels in every state, with Nagios ranges that say what the exit code says: a value
 * outside its warning range is a WARNING, outside its critical range a CRITICAL.
 */
import { DAY, leftText, phaseLabel, remainingFrom, type FailureReason } from '../src/core/index.ts';
import {
  cleanText,
  DEFAULT_BILLING_ALERT_IDS,
  readAlerts,
  readHelpIds,
  readLocalSite,
  readServerTime,
  unknownHelpIds,
  ZVM_PATHS,
  SESSION_HEADER,
  type BillingAlertIds,
  type BillingKind,
  type ZvmBillingAlert,
} from '../src/protocol/zvm.ts';
import { request } from '../src/world/probes/http.ts';
import type { SiteSecrets } from '../src/world/probes/index.ts';
import { endpoint, ZVM_MAX_ANSWER_BYTES } from '../src/world/probes/usage.ts';
import type { ResolvedAuth } from './config.ts';
import { ZvmCredentials } from './credentials.ts';

export const EXIT = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;
export type CheckState = keyof typeof EXIT;

export interface CheckOptions {
  url: string;
  auth: ResolvedAuth;
  /** Days from the usage alert's TurnedOn until the ZVM stops communicating with its VRAs. */
  graceDays: number;
  /**
   * `-w`: whole days left under which `days_left` leaves its warning range in the perfdata (default: the grace
   * days, so that it does as soon as a usage alert opens). Any usage alert is a WARNING whatever this says.
   */
  warningDays?: number;
  /** `-c`: a usage alert with fewer whole days left than this is CRITICAL (default 1: its last day). */
  criticalDays?: number;
  /** `-t`: the whole check, login included. */
  timeoutMs: number;
  /** Help identifiers given by flags; a kind not given takes DEFAULT_BILLING_ALERT_IDS. */
  ids?: Partial<BillingAlertIds>;
}

export interface CheckResult {
  state: CheckState;
  line: string;
}

const PREFIX = 'ZERTO BILLING';
/** Unrecognised alerts quoted in the line, and how much of each description. */
const QUOTED_ALERTS = 3;
const QUOTED_CHARS = 160;

/** The thresholds in force, checked against the grace (so that OK's full grace lies inside every range). */
export function thresholds(
  o: Pick<CheckOptions, 'graceDays' | 'warningDays' | 'criticalDays'>,
): { ok: true; warningDays: number; criticalDays: number } | { ok: false; error: string } {
  const whole = Math.floor(o.graceDays);
  const warningDays = o.warningDays ?? whole;
  const criticalDays = o.criticalDays ?? Math.min(1, whole);
  for (const [flag, v] of [
    ['-w', warningDays],
    ['-c', criticalDays],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) return { ok: false, error: `${flag} must be a whole number of days` };
    if (v > o.graceDays)
      return {
        ok: false,
        error: `${flag} ${v} is more than the grace (--grace-days ${o.graceDays}): no usage alert ever has that many days left`,
      };
  }
  return { ok: true, warningDays, criticalDays };
}

export async function runCheck(o: CheckOptions): Promise<CheckResult> {
  const host = hostOf(o.url);
  const t = thresholds(o);
  if (!t.ok) return { state: 'UNKNOWN', line: `${PREFIX} UNKNOWN - ${t.error}` };
  const ids: BillingAlertIds = {
    usage: o.ids?.usage ?? DEFAULT_BILLING_ALERT_IDS.usage,
    disconnection: o.ids?.disconnection ?? DEFAULT_BILLING_ALERT_IDS.disconnection,
  };
  const read = await readZvm(o, ids);
  if (!read.ok)
    return {
      state: 'UNKNOWN',
      line: `${PREFIX} UNKNOWN - cannot read the billing alerts of the ZVM at ${host}: ${read.cause}; this is not a billing alarm`,
    };
  const r = read.value;
  return judge({
    ...r,
    name: r.name ?? host,
    graceDays: o.graceDays,
    warningDays: t.warningDays,
    criticalDays: t.criticalDays,
    ids,
    explicit: { usage: o.ids?.usage !== undefined, disconnection: o.ids?.disconnection !== undefined },
  });
}

// ---------------------------------------------------------------------------------------------------------
// Reading the ZVM

/** A billing alert whose TurnedOn cannot be placed: it counts, with no deadline. */
export interface UnplacedAlert extends Omit<ZvmBillingAlert, 'turnedOn'> {
  turnedOn: null;
  error: string;
}

export interface ZvmReading {
  /** The site's name (null: the ZVM gave none). */
  name: string | null;
  /** The ZVM's clock at the reading, epoch ms, and where it came from. */
  zvmNow: number;
  clock: 'server' | 'date-header' | 'local';
  billing: ZvmBillingAlert[];
  unplaced: UnplacedAlert[];
  /** Alerts of a shape the API does not document (none of them shown to be billing or not). */
  unreadable: number;
  listed: number;
  /** The help identifiers the ZVM lists, or null when it does not answer them. */
  known: ReadonlySet<string> | null;
}

type Got =
  | { ok: true; status: number; json: unknown; text: string; date: number | null }
  | { ok: false; cause: string };

async function readZvm(
  o: CheckOptions,
  ids: BillingAlertIds,
): Promise<{ ok: true; value: ZvmReading } | { ok: false; cause: string }> {
  const signal = AbortSignal.timeout(o.timeoutMs);
  const seconds = `${Math.round(o.timeoutMs / 100) / 10} s`;
  const creds = await new ZvmCredentials(o.url, o.auth, o.timeoutMs).get(signal);
  if (!creds.ok) return { ok: false, cause: causeOf(creds.reason, 'login', seconds) };
  const get = (path: string) => getJson(o.url, path, creds.secrets, signal, o.timeoutMs, seconds);
  const [site, alerts, time, helpIds] = await Promise.all([
    get(ZVM_PATHS.localSite),
    get(ZVM_PATHS.alerts),
    get(ZVM_PATHS.serverTimeUtc),
    get(ZVM_PATHS.helpIdentifiers),
  ]);
  if (!alerts.ok) return alerts;
  if (alerts.status !== 200) return { ok: false, cause: statusCause(alerts.status, ZVM_PATHS.alerts) };
  const list = readAlertsTolerant(alerts.json, ids);
  if (!list.ok)
    return {
      ok: false,
      cause: `its answer to GET ${ZVM_PATHS.alerts} is not what the API documents (${list.error.replace(/^alerts: /, '')})`,
    };
  // The name only: a site the check cannot name is named by its URL's host.
  const local = site.ok && site.status === 200 ? readLocalSite(site.json) : null;
  // The ZVM's clock: its UTC endpoint, else the Date header (whole seconds: the middle of that second), else ours.
  const server = time.ok && time.status === 200 ? readServerTime(time.text) : null;
  const [zvmNow, clock]: [number, ZvmReading['clock']] = server?.ok
    ? [server.ms, 'server']
    : alerts.date !== null
      ? [alerts.date + 500, 'date-header']
      : [Date.now(), 'local'];
  const known = helpIds.ok && helpIds.status === 200 ? readHelpIds(helpIds.json) : null;
  return {
    ok: true,
    value: {
      name: local?.ok ? local.value.name : null,
      zvmNow,
      clock,
      ...list.value,
      known: known?.ok ? known.value : null,
    },
  };
}

async function getJson(
  base: string,
  path: string,
  secrets: SiteSecrets,
  signal: AbortSignal,
  timeoutMs: number,
  seconds: string,
): Promise<Got> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (secrets.token) headers.authorization = `Bearer ${secrets.token}`;
  if (secrets.session) headers[SESSION_HEADER] = secrets.session;
  // A ZVM answer may be large (many alerts, a megabyte field the contract cuts): read up to the probe's bound.
  const r = await request(
    endpoint(base, path),
    { headers, redirect: 'manual' },
    { timeoutMs, signal, maxBytes: ZVM_MAX_ANSWER_BYTES },
  );
  if (!r.ok) return { ok: false, cause: causeOf(r.reason, `GET ${path}`, seconds) };
  let json: unknown = undefined;
  try {
    json = JSON.parse(r.text) as unknown;
  } catch {
    // Left undefined: a reader refuses it where JSON was needed.
  }
  return { ok: true, status: r.status, json, text: r.text, date: r.date };
}

/** Why the ZVM could not be read, said once (a refusal names its status once, not thrice). */
function causeOf(r: FailureReason, step: string, seconds: string): string {
  if (r.kind === 'timeout') return `no answer to ${step} within ${seconds} (-t)`;
  const detail = r.detail ?? r.kind;
  if (r.kind === 'auth') return detail.replace(/: check the credentials configured for it$/, '');
  return step === 'login' ? detail : `${step}: ${detail}`;
}

function statusCause(status: number, path: string): string {
  if (status === 401 || status === 403)
    return `the ZVM refused the credentials (HTTP ${status} to GET ${path})`;
  return `GET ${path} answered HTTP ${status}`;
}

/**
 * The alerts by the contract. When the list as a whole cannot be read, each alert is read alone: a billing
 * alert whose TurnedOn cannot be placed still counts (with no deadline), and one of an unexpected shape is
 * counted as unreadable rather than silencing the billing alerts beside it.
 */
export function readAlertsTolerant(
  json: unknown,
  ids: BillingAlertIds,
):
  | { ok: true; value: Pick<ZvmReading, 'billing' | 'unplaced' | 'unreadable' | 'listed'> }
  | { ok: false; error: string } {
  const whole = readAlerts(json, ids);
  if (whole.ok)
    return {
      ok: true,
      value: { billing: whole.value.billing, unplaced: [], unreadable: 0, listed: whole.value.listed },
    };
  if (!Array.isArray(json)) return whole;
  const billing: ZvmBillingAlert[] = [];
  const unplaced: UnplacedAlert[] = [];
  let unreadable = 0;
  for (const item of json) {
    const one = readAlerts([item], ids);
    if (one.ok) {
      billing.push(...one.value.billing);
      continue;
    }
    // Read again with a placeable time: if it is billing, its time was the trouble.
    const timeless =
      item && typeof item === 'object' && !Array.isArray(item)
        ? {
            ...Object.fromEntries(Object.entries(item).filter(([k]) => k.toLowerCase() !== 'turnedon')),
            turnedOn: 0,
          }
        : item;
    const again = readAlerts([timeless], ids);
    const b = again.ok ? again.value.billing[0] : undefined;
    if (b) unplaced.push({ ...b, turnedOn: null, error: one.error.replace(/^alerts: /, '') });
    else unreadable++;
  }
  billing.sort((x, y) => x.turnedOn - y.turnedOn);
  return { ok: true, value: { billing, unplaced, unreadable, listed: json.length } };
}

// ---------------------------------------------------------------------------------------------------------
// Judging (pure)

export interface Judged extends Omit<ZvmReading, 'name'> {
  name: string;
  graceDays: number;
  warningDays: number;
  criticalDays: number;
  ids: BillingAlertIds;
  /** Which kinds' identifiers a flag gave (their unknown ones are a setup problem; the defaults' a note). */
  explicit: { usage: boolean; disconnection: boolean };
}

/** What the ZVM's alerts mean, as the rules of this module's header say: state, words, perfdata. */
export function judge(j: Judged): CheckResult {
  const iso = (t: number) => new Date(t).toISOString();
  const disconnections = [
    ...j.billing.filter((a) => a.kind === 'disconnection'),
    ...j.unplaced.filter((a) => a.kind === 'disconnection'),
  ];
  // Alerts no setting names count as usage alerts, unless they read as the disconnection: then CRITICAL, for a
  // ZVM that replaced its usage alert by its disconnection alert must not read as "15 days left".
  const suspected = [...j.billing, ...j.unplaced].filter(readsAsDisconnection);
  const usage = j.billing.filter((a) => a.kind === 'usage' && !readsAsDisconnection(a));
  const usageUnplaced = j.unplaced.filter((a) => a.kind === 'usage' && !readsAsDisconnection(a));
  const count = j.billing.length + j.unplaced.length;
  const setup = setupProblems(j);

  let state: CheckState;
  let words: string;
  let days: number | null;
  let seconds: number | null;
  if (disconnections.length > 0) {
    const first = disconnections[0]!;
    const since =
      first.turnedOn !== null
        ? iso(first.turnedOn)
        : `a time that cannot be placed (${(first as UnplacedAlert).error})`;
    state = 'CRITICAL';
    words = `the ZVM stopped communicating with its VRAs since ${since} (${alertName(first, 'disconnection')}): usage not sent to Zerto`;
    days = 0;
    seconds = 0;
  } else if (suspected.length > 0) {
    const first = suspected[0]!;
    const since = first.turnedOn !== null ? ` since ${iso(first.turnedOn)}` : '';
    state = 'CRITICAL';
    words = `the ZVM has likely stopped communicating with its VRAs${since}: ${alertName(first, 'disconnection')} reads as its disconnection alert${first.level ? ` (level ${first.level})` : ''}`;
    days = 0;
    seconds = 0;
  } else if (usage.length > 0) {
    const first = usage[0]!;
    const deadline = first.turnedOn + j.graceDays * DAY;
    const msLeft = Math.max(0, deadline - j.zvmNow);
    days = Math.floor(msLeft / DAY);
    seconds = Math.floor(msLeft / 1000);
    state = msLeft < j.criticalDays * DAY ? 'CRITICAL' : 'WARNING';
    const label = phaseLabel('warning', 'zvm');
    words =
      msLeft > 0
        ? `${label}, ${leftText(remainingFrom(msLeft))}; the ZVM stops communicating with its VRAs at ${iso(deadline)}`
        : `${label}, no time left: the ZVM was due to stop communicating with its VRAs at ${iso(deadline)}`;
    words += ` (${alertName(first, 'usage')} since ${iso(first.turnedOn)}${j.clock === 'local' ? "; days counted on this machine's clock, the ZVM gave none" : ''})`;
  } else if (usageUnplaced.length > 0) {
    state = 'WARNING';
    words = `${phaseLabel('warning', 'zvm')}, days left unknown: ${alertName(usageUnplaced[0]!, 'usage')} has a TurnedOn that cannot be placed (${usageUnplaced[0]!.error})`;
    days = null;
    seconds = null;
  } else if (j.unreadable > 0) {
    return {
      state: 'UNKNOWN',
      line: oneLine(
        `${PREFIX} UNKNOWN - ${j.name}: ${j.unreadable} of the ${j.listed} alerts the ZVM lists have a shape the API does not document: whether one is a billing alert cannot be told; this is not a billing alarm`,
      ),
    };
  } else if (setup.explicit.length > 0) {
    state = 'WARNING';
    words = `no billing alert on the ZVM, but ${setup.explicit.join('; ')}: the check may not see the alert it was told to watch`;
    days = j.graceDays;
    seconds = Math.round(j.graceDays * 86_400);
  } else {
    state = 'OK';
    words = `no billing alert on the ZVM (${j.listed} ${j.listed === 1 ? 'alert' : 'alerts'} listed)`;
    days = j.graceDays;
    seconds = Math.round(j.graceDays * 86_400);
  }
  const notes: string[] = [];
  const unrecognised = [...j.billing, ...j.unplaced].filter((a) => !a.recognised);
  for (const a of unrecognised.slice(0, QUOTED_ALERTS)) notes.push(unrecognisedNote(a));
  if (unrecognised.length > QUOTED_ALERTS)
    notes.push(`${unrecognised.length - QUOTED_ALERTS} more billing-looking alerts no setting names`);
  if (count > 0 && setup.explicit.length > 0) notes.push(setup.explicit.join('; '));
  if (count > 0 && j.unreadable > 0)
    notes.push(`${j.unreadable} more alerts have a shape the API does not document`);
  notes.push(...setup.defaults);

  const G = round4(j.graceDays);
  const perf = [
    `billing_alerts=${count};0;;0`,
    `vra_disconnected=${disconnections.length > 0 || suspected.length > 0 ? 1 : 0};;0;0;1`,
    `days_left=${days === null ? 'U' : round4(days)};${j.warningDays}:;${j.criticalDays}:;0;${G}`,
    `seconds_left=${seconds === null ? 'U' : `${seconds}s`};${j.warningDays * 86_400}:;${j.criticalDays * 86_400}:;0;${Math.round(j.graceDays * 86_400)}`,
    `unknown_alert_ids=${setup.explicitIds.length};0;;0`,
  ];
  const text = [`${j.name}: ${words}`, ...notes].join('; ');
  return { state, line: `${PREFIX} ${state} - ${oneLine(text)} | ${perf.join(' ')}` };
}

/** Configured identifiers the ZVM does not know, where it lists its own. */
function setupProblems(j: Judged): { explicit: string[]; explicitIds: string[]; defaults: string[] } {
  if (!j.known || j.known.size === 0) return { explicit: [], explicitIds: [], defaults: [] };
  const explicit: string[] = [];
  const explicitIds: string[] = [];
  const defaults: string[] = [];
  const unknown = unknownHelpIds(j.ids, j.known, j.explicit);
  for (const kind of ['usage', 'disconnection'] as const) {
    const flag = flagOf(kind);
    const mine = unknown.filter((id) => j.ids[kind].includes(id));
    if (mine.length === 0) continue;
    if (j.explicit[kind]) {
      explicitIds.push(...mine);
      explicit.push(
        `${flag} names ${mine.join(', ')}, which this ZVM does not know (GET ${ZVM_PATHS.helpIdentifiers})`,
      );
    } else {
      defaults.push(
        `note: this ZVM knows none of the default ${kind} alert identifiers (${mine.join(', ')}): set ${flag} to the ones it uses`,
      );
    }
  }
  return { explicit, explicitIds, defaults };
}

const flagOf = (kind: BillingKind) => (kind === 'usage' ? '--usage-alert-ids' : '--disconnection-alert-ids');

function alertName(
  a: { helpIdentifier: string | null; recognised: boolean; dismissed: boolean },
  kind: BillingKind,
): string {
  const what = a.recognised ? `its ${kind} alert` : 'a billing-looking alert no setting names';
  const id = a.helpIdentifier ? ` ${a.helpIdentifier}` : '';
  return `${what}${id}${a.dismissed ? ', dismissed (dismissing does not resolve it)' : ''}`;
}

/**
 * A billing alert no setting names that reads as the disconnection: Error level (as the disconnection
 * defaults are), or words of a disconnection that happened (the usage alert says the ZVM *will* stop).
 */
function readsAsDisconnection(a: ZvmBillingAlert | UnplacedAlert): boolean {
  if (a.recognised) return false;
  return (
    /^(error|critical)$/i.test(a.level ?? '') ||
    /stopped communicating|\bVRAs?\b[^.]{0,40}\bdisconnected|\bdisconnected\b[^.]{0,40}\bVRAs?\b/i.test(
      a.description ?? '',
    )
  );
}

/** The ZVM's own words, and which identifier to add to which flag. */
function unrecognisedNote(a: ZvmBillingAlert | UnplacedAlert): string {
  const desc = a.description ? `"${quote(a.description)}"` : '(no description)';
  const disconnection = readsAsDisconnection(a);
  const fix = a.helpIdentifier
    ? `add ${a.helpIdentifier} to ${flagOf(disconnection ? 'disconnection' : 'usage')}`
    : 'it has no help identifier, so no setting can name it';
  const level = a.level ? `, level ${a.level}` : '';
  return `unrecognised billing alert ${desc} (${a.helpIdentifier ?? 'no help identifier'}${level}), ${
    disconnection ? 'taken as the disconnection alert' : 'counted as a usage alert'
  }: ${fix}`;
}

/** A description quoted on one line: cleaned, its whitespace folded, bounded. */
function quote(s: string): string {
  const one = cleanText(s, 1000).replace(/\s+/g, ' ').replace(/"/g, "'").trim();
  return one.length > QUOTED_CHARS ? `${one.slice(0, QUOTED_CHARS - 1)}…` : one;
}

/** The text before the perfdata: one line, and no `|` (which starts the perfdata). */
function oneLine(s: string): string {
  return s.replace(/[\r\n\t]+/g, ' ').replace(/\|/g, '/');
}

const round4 = (n: number) => String(Math.round(n * 10_000) / 10_000);

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
