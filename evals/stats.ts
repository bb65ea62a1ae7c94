import { seededRandom } from "../tools/random.js";

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Percentile (0–1) of sorted values, linear between ranks. */
function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

export interface Interval {
  mean: number;
  low: number;
  high: number;
}

/**
 * A statistic of a sample and its 95 % percentile bootstrap interval: the items (questions) are resampled with
 * replacement, seeded so that a run is reproducible; resamples where the statistic is undefined are skipped.
 */
export function bootstrapInterval<T>(items: readonly T[], statistic: (sample: T[]) => number | null, resamples = 2000, seed = 17): Interval | null {
  const observed = statistic([...items]);
  if (observed === null) return null;
  const random = seededRandom(seed);
  const values: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const sample = Array.from({ length: items.length }, () => items[Math.floor(random() * items.length)]!);
    const value = statistic(sample);
    if (value !== null) values.push(value);
  }
  values.sort((a, b) => a - b);
  return { mean: observed, low: quantile(values, 0.025), high: quantile(values, 0.975) };
}

/** The mean and its 95 % bootstrap interval. */
export function bootstrapMean(values: readonly number[], resamples = 2000, seed = 17): Interval {
  if (values.length === 0) throw new Error("bootstrap of no values");
  return bootstrapInterval(values, mean, resamples, seed)!;
}

export interface PairedComparison {
  n: number;
  meanA: number;
  meanB: number;
  /** Mean of B − A over the pairs, with its 95 % bootstrap interval. */
  difference: Interval;
  /** Two-sided p-value of "no difference" (paired bootstrap of the centred differences). */
  p: number;
  /** Standardised effect size: mean difference over the standard deviation of the differences (Cohen's d_z); null when every difference is the same non-zero value. */
  effectSize: number | null;
}

/**
 * Paired bootstrap of two systems scored on the same questions: resamples the per-question differences; the
 * p-value is the share of resamples of the differences shifted to mean zero that are at least as far from zero
 * as the observed mean difference.
 */
export function pairedBootstrap(a: readonly number[], b: readonly number[], resamples = 5000, seed = 29): PairedComparison {
  if (a.length !== b.length) throw new Error(`paired samples differ in size (${a.length} and ${b.length})`);
  if (a.length === 0) throw new Error("paired bootstrap of no pairs");
  const diffs = a.map((x, i) => b[i]! - x);
  const observed = mean(diffs);
  const random = seededRandom(seed);
  const resampled: number[] = [];
  let extreme = 0;
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < diffs.length; i++) sum += diffs[Math.floor(random() * diffs.length)]!;
    const m = sum / diffs.length;
    resampled.push(m);
    if (Math.abs(m - observed) >= Math.abs(observed) - 1e-12) extreme += 1;
  }
  resampled.sort((x, y) => x - y);
  const sd = Math.sqrt(diffs.reduce((s, d) => s + (d - observed) ** 2, 0) / Math.max(1, diffs.length - 1));
  return {
    n: diffs.length,
    meanA: mean(a),
    meanB: mean(b),
    difference: { mean: observed, low: quantile(resampled, 0.025), high: quantile(resampled, 0.975) },
    p: observed === 0 ? 1 : (extreme + 1) / (resamples + 1),
    effectSize: sd === 0 ? (observed === 0 ? 0 : null) : observed / sd,
  };
}

/** Cohen's kappa of two binary labelings of the same items, and their raw agreement. */
export function cohenKappa(truth: readonly boolean[], predicted: readonly boolean[]): { accuracy: number; kappa: number } {
  if (truth.length !== predicted.length || truth.length === 0) throw new Error("kappa needs two labelings of the same non-empty items");
  const n = truth.length;
  const agree = truth.filter((t, i) => t === predicted[i]).length / n;
  const pTrue = truth.filter(Boolean).length / n;
  const qTrue = predicted.filter(Boolean).length / n;
  const chance = pTrue * qTrue + (1 - pTrue) * (1 - qTrue);
  return { accuracy: agree, kappa: chance === 1 ? (agree === 1 ? 1 : 0) : (agree - chance) / (1 - chance) };
}

/** A statistic of B minus the same statistic of A, two independent samples, with its 95 % bootstrap interval. */
export function bootstrapDifference(a: readonly number[], b: readonly number[], statistic: (sample: number[]) => number, resamples = 2000, seed = 31): Interval {
  if (a.length === 0 || b.length === 0) throw new Error("bootstrap difference of an empty sample");
  const random = seededRandom(seed);
  const draw = (xs: readonly number[]) => Array.from({ length: xs.length }, () => xs[Math.floor(random() * xs.length)]!);
  const values: number[] = [];
  for (let r = 0; r < resamples; r++) values.push(statistic(draw(b)) - statistic(draw(a)));
  values.sort((x, y) => x - y);
  return { mean: statistic([...b]) - statistic([...a]), low: quantile(values, 0.025), high: quantile(values, 0.975) };
}

/** Two-sided p-value of "same proportion" for k1 of n1 against k2 of n2 (pooled two-proportion z-test). */
export function twoProportionP(k1: number, n1: number, k2: number, n2: number): number {
  if (n1 === 0 || n2 === 0) return 1;
  const pooled = (k1 + k2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return 1;
  const z = Math.abs(k1 / n1 - k2 / n2) / se;
  return Math.min(1, 2 * (1 - normalCdf(z)));
}

/** Standard normal distribution function (Abramowitz and Stegun 7.1.26, error below 1.5e-7). */
function normalCdf(z: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(z) / Math.SQRT2));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** The median of values (sorted copy). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return quantile(sorted, 0.5);
}

/** A percentile (0–1) of values (sorted copy). */
export function percentile(values: readonly number[], q: number): number {
  return quantile([...values].sort((a, b) => a - b), q);
}
