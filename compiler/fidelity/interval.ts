// 95% intervals for fidelity figures: Wilson's score interval for a share of agreeing answers, a
// Student-t interval for a mean of per-sample scores (cosine), and for a mean of scores bounded in
// [0, 1] (IoU) the union of that t interval with Wilson's at the largest variance such scores can have.

export interface Interval {
  low: number;
  high: number;
  /** Confidence level (0.95). */
  level: number;
  /**
   * wilson: a proportion (answers that agree); t: a mean of per-sample scores; bounded: a mean of
   * scores in [0, 1] (see boundedMeanInterval).
   */
  method: 'wilson' | 't' | 'bounded';
}

/** The 0.975 quantile of the standard normal distribution (two-sided 95%). */
const Z95 = 1.959963984540054;

/** Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom. */
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** t quantile for `df` degrees of freedom (the table, then the Cornish–Fisher expansion past 30). */
function t95(df: number): number {
  if (df <= T95.length) return T95[df - 1]!;
  const z = Z95;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df);
}

/** Wilson score interval of `successes` out of `n` trials (95%); [0, 1] when there are none. */
export function wilson(successes: number, n: number): Interval {
  if (n <= 0) return { low: 0, high: 1, level: 0.95, method: 'wilson' };
  const p = successes / n;
  const z2 = Z95 * Z95;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z95 / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // at p = 0 or 1 one bound is exact: keep it so rounding does not put it past the estimate
  return {
    low: successes === 0 ? 0 : Math.max(0, centre - half),
    high: successes === n ? 1 : Math.min(1, centre + half),
    level: 0.95,
    method: 'wilson',
  };
}

/**
 * Student-t interval of the mean of per-sample scores (95%), clipped to [min, max] (the scores'
 * range); undefined with fewer than two scores (no spread to estimate).
 */
export function meanInterval(
  scores: readonly number[],
  min = -Infinity,
  max = Infinity,
): Interval | undefined {
  const n = scores.length;
  if (n < 2) return undefined;
  const mean = scores.reduce((s, x) => s + x, 0) / n;
  const variance = scores.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  const half = t95(n - 1) * Math.sqrt(variance / n);
  return {
    low: Math.max(min, mean - half),
    high: Math.min(max, mean + half),
    level: 0.95,
    method: 't',
  };
}

/** Below this many scores the t interval's own estimate of their spread is not trusted. */
export const FEW_SCORES = 10;

/**
 * 95% interval of the mean of per-sample scores that lie in [0, 1] (a text map's IoU per page). From
 * FEW_SCORES scores on, the Student-t interval; below, its union with Wilson's score interval at the
 * observed mean. A [0, 1] score varies at most as much as a 0/1 answer with the same mean (variance
 * ≤ m(1 − m)), so Wilson's interval holds whatever the scores' spread, while the t interval trusts
 * the spread of the few samples seen: two similar pages (IoU 0.96 and 0.98) gave [88%, 100%] while
 * other pages of the same renderer scored 0.51–0.95 against the same compile (on a mixture like
 * that, t covers the mean 86% of the time with 2 scores, 93% with 6, 95% with 10). Undefined without
 * scores.
 */
export function boundedMeanInterval(scores: readonly number[]): Interval | undefined {
  const n = scores.length;
  if (n === 0) return undefined;
  if (n >= FEW_SCORES) return meanInterval(scores, 0, 1);
  const sum = scores.reduce((s, x) => s + Math.min(1, Math.max(0, x)), 0);
  const w = wilson(sum, n);
  const t = meanInterval(scores, 0, 1);
  return {
    low: Math.min(w.low, t?.low ?? 1),
    high: Math.max(w.high, t?.high ?? 0),
    level: 0.95,
    method: 'bounded',
  };
}
