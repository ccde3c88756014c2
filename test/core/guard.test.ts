// isGraceState (the page-load predicate) against parseGraceState (zod's GraceStateSchema and the coherence
// rules): states the engine produces, then each damaged in one place, must get the same verdict from both.
import { expect } from '@open-wc/testing';
import fc from 'fast-check';
import {
  DAY,
  FAILURE_KINDS,
  HOUR,
  isGraceState,
  parseGraceState,
  reduce,
  type GraceEvent,
  type GraceState,
} from '../../src/core/index.ts';
import { fresh, T0 } from './helpers.ts';

const event: fc.Arbitrary<GraceEvent> = fc.oneof(
  fc.constant<GraceEvent>({ type: 'succeeded', reportId: 'r-1' }),
  fc
    .tuple(
      fc.constantFrom(...FAILURE_KINDS),
      fc.option(fc.integer({ min: 100, max: 599 }), { nil: undefined }),
    )
    .map<GraceEvent>(([kind, status]) => ({
      type: 'failed',
      reason: status === undefined ? { kind, detail: 'x' } : { kind, status },
    })),
  fc.constant<GraceEvent>({ type: 'tick' }),
  // The ZVM's word, with its billing alerts in its own words and identifiers it does not know.
  fc
    .record({
      usage: fc.option(fc.integer({ min: -2 * DAY, max: 0 }), { nil: null }),
      off: fc.option(fc.integer({ min: -DAY, max: 0 }), { nil: null }),
      description: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
      unknownIds: fc.array(fc.constantFrom('LIC0012', 'X1'), { maxLength: 2 }),
    })
    .map<GraceEvent>((z) => ({
      type: 'zvm',
      usageAlertAt: z.usage === null ? null : T0 + z.usage,
      disconnectedAt: z.off === null ? null : T0 + z.off,
      passed: null,
      skew: 0,
      alerts: [
        {
          key: 'k1',
          kind: 'usage',
          recognised: false,
          helpIdentifier: 'LIC0099',
          description: z.description,
        },
      ],
      unknownIds: z.unknownIds,
    })),
);
const state: fc.Arbitrary<GraceState> = fc
  .array(fc.tuple(event, fc.integer({ min: -DAY, max: 4 * DAY })), { maxLength: 30 })
  .map((steps) => {
    let clock = T0;
    let s = fresh({ interval: HOUR, alertAfter: DAY, graceDays: 3 }, T0);
    for (const [e, d] of steps) s = reduce(s, e, (clock += d));
    return s;
  });

/** Paths to every value inside a state, objects and arrays included. */
function paths(x: unknown, at: PropertyKey[] = []): PropertyKey[][] {
  if (typeof x !== 'object' || x === null) return [at];
  const keys = Array.isArray(x) ? x.map((_, i) => i) : Object.keys(x);
  return [at, ...keys.flatMap((k) => paths((x as Record<PropertyKey, unknown>)[k], [...at, k]))];
}

function setAt(x: unknown, path: PropertyKey[], value: unknown, remove: boolean): unknown {
  if (path.length === 0) return value;
  const copy = (Array.isArray(x) ? [...x] : { ...(x as object) }) as Record<PropertyKey, unknown>;
  const [k, ...rest] = path;
  if (rest.length === 0 && remove) Reflect.deleteProperty(copy, k!);
  else copy[k!] = setAt(copy[k!], rest, value, remove);
  return copy;
}

const oddValue = fc.oneof(
  fc.anything(),
  fc.constantFrom(NaN, Infinity, -1, 0, 1.5, '', 'x'.repeat(301), null, undefined, [], {}, 'ok', 'warning'),
  fc.double(),
  fc.integer(),
);

describe('isGraceState agrees with parseGraceState', () => {
  it('accepts every state the engine produces', () => {
    fc.assert(
      fc.property(state, (s) => {
        expect(parseGraceState(s).ok).to.equal(true);
        expect(isGraceState(s)).to.equal(true);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same verdict on a state damaged in one place (a value replaced or a field removed)', () => {
    let refused = 0;
    fc.assert(
      fc.property(state, fc.nat(), oddValue, fc.boolean(), (s, pick, value, remove) => {
        const all = paths(s);
        const damaged = setAt(s, all[pick % all.length]!, value, remove);
        const schema = parseGraceState(damaged).ok;
        if (!schema) refused++;
        expect(isGraceState(damaged), JSON.stringify(damaged)).to.equal(schema);
      }),
      { numRuns: 4000 },
    );
    expect(refused).to.be.greaterThan(1000);
  });

  it('refuses what is not a state at all', () => {
    for (const x of [null, undefined, 1, 'state', [], {}, { v: 2 }]) expect(isGraceState(x)).to.equal(false);
  });
});
