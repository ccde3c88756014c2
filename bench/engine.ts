// The pure grace engine in Node: microseconds per call, over batches so that timer resolution does not
// dominate.
import {
  createState,
  DAY,
  DEFAULT_POLICY,
  HOUR,
  reduce,
  viewOf,
  type GraceState,
} from '../src/core/index.ts';
import { percentiles, type Percentiles } from './stats.ts';

function measure(fn: () => void, batches = 40, perBatch = 2000): Percentiles {
  for (let i = 0; i < perBatch; i++) fn(); // warm up
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    const start = performance.now();
    for (let i = 0; i < perBatch; i++) fn();
    samples.push(((performance.now() - start) * 1000) / perBatch);
  }
  return percentiles(samples, 3);
}

export function engineFigures(): { reduce: Percentiles; view: Percentiles } {
  const t0 = Date.UTC(2026, 10, 1);
  let warned: GraceState = reduce(
    createState({ id: 's', name: 'S' }, DEFAULT_POLICY, t0),
    { type: 'succeeded' },
    t0,
  );
  warned = reduce(warned, { type: 'tick' }, t0 + 2 * DAY);
  let t = t0 + 2 * DAY;
  const reduceTick = measure(() => {
    warned = reduce(warned, { type: 'tick' }, (t += HOUR / 1000));
  });
  const view = measure(() => {
    viewOf(warned, t);
  });
  return { reduce: reduceTick, view };
}
