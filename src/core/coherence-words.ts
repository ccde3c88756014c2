// The words of the coherence rules (coherence.ts gives codes): what a damaged record's report says. Apart from
// the rules, so that the page-load code, which only asks whether a record is coherent, carries none of them.
import type { GraceState } from './schemas.ts';

/** What each code of `incoherence` means (a time's code is its field's name: it is after latestSeen). */
const WORDS: Record<string, string> = {
  interval: 'policy.interval: not below alertAfter',
  dates: 'phase: alerting without its dates',
  deadline: 'deadline: not firstAlertAt + graceMs',
  grace: 'graceMs: outside the policy limits',
  'no-alert': 'phase: alert dates without an alert',
  disconnected: 'disconnectedAt: missing or before the first alert',
  connected: 'disconnectedAt: set while not disconnected',
  'alert-dates': 'alerts: dated after latestSeen',
  resolution: 'alerts: resolvedAt without resolution',
};

/** Why a state breaks the rules, in words (for the record set aside and its report). */
export function incoherenceText(code: string, s: GraceState): string {
  if (code === 'active') return `alerts: active alerts do not match phase ${s.phase}`;
  return WORDS[code] ?? `${code}: after latestSeen`;
}
