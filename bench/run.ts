// `npm run bench` prints a table; `npm run bench -- --json` prints one JSON object with the same figures.
// Figures are measured, never asserted: this machine is shared and noisy.
import {
  createState,
  DAY,
  DEFAULT_POLICY,
  HOUR,
  reduce,
  viewOf,
  type GraceState,
} from '../src/core/index.ts';

const json = process.argv.includes('--json');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Time per call in microseconds, over batches, so that timer resolution does not dominate. */
function measure(fn: () => void, batches = 40, perBatch = 2000): { p50: number; p95: number } {
  for (let i = 0; i < perBatch; i++) fn(); // warm up
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    const start = performance.now();
    for (let i = 0; i < perBatch; i++) fn();
    samples.push(((performance.now() - start) * 1000) / perBatch);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p95: percentile(samples, 95) };
}

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

const figures = {
  engine_reduce_us: { p50: round(reduceTick.p50), p95: round(reduceTick.p95) },
  engine_view_us: { p50: round(view.p50), p95: round(view.p95) },
};

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

if (json) console.log(JSON.stringify(figures));
else {
  console.log('figure                 p50        p95');
  for (const [name, v] of Object.entries(figures)) {
    console.log(`${name.padEnd(22)} ${String(v.p50).padEnd(10)} ${v.p95}`);
  }
  console.log(`\nnode ${process.version}, ${process.platform}/${process.arch}`);
}
