import type { AlertKind, Resolution } from '../kinds.ts';
import type { FailureReason, ZvmAlertNote } from '../schemas.ts';
import { reasonText } from './advice.ts';

/**
 * Every text an operator reads, chosen by what the mode can know, as data first (so that a console can
 * translate or restyle it) and then in English. `source: 'zvm'` reports what the ZVM says, in the vendor's
 * own wording of its Automated Billing alerts; `source: 'console'` says what this console observed and what
 * the vendor's rule implies, never that the ZVM did it.
 */
export type Remaining = { unit: 'days' | 'hours'; value: number };
import type { Source } from './summary.ts';
export type { Source };

export type Message =
  | { key: 'usage-not-sent'; source: Source; siteName: string; remaining: Remaining }
  | { key: 'vra-disconnected'; source: Source; siteName: string }
  | { key: 'recovered'; source: Source; siteName: string }
  /** The state cannot be seen: the ZVM API unreadable, or a probe that cannot run. Never a billing alarm. */
  | { key: 'blind'; source: Source; siteName: string; reason: FailureReason }
  /** The ZVM's deadline passed and it has not reported its disconnection yet (zvm mode only). */
  | { key: 'overdue'; source: Source; siteName: string }
  /** Nothing confirmed the billing status for longer than one interval; `ever`: something did before. */
  | { key: 'unconfirmed'; source: Source; siteName: string; reason: FailureReason | null; ever: boolean };

export function formatRemaining(r: Remaining): string {
  const unit = r.unit === 'days' ? (r.value === 1 ? 'day' : 'days') : r.value === 1 ? 'hour' : 'hours';
  return `${r.value} ${unit}`;
}

const managerName = (siteName: string): string =>
  siteName ? `Zerto Virtual Manager of site ${siteName}` : 'Zerto Virtual Manager';

/**
 * Who reads the ZVM for the operator: this console, or the fleet service a console in `service` mode shows
 * (then the service, not the console, is what cannot see).
 */
export type Reader = 'console' | 'service';
const READER: Record<Reader, string> = { console: 'This console', service: 'The fleet service' };

export function messageText(m: Message, reader: Reader = 'console'): string {
  const zvm = m.source === 'zvm';
  switch (m.key) {
    case 'usage-not-sent':
      return zvm
        ? `${managerName(m.siteName)} did not send site usage information for billing purposes to Zerto servers. ` +
            `If this is not resolved within ${formatRemaining(m.remaining)}, ` +
            `Zerto Virtual Manager will stop communicating with its VRAs.`
        : `This console has not seen usage information for billing reach Zerto servers. ` +
            `By the vendor's rule, if this is not resolved within ${formatRemaining(m.remaining)}, ` +
            `the ${managerName(m.siteName)} stops communicating with its VRAs.`;
    case 'vra-disconnected':
      return zvm
        ? `${managerName(m.siteName)} did not send site usage information for billing purposes to Zerto servers ` +
            `and has stopped communicating with its VRAs. ` +
            `It will not communicate with them until this issue is resolved.`
        : `This console has not seen usage information for billing reach Zerto servers since the alert. ` +
            `By the vendor's rule, the ${managerName(m.siteName)} stops communicating with its VRAs at the deadline, ` +
            `until usage is sent. This console cannot see the VRAs: check them on the ZVM.`;
    case 'recovered':
      return zvm
        ? `Usage information for billing reached Zerto servers again: the ${managerName(m.siteName)} resolved its billing alerts.`
        : `Usage information for billing was sent and acknowledged again; the billing alerts are resolved.`;
    case 'blind':
      return zvm
        ? `${READER[reader]} cannot read the billing alerts of the ${managerName(m.siteName)}: ${reasonText(m.reason)}. ` +
            `Nothing is counted down while it cannot see them.`
        : `This console cannot check billing usage: ${reasonText(m.reason)}.`;
    case 'overdue':
      return (
        `The deadline of the ${managerName(m.siteName)} has passed, but it has not reported that it stopped ` +
        `communicating with its VRAs; this console is reading its alerts again.`
      );
    case 'unconfirmed':
      return `No transmission has confirmed billing usage${m.siteName ? ` of site ${m.siteName}` : ''} ${
        m.ever ? 'since the last one that did' : 'yet'
      }${m.reason ? `: ${reasonText(m.reason)}` : ''}.`;
  }
}

/**
 * The heading, which also serves as the collapsed bar: the time left and the date, or since when.
 * `date` writes a time in the operator's locale.
 */
export function titleText(
  m: Message,
  at: { deadline: number | null; since: number | null },
  date: (t: number) => string,
): string {
  const zvm = m.source === 'zvm';
  switch (m.key) {
    case 'usage-not-sent': {
      const date_ = at.deadline === null ? '' : `, ${date(at.deadline)}`;
      const rule = zvm ? '' : "by the vendor's rule, ";
      return `Billing usage not sent: ${rule}VRAs stop in ${formatRemaining(m.remaining)}${date_}`;
    }
    case 'vra-disconnected': {
      if (zvm) return `VRAs disconnected${at.since === null ? '' : ` since ${date(at.since)}`}`;
      const on = at.since === null ? '' : ` on ${date(at.since)}`;
      return `Billing usage not sent: by the vendor's rule, VRAs stopped${on}`;
    }
    case 'recovered':
      return 'Billing usage sent';
    case 'overdue':
      return `Billing usage not sent: the ZVM's deadline passed${at.deadline === null ? '' : ` on ${date(at.deadline)}`}`;
    case 'blind':
      return zvm ? "Cannot read the ZVM's billing status" : 'Billing usage cannot be checked';
    case 'unconfirmed':
      return `Billing status not confirmed${at.since === null ? '' : ` since ${date(at.since)}`}`;
  }
}

/** How times and spans are written where these texts are shown (the operator's locale). */
export interface TextFormat {
  /** An instant, e.g. "Wednesday, December 2, 2026 at 3:03 PM UTC". */
  date: (t: number) => string;
  /** How long ago, e.g. "3 hours ago". */
  ago: (ms: number) => string;
  /** A length of time, unsigned, e.g. "3 days". */
  span: (ms: number) => string;
}

/** The bits of a view the notes and the chip read (structurally a GraceView). */
interface Seen {
  phase: 'unknown' | 'ok' | 'warning' | 'disconnected';
  source: Source;
  at: number;
  lastSuccessAt: number | null;
  lastAttemptAt: number | null;
  lastFailure: FailureReason | null;
  blind: { reason: FailureReason; lastKnownAge: number | null } | null;
  skew: number | null;
  clockJump: { at: number; step: number } | null;
  /** zvm mode: the ZVM's last word: the billing alerts it listed, in its words; help identifiers it does not know. */
  zvm?: { alerts?: unknown; unknownIds?: unknown } | null;
}

/**
 * The ZVM's word as a stored record gives it to a first paint (read before any schema checked it): only what
 * is well-formed is shown.
 */
export function isZvmNote(x: unknown): x is ZvmAlertNote {
  if (typeof x !== 'object' || x === null) return false;
  const n = x as Record<string, unknown>;
  const text = (y: unknown) => y === null || typeof y === 'string';
  return (
    typeof n.key === 'string' &&
    (n.kind === 'usage' || n.kind === 'disconnection') &&
    typeof n.recognised === 'boolean' &&
    text(n.helpIdentifier) &&
    text(n.description)
  );
}

const listOf = <T>(x: unknown, ok: (y: unknown) => y is T): T[] =>
  Array.isArray(x) ? x.slice(0, 40).filter(ok) : [];

/** The small status chip (with `show-ok`): usage sent and when, or what the last check found. */
export function chipText(v: Seen, f: TextFormat): string {
  const ago = (t: number | null) => (t === null ? '' : f.ago(Math.max(0, v.at - t)));
  if (v.phase !== 'unknown') return `Billing usage sent ${ago(v.lastSuccessAt)}`.trim();
  return v.lastFailure
    ? `Billing usage: last check failed ${ago(v.lastAttemptAt)}: ${reasonText(v.lastFailure)}`
    : 'Billing usage: checking';
}

/** What else the operator must know beside the message: a ZVM that cannot be read now, a clock skewed or moved. */
export function noteTexts(v: Seen, f: TextFormat, reader: Reader = 'console'): string[] {
  const lines: string[] = [];
  const blind = v.source === 'zvm' ? v.blind : null;
  if (blind) {
    const age = blind.lastKnownAge === null ? null : f.ago(blind.lastKnownAge);
    lines.push(
      v.phase === 'warning' || v.phase === 'disconnected'
        ? `${READER[reader]} cannot read the ZVM now (${reasonText(blind.reason)}); this is its last known state${age ? `, read ${age}` : ''}.`
        : age
          ? `Its last known state: ${phaseLabel(v.phase, 'zvm').toLowerCase()}, read ${age}.`
          : 'It has not been read yet.',
    );
  }
  for (const a of v.source === 'zvm' ? listOf(v.zvm?.alerts, isZvmNote) : []) {
    const id = a.helpIdentifier ?? 'with no help identifier';
    if (a.description) lines.push(`The ZVM's own words (alert ${id}): “${a.description}”`);
    if (!a.recognised)
      lines.push(
        `The ZVM lists this alert (${id}), which looks like a billing alert, under an identifier no setting names: it is counted as the usage alert. ${
          a.helpIdentifier
            ? `Add ${a.helpIdentifier} to this site's usage alert identifiers (usage-alert-ids), or to its disconnection alert identifiers if it is the disconnection alert.`
            : 'Check the ZVM’s Monitoring > Alerts.'
        }`,
      );
  }
  const unknownIds = listOf(v.zvm?.unknownIds, (x): x is string => typeof x === 'string');
  if (v.source === 'zvm' && unknownIds.length)
    lines.push(
      `The ZVM does not know the billing alert identifier${unknownIds.length > 1 ? 's' : ''} ${unknownIds.join(', ')} set for this site: its billing alerts could be missed. Check the site's usage-alert-ids and disconnection-alert-ids against the ZVM's Monitoring > Alerts.`,
    );
  if (v.skew !== null)
    lines.push(
      `The ZVM's clock is ${f.span(v.skew)} ${v.skew > 0 ? 'ahead of' : 'behind'} this computer's; days left are counted on the ZVM's clock.`,
    );
  if (v.clockJump) {
    const { step, at } = v.clockJump;
    lines.push(
      step < 0
        ? `This computer's clock was turned back ${f.span(step)} on ${f.date(at)}; every date was moved with it, so the time left is unchanged.`
        : `This computer's clock moved ${f.span(step)} ahead of its running time on ${f.date(at)}: as far as that set right an earlier turn back, every date moved with it; beyond that it counts as time that passed (the computer may have slept).`,
    );
  }
  return lines;
}

/** The words before the deadline's date in a warning. */
export const deadlineLead = (source: Source): string =>
  source === 'zvm'
    ? 'The ZVM stops communicating with its VRAs on'
    : "By the vendor's rule, VRA communication stops on";

/** The banner's test action, by mode, and while it runs. */
export const testActionLabel = (mode: string, running: boolean): string =>
  running
    ? 'Testing…'
    : mode === 'reachability'
      ? 'Test connection to Zerto billing servers'
      : 'Test usage transmission to Zerto';

/** What a test that did not go through found, by mode. */
export const testFailedText = (mode: string, reason: FailureReason): string =>
  `${mode === 'reachability' ? 'This browser could not reach the billing host' : 'Usage was not sent'}: ${reasonText(reason)}`;

/**
 * What a test that went through proves, by mode: the ZVM's Passed, this console's acknowledged report, or,
 * in reachability mode, only that this browser reached the billing host (never "usage sent").
 */
export function testPassedText(mode: string, billingHost: string): string {
  if (mode === 'zvm')
    return 'The ZVM took the request to send usage (Zerto 10 answers no result), and its billing alerts, read again, are clear: usage is getting through to Zerto.';
  if (mode === 'reachability')
    return `This browser reached ${billingHost} (its own path, not the ZVM's). No usage was sent, and no alert is resolved by it.`;
  return 'Usage sent and acknowledged; the billing alerts this console raised are resolved.';
}

/** The phase in a word or two, for lists, the popup and notifications: the same on every surface. */
export function phaseLabel(phase: 'unknown' | 'ok' | 'warning' | 'disconnected', source: Source): string {
  switch (phase) {
    case 'unknown':
      return 'Not confirmed';
    case 'ok':
      return 'Usage sent';
    case 'warning':
      return 'Usage not sent';
    case 'disconnected':
      return source === 'zvm' ? 'VRAs disconnected' : "VRAs stopped (vendor's rule)";
  }
}

/** The vendor's text of each billing alert as it turns on (what a ZVM lists in Monitoring > Alerts). */
export function alertDescription(
  kind: AlertKind,
  siteName: string,
  graceDays: number,
  source: Source = 'zvm',
): string {
  if (kind === 'vra-disconnected') return messageText({ key: 'vra-disconnected', source, siteName });
  const remaining: Remaining =
    graceDays >= 1
      ? { unit: 'days', value: Math.ceil(graceDays) }
      : { unit: 'hours', value: Math.ceil(graceDays * 24) };
  return messageText({ key: 'usage-not-sent', source, siteName, remaining });
}

// The alerts' identifiers live with the kinds (a probe reads them without the words); named here too.

/** The time left in a warning, as lists and the popup show it: "3 days left". */
export const leftText = (r: Remaining): string => `${formatRemaining(r)} left`;

/** What a disconnection means, in a line (the popup): what the ZVM said, or what the vendor's rule implies. */
export const disconnectedLine = (source: Source): string =>
  source === 'zvm'
    ? 'The ZVM stopped communicating with its VRAs until usage is sent.'
    : "By the vendor's rule, the ZVM stops communicating with its VRAs until usage is sent; this console cannot see the VRAs.";

/** The words the lists (sites, alerts) and the popup share. */
export const LIST_WORDS = {
  site: 'Site',
  status: 'Status',
  daysLeft: 'Days left',
  lastSuccess: 'Last usage sent',
  lastAttempt: 'Last attempt',
  lastDays: (n: number) => `Last ${n} days`,
  never: 'never',
  noneLeft: 'none',
  level: 'Level',
  description: 'Description',
  turnedOn: 'Turned on',
  resolved: 'Resolved',
  active: 'Active',
  noAlerts: 'No billing alerts.',
  noSites: 'No sites are watched yet.',
  readingAlerts: 'Reading the billing alerts…',
  readingSites: 'Reading the watched sites…',
  alertsCaption: 'Billing alerts',
  sitesCaption: 'Billing usage by site, most urgent first',
  alertsUnread: 'The billing alerts could not be read, so whether any alert is active is not known.',
  sitesUnread: 'The watched sites could not be read, so their billing states are not known.',
} as const;

/** How an alert was resolved, after its date in the alerts list. */
export const RESOLUTION_WORDS: Readonly<Record<Resolution, string>> = {
  'usage-sent': 'usage sent',
  superseded: 'replaced by the disconnection',
  cleared: 'no longer listed by the ZVM',
};

/** The toolbar's tooltip (the extension): the product, then what needs attention, in the banner's words. */
export const TOOLTIP_WORDS = {
  product: 'Zerto billing',
  noSite: 'no site watched yet (open the options to add one)',
  moreSites: (n: number) => `${n} more site${n === 1 ? ' needs' : 's need'} attention`,
  cannotCheck: (names: string) => `billing usage cannot be checked for ${names}`,
  notConfirmed: (names: string) => `${phaseLabel('unknown', 'console').toLowerCase()} for ${names}`,
  sent: (who: string) => `billing usage sent for ${who}`,
  allSites: (n: number) => `all ${n} sites`,
} as const;
