// Compact-design conv decompositions (the survey's "compact design" rewrites), per group:
//
//   separableDecompose(W [Co, Ci, kh, kw], r, {gram?}) → depthwise [Ci·r, 1, kh, kw] + pointwise
//     [Co, Ci·r]: for each input channel c, the SVD of W[:, c] as a Co × (kh·kw) matrix gives r
//     depthwise kernels and their pointwise mixing; exact at r = min(Co, kh·kw). With a patch Gram
//     the pointwise weights are refitted to the layer's output on the calibration patches.
//   stackedDecompose(W [Co, Ci, k, k], mid, {gram?}) → (k−1)/2 stages of 3×3 convs, the first
//     [mid, Ci, 3, 3], the middle [mid, mid, 3, 3], the last [Co, mid, 3, 3]: k×k = (k−2)×(k−2) ∗ 3×3
//     applied recursively, each pair fitted by alternating least squares from an SVD start, exact
//     (by construction, no iteration) once mid ≥ min(Ci·a², Co·9) for the pair's first kernel a×a.
//     The last stage is refitted against the whole chain (on the patch Gram when given).
//   composeKernels(A [m, Ci, a, a], B [Co, m, b, b]) → the single [Co, Ci, a+b−1, …] kernel of
//     conv B after conv A (ONNX Conv is a cross-correlation, so offsets add: K[p] = Σ A[q]·B[p−q]).
// Errors are absolute Frobenius: of the weight (errSq) or, with a Gram G, of the output on the
// patches (tr(E·G·Eᵀ)) next to the original's output energy (outSq).

import { choleskyDamped, choleskySolve } from './cholesky.ts';
import { lowRank } from './lowrank.ts';
import { type Matrix, matmul, matmulABt, quadraticForm, transpose } from './matrix.ts';
import { svd } from './svd.ts';
import type { ConvShape } from './tucker.ts';

export interface CompactFit {
  /** Stage weights, first to last, with their dims. */
  stages: { weight: Float32Array; dims: [number, number, number, number] }[];
  errSq: number;
  /** ‖W‖² without a Gram, the output energy tr(W·G·Wᵀ) with one. */
  outSq: number;
}

function energy(w: Float64Array, rows: number, g: Matrix | undefined): number {
  return g ? quadraticForm(w, rows, g) : w.reduce((s, x) => s + x * x, 0);
}

/**
 * Y minimising ‖(W − Y·Φ)·L‖² (G = L·Lᵀ, identity without a Gram): Y = W·G·Φᵀ·(Φ·G·Φᵀ)⁻¹, with
 * Φ·G·Φᵀ damped by 1e-10 of its mean diagonal. W is rows × n, Φ is f × n.
 */
export function refit(W: Matrix, phi: Matrix, g?: Matrix): Matrix {
  const wg = g ? matmul(W, g) : W;
  const pg = g ? matmul(phi, g) : phi;
  const h = matmulABt(pg, phi); // f × f
  const rhs = matmulABt(wg, phi); // rows × f
  const { L } = choleskyDamped(h, { damp: 1e-10 });
  // Y·H = rhs ⇔ H·Yᵀ = rhsᵀ (H symmetric)
  const yt = choleskySolve(L, transpose(rhs));
  return transpose(yt);
}

// ---------------------------------------------------------------- separable

export function separableFull(shape: ConvShape): number {
  return Math.min(shape[0], shape[2] * shape[3]);
}

/** Per input channel, the squared singular values of W[:, c] (Co × kh·kw), descending. */
export function separableSpectra(W: ArrayLike<number>, shape: ConvShape): Float64Array[] {
  return channelSlices(W, shape).map((m) => svd(m).S.map((s) => s * s));
}

function channelSlices(W: ArrayLike<number>, shape: ConvShape): Matrix[] {
  const [co, ci, kh, kw] = shape;
  const kk = kh * kw;
  return Array.from({ length: ci }, (_, c) => {
    const data = new Float64Array(co * kk);
    for (let o = 0; o < co; o++) for (let j = 0; j < kk; j++) data[o * kk + j] = W[(o * ci + c) * kk + j]!;
    return { rows: co, cols: kk, data };
  });
}

/** Depthwise [Ci·r, 1, kh, kw] and pointwise [Co, Ci·r] (row-major). */
export function separableDecompose(
  W: ArrayLike<number>,
  shape: ConvShape,
  r: number,
  opts: { gram?: Matrix } = {},
): CompactFit {
  const [co, ci, kh, kw] = shape;
  const kk = kh * kw;
  const rank = Math.max(1, Math.min(r, separableFull(shape)));
  const dw = new Float64Array(ci * rank * kk);
  let pw = new Float64Array(co * ci * rank);
  for (const [c, m] of channelSlices(W, shape).entries()) {
    const f = lowRank(m, { kind: 'rank', n: rank }, { randomized: false });
    for (let k = 0; k < f.rank; k++) {
      for (let j = 0; j < kk; j++) dw[(c * rank + k) * kk + j] = f.B.data[k * kk + j]!;
      for (let o = 0; o < co; o++) pw[o * ci * rank + c * rank + k] = f.A.data[o * f.rank + k]!;
    }
  }
  // Φ: the depthwise stage as a map from a patch [c, y, x] to its ci·rank outputs.
  const n = ci * kk;
  const phi: Matrix = { rows: ci * rank, cols: n, data: new Float64Array(ci * rank * n) };
  for (let c = 0; c < ci; c++) {
    for (let k = 0; k < rank; k++) {
      for (let j = 0; j < kk; j++) phi.data[(c * rank + k) * n + c * kk + j] = dw[(c * rank + k) * kk + j]!;
    }
  }
  const w: Matrix = { rows: co, cols: n, data: Float64Array.from(W) };
  if (opts.gram) pw = Float64Array.from(refit(w, phi, opts.gram).data);
  const approx = matmul({ rows: co, cols: ci * rank, data: pw }, phi);
  const diff = w.data.map((x, i) => x - approx.data[i]!);
  return {
    stages: [
      { weight: Float32Array.from(dw), dims: [ci * rank, 1, kh, kw] },
      { weight: Float32Array.from(pw), dims: [co, ci * rank, 1, 1] },
    ],
    errSq: energy(diff, co, opts.gram),
    outSq: energy(w.data, co, opts.gram),
  };
}

// ---------------------------------------------------------------- stacked

/** K [Co, Ci, a+b−1, …] of conv B [Co, m, b, b] applied after conv A [m, Ci, a, a] (stride 1). */
export function composeKernels(
  A: ArrayLike<number>,
  aShape: ConvShape,
  B: ArrayLike<number>,
  bShape: ConvShape,
): Float64Array {
  const [m, ci, a] = aShape;
  const [co, , b] = bShape;
  const k = a + b - 1;
  const out = new Float64Array(co * ci * k * k);
  for (let o = 0; o < co; o++) {
    for (let mm = 0; mm < m; mm++) {
      for (let qy = 0; qy < b; qy++) {
        for (let qx = 0; qx < b; qx++) {
          const bv = B[((o * m + mm) * b + qy) * b + qx]!;
          if (bv === 0) continue;
          for (let c = 0; c < ci; c++) {
            const ab = (mm * ci + c) * a * a;
            const ob = (o * ci + c) * k * k;
            for (let y = 0; y < a; y++) {
              for (let x = 0; x < a; x++) out[ob + (y + qy) * k + x + qx]! += bv * A[ab + y * a + x]!;
            }
          }
        }
      }
    }
  }
  return out;
}

/** Φ [(m, q), (c, p)] = A[m, c, p − q]: conv A's outputs at the b×b taps, from a k×k patch. */
function tapMap(A: ArrayLike<number>, aShape: ConvShape, b: number): Matrix {
  const [m, ci, a] = aShape;
  const k = a + b - 1;
  const n = ci * k * k;
  const phi: Matrix = { rows: m * b * b, cols: n, data: new Float64Array(m * b * b * n) };
  for (let mm = 0; mm < m; mm++) {
    for (let qy = 0; qy < b; qy++) {
      for (let qx = 0; qx < b; qx++) {
        const row = ((mm * b + qy) * b + qx) * n;
        for (let c = 0; c < ci; c++) {
          for (let y = 0; y < a; y++) {
            for (let x = 0; x < a; x++)
              phi.data[row + (c * k + y + qy) * k + x + qx] = A[((mm * ci + c) * a + y) * a + x]!;
          }
        }
      }
    }
  }
  return phi;
}

/**
 * Ψ [(m, q), (o, p)] = B[o, m, p − q] for solving A with B fixed (k = a + b − 1): the tap map of B
 * with its two channel axes swapped (B read as [m, Co, b, b]).
 */
function kernelMap(B: ArrayLike<number>, bShape: ConvShape, a: number): Matrix {
  const [co, m, b] = bShape;
  const bb = b * b;
  const swapped = new Float64Array(co * m * bb);
  for (let o = 0; o < co; o++)
    for (let mm = 0; mm < m; mm++)
      for (let t = 0; t < bb; t++) swapped[(mm * co + o) * bb + t] = B[(o * m + mm) * bb + t]!;
  return tapMap(swapped, [m, co, b, b], a);
}

/** The mid at which a pair (a×a then b×b) is exact by construction. */
export const stackedPairFull = (co: number, ci: number, a: number, b: number): number =>
  Math.min(ci * a * a, co * b * b);

/** K [co, ci, k, k] ≈ B [co, m, b, b] after A [m, ci, a, a], k = a + b − 1. */
function fitPair(
  K: Float64Array,
  co: number,
  ci: number,
  k: number,
  b: number,
  mid: number,
  sweeps: number,
): { A: Float64Array; B: Float64Array; m: number } {
  const a = k - b + 1;
  const full = stackedPairFull(co, ci, a, b);
  if (mid >= full) return exactPair(K, co, ci, k, a, b);
  const m = mid;
  // Start: the leading right singular vectors of K as co × (ci·k·k), cropped to their centre a×a.
  const d = svd({ rows: co, cols: ci * k * k, data: K });
  const A = new Float64Array(m * ci * a * a);
  const off = (k - a) >> 1;
  for (let mm = 0; mm < Math.min(m, d.S.length); mm++) {
    for (let c = 0; c < ci; c++) {
      for (let y = 0; y < a; y++) {
        for (let x = 0; x < a; x++)
          A[((mm * ci + c) * a + y) * a + x] = d.Vt.data[mm * ci * k * k + (c * k + y + off) * k + x + off]!;
      }
    }
  }
  // Channels beyond the spectrum (m > co): seeded small values so every channel is used.
  for (let i = Math.min(m, d.S.length) * ci * a * a, s = 1; i < A.length; i++) {
    s = (s * 16807) % 2147483647;
    A[i] = (s / 2147483647 - 0.5) * 0.1;
  }
  const Km: Matrix = { rows: co, cols: ci * k * k, data: K };
  // K as ci × (co·k·k) for the A step.
  const Kc = new Float64Array(ci * co * k * k);
  for (let o = 0; o < co; o++) {
    for (let c = 0; c < ci; c++) {
      for (let p = 0; p < k * k; p++) Kc[(c * co + o) * k * k + p] = K[(o * ci + c) * k * k + p]!;
    }
  }
  let B = refit(Km, tapMap(A, [m, ci, a, a], b)).data;
  for (let s = 0; s < sweeps; s++) {
    const At = refit({ rows: ci, cols: co * k * k, data: Kc }, kernelMap(B, [co, m, b, b], a)).data;
    // At is ci × (m·a·a) → A [m, ci, a, a]
    for (let c = 0; c < ci; c++) {
      for (let mm = 0; mm < m; mm++) {
        for (let q = 0; q < a * a; q++) A[(mm * ci + c) * a * a + q] = At[(c * m + mm) * a * a + q]!;
      }
    }
    B = refit(Km, tapMap(A, [m, ci, a, a], b)).data;
  }
  return { A, B, m };
}

/**
 * Exact pair: every position p of the k×k kernel is assigned one tap s of the smaller stage with
 * p − s inside the larger stage's window; the smaller stage then only shifts (one-hot taps).
 */
function exactPair(K: Float64Array, co: number, ci: number, k: number, a: number, b: number) {
  if (ci * a * a <= co * b * b) {
    // m = (c, s), s an a×a tap: A one-hot shifts per input channel, B the pieces of K.
    const m = ci * a * a;
    const A = new Float64Array(m * ci * a * a);
    const B = new Float64Array(co * m * b * b);
    for (let c = 0; c < ci; c++)
      for (let s = 0; s < a * a; s++) A[((c * a * a + s) * ci + c) * a * a + s] = 1;
    eachPiece(K, co, ci, k, a, (o, c, sy, sx, y, x, v) => {
      B[((o * m + c * a * a + sy * a + sx) * b + y) * b + x] = v;
    });
    return { A, B, m };
  }
  // m = (o, s), s a b×b tap: A the pieces of K, B one-hot shifts per output channel.
  const m = co * b * b;
  const A = new Float64Array(m * ci * a * a);
  const B = new Float64Array(co * m * b * b);
  for (let o = 0; o < co; o++) for (let s = 0; s < b * b; s++) B[(o * m + o * b * b + s) * b * b + s] = 1;
  eachPiece(K, co, ci, k, b, (o, c, sy, sx, y, x, v) => {
    A[(((o * b * b + sy * b + sx) * ci + c) * a + y) * a + x] = v;
  });
  return { A, B, m };
}

/**
 * Every element of the k×k kernel K with the tap (sy, sx) of the `size`×`size` stage it is assigned
 * to and its position (y, x) = (py − sy, px − sx) in the other stage's window.
 */
function eachPiece(
  K: Float64Array,
  co: number,
  ci: number,
  k: number,
  size: number,
  visit: (o: number, c: number, sy: number, sx: number, y: number, x: number, v: number) => void,
): void {
  for (let o = 0; o < co; o++)
    for (let c = 0; c < ci; c++)
      for (let py = 0; py < k; py++)
        for (let px = 0; px < k; px++) {
          const sy = Math.min(py, size - 1);
          const sx = Math.min(px, size - 1);
          visit(o, c, sy, sx, py - sy, px - sx, K[((o * ci + c) * k + py) * k + px]!);
        }
}

/** The largest mid any pair of a k×k stack needs to be exact. */
export function stackedFull(shape: ConvShape): number {
  const [co, ci, k] = shape;
  let full = 0;
  let rows = co;
  for (let size = k; size > 3; size -= 2) {
    rows = stackedPairFull(rows, ci, size - 2, 3);
    full = Math.max(full, rows);
  }
  return full;
}

/** k×k (odd, ≥ 5) → (k−1)/2 stages of 3×3 with `mid` channels between them (each pair clamped to exact). */
export function stackedDecompose(
  W: ArrayLike<number>,
  shape: ConvShape,
  mid: number,
  opts: { gram?: Matrix; sweeps?: number } = {},
): CompactFit {
  const [co, ci, k] = shape;
  const sweeps = opts.sweeps ?? 12;
  // Peel 3×3 stages off the output side: K_k ≈ B_3 after A_(k−2), then A_(k−2) the same way.
  const tail: { w: Float64Array; dims: [number, number, number, number] }[] = [];
  let K: Float64Array = Float64Array.from(W);
  let rows = co;
  let exact = true;
  for (let size = k; size > 3; size -= 2) {
    exact &&= mid >= stackedPairFull(rows, ci, size - 2, 3);
    const { A, B, m } = fitPair(K, rows, ci, size, 3, mid, sweeps);
    tail.unshift({ w: B, dims: [rows, m, 3, 3] });
    K = A;
    rows = m;
  }
  const stages = [{ w: K, dims: [rows, ci, 3, 3] as [number, number, number, number] }, ...tail];
  // Refit the last stage against the chain before it (on the data when given), unless the chain is
  // exact by construction: nothing can improve it, and its repeated taps make the refit ill-posed.
  let front: Float64Array = stages[0]!.w;
  let frontShape: ConvShape = stages[0]!.dims;
  for (const st of stages.slice(1, -1)) {
    front = composeKernels(front, frontShape, st.w, st.dims);
    frontShape = [st.dims[0], ci, frontShape[2] + 2, frontShape[3] + 2];
  }
  const w: Matrix = { rows: co, cols: ci * k * k, data: Float64Array.from(W) };
  const last = stages[stages.length - 1]!;
  if (!exact) last.w = Float64Array.from(refit(w, tapMap(front, frontShape, 3), opts.gram).data);
  const approx = composeKernels(front, frontShape, last.w, last.dims);
  const diff = w.data.map((x, i) => x - approx[i]!);
  return {
    stages: stages.map((s) => ({ weight: Float32Array.from(s.w), dims: s.dims })),
    errSq: energy(diff, co, opts.gram),
    outSq: energy(w.data, co, opts.gram),
  };
}
