// SparseGPT (Frantar & Alistarh 2023): prune W [rows × cols] column block by column block, choosing the
// mask by w²/[H⁻¹]ᵢᵢ² and spreading each pruned weight's error over the columns not yet visited with
// the OBS update from the calibration Hessian H = Σ x·xᵀ (damped). Unstructured (exact count per
// layer; the groups of a grouped/depthwise conv share one count and pick their masks jointly per
// block) or N:M (N kept in every M consecutive columns).

import { cholesky, choleskyDamped, choleskyInverse } from '../../linalg/cholesky.ts';
import { lowest, removedCount } from './masks.ts';

export type SparseGptMode =
  | { kind: 'unstructured'; p: number /** exact weights to remove (overrides p) */; count?: number }
  | { kind: 'nm'; n: number; m: number };

export interface SparseGptOptions {
  /** Columns per lazy-update block (default 128; a multiple of M for N:M). */
  blockSize?: number;
  /** Dampening as a share of the mean diagonal of H (default 0.01). */
  damp?: number;
  /**
   * Trailing columns that are never pruned but take OBS updates (e.g. a bias as the weight of a
   * constant-1 input, so the mean of the pruning error moves into it). Default 0.
   */
  fixedTail?: number;
}

/** Upper-triangular U with H⁻¹ = Uᵀ·U (row-major cols × cols). Dead inputs (Hᵢᵢ = 0) get Hᵢᵢ = 1. */
export function inverseHessianFactor(h: Float64Array, n: number, damp = 0.01): Float64Array {
  const a = h.slice();
  for (let i = 0; i < n; i++) if (a[i * n + i]! <= 0) a[i * n + i] = 1;
  const { L } = choleskyDamped({ rows: n, cols: n, data: a }, { damp });
  const inv = choleskyInverse(L);
  const L2 = cholesky(inv).data;
  const U = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) U[i * n + j] = L2[j * n + i]!;
  return U;
}

/**
 * OBS saliency of every weight before any update: w²/[H⁻¹]ᵢᵢ (the squared output error of removing it
 * alone), row-major like w; the last `fixedTail` columns get +∞.
 */
export function obsSaliency(
  w: Float64Array,
  rows: number,
  cols: number,
  h: Float64Array,
  damp = 0.01,
  fixedTail = 0,
): Float64Array {
  const U = inverseHessianFactor(h, cols, damp);
  const diag = new Float64Array(cols);
  for (let k = 0; k < cols; k++) for (let j = k; j < cols; j++) diag[j]! += U[k * cols + j]! ** 2;
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++)
      out[r * cols + c] = c >= cols - fixedTail ? Number.POSITIVE_INFINITY : w[r * cols + c]! ** 2 / diag[c]!;
  return out;
}

/** Prunes w (row-major rows × cols) in place; returns tr(ΔW·H·ΔWᵀ)/tr(W·H·Wᵀ) on the undamped H. */
export function sparseGpt(
  w: Float64Array,
  rows: number,
  cols: number,
  h: Float64Array,
  mode: SparseGptMode,
  opts: SparseGptOptions = {},
): number {
  return sparseGptGroups([w], rows, cols, [h], mode, opts);
}

/**
 * SparseGPT on several weight matrices of the same shape, each with its own Hessian (the groups of
 * a grouped conv). Unstructured: round(p · groups · rows · prunable) weights in all, chosen jointly
 * across the groups in every column block (saliencies are squared output errors, comparable across
 * groups). Returns Σ tr(ΔW·H·ΔWᵀ) / Σ tr(W·H·Wᵀ) over the groups.
 */
export function sparseGptGroups(
  ws: Float64Array[],
  rows: number,
  cols: number,
  hs: Float64Array[],
  mode: SparseGptMode,
  opts: SparseGptOptions = {},
): number {
  const G = ws.length;
  const origs = ws.map((w) => w.slice());
  const Us = hs.map((h) => inverseHessianFactor(h, cols, opts.damp ?? 0.01));
  let bs = opts.blockSize ?? 128;
  const tail = opts.fixedTail ?? 0;
  const prunable = cols - tail;
  if (mode.kind === 'nm') {
    if (prunable % mode.m !== 0) throw new RangeError(`N:M: ${cols} inputs are not a multiple of ${mode.m}`);
    bs = Math.max(mode.m, Math.floor(bs / mode.m) * mode.m);
  }
  const total = mode.kind === 'unstructured' ? (mode.count ?? removedCount(mode.p, G * rows * prunable)) : 0;
  let done = 0;
  const masks = ws.map(() => new Uint8Array(rows * cols));
  for (let i1 = 0; i1 < cols; i1 += bs) {
    const i2 = Math.min(cols, i1 + bs);
    const count = i2 - i1;
    if (mode.kind === 'unstructured') {
      const want = Math.round((total * Math.min(i2, prunable)) / prunable) - done;
      const per = rows * count;
      const tmp = new Float64Array(G * per);
      for (let g = 0; g < G; g++) {
        const U = Us[g]!;
        const w = ws[g]!;
        for (let r = 0; r < rows; r++)
          for (let j = 0; j < count; j++) {
            const d = U[(i1 + j) * cols + i1 + j]!;
            const x = w[r * cols + i1 + j]!;
            tmp[g * per + r * count + j] = i1 + j >= prunable ? Number.POSITIVE_INFINITY : (x * x) / (d * d);
          }
      }
      for (const k of lowest(tmp, want)) {
        const g = Math.floor(k / per);
        const rk = k % per;
        masks[g]![Math.floor(rk / count) * cols + i1 + (rk % count)] = 1;
      }
      done += want;
    }
    for (let g = 0; g < G; g++) obsBlock(ws[g]!, masks[g]!, Us[g]!, rows, cols, i1, i2, prunable, mode);
  }
  let num = 0;
  let den = 0;
  for (let g = 0; g < G; g++) {
    const w = ws[g]!;
    const mask = masks[g]!;
    for (let i = 0; i < w.length; i++) if (mask[i]) w[i] = 0;
    const e = errorTerms(origs[g]!, w, rows, cols, hs[g]!);
    num += e.num;
    den += e.den;
  }
  return den > 0 ? num / den : 0;
}

/** One column block [i1, i2): N:M masks, OBS updates inside the block, then the lazy update of the rest. */
function obsBlock(
  w: Float64Array,
  mask: Uint8Array,
  U: Float64Array,
  rows: number,
  cols: number,
  i1: number,
  i2: number,
  prunable: number,
  mode: SparseGptMode,
): void {
  const count = i2 - i1;
  const err = new Float64Array(rows * count);
  for (let j = 0; j < count; j++) {
    const c = i1 + j;
    const d = U[c * cols + c]!;
    if (mode.kind === 'nm' && j % mode.m === 0 && c < prunable) {
      const tmp = new Float64Array(mode.m);
      for (let r = 0; r < rows; r++) {
        for (let t = 0; t < mode.m; t++) {
          const dt = U[(c + t) * cols + c + t]!;
          const x = w[r * cols + c + t]!;
          tmp[t] = (x * x) / (dt * dt);
        }
        for (const t of lowest(tmp, mode.m - mode.n)) mask[r * cols + c + t] = 1;
      }
    }
    for (let r = 0; r < rows; r++) {
      const x = w[r * cols + c]!;
      const q = mask[r * cols + c] ? 0 : x;
      const e = (x - q) / d;
      err[r * count + j] = e;
      w[r * cols + c] = q;
      if (e === 0) continue;
      for (let k = c + 1; k < i2; k++) w[r * cols + k]! -= e * U[c * cols + k]!;
    }
  }
  if (i2 < cols) {
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < count; j++) {
        const e = err[r * count + j]!;
        if (e === 0) continue;
        const ur = (i1 + j) * cols;
        for (let k = i2; k < cols; k++) w[r * cols + k]! -= e * U[ur + k]!;
      }
  }
}

function errorTerms(
  orig: Float64Array,
  w: Float64Array,
  rows: number,
  cols: number,
  h: Float64Array,
): { num: number; den: number } {
  let num = 0;
  let den = 0;
  const d = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) d[i] = orig[r * cols + i]! - w[r * cols + i]!;
    for (let i = 0; i < cols; i++) {
      let sd = 0;
      let so = 0;
      for (let j = 0; j < cols; j++) {
        const hij = h[i * cols + j]!;
        sd += hij * d[j]!;
        so += hij * orig[r * cols + j]!;
      }
      num += d[i]! * sd;
      den += orig[r * cols + i]! * so;
    }
  }
  return { num, den };
}

/** tr(W·H·Wᵀ): the squared output energy of w on the calibration inputs. */
export const outputEnergy = (w: Float64Array, rows: number, cols: number, h: Float64Array): number =>
  errorTerms(w, w, rows, cols, h).den;

/** tr(ΔW·H·ΔWᵀ)/tr(W·H·Wᵀ): the relative squared output error on the calibration inputs. */
export function outputError(
  orig: Float64Array,
  w: Float64Array,
  rows: number,
  cols: number,
  h: Float64Array,
): number {
  const { num, den } = errorTerms(orig, w, rows, cols, h);
  return den > 0 ? num / den : 0;
}
