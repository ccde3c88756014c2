// The test's result event, fired by the elements that run a test (the banner's renderer, the usage test):
// apart from events.ts so that the banner's page-load code does not carry it.
import type { ProbeResult } from '../../src/world/probes/index.ts';
import { fire, type TestResultDetail } from './events.ts';

/** Fires `zerto-billing-test-result` for a finished connection test or transmission test. */
export function fireTestResult(
  target: EventTarget,
  siteId: string,
  kind: TestResultDetail['kind'],
  result: ProbeResult,
): void {
  fire(target, 'zerto-billing-test-result', {
    siteId,
    kind,
    ok: result.outcome.ok,
    reason: result.outcome.ok ? null : result.outcome.reason,
    steps: result.steps,
    result,
  });
}
