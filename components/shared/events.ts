import type { FailureReason, GraceView, Phase } from '../../src/core/index.ts';
import type { ProbeResult, TestStep } from '../../src/world/probes/index.ts';

/** `detail` of `zerto-billing-state-change`: fired when the phase, the deadline or the days left change. */
export interface StateChangeDetail {
  siteId: string;
  phase: Phase;
  previousPhase: Phase | null;
  deadline: number | null;
  daysLeft: number | null;
  view: GraceView;
}
export interface DisconnectDetail {
  siteId: string;
  deadline: number;
}
export interface ReconnectDetail {
  siteId: string;
  at: number;
}
export interface TestResultDetail {
  siteId: string;
  kind: 'connection' | 'transmission';
  ok: boolean;
  reason: FailureReason | null;
  steps: TestStep[];
  result: ProbeResult;
}
export interface ConfigErrorDetail {
  message: string;
}

/** The export's file, once written: `zerto-billing-export`. */
export interface ExportDetail {
  fileName: string;
  sha256: string;
  rows: number;
  unsentDays: number;
}

/**
 * A banner fed from outside (`external`) asks its feeder to run the usage test: cancelable; its detail is the
 * text `{"siteId": …}` (only text crosses from an extension's isolated world). A feeder that takes it calls
 * `preventDefault()` and answers with `zerto-billing-test-progress` events on the document.
 */
export const TEST_REQUEST_EVENT = 'zerto-billing-test-request';
/** The feeder's answer to a test request: detail is the text `{"siteId", "step"?, "result"?, "busy"?}`. */
export const TEST_PROGRESS_EVENT = 'zerto-billing-test-progress';

export interface ZertoBillingEventMap {
  'zerto-billing-state-change': CustomEvent<StateChangeDetail>;
  'zerto-billing-disconnect': CustomEvent<DisconnectDetail>;
  'zerto-billing-reconnect': CustomEvent<ReconnectDetail>;
  'zerto-billing-test-result': CustomEvent<TestResultDetail>;
  'zerto-billing-config-error': CustomEvent<ConfigErrorDetail>;
  'zerto-billing-export': CustomEvent<ExportDetail>;
  /** The state of an `external` element, fed by the extension or any host: the text `{"state": …}`. */
  'zerto-billing-external-state': CustomEvent<string | { state: unknown }>;
  'zerto-billing-test-request': CustomEvent<string>;
  'zerto-billing-test-progress': CustomEvent<string>;
}

declare global {
  // Typed listeners on any element or the document: el.addEventListener('zerto-billing-disconnect', e => e.detail.deadline)
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface GlobalEventHandlersEventMap extends ZertoBillingEventMap {}
}

/** Bubbling, composed, so that a console can listen on the document even through shadow roots. */
export function fire<K extends keyof ZertoBillingEventMap>(
  target: EventTarget,
  type: K,
  detail: ZertoBillingEventMap[K]['detail'],
): boolean {
  return target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}
