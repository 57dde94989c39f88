// Tucker-2 of a conv weight [Cout, Cin, kh, kw] over its Cout and Cin modes: HOSVD then HOOI/ALS sweeps.
//
// API: tucker2(W, shape, [r1, r2], {sweeps, tol}) → {U1 (Cout×r1), U2 (Cin×r2), core [r1, r2, kh, kw],
//   ranks, errors[]} with W ≈ core ×₁ U1 ×₂ U2; errors[0] is ‖W − Ŵ‖_F after HOSVD, errors[i] after
//   sweep i (each sweep maximises ‖core‖ in one factor at a time, so errors never increase).
//   tucker2Reconstruct(t) → Ŵ (Float64Array, shape of W);
//   tucker2ConvWeights(t) → {first [r2, Cin, 1, 1] = U2ᵀ, core [r1, r2, kh, kw], last [Cout, r1, 1, 1] = U1}
//   as Float32Arrays: the 1×1 → k×k → 1×1 conv chain.
//   tucker2Ranks(W, shape, spec, {roundTo}) → [r1, r2]: selectRank applied to each mode's HOSVD
//   spectrum (σ² = eigenvalues of the unfolding's Gram), so `energy P%` works per mode.

import type { Matrix } from './matrix.ts';
import { type RankSpec, selectRank } from './rank.ts';
import { symmetricEigen, topEigenvectors } from './symmetric.ts';

export type ConvShape = readonly [number, number, number, number];

export interface Tucker2 {
  readonly U1: Matrix;
  readonly U2: Matrix;
  readonly core: Float64Array;
  readonly shape: ConvShape;
  readonly ranks: readonly [number, number];
  readonly errors: number[];
}

/** Σ_b rows(T_b)·rows(T_b)ᵀ for a tensor [B, R, S] seen as B blocks of R×S: the mode-2 Gram (R×R). */
function blockGram(t: Float64Array, B: number, R: number, S: number): Matrix {
  const g = new Float64Array(R * R);
  for (let b = 0; b < B; b++) {
    const o = b * R * S;
    for (let i = 0; i < R; i++) {
      const ri = o + i * S;
      for (let j = 0; j <= i; j++) {
        const rj = o + j * S;
        let s = 0;
        for (let p = 0; p < S; p++) s += t[ri + p]! * t[rj + p]!;
        g[i * R + j]! += s;
      }
    }
  }
  for (let i = 0; i < R; i++) for (let j = 0; j < i; j++) g[j * R + i] = g[i * R + j]!;
  return { rows: R, cols: R, data: g };
}

/** [A, R, S] ×₂ Uᵀ (U is R×r) → [A, r, S]. */
function mode2(t: Float64Array, A: number, R: number, S: number, u: Matrix): Float64Array {
  const r = u.cols;
  const out = new Float64Array(A * r * S);
  for (let a = 0; a < A; a++) {
    for (let c = 0; c < R; c++) {
      const src = (a * R + c) * S;
      for (let j = 0; j < r; j++) {
        const w = u.data[c * r + j]!;
        if (w === 0) continue;
        const dst = (a * r + j) * S;
        for (let p = 0; p < S; p++) out[dst + p]! += w * t[src + p]!;
      }
    }
  }
  return out;
}

/** [R, T] ×₁ Uᵀ (U is R×r) → [r, T]. */
function mode1(t: Float64Array, R: number, T: number, u: Matrix): Float64Array {
  const r = u.cols;
  const out = new Float64Array(r * T);
  for (let o = 0; o < R; o++) {
    const src = o * T;
    for (let i = 0; i < r; i++) {
      const w = u.data[o * r + i]!;
      if (w === 0) continue;
      const dst = i * T;
      for (let p = 0; p < T; p++) out[dst + p]! += w * t[src + p]!;
    }
  }
  return out;
}

function rowGram(t: Float64Array, R: number, T: number): Matrix {
  return blockGram(t, 1, R, T);
}

function reconstruct(core: Float64Array, u1: Matrix, u2: Matrix, shape: ConvShape): Float64Array {
  const [co, ci, kh, kw] = shape;
  const S = kh * kw;
  const r1 = u1.cols;
  const r2 = u2.cols;
  // core [r1, r2, S] ×₂ U2 → [r1, Cin, S]
  const t = new Float64Array(r1 * ci * S);
  for (let i = 0; i < r1; i++) {
    for (let j = 0; j < r2; j++) {
      const src = (i * r2 + j) * S;
      for (let c = 0; c < ci; c++) {
        const w = u2.data[c * r2 + j]!;
        if (w === 0) continue;
        const dst = (i * ci + c) * S;
        for (let p = 0; p < S; p++) t[dst + p]! += w * core[src + p]!;
      }
    }
  }
  // ×₁ U1 → [Cout, Cin·S]
  const T = ci * S;
  const out = new Float64Array(co * T);
  for (let o = 0; o < co; o++) {
    for (let i = 0; i < r1; i++) {
      const w = u1.data[o * r1 + i]!;
      if (w === 0) continue;
      const src = i * T;
      const dst = o * T;
      for (let p = 0; p < T; p++) out[dst + p]! += w * t[src + p]!;
    }
  }
  return out;
}

function diffNorm(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

export function tucker2(
  weight: ArrayLike<number>,
  shape: ConvShape,
  ranks: readonly [number, number],
  opts: { sweeps?: number; tol?: number } = {},
): Tucker2 {
  const [co, ci, kh, kw] = shape;
  const S = kh * kw;
  if (weight.length !== co * ci * S)
    throw new RangeError(`tucker2: weight has ${weight.length} values, shape ${shape}`);
  const r1 = Math.max(1, Math.min(co, ranks[0]));
  const r2 = Math.max(1, Math.min(ci, ranks[1]));
  const w = Float64Array.from(weight);
  // HOSVD: leading left singular vectors of each unfolding.
  let u1 = topEigenvectors(rowGram(w, co, ci * S), r1);
  let u2 = topEigenvectors(blockGram(w, co, ci, S), r2);
  const coreOf = (a: Matrix, b: Matrix): Float64Array => mode2(mode1(w, co, ci * S, a), r1, ci, S, b);
  let core = coreOf(u1, u2);
  const errors = [diffNorm(w, reconstruct(core, u1, u2, shape))];
  const sweeps = opts.sweeps ?? 3;
  const tol = opts.tol ?? 0;
  for (let s = 0; s < sweeps; s++) {
    // U1 with U2 fixed: W ×₂ U2ᵀ is [Cout, r2, S]; its mode-1 unfolding is row-major.
    const y = mode2(w, co, ci, S, u2);
    const n1 = topEigenvectors(rowGram(y, co, r2 * S), r1);
    // U2 with U1 fixed: W ×₁ U1ᵀ is [r1, Cin, S]; take its mode-2 Gram.
    const z = mode1(w, co, ci * S, n1);
    const n2 = topEigenvectors(blockGram(z, r1, ci, S), r2);
    const nc = mode2(z, r1, ci, S, n2);
    const err = diffNorm(w, reconstruct(nc, n1, n2, shape));
    const prev = errors[errors.length - 1]!;
    if (err > prev) {
      // Rounding can make a converged sweep a hair worse: keep the better factors and stop.
      errors.push(prev);
      break;
    }
    u1 = n1;
    u2 = n2;
    core = nc;
    errors.push(err);
    if (prev - err <= tol * prev) break;
  }
  return { U1: u1, U2: u2, core, shape, ranks: [r1, r2], errors };
}

export const tucker2Reconstruct = (t: Tucker2): Float64Array => reconstruct(t.core, t.U1, t.U2, t.shape);

export function tucker2ConvWeights(t: Tucker2): {
  first: Float32Array;
  core: Float32Array;
  last: Float32Array;
} {
  const [co, ci] = t.shape;
  const [r1, r2] = t.ranks;
  const first = new Float32Array(r2 * ci);
  for (let j = 0; j < r2; j++) for (let c = 0; c < ci; c++) first[j * ci + c] = t.U2.data[c * r2 + j]!;
  const last = new Float32Array(co * r1);
  last.set(t.U1.data);
  return { first, core: Float32Array.from(t.core), last };
}

export function tucker2Ranks(
  weight: ArrayLike<number>,
  shape: ConvShape,
  spec: RankSpec,
  opts: { roundTo?: number } = {},
): [number, number] {
  const [co, ci, kh, kw] = shape;
  const S = kh * kw;
  const w = Float64Array.from(weight);
  const sv = (g: Matrix) => Float64Array.from(symmetricEigen(g).values, (v) => Math.sqrt(Math.max(0, v)));
  const r1 = selectRank(sv(rowGram(w, co, ci * S)), spec, { full: co, roundTo: opts.roundTo });
  const r2 = selectRank(sv(blockGram(w, co, ci, S)), spec, { full: ci, roundTo: opts.roundTo });
  return [r1, r2];
}
