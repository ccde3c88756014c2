import {
  createState,
  DEFAULT_POLICY,
  reduce,
  type GraceEvent,
  type GraceState,
  type Policy,
} from '../../src/core/index.ts';

export const T0 = Date.UTC(2026, 10, 1, 9, 0, 0);
export const site = { id: 'site-a', name: 'Amsterdam DR' };

export function fresh(policy: Policy = DEFAULT_POLICY, at = T0): GraceState {
  return createState(site, policy, at);
}

/** Applies events in order, each at its own time. */
export function run(state: GraceState, steps: Array<[GraceEvent, number]>): GraceState {
  return steps.reduce((s, [e, at]) => reduce(s, e, at), state);
}

export const ok: GraceEvent = { type: 'succeeded' };
export const fail: GraceEvent = { type: 'failed', reason: { kind: 'timeout' } };
export const tick: GraceEvent = { type: 'tick' };
