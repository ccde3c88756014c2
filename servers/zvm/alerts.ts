/**
 * The simulator's alert list, as a ZVM keeps it: its two billing alerts (from the grace engine's state, with
 * the configurable help identifiers), other alerts a real ZVM lists beside them (a VPG over its RPO, a VRA,
 * a datastore; some with a null help identifier or null affected VPGs, so that readers meet nulls), the
 * dismissals, and the query filters of GET /v1/alerts. A dismissed alert stays listed with
 * `isDismissed: true`; dismissing is not resolving, and a dismissed billing alert still counts.
 */
import { createHash } from 'node:crypto';
import {
  activeAlerts,
  alertDescription,
  DAY,
  HOUR,
  type GraceState,
  type Policy,
} from '../../src/core/index.ts';
import { HELP_ID_PATTERN } from '../../src/protocol/zvm.ts';

/** One alert of the simulator, before it is shaped for a dialect (answers.ts). */
export interface SimAlert {
  id: string;
  level: string | null;
  entity: string | null;
  helpIdentifier: string | null;
  description: string | null;
  turnedOn: number;
  affectedVpgs: string[] | null;
  affectedZorgs: string[] | null;
  dismissed: boolean;
  /** Goes up each time the alert changes (a dismissal or its undoing). */
  generation: number;
}

/**
 * The billing alerts' help identifiers, by default the best public evidence (ZVM-API.md: LIC0012 "Billing
 * usage warning", LIC0013 "Critical billing usage warning"); Zerto does not publish which is which.
 */
export const DEFAULT_USAGE_ALERT_ID = 'LIC0012';
export const DEFAULT_DISCONNECTION_ALERT_ID = 'LIC0013';

/**
 * The alert levels and entities a ZVM lists (GET /v1/alerts/levels, /entities). Zerto 10's document gives
 * `level` and `entity` as plain strings; these names are those of Zerto's older alert enumerations.
 */
export const ALERT_LEVELS = ['Warning', 'Error'] as const;
export const ALERT_ENTITIES = [
  'Zvm',
  'Vra',
  'Vpg',
  'CloudConnector',
  'Storage',
  'License',
  'Zcm',
  'FileRecoveryComponent',
] as const;
/** The entity of the billing alerts. */
export const BILLING_ENTITY = 'License';

/**
 * Help identifiers of alerts the simulator never raises, listed by GET /v1/alerts/helpidentifiers as a real
 * ZVM lists its whole catalogue (names as in Zerto's alert catalogue).
 */
const OTHER_CATALOGUE = ['VPG0009', 'VRA0002', 'STR0002', 'ZVM0001', 'ZVM0002'];

/** The other alerts, as they stand when the simulator starts (turned on before it). */
function otherAlerts(siteId: string, startAt: number): SimAlert[] {
  const base = { dismissed: false, generation: 1 } as const;
  return [
    {
      ...base,
      id: stableId(siteId, 'vpg-rpo'),
      level: 'Warning',
      entity: 'Vpg',
      helpIdentifier: 'VPG0010',
      description: 'VPG Finance-Apps: the actual RPO is higher than its configured RPO alert threshold.',
      turnedOn: startAt - 2 * HOUR,
      affectedVpgs: [`${siteId}.vpg-finance-apps`],
      affectedZorgs: [],
    },
    {
      ...base,
      id: stableId(siteId, 'vra-host'),
      level: 'Error',
      entity: 'Vra',
      helpIdentifier: 'VRA0001',
      description: 'Host esxi-02.sim.local: the VRA cannot be reached.',
      turnedOn: startAt - 26 * HOUR,
      affectedVpgs: null,
      affectedZorgs: null,
    },
    {
      ...base,
      id: stableId(siteId, 'datastore'),
      level: 'Warning',
      entity: 'Storage',
      helpIdentifier: null,
      description: 'Datastore ds-journal-01 is 92% full.',
      turnedOn: startAt - 3 * DAY,
      affectedVpgs: null,
      affectedZorgs: null,
    },
  ];
}

/** A GUID-shaped identifier that stays the same for the same source (so a dismissal sticks to its alert). */
function stableId(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\0')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export interface AlertBookOptions {
  siteId: string;
  siteName: string;
  policy: Policy;
  startAt: number;
  usageAlertId: string;
  disconnectionAlertId: string;
  /** The VPG, VRA and storage alerts beside the billing ones. */
  otherAlerts: boolean;
}

export interface AlertBook {
  /** Every alert listed now, oldest first. */
  list(state: GraceState): SimAlert[];
  /** Sets an alert's dismissal; false when no alert has that id. */
  dismiss(state: GraceState, id: string, dismissed: boolean): boolean;
  /** GET /v1/alerts/helpidentifiers: the billing ones in force, the other alerts', and the catalogue's. */
  helpIdentifiers(): string[];
}

/** Checks the help identifier options; throws a RangeError naming the option. */
export function helpIdOption(given: unknown, name: string, fallback: string): string {
  if (given === undefined) return fallback;
  if (typeof given !== 'string' || !HELP_ID_PATTERN.test(given)) {
    throw new RangeError(
      `startZvmSim: ${name} must be a help identifier such as ${fallback} (letters, digits, "_", "-" or ".", up to 40)`,
    );
  }
  return given;
}

export function createAlertBook(o: AlertBookOptions): AlertBook {
  const others = o.otherAlerts ? otherAlerts(o.siteId, o.startAt) : [];
  /** Alert id → [dismissed, generation], for the alerts whose dismissal changed. */
  const marks = new Map<string, { dismissed: boolean; generation: number }>();

  function billing(state: GraceState): SimAlert[] {
    return activeAlerts(state).map((a) => ({
      id: stableId(o.siteId, a.id),
      level: a.level === 'error' ? 'Error' : 'Warning',
      entity: BILLING_ENTITY,
      helpIdentifier: a.kind === 'vra-disconnected' ? o.disconnectionAlertId : o.usageAlertId,
      // The ZVM's own words: it enforces, so it says what it will do and what it did.
      description: alertDescription(a.kind, o.siteName, o.policy.graceDays, 'zvm'),
      turnedOn: a.turnedOn,
      affectedVpgs: null,
      affectedZorgs: null,
      dismissed: false,
      generation: 1,
    }));
  }

  function list(state: GraceState): SimAlert[] {
    const all = [...others, ...billing(state)].sort((a, b) => a.turnedOn - b.turnedOn);
    // A resolved alert is gone, and so is its mark: a new alert is never born dismissed.
    const ids = new Set(all.map((a) => a.id));
    for (const id of marks.keys()) if (!ids.has(id)) marks.delete(id);
    return all.map((a) => ({ ...a, ...marks.get(a.id) }));
  }

  return {
    list,
    dismiss(state, id, dismissed) {
      const a = list(state).find((x) => x.id === id);
      if (!a) return false;
      if (a.dismissed !== dismissed) marks.set(id, { dismissed, generation: a.generation + 1 });
      return true;
    },
    helpIdentifiers() {
      const ids = [
        o.usageAlertId,
        o.disconnectionAlertId,
        ...others.map((a) => a.helpIdentifier).filter((x): x is string => x !== null),
        ...OTHER_CATALOGUE,
      ];
      return [...new Set(ids)].sort();
    },
  };
}

/** The query filters of GET /v1/alerts, as Zerto 10's document names them. */
export const ALERT_FILTERS = [
  'startDate',
  'endDate',
  'vpgIdentifier',
  'zorgIdentifier',
  'siteIdentifier',
  'level',
  'entity',
  'helpIdentifier',
  'isDismissed',
] as const;

/**
 * The alerts a query keeps: every filter given must hold (text compared without regard to case, dates as
 * bounds on TurnedOn, inclusive). A filter that is not a date or a boolean where one is needed is an error
 * naming it. Unknown parameters are ignored, as ASP.NET does.
 */
export function filterAlerts(
  all: readonly SimAlert[],
  query: URLSearchParams,
  siteId: string,
): { ok: true; alerts: SimAlert[] } | { ok: false; error: string } {
  const tests: Array<(a: SimAlert) => boolean> = [];
  const same = (x: string | null, y: string) => x !== null && x.toLowerCase() === y.toLowerCase();
  for (const name of ALERT_FILTERS) {
    const value = query.get(name);
    if (value === null || value === '') continue;
    switch (name) {
      case 'startDate':
      case 'endDate': {
        const t = filterTime(value);
        if (t === null)
          return { ok: false, error: `The value '${value.slice(0, 60)}' is not valid for ${name}.` };
        tests.push(name === 'startDate' ? (a) => a.turnedOn >= t : (a) => a.turnedOn <= t);
        break;
      }
      case 'isDismissed': {
        const v = value.toLowerCase();
        if (v !== 'true' && v !== 'false')
          return { ok: false, error: `The value '${value.slice(0, 60)}' is not valid for isDismissed.` };
        tests.push((a) => a.dismissed === (v === 'true'));
        break;
      }
      case 'vpgIdentifier':
        tests.push((a) => (a.affectedVpgs ?? []).some((id) => same(id, value)));
        break;
      case 'zorgIdentifier':
        tests.push((a) => (a.affectedZorgs ?? []).some((id) => same(id, value)));
        break;
      case 'siteIdentifier':
        // Every alert of the simulator is its local site's.
        tests.push(() => same(siteId, value));
        break;
      case 'level':
        tests.push((a) => same(a.level, value));
        break;
      case 'entity':
        tests.push((a) => same(a.entity, value));
        break;
      case 'helpIdentifier':
        tests.push((a) => same(a.helpIdentifier, value));
        break;
    }
  }
  return { ok: true, alerts: all.filter((a) => tests.every((t) => t(a))) };
}

/**
 * A date filter as /v1/serverDateTime/dateTimeArgument explains them: epoch milliseconds, or a date-time
 * (one without a zone is the ZVM's, which is UTC here). Null when it is neither.
 */
function filterTime(value: string): number | null {
  if (/^-?\d{1,16}$/.test(value)) return Number(value);
  const zoned = /([Zz]|[+-]\d{2}:?\d{2})$/.test(value) || !/\d{2}:\d{2}/.test(value) ? value : `${value}Z`;
  const t = Date.parse(zoned);
  return Number.isFinite(t) ? t : null;
}
