import { expect } from '@open-wc/testing';
import fc from 'fast-check';
import {
  DAY,
  FAILURE_KINDS,
  HOUR,
  parseGraceState,
  reduce,
  viewOf,
  type GraceEvent,
  type GraceState,
  type Policy,
} from '../../src/core/index.ts';
import { fresh, T0 } from './helpers.ts';

// Short alertAfter and grace so that random walks cross every phase often.
const policy: Policy = { interval: HOUR, alertAfter: DAY, graceDays: 3 };
const GRACE = policy.graceDays * DAY;

const event: fc.Arbitrary<GraceEvent> = fc.oneof(
  { arbitrary: fc.constant<GraceEvent>({ type: 'succeeded' }), weight: 1 },
  {
    arbitrary: fc
      .constantFrom(...FAILURE_KINDS)
      .map<GraceEvent>((kind) => ({ type: 'failed', reason: { kind } })),
    weight: 4,
  },
  { arbitrary: fc.constant<GraceEvent>({ type: 'tick' }), weight: 4 },
);
/** Clock steps, mostly forward, sometimes backward (a clock turned back), sometimes not a time at all. */
const step = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 2 * DAY }), weight: 8 },
  { arbitrary: fc.integer({ min: -5 * DAY, max: -1 }), weight: 2 },
  { arbitrary: fc.constant(Number.NaN), weight: 1 },
);
const walk = fc.array(fc.tuple(event, step), { minLength: 1, maxLength: 60 });

interface Trace {
  states: GraceState[];
  events: GraceEvent[];
  readings: number[];
}

function play(steps: Array<[GraceEvent, number]>): Trace {
  let clock = T0;
  let s = fresh(policy, T0);
  const trace: Trace = { states: [s], events: [], readings: [] };
  for (const [e, d] of steps) {
    clock = Number.isNaN(d) ? clock : clock + d;
    const reading = Number.isNaN(d) ? Number.NaN : clock;
    s = reduce(s, e, reading);
    trace.states.push(s);
    trace.events.push(e);
    trace.readings.push(reading);
  }
  return trace;
}

describe('grace engine properties (fast-check)', () => {
  it('disconnects only when graceDays have passed since the first alert with no success since', () => {
    fc.assert(
      fc.property(walk, (steps) => {
        const { states } = play(steps);
        for (const s of states) {
          if (s.phase !== 'disconnected') continue;
          expect(s.firstAlertAt).to.be.a('number');
          expect(s.deadline).to.equal(s.firstAlertAt! + GRACE);
          expect(s.latestSeen).to.be.at.least(s.deadline!);
          if (s.lastSuccessAt !== null) expect(s.lastSuccessAt).to.be.below(s.firstAlertAt!);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never leaves a warning standing once its deadline has been reached', () => {
    fc.assert(
      fc.property(walk, (steps) => {
        for (const s of play(steps).states) {
          if (s.phase === 'warning') expect(s.latestSeen).to.be.below(s.deadline!);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('always returns to ok on a success', () => {
    fc.assert(
      fc.property(walk, step, (steps, d) => {
        const { states, readings } = play(steps);
        const last = states[states.length - 1]!;
        const after = reduce(
          last,
          { type: 'succeeded' },
          (readings.at(-1) ?? T0) + (Number.isNaN(d) ? 0 : d),
        );
        expect(after.phase).to.equal('ok');
        expect(after.alerts.filter((a) => a.resolvedAt === null)).to.have.length(0);
        expect(after.alerts.length).to.be.at.least(Math.min(50, last.alerts.length));
        expect(viewOf(after, after.latestSeen).vraCommunicationAllowed).to.equal(true);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the time left unchanged when the clock is turned back (no grace bought, none stolen)', () => {
    fc.assert(
      fc.property(walk, fc.integer({ min: 1, max: 30 * DAY }), event, (steps, back, e) => {
        const { states } = play(steps);
        const s = states[states.length - 1]!;
        const honest = reduce(s, e, s.latestSeen);
        const rolled = reduce(s, e, s.latestSeen - back);
        expect(rolled.phase).to.equal(honest.phase);
        const vh = viewOf(honest, honest.latestSeen);
        const vr = viewOf(rolled, rolled.latestSeen);
        expect(vr.msLeft).to.equal(vh.msLeft);
        expect(vr.daysLeft).to.equal(vh.daysLeft);
        expect(rolled.clockJumps.count).to.equal(s.clockJumps.count + (back > 5000 ? 1 : 0));
      }),
      { numRuns: 300 },
    );
  });

  it('neither buys nor steals grace when a clock turned back is set right while the poller runs', () => {
    fc.assert(
      fc.property(
        walk,
        fc.integer({ min: 10_000, max: 60 * DAY }),
        fc.integer({ min: 0, max: HOUR }),
        (steps, back, run) => {
          const { states } = play(steps);
          const s = states[states.length - 1]!;
          const t = s.latestSeen;
          const honest = reduce(s, { type: 'tick' }, t + run);
          const turned = reduce(s, { type: 'tick' }, t - back);
          // Set right `run` ms later: the wall clock steps back + run, the monotonic clock confirms only run.
          const setRight = reduce(turned, { type: 'clock-step', step: back }, t + run);
          expect(setRight.phase).to.equal(honest.phase);
          expect(setRight.deadline).to.equal(honest.deadline);
          expect(viewOf(setRight, t + run).msLeft).to.equal(viewOf(honest, t + run).msLeft);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never raises daysLeft while the warning lasts', () => {
    fc.assert(
      fc.property(walk, (steps) => {
        const { states, readings } = play(steps);
        for (let i = 1; i < states.length; i++) {
          const prev = states[i - 1]!;
          const cur = states[i]!;
          if (prev.phase !== 'warning' || cur.phase !== 'warning' || prev.firstAlertAt !== cur.firstAlertAt)
            continue;
          const before = viewOf(prev, prev.latestSeen).daysLeft!;
          const after = viewOf(cur, readings[i - 1]!).daysLeft!;
          expect(after).to.be.at.most(before);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every state valid for storage', () => {
    fc.assert(
      fc.property(walk, (steps) => {
        const { states } = play(steps);
        for (const st of states) {
          const parsed = parseGraceState(JSON.parse(JSON.stringify(st)));
          expect(parsed.ok, parsed.ok ? '' : parsed.error).to.equal(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('fixes the deadline when the alert first appears and keeps it until a success', () => {
    fc.assert(
      fc.property(walk, (steps) => {
        const { states, events } = play(steps);
        for (let i = 1; i < states.length; i++) {
          const prev = states[i - 1]!;
          const cur = states[i]!;
          // The deadline moves only with the frame (a clock jump moves every time by the same step).
          const jumped = cur.clockJumps.count > prev.clockJumps.count ? cur.clockJumps.last!.step : 0;
          if (prev.deadline !== null && events[i - 1]!.type !== 'succeeded') {
            expect(cur.deadline).to.equal(prev.deadline + jumped);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
