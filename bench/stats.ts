export interface Percentiles {
  p50: number;
  p95: number;
}

/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function percentiles(samples: readonly number[], digits = 2): Percentiles {
  return { p50: round(percentile(samples, 50), digits), p95: round(percentile(samples, 95), digits) };
}

/** Two decimals: finer than these figures can be trusted on a shared machine. */
export const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
