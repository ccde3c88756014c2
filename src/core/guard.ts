// The grace state's schema as a plain predicate, for the banner's page-load code: it paints the stored state
// at once, before the worker's validated copy arrives, and carries no schema library. A property test
// (test/core/guard.test.ts) holds it to `parseGraceState` (the zod GraceStateSchema and its coherence rules):
// it accepts exactly what they accept.
import { ALERT_KINDS, FAILURE_KINDS, GRACE_STATE_VERSION, PHASES } from './kinds.ts';
import { policyFieldError } from './policy.ts';
import type { GraceState } from './schemas.ts';

type Rec = Record<string, unknown>;
const obj = (x: unknown): x is Rec => typeof x === 'object' && x !== null && !Array.isArray(x);
const text = (x: unknown, max: number, min = 0) =>
  typeof x === 'string' && x.length >= min && x.length <= max;
const time = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
const timeOrNull = (x: unknown) => x === null || time(x);
const among = (list: readonly unknown[], x: unknown) => list.includes(x);
const site = (x: unknown) => obj(x) && text(x.id, 200, 1) && text(x.name, 200);
const count = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;

const reason = (x: unknown) =>
  obj(x) &&
  among(FAILURE_KINDS, x.kind) &&
  (x.status === undefined || Number.isSafeInteger(x.status)) &&
  (x.detail === undefined || text(x.detail, 500));

const alert = (x: unknown) =>
  obj(x) &&
  text(x.id, 300) &&
  among(ALERT_KINDS, x.kind) &&
  among(['warning', 'error'], x.level) &&
  site(x.site) &&
  text(x.description, 2000) &&
  time(x.turnedOn) &&
  timeOrNull(x.resolvedAt) &&
  among([null, 'usage-sent', 'superseded'], x.resolution);

const rollbacks = (x: unknown) =>
  obj(x) &&
  count(x.count) &&
  (x.last === null || (obj(x.last) && timeOrNull(x.last.reading) && time(x.last.latest)));

export function isGraceState(x: unknown): x is GraceState {
  if (!obj(x) || x.v !== GRACE_STATE_VERSION || !site(x.site) || !obj(x.policy)) return false;
  const p = x.policy;
  if (policyFieldError('interval', p.interval) ?? policyFieldError('alertAfter', p.alertAfter)) return false;
  if (policyFieldError('graceDays', p.graceDays) !== null) return false;
  const ok =
    among(PHASES, x.phase) &&
    time(x.trackingSince) &&
    time(x.latestSeen) &&
    timeOrNull(x.lastSuccessAt) &&
    timeOrNull(x.lastAttemptAt) &&
    (x.lastFailure === null || reason(x.lastFailure)) &&
    timeOrNull(x.firstAlertAt) &&
    timeOrNull(x.deadline) &&
    among([null, 'engine', 'authority'], x.alertSource) &&
    timeOrNull(x.recoveredAt) &&
    rollbacks(x.rollbacks) &&
    Array.isArray(x.alerts) &&
    x.alerts.length <= 50 &&
    // Every index, holes of a sparse array included (`every` would skip them).
    Array.from(x.alerts as unknown[]).every(alert);
  if (!ok) return false;
  // Coherence, as parseGraceState checks it: an alerting phase has its dates, and the deadline follows them.
  const alerting = x.phase === 'warning' || x.phase === 'disconnected';
  if (alerting && (x.firstAlertAt === null || x.deadline === null)) return false;
  return !(
    x.deadline !== null &&
    x.firstAlertAt !== null &&
    (x.deadline as number) < (x.firstAlertAt as number)
  );
}
