// The grace state's schema as a plain predicate, for the banner's page-load code: it paints the stored state
// at once, before the worker's validated copy arrives, and carries no schema library. A property test
// (test/core/guard.test.ts) holds it to `parseGraceState` (the zod GraceStateSchema and its coherence rules):
// it accepts exactly what they accept. Both count text in code points and apply `incoherence`.
import { incoherence, textWithin } from './coherence.ts';
import { ALERT_KINDS, FAILURE_KINDS, GRACE_STATE_VERSION, isTime, PHASES, RESOLUTIONS } from './kinds.ts';
import { policyError, policyFieldError, type Policy } from './policy.ts';
import type { GraceState } from './schemas.ts';

type Rec = Record<string, unknown>;
const obj = (x: unknown): x is Rec => typeof x === 'object' && x !== null && !Array.isArray(x);
const timeOrNull = (x: unknown) => x === null || isTime(x);
const span = (x: unknown) => typeof x === 'number' && isTime(x / 2);
const among = (list: readonly unknown[], x: unknown) => list.includes(x);
const site = (x: unknown) => obj(x) && textWithin(x.id, 200, 1) && textWithin(x.name, 200);
const count = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;

const reason = (x: unknown) =>
  obj(x) &&
  among(FAILURE_KINDS, x.kind) &&
  (x.status === undefined || Number.isSafeInteger(x.status)) &&
  (x.detail === undefined || textWithin(x.detail, 500));

const alert = (x: unknown) =>
  obj(x) &&
  textWithin(x.id, 300) &&
  among(ALERT_KINDS, x.kind) &&
  among(['warning', 'error'], x.level) &&
  site(x.site) &&
  textWithin(x.description, 2000) &&
  isTime(x.turnedOn) &&
  timeOrNull(x.resolvedAt) &&
  among([null, ...RESOLUTIONS], x.resolution);

const clockJumps = (x: unknown) =>
  obj(x) &&
  count(x.count) &&
  (x.last === null || (obj(x.last) && isTime(x.last.at) && span(x.last.step))) &&
  isTime(x.setBack) &&
  (x.setBack as number) >= 0;

const zvmWord = (x: unknown) =>
  x === null ||
  (obj(x) && isTime(x.readAt) && span(x.skew) && (x.passed === null || typeof x.passed === 'boolean'));

const blind = (x: unknown) => x === null || (obj(x) && isTime(x.since) && reason(x.reason));

const policy = (p: unknown) =>
  obj(p) &&
  policyFieldError('interval', p.interval) === null &&
  policyFieldError('alertAfter', p.alertAfter) === null &&
  policyFieldError('graceDays', p.graceDays) === null &&
  policyError(p as unknown as Policy) === null;

export function isGraceState(x: unknown): x is GraceState {
  if (!obj(x) || x.v !== GRACE_STATE_VERSION || !site(x.site) || !policy(x.policy)) return false;
  const ok =
    among(PHASES, x.phase) &&
    typeof x.authority === 'boolean' &&
    isTime(x.trackingSince) &&
    isTime(x.latestSeen) &&
    timeOrNull(x.lastSuccessAt) &&
    timeOrNull(x.lastAttemptAt) &&
    (x.lastFailure === null || reason(x.lastFailure)) &&
    timeOrNull(x.firstAlertAt) &&
    timeOrNull(x.deadline) &&
    (x.graceMs === null || isTime(x.graceMs)) &&
    timeOrNull(x.disconnectedAt) &&
    among([null, 'engine', 'authority'], x.alertSource) &&
    timeOrNull(x.recoveredAt) &&
    isTime(x.policySince) &&
    zvmWord(x.zvm) &&
    blind(x.blind) &&
    clockJumps(x.clockJumps) &&
    Array.isArray(x.alerts) &&
    x.alerts.length <= 50 &&
    // Every index, holes of a sparse array included (`every` would skip them).
    Array.from(x.alerts as unknown[]).every(alert);
  return ok && incoherence(x as unknown as GraceState) === null;
}
