/**
 * 95% intervals for evaluation figures: a success rate over n episodes is a binomial proportion (Wilson's score
 * interval, which stays inside [0, 1] and is honest at 0 of n and n of n); a mean score uses the normal
 * approximation with the sample standard deviation (a 0..100 score, so it is clipped to that range).
 */
const Z95 = 1.959964;

/** Wilson score interval for `successes` of `n`; [0, 0] when there is nothing to measure. */
export function wilsonInterval(successes: number, n: number, z = Z95): [number, number] {
  if (n <= 0) return [0, 0];
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Normal-approximation interval of a mean, clipped to [lo, hi]; a single value gives [value, value]. */
export function meanInterval(values: number[], bounds: [number, number] = [0, 100], z = Z95): [number, number] {
  const n = values.length;
  if (!n) return [0, 0];
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return [mean, mean];
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  const half = z * Math.sqrt(variance / n);
  return [Math.max(bounds[0], mean - half), Math.min(bounds[1], mean + half)];
}

/** "42.0% (95% CI 30-55%)": how a success rate is reported everywhere. */
export function formatSuccess(rate: number, interval: [number, number]): string {
  const pct = (x: number) => (x * 100).toFixed(0);
  return `${(rate * 100).toFixed(1)}% (95% CI ${pct(interval[0])}-${pct(interval[1])}%)`;
}
