// The rules' leftovers found against an independent reading of the spec (issue 21), as properties: the skew
// and the policy changing between reads of the same ZVM alert, alerts read with skews a second apart, and blind
// stretches across the time an alert falls due. After every step: the deadline of the same alert never moves
// on the ZVM's clock (which enforces it; it is fixed there with the grace of its first read), and the state
// passes the engine's own checks (it would otherwise be quarantined).
import { expect } from '@open-wc/testing';
import fc from 'fast-check';
import {
  createState,
  DAY,
  DEFAULT_POLICY,
  HOUR,
  MINUTE,
  parseGraceState,
  reduce,
  type GraceEvent,
  type GraceState,
  type Policy,
} from '../../src/core/index.ts';

const T0 = Date.UTC(2026, 10, 1);
const site = { id: 'site-1', name: 'Site 1' };

const policyArb: fc.Arbitrary<Policy> = fc
  .record({
    interval: fc.constantFrom(MINUTE, 30 * MINUTE, HOUR),
    alertAfter: fc.constantFrom(2 * HOUR, DAY, 2 * DAY),
    graceDays: fc.constantFrom(1, 7, 15, 30),
  })
  .map((p) => p);

function checked(s: GraceState, what: string): GraceState {
  const p = parseGraceState(JSON.parse(JSON.stringify(s)));
  if (!p.ok) throw new Error(`${what}: the engine wrote a state its own check refuses: ${p.error}`);
  return s;
}

type ZvmEvent = Extract<GraceEvent, { type: 'zvm' }>;
const note = (key: string, kind: 'usage' | 'disconnection') => ({
  key,
  kind,
  recognised: true,
  helpIdentifier: kind === 'usage' ? 'LIC0012' : 'LIC0013',
  description: null,
});

describe('the ZVM word: the same alert by its identity (fast-check)', () => {
  it('a skew or policy change between reads of the same usage alert never moves its deadline on the ZVM clock', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2 * DAY, max: 10 * DAY }),
        fc.array(
          fc.record({
            gap: fc.integer({ min: 1000, max: DAY }),
            skew: fc.integer({ min: -2 * DAY, max: 2 * DAY }),
            policy: fc.option(policyArb, { nil: undefined }),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        (alertAge, reads) => {
          const turnedOnZvm = T0; // on the ZVM's clock
          let t = T0 + alertAge + MINUTE;
          let s = createState(site, DEFAULT_POLICY, T0 - DAY, true);
          let deadline: number | null = null;
          for (const r of reads) {
            t += r.gap;
            if (r.policy) s = checked(reduce(s, { type: 'configure', policy: r.policy }, t), 'configure');
            const e: ZvmEvent = {
              type: 'zvm',
              usageAlertAt: turnedOnZvm - r.skew,
              disconnectedAt: null,
              passed: null,
              skew: r.skew,
              alerts: [note('alert-1', 'usage')],
            };
            s = checked(reduce(s, e, t), 'read');
            expect(s.phase).to.equal('warning');
            // On the ZVM's clock (which enforces it): TurnedOn + the grace recorded at the first read, within
            // the 2 s a time read again may jitter.
            const onZvm = s.deadline! + r.skew;
            if (deadline !== null) expect(Math.abs(onZvm - deadline)).to.be.at.most(2000);
            else deadline = onZvm;
            expect(s.alerts.filter((a) => a.resolvedAt === null)).to.have.length(1);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a usage alert then the disconnection, read with skews a second apart, stays coherent and keeps the deadline', () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.integer({ min: -3000, max: 3000 }),
        fc.integer({ min: -3000, max: 3000 }),
        fc.integer({ min: 0, max: 40 * DAY }),
        fc.boolean(),
        (policy, skew1, skew2, offAfter, keyed) => {
          let s = createState(site, policy, T0 - DAY, true);
          const usage: ZvmEvent = {
            type: 'zvm',
            usageAlertAt: T0 - skew1,
            disconnectedAt: null,
            passed: null,
            skew: skew1,
            ...(keyed ? { alerts: [note('u', 'usage')] } : {}),
          };
          s = checked(reduce(s, usage, T0 + MINUTE), 'usage alert');
          const deadline = s.deadline!;
          const offZvm = T0 + offAfter;
          const off: ZvmEvent = {
            type: 'zvm',
            usageAlertAt: T0 - skew2,
            disconnectedAt: offZvm - skew2,
            passed: null,
            skew: skew2,
            ...(keyed ? { alerts: [note('u', 'usage'), note('d', 'disconnection')] } : {}),
          };
          s = checked(reduce(s, off, offZvm + MINUTE), 'disconnection');
          expect(s.phase).to.equal('disconnected');
          expect(s.deadline).to.be.at.most(deadline);
          expect(s.disconnectedAt).to.be.at.least(s.firstAlertAt!);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('a blind stretch settles the time before it (fast-check)', () => {
  it('an alert due before the probe went blind opens at its time; none due after it opens while blind', () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.integer({ min: MINUTE, max: 40 * DAY }),
        fc.array(fc.integer({ min: MINUTE, max: 3 * DAY }), { maxLength: 8 }),
        (policy, blindAfter, later) => {
          let s = createState(site, policy, T0 - HOUR, false);
          s = checked(reduce(s, { type: 'succeeded' }, T0), 'success');
          const due = T0 + policy.alertAfter;
          const deadline = due + policy.graceDays * DAY;
          let t = T0 + blindAfter;
          const blind: GraceEvent = { type: 'blind', reason: { kind: 'misconfigured', detail: 'x' } };
          s = checked(reduce(s, blind, t), 'blind');
          for (const gap of [0, ...later]) {
            t += gap;
            s = checked(reduce(s, gap ? blind : { type: 'tick' }, t), 'blind again');
            if (T0 + blindAfter >= due) {
              expect(s.firstAlertAt, 'the alert due before the blind stretch').to.equal(due);
              expect(s.deadline).to.equal(deadline);
              expect(s.phase).to.equal(t >= deadline ? 'disconnected' : 'warning');
            } else {
              expect(s.firstAlertAt, 'no countdown starts while blind').to.equal(null);
              expect(s.phase).to.be.oneOf(['ok', 'unknown']);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
