// Rank-r factorizations W ≈ A·B of a weight matrix: plain (Eckart–Young) and data-aware.
//
// API:
//   lowRank(W, spec, opts) → {A (m×r), B (r×n), rank, S, error}: truncated SVD; exact SVD unless
//     the matrix is large and the rank small (or opts.randomized), then a randomized range finder.
//     error = ‖W − A·B‖_F predicted by the discarded spectrum (exact SVD) or measured (randomized).
//   dataAwareLowRank(W, data, spec, opts) → the same, minimising ‖W·X − A·B·X‖_F where data is
//     {X} (n×s activations) or {gram} (XXᵀ, n×n): Cholesky L of XXᵀ + λI (whitening), SVD of W·L,
//     truncate, unwhiten B = Vᵣᵀ·L⁻¹. Here S is the spectrum of W·L (output energy), so `energy P%`
//     keeps P% of the output energy on the data (opts.rankFrom 'weights': the rank plain SVD would
//     pick), and error is ‖(W − A·B)·L‖_F.
// opts.balance (default true) splits √σ into both factors (better conditioned for fp32/quantizing).

import { choleskyDamped, solveLowerT } from './cholesky.ts';
import { frobenius, gram, type Matrix, matmul, sub } from './matrix.ts';
import { type RankSpec, selectRank, truncationError } from './rank.ts';
import { randomizedSvd, type Svd, svd, truncateSvd } from './svd.ts';

export interface LowRank {
  readonly A: Matrix;
  readonly B: Matrix;
  readonly rank: number;
  /** Singular values that decided the rank (all of them for an exact SVD). */
  readonly S: Float64Array;
  /** Frobenius error of the objective (weights for lowRank, whitened outputs for data-aware). */
  readonly error: number;
}

export interface LowRankOptions {
  roundTo?: number;
  /** true: randomized; false: exact; default: randomized only when min(m,n) > 512 and spec is `rank N` ≤ full/4. */
  randomized?: boolean;
  powerIters?: number;
  seed?: number;
  balance?: boolean;
}

function split(d: Svd, r: number, balance: boolean): { A: Matrix; B: Matrix } {
  const t = truncateSvd(d, r);
  const m = t.U.rows;
  const n = t.Vt.cols;
  const A = t.U.data.slice();
  const B = t.Vt.data.slice();
  for (let k = 0; k < r; k++) {
    const s = t.S[k]!;
    const sa = balance ? Math.sqrt(s) : s;
    const sb = balance ? Math.sqrt(s) : 1;
    for (let i = 0; i < m; i++) A[i * r + k]! *= sa;
    if (sb !== 1) for (let j = 0; j < n; j++) B[k * n + j]! *= sb;
  }
  return { A: { rows: m, cols: r, data: A }, B: { rows: r, cols: n, data: B } };
}

export function lowRank(w: Matrix, spec: RankSpec, opts: LowRankOptions = {}): LowRank {
  const full = Math.min(w.rows, w.cols);
  const balance = opts.balance ?? true;
  // Energy needs the whole spectrum, so it always takes the exact path.
  const useRandom =
    spec.kind !== 'energy' &&
    (opts.randomized ?? (full > 512 && selectRank([], spec, { full, roundTo: opts.roundTo }) <= full / 4));
  if (useRandom) {
    const r = selectRank([], spec, { full, roundTo: opts.roundTo });
    const d = randomizedSvd(w, r, { powerIters: opts.powerIters, seed: opts.seed });
    const { A, B } = split(d, r, balance);
    return { A, B, rank: r, S: d.S, error: frobenius(sub(w, matmul(A, B))) };
  }
  const d = svd(w);
  const r = selectRank(d.S, spec, { full, roundTo: opts.roundTo });
  const { A, B } = split(d, r, balance);
  return { A, B, rank: r, S: d.S, error: truncationError(d.S, r) };
}

export type Calibration = { readonly X: Matrix } | { readonly gram: Matrix };

export interface DataAwareOptions extends LowRankOptions {
  /** Relative damping of XXᵀ (λ = damp · mean diagonal); default 1e-6, grown if needed. */
  damp?: number;
  /**
   * Which spectrum `rank P%`/`energy P%` read: 'output' (default) the spectrum of W·L, so energy P%
   * leaves a relative output error of about sqrt(1 − P/100); 'weights' the plain SVD of W, so the
   * rank equals plain SVD's and only the factors change (strictly lower output error at that rank).
   */
  rankFrom?: 'output' | 'weights';
}

export function dataAwareLowRank(
  w: Matrix,
  data: Calibration,
  spec: RankSpec,
  opts: DataAwareOptions = {},
): LowRank & { readonly lambda: number } {
  const g = 'gram' in data ? data.gram : gram(data.X);
  if (g.rows !== w.cols || g.cols !== w.cols) {
    throw new RangeError(`dataAwareLowRank: W is ${w.rows}×${w.cols} but XXᵀ is ${g.rows}×${g.cols}`);
  }
  const { L, lambda } = choleskyDamped(g, { damp: opts.damp ?? 1e-6 });
  const d = svd(matmul(w, L));
  const full = Math.min(w.rows, w.cols);
  const rankSpectrum = opts.rankFrom === 'weights' && spec.kind === 'energy' ? svd(w).S : d.S;
  const r = selectRank(rankSpectrum, spec, { full, roundTo: opts.roundTo });
  const { A, B: Bw } = split(d, r, opts.balance ?? true);
  // Unwhiten: B = Bw·L⁻¹  ⇔  Bᵀ = L⁻ᵀ·Bwᵀ.
  const n = w.cols;
  const bwT: Matrix = { rows: n, cols: r, data: new Float64Array(n * r) };
  for (let k = 0; k < r; k++) for (let j = 0; j < n; j++) bwT.data[j * r + k] = Bw.data[k * n + j]!;
  const bT = solveLowerT(L, bwT);
  const B: Matrix = { rows: r, cols: n, data: new Float64Array(r * n) };
  for (let k = 0; k < r; k++) for (let j = 0; j < n; j++) B.data[k * n + j] = bT.data[j * r + k]!;
  return { A, B, rank: r, S: d.S, error: truncationError(d.S, r), lambda };
}

/** ‖(W − A·B)·X‖_F: the output error of a factorization on activations X (n×s). */
export function outputError(w: Matrix, a: Matrix, b: Matrix, x: Matrix): number {
  return frobenius(matmul(sub(w, matmul(a, b)), x));
}
