/**
 * What the service says about one site, derived from the engine's state at a time (pure). The ZVM's alerts
 * are the state; a ZVM that cannot be read is "cannot see", never a billing alarm, and shows its last known
 * phase with its age.
 */
import { DAY, viewOf, type GraceState, type GraceView, type Phase } from '../src/core/index.ts';
import type { Runtime } from './store.ts';

export type Status = Phase | 'cannot-see';

export interface SiteSummary {
  id: string;
  name: string;
  url: string;
  /** `cannot-see` when the ZVM cannot be read now; otherwise the ZVM's phase as mirrored. */
  status: Status;
  /** The phase as last known (what `cannot-see` hides). */
  phase: Phase;
  /** Less than a day left before the ZVM stops talking to its VRAs. */
  lastDay: boolean;
  /** When the ZVM stops (or stopped) talking to its VRAs, on this service's clock, ISO; null without an alert. */
  deadline: string | null;
  /** The same moment on the ZVM's own clock (what the ZVM enforces), ISO. */
  zvmDeadline: string | null;
  daysLeft: number | null;
  secondsLeft: number | null;
  firstAlertAt: string | null;
  disconnectedAt: string | null;
  lastSuccessAt: string | null;
  lastAttemptAt: string | null;
  lastResult: Runtime['lastResult'];
  lastDetail: string | null;
  cannotSee: { since: string; reason: string; lastKnownAgeSeconds: number | null } | null;
  /** The ZVM's clock minus this service's, ms (0 when within a minute). */
  skewMs: number;
  /**
   * The ZVM's licence type and expiry (ISO) as last read, and `concern`: why it is likely the reason usage is
   * not billed (worded as a likely cause: Zerto does not publish the type strings); null before a reading.
   */
  licence: { type: string | null; expiry: string | null; concern: string | null } | null;
  /**
   * Help identifiers set for this ZVM (usageAlertIds, disconnectionAlertIds) that it says it does not know
   * (`/v1/alerts/helpidentifiers`): its billing alerts could be missed. Empty when all are known.
   */
  unknownAlertIds: string[];
}

const iso = (t: number | null | undefined): string | null =>
  t === null || t === undefined ? null : new Date(t).toISOString();

export function statusOf(view: GraceView): Status {
  return view.blind ? 'cannot-see' : view.phase;
}

export function summarize(
  spec: { id: string; name: string; url: string },
  state: GraceState | null,
  runtime: Runtime,
  now: number,
): { summary: SiteSummary; view: GraceView | null } {
  const view = state ? viewOf(state, now) : null;
  const skew = state?.zvm?.skew ?? 0;
  const deadline = view?.deadline ?? null;
  const summary: SiteSummary = {
    id: spec.id,
    name: spec.name || view?.site.name || spec.id,
    url: spec.url,
    status: view ? statusOf(view) : 'unknown',
    phase: view?.phase ?? 'unknown',
    lastDay: view?.phase === 'warning' && view.msLeft !== null && view.msLeft < DAY,
    deadline: iso(deadline),
    zvmDeadline: deadline === null ? null : iso(deadline + skew),
    daysLeft: view?.daysLeft ?? null,
    secondsLeft: view?.msLeft === null || view?.msLeft === undefined ? null : Math.floor(view.msLeft / 1000),
    firstAlertAt: iso(view?.firstAlertAt),
    disconnectedAt: iso(view?.phase === 'disconnected' ? view.disconnectedAt : null),
    lastSuccessAt: iso(view?.lastSuccessAt),
    lastAttemptAt: iso(view?.lastAttemptAt),
    lastResult: runtime.lastResult,
    lastDetail: runtime.lastDetail,
    cannotSee: view?.blind
      ? {
          since: iso(view.blind.since)!,
          reason: view.blind.reason.detail ?? view.blind.reason.kind,
          lastKnownAgeSeconds:
            view.blind.lastKnownAge === null ? null : Math.floor(view.blind.lastKnownAge / 1000),
        }
      : null,
    skewMs: skew,
    unknownAlertIds: state?.zvm?.unknownIds ?? [],
    licence: runtime.licence
      ? { type: runtime.licence.type, expiry: iso(runtime.licence.expiry), concern: runtime.licence.concern }
      : null,
  };
  return { summary, view };
}
