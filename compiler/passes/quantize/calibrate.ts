// Activation range calibration for static QDQ: minmax, percentile P, entropy (KL divergence over a
// 2048-bin histogram of |x|, TensorRT's method) and mse (threshold minimising the expected error).
//
// API: const c = new RangeCollector(bins = 2048); c.add(batch)…  (streams; the |x| histogram grows
//   by merging bins in powers of two, so earlier batches are never re-read; NaN and ±Inf are skipped);
//   calibrateRange(c, method, {bits}) → {lo, hi}; activationParams({lo, hi}, {bits: 8|16, signed,
//   symmetric}) → {scale, zeroPoint} as QuantizeLinear expects.
//   Thresholds from percentile/entropy/mse clip |x| at T: lo = max(min, −T) (0 for non-negative
//   tensors), hi = min(max, T). quantizationSnr(c, {lo, hi}, bits) → estimated SQNR in dB.

import { paramsForRange, type SliceParams } from './uniform.ts';

export type CalibrationMethod =
  | { readonly kind: 'minmax' }
  | { readonly kind: 'percentile'; readonly p: number }
  | { readonly kind: 'entropy'; readonly targetBins?: number }
  | { readonly kind: 'mse' };

export class RangeCollector {
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  count = 0;
  /** Σx² of the finite values seen. */
  sumSq = 0;
  /** Histogram of |x| over [0, width·bins). */
  readonly hist: Float64Array;
  width = 0;

  constructor(readonly bins = 2048) {
    this.hist = new Float64Array(bins);
  }

  add(values: ArrayLike<number>): void {
    let amax = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v)) continue;
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
      const a = Math.abs(v);
      if (a > amax) amax = a;
      this.sumSq += v * v;
    }
    if (this.width === 0) {
      if (amax === 0) {
        // Only zeros so far: count them in bin 0 once a width exists.
        this.zeros += values.length;
        this.count += values.length;
        return;
      }
      // Floor the width so a denormal first batch cannot give width 0 (grow() would never end).
      this.width = Math.max(1e-300, (amax * (1 + 1e-9)) / this.bins);
      this.hist[0]! += this.zeros;
      this.zeros = 0;
    }
    while (amax >= this.width * this.bins) this.grow();
    const inv = 1 / this.width;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v)) continue;
      const b = Math.min(this.bins - 1, Math.floor(Math.abs(v) * inv));
      this.hist[b]!++;
    }
    this.count += values.length;
  }

  private zeros = 0;

  /** Double the covered range: merge bin pairs into the lower half. */
  private grow(): void {
    const h = this.hist;
    const half = this.bins / 2;
    for (let i = 0; i < half; i++) h[i] = h[2 * i]! + h[2 * i + 1]!;
    h.fill(0, half);
    this.width *= 2;
  }

  /** |x| value below which fraction p of the samples lie (histogram resolution). */
  absPercentile(p: number): number {
    const total = this.hist.reduce((a, b) => a + b, 0);
    if (total === 0) return 0;
    const goal = p * total * (1 - 1e-12); // 0.999·n must not round up to one more sample
    let acc = 0;
    for (let i = 0; i < this.bins; i++) {
      acc += this.hist[i]!;
      if (acc >= goal) return (i + 1) * this.width;
    }
    return this.bins * this.width;
  }
}

function klThreshold(hist: Float64Array, width: number, target: number): number {
  const nb = hist.length;
  let best = Number.POSITIVE_INFINITY;
  let bestI = nb;
  const suffix = new Float64Array(nb + 1);
  for (let i = nb - 1; i >= 0; i--) suffix[i] = suffix[i + 1]! + hist[i]!;
  const p = new Float64Array(nb);
  const qd = new Float64Array(nb);
  for (let i = target; i <= nb; i++) {
    p.set(hist.subarray(0, i));
    p[i - 1]! += suffix[i]!;
    // Q: merge hist[0:i] into `target` chunks, spread each chunk over its non-empty bins.
    qd.fill(0, 0, i);
    for (let c = 0; c < target; c++) {
      const a = Math.floor((c * i) / target);
      const b = c === target - 1 ? i : Math.floor(((c + 1) * i) / target);
      let sum = 0;
      let nz = 0;
      for (let k = a; k < b; k++) {
        sum += hist[k]!;
        if (hist[k]! > 0) nz++;
      }
      if (nz === 0) continue;
      const v = sum / nz;
      for (let k = a; k < b; k++) if (hist[k]! > 0) qd[k] = v;
    }
    let ps = 0;
    let qs = 0;
    for (let k = 0; k < i; k++) {
      ps += p[k]!;
      qs += qd[k]!;
    }
    if (ps === 0 || qs === 0) continue;
    let kl = 0;
    for (let k = 0; k < i; k++) {
      const pk = p[k]! / ps;
      if (pk === 0) continue;
      const qk = Math.max(qd[k]! / qs, 1e-12);
      kl += pk * Math.log(pk / qk);
    }
    if (kl < best) {
      best = kl;
      bestI = i;
    }
  }
  return bestI * width;
}

/** Threshold T minimising Σ count·(x − dq(q(x)))² over bin centres for a symmetric grid of `bits`. */
function mseThreshold(hist: Float64Array, width: number, bits: number): number {
  const nb = hist.length;
  const levels = 2 ** (bits - 1) - 1;
  let best = Number.POSITIVE_INFINITY;
  let bestT = nb * width;
  for (let i = 16; i <= nb; i += 4) {
    const T = i * width;
    const step = T / levels;
    let e = 0;
    for (let k = 0; k < nb; k++) {
      const c = hist[k]!;
      if (c === 0) continue;
      const x = (k + 0.5) * width;
      const d = x > T ? x - T : x - Math.round(x / step) * step;
      e += c * d * d;
    }
    if (e < best) {
      best = e;
      bestT = T;
    }
  }
  return bestT;
}

export function calibrateRange(
  c: RangeCollector,
  method: CalibrationMethod,
  opts: { bits?: number } = {},
): { lo: number; hi: number } {
  if (c.count === 0 || !Number.isFinite(c.min)) return { lo: 0, hi: 0 };
  const lo0 = Math.min(0, c.min);
  const hi0 = Math.max(0, c.max);
  if (method.kind === 'minmax' || c.width === 0) return { lo: lo0, hi: hi0 };
  let T: number;
  if (method.kind === 'percentile') T = c.absPercentile(Math.min(100, Math.max(0, method.p)) / 100);
  else if (method.kind === 'entropy') T = klThreshold(c.hist, c.width, method.targetBins ?? 128);
  else T = mseThreshold(c.hist, c.width, opts.bits ?? 8);
  return { lo: Math.max(lo0, -T), hi: Math.min(hi0, T) };
}

export function activationParams(
  range: { lo: number; hi: number },
  opts: { bits: 8 | 16; signed: boolean; symmetric?: boolean },
): SliceParams {
  return paramsForRange(range.lo, range.hi, opts.bits, opts.symmetric ?? false, opts.signed);
}

/**
 * Signal-to-quantization-noise ratio (dB) of a tensor on the grid of `range` with 2^bits levels,
 * estimated from the |x| histogram (bin centres v): the signal is Σv² over the values up to the 99th
 * percentile of |x| (so a few outliers cannot make a coarse grid look fine), the noise over all values
 * min(v², step²/12) inside the range and the clipping (v − edge)² beyond it (edge: the larger side,
 * the sign being unknown). Infinity for an all-zero tensor. Low values mean the bulk of the tensor is
 * lost on a grid that outliers stretched.
 */
export function quantizationSnr(c: RangeCollector, range: { lo: number; hi: number }, bits: number): number {
  if (c.sumSq === 0 || c.width === 0) return Number.POSITIVE_INFINITY;
  const step = (range.hi - range.lo) / (2 ** bits - 1);
  const edge = Math.max(-range.lo, range.hi);
  const round = (step * step) / 12;
  const bulk = c.absPercentile(0.99);
  let noise = 0;
  let signal = 0;
  for (let k = 0; k < c.bins; k++) {
    const n = c.hist[k]!;
    if (n === 0) continue;
    const v = (k + 0.5) * c.width;
    if (v <= bulk) signal += n * v * v;
    noise += n * (v > edge ? (v - edge) ** 2 : Math.min(v * v, round));
  }
  if (noise === 0) return Number.POSITIVE_INFINITY;
  return signal === 0 ? Number.NEGATIVE_INFINITY : 10 * Math.log10(signal / noise);
}
