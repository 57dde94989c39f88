// Fidelity metrics of a compressed model's outputs against the original's: top-1 agreement,
// cosine (min, mean), max abs difference and SNR in dB, accumulated over calibration samples.

import type { Tensor } from '../../runtime/ir/tensor.ts';

export interface Fidelity {
  samples: number;
  /** Share of (sample, row) pairs whose arg-max agrees, for classifier-like outputs; else null. */
  agreement: number | null;
  cosine_min: number;
  cosine_mean: number;
  max_abs: number;
  snr_db: number;
}

function asNumbers(t: Tensor): ArrayLike<number> {
  const d = t.data;
  if (Array.isArray(d)) throw new Error('fidelity needs numeric outputs, got strings');
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return Array.from(d, Number);
  return d as ArrayLike<number>;
}

/** Cosine similarity of two vectors; 1 when both are all zero, 0 when only one is. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  if (aa === 0 && bb === 0) return 1;
  if (aa === 0 || bb === 0) return 0;
  return ab / Math.sqrt(aa * bb);
}

/** Whether an output looks like class scores: float, rank 2 or 3 ([N, K] or [N, T, K]), K ≥ 2. */
export function isClassifierLike(t: Tensor): boolean {
  const last = t.dims[t.dims.length - 1];
  const rank = t.dims.length;
  return (rank === 2 || rank === 3) && last >= 2 && (t.dtype === 'float32' || t.dtype === 'float64');
}

function argmaxRows(x: ArrayLike<number>, k: number): number[] {
  const out: number[] = [];
  for (let r = 0; r + k <= x.length; r += k) {
    let best = 0;
    for (let c = 1; c < k; c++) if (x[r + c] > x[r + best]) best = c;
    out.push(best);
  }
  return out;
}

/** Accumulates metrics sample by sample (each sample: the outputs of both models, same names). */
export class FidelityMeter {
  private samples = 0;
  private agree = 0;
  private rows = 0;
  private classifier = true;
  private cosMin = Number.POSITIVE_INFINITY;
  private cosSum = 0;
  private cosCount = 0;
  private maxAbs = 0;
  private signal = 0;
  private noise = 0;

  add(reference: Record<string, Tensor>, candidate: Record<string, Tensor>): void {
    this.samples++;
    for (const [name, ref] of Object.entries(reference)) {
      const cand = candidate[name];
      if (!cand) throw new Error(`output ${name} missing from the compared model`);
      const a = asNumbers(ref);
      const b = asNumbers(cand);
      if (a.length !== b.length) {
        throw new Error(`output ${name} has ${a.length} elements in one model and ${b.length} in the other`);
      }
      for (let i = 0; i < a.length; i++) {
        const d = Math.abs(a[i] - b[i]);
        if (Number.isNaN(d)) this.maxAbs = Number.NaN;
        else if (d > this.maxAbs) this.maxAbs = d;
        this.signal += a[i] * a[i];
        this.noise += (a[i] - b[i]) * (a[i] - b[i]);
      }
      const c = cosine(a, b);
      this.cosMin = Math.min(this.cosMin, c);
      this.cosSum += c;
      this.cosCount++;
      if (isClassifierLike(ref)) {
        const k = ref.dims[ref.dims.length - 1];
        const ra = argmaxRows(a, k);
        const rb = argmaxRows(b, k);
        for (let i = 0; i < ra.length; i++) if (ra[i] === rb[i]) this.agree++;
        this.rows += ra.length;
      } else this.classifier = false;
    }
  }

  result(): Fidelity {
    const snr =
      this.noise === 0
        ? Number.POSITIVE_INFINITY
        : 10 * Math.log10(this.signal / Math.max(this.noise, 1e-300));
    return {
      samples: this.samples,
      agreement: this.classifier && this.rows > 0 ? this.agree / this.rows : null,
      cosine_min: this.cosCount ? this.cosMin : 1,
      cosine_mean: this.cosCount ? this.cosSum / this.cosCount : 1,
      max_abs: this.maxAbs,
      snr_db: snr,
    };
  }
}
