// Until the demo page exists: walks one site through an outage with the real engine and prints what the
// operator would read at each step (`npm start`).
import {
  createState,
  DAY,
  DEFAULT_POLICY,
  HOUR,
  messageText,
  reduce,
  viewOf,
  type GraceEvent,
} from '../src/core/index.ts';

const t0 = Date.UTC(2026, 10, 1, 8, 0, 0);
const site = { id: 'site-ams', name: 'Amsterdam DR' };
let state = createState(site, DEFAULT_POLICY, t0);

const steps: Array<[string, number, GraceEvent]> = [
  ['usage sent', 0, { type: 'succeeded' }],
  ['billing link cut; attempts fail', HOUR, { type: 'failed', reason: { kind: 'network' } }],
  ['24 hours without success', DAY, { type: 'failed', reason: { kind: 'network' } }],
  ['day 12 of the grace period', 13 * DAY, { type: 'tick' }],
  ['last day', 16 * DAY - 5 * HOUR, { type: 'tick' }],
  ['deadline', 16 * DAY, { type: 'tick' }],
  ['clock turned back a week', 9 * DAY, { type: 'tick' }],
  ['billing link restored; usage sent', 16 * DAY + 2 * HOUR, { type: 'succeeded' }],
];

for (const [label, offset, event] of steps) {
  state = reduce(state, event, t0 + offset);
  const v = viewOf(state, t0 + offset);
  const when = new Date(t0 + offset).toISOString().replace('.000Z', 'Z');
  console.log(`\n${when}  ${label}`);
  console.log(`  phase: ${v.phase}   VRAs: ${v.vraCommunicationAllowed ? 'connected' : 'DISCONNECTED'}`);
  if (v.message) console.log(`  banner: ${messageText(v.message)}`);
}
console.log(
  `\nalerts in history: ${state.alerts.length}; clock rollbacks recorded: ${state.rollbacks.count}`,
);
