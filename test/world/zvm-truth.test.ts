// Properties of zvm mode: the ZVM's billing alerts are the state. An oracle ZVM (the same vendor rule the
// simulator runs: the engine without authority, driven by its own passed and failed transmissions) lives
// through random outages; a console mirrors it through the probe's reading of its alerts, with stretches where
// the ZVM cannot be read and with its own clock jumping both ways. Pure: no browser API is faked.
import { expect } from '@open-wc/testing';
import fc from 'fast-check';
import {
  activeAlerts,
  createState,
  DAY,
  HOUR,
  parseGraceState,
  reduce,
  viewOf,
  type GraceState,
  type Policy,
} from '../../src/core/index.ts';
import { reportOf, SKEW_NOISE_MS, skewOf, unusable } from '../../src/world/probes/zvm.ts';
import { DEFAULT_BILLING_ALERT_IDS, readAlerts } from '../../src/protocol/zvm.ts';

const policy: Policy = { interval: HOUR, alertAfter: DAY, graceDays: 3 };
/** The engine's tolerance for a ZVM time read twice (`near` in src/core/engine.ts). */
const SAME_TIME_MS = 2_000;
const site = { id: 'zvm-1', name: 'Oracle DR' };
const T0 = Date.UTC(2026, 10, 1);

type Step =
  | { kind: 'time'; ms: number }
  | { kind: 'send'; pass: boolean }
  | { kind: 'read' }
  | { kind: 'blind' }
  | { kind: 'jump'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 2 * DAY }).map((ms) => ({ kind: 'time' as const, ms })), weight: 5 },
  { arbitrary: fc.boolean().map((pass) => ({ kind: 'send' as const, pass })), weight: 4 },
  { arbitrary: fc.constant({ kind: 'read' as const }), weight: 5 },
  { arbitrary: fc.constant({ kind: 'blind' as const }), weight: 2 },
  {
    arbitrary: fc
      .oneof(fc.integer({ min: -400 * DAY, max: -10_000 }), fc.integer({ min: 10_000, max: 400 * DAY }))
      .map((ms) => ({ kind: 'jump' as const, ms })),
    weight: 1,
  },
);

/**
 * The ZVM's GET /v1/alerts answer for its state, in either dialect (Zerto 10: camelCase, the id in
 * `link.identifier`; Windows: PascalCase with `AlertIdentifier`), dismissed or not, TurnedOn as ISO or as
 * `/Date(ms)/`, with another alert of the ZVM's listed beside its billing ones.
 */
function alertsAnswer(zvm: GraceState, shape: { camel: boolean; dismissed: boolean; numeric: boolean }) {
  const other = {
    HelpIdentifier: 'VPG0009',
    Level: 'Warning',
    Entity: 'VPG',
    TurnedOn: 'garbage',
    Description: null,
  };
  const billing = activeAlerts(zvm).map((a) => ({
    ...(shape.camel ? { Link: { Identifier: a.id } } : { AlertIdentifier: a.id }),
    HelpIdentifier:
      a.kind === 'usage-not-sent'
        ? DEFAULT_BILLING_ALERT_IDS.usage[0]
        : DEFAULT_BILLING_ALERT_IDS.disconnection[0],
    Level: a.level === 'error' ? 'Error' : 'Warning',
    TurnedOn: shape.numeric ? `/Date(${a.turnedOn}+0000)/` : new Date(a.turnedOn).toISOString(),
    IsDismissed: shape.dismissed,
  }));
  return [other, ...billing].map((body) =>
    shape.camel
      ? Object.fromEntries(Object.entries(body).map(([k, v]) => [k[0]!.toLowerCase() + k.slice(1), v]))
      : body,
  );
}

/** What the probe makes of an answer: the contract's reading, then the ZVM's word in this clock's frame. */
function read(answer: unknown, skew: number, passed: boolean | null = null) {
  const r = readAlerts(answer, DEFAULT_BILLING_ALERT_IDS);
  if (!r.ok) return { ok: false as const, reason: { kind: 'bad-answer' as const, detail: r.error } };
  const bad = unusable(r.value.billing, skew);
  return bad
    ? { ok: false as const, reason: bad }
    : { ok: true as const, report: reportOf(r.value.billing, skew, passed) };
}

describe('zvm mode: the ZVM is the state (fast-check, against an oracle ZVM)', () => {
  it('after every read the console shows what the ZVM enforces; it never starts a countdown of its own', () => {
    const shape = fc.record({ camel: fc.boolean(), dismissed: fc.boolean(), numeric: fc.boolean() });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 80 }), shape, (steps, form) => {
        let zvmNow = T0;
        // The console's clock minus the ZVM's: what a clock jump on the console changes.
        let offset = 0;
        let zvm = reduce(createState(site, policy, T0), { type: 'succeeded' }, T0);
        let lastPassed: boolean | null = true;
        let c = createState(site, policy, T0, true);
        for (const s of steps) {
          const consoleNow = zvmNow + offset;
          if (s.kind === 'time') {
            zvmNow += s.ms;
            zvm = reduce(zvm, { type: 'tick' }, zvmNow);
            const before = c;
            c = reduce(c, { type: 'tick' }, zvmNow + offset);
            // Time alone never changes what the ZVM said.
            expect(c.phase).to.equal(before.phase);
          } else if (s.kind === 'send') {
            zvm = reduce(
              zvm,
              s.pass ? { type: 'succeeded' } : { type: 'failed', reason: { kind: 'network' } },
              zvmNow,
            );
            lastPassed = s.pass;
          } else if (s.kind === 'jump') {
            const before = viewOf(c, consoleNow);
            offset += s.ms;
            c = reduce(c, { type: 'tick' }, zvmNow + offset);
            const after = viewOf(c, zvmNow + offset);
            // A jump neither silences the alert nor changes the time left.
            expect(after.phase).to.equal(before.phase);
            if (s.ms < 0) expect(after.msLeft).to.equal(before.msLeft);
            else if (before.msLeft !== null) expect(after.msLeft).to.be.at.most(before.msLeft);
          } else if (s.kind === 'blind') {
            const before = c;
            c = reduce(c, { type: 'blind', reason: { kind: 'network' } }, consoleNow);
            expect(c.phase).to.equal(before.phase);
            expect(c.deadline).to.equal(before.deadline);
          } else {
            // The console reads the ZVM and measures its clock's skew as the probe does: from the ZVM's Date
            // header (whole seconds), rounded to seconds, and none under SKEW_NOISE_MS.
            const skew = skewOf(Math.floor(zvmNow / 1000) * 1000, consoleNow);
            // How far the console's reading of the ZVM's times may be off: the skew not measured, and the
            // engine's 2 s within which a time read again is the same time (it keeps the first reading).
            const measuredOff = Math.abs(skew + offset);
            // (The Date header is read half a second late on average: an offset just over the noise can read as under it.)
            expect(measuredOff).to.be.at.most(
              Math.abs(offset) < SKEW_NOISE_MS + 1000 ? SKEW_NOISE_MS + 1000 : 1000,
            );
            const error = measuredOff + SAME_TIME_MS;
            const word = read(alertsAnswer(zvm, form), skew, lastPassed);
            expect(word.ok).to.equal(true);
            if (!word.ok) return;
            c = reduce(c, { type: 'zvm', ...word.report }, consoleNow);
            const z = viewOf(zvm, zvmNow);
            const v = viewOf(c, consoleNow);
            if (z.phase === 'disconnected') {
              expect(v.phase).to.equal('disconnected');
              const d = v.disconnectedAt! - offset - zvm.disconnectedAt!;
              expect(d).to.be.within(-error, error);
            } else if (z.phase === 'warning') {
              expect(v.phase).to.equal('warning');
              // The time left is the ZVM's, within that error; the countdown too, unless the time left is
              // within it of a change of the countdown (a whole hour).
              const left = zvm.deadline! - zvmNow;
              expect(v.deadline! - consoleNow - left).to.be.within(-error, error);
              const fromChange = Math.min(left % HOUR, HOUR - (left % HOUR));
              if (fromChange > error) expect(v.daysLeft).to.equal(z.daysLeft);
            } else {
              expect(v.phase).to.not.be.oneOf(['warning', 'disconnected']);
              if (lastPassed) expect(v.phase).to.equal('ok');
            }
            expect(activeAlerts(c).map((a) => a.kind)).to.deep.equal(activeAlerts(zvm).map((a) => a.kind));
          }
          const stored = parseGraceState(JSON.parse(JSON.stringify(c)));
          expect(stored.ok, stored.ok ? '' : stored.error).to.equal(true);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('refuses a billing alert whose TurnedOn is no time in the Date range, and ignores other alerts', () => {
    const bad = fc.oneof(
      fc.constant(-1e17),
      fc.constant(9e15),
      fc.constant('not a date'),
      fc.constant(''),
      fc.double({ min: 8.7e15, max: 1e300, noNaN: true }),
    );
    fc.assert(
      fc.property(bad, fc.constantFrom('LIC0012', 'LIC0013'), (turnedOn, help) => {
        const word = read(
          [
            { HelpIdentifier: 'VRA0001', TurnedOn: -1e17 },
            { HelpIdentifier: help, TurnedOn: turnedOn },
          ],
          0,
        );
        expect(word.ok).to.equal(false);
        if (!word.ok) expect(word.reason.kind).to.equal('bad-answer');
      }),
    );
    // A non-billing alert with a broken time is not the console's business.
    const other = read([{ HelpIdentifier: 'VRA0001', TurnedOn: -1e17 }], 0);
    expect(other.ok).to.equal(true);
    if (other.ok)
      expect([other.report.usageAlertAt, other.report.disconnectedAt]).to.deep.equal([null, null]);
  });
});
