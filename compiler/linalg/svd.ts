// Singular value decomposition: Golub–Kahan–Reinsch (exact, thin) and a randomized range finder.
//
// API:
//   svd(A) → {U (m×k), S (k, descending), Vt (k×n)} with k = min(m, n) and A = U·diag(S)·Vt;
//     a NaN or infinite element is a RangeError.
//   randomizedSvd(A, rank, {oversample, powerIters, seed}) → the same shape truncated to `rank`:
//     Halko–Martinsson–Tropp range finder with re-orthonormalised power iterations.
// The exact SVD is a port of the LINPACK/JAMA bidiagonalisation + implicit-shift QR, run on the
// transposed matrix so every Householder and Givens update sweeps a contiguous row.

import { type Matrix, matmul, matmulABt, normalSampler, transpose } from './matrix.ts';

export interface Svd {
  /** m×k, orthonormal columns. */
  readonly U: Matrix;
  /** k singular values, descending, non-negative. */
  readonly S: Float64Array;
  /** k×n, orthonormal rows (the right singular vectors). */
  readonly Vt: Matrix;
}

function hyp(a: number, b: number): number {
  const s = a * a + b * b;
  if (s > 1e-290 && s < 1e290) return Math.sqrt(s);
  return Math.hypot(a, b);
}

/** Exact thin SVD. */
export function svd(a: Matrix): Svd {
  for (let i = 0; i < a.data.length; i++) {
    if (!Number.isFinite(a.data[i]!))
      throw new RangeError(`svd: element ${i} is ${a.data[i]} (NaN or infinite)`);
  }
  if (a.rows >= a.cols) return svdTall(a);
  const t = svdTall(transpose(a));
  return { U: transpose(t.Vt), S: t.S, Vt: transpose(t.U) };
}

/** Rotate two contiguous rows x, y of `buf` (length len): x ← c·x + s·y, y ← c·y − s·x. */
function rot(buf: Float64Array, x: number, y: number, len: number, cs: number, sn: number): void {
  for (let i = 0; i < len; i++) {
    const xi = buf[x + i]!;
    const yi = buf[y + i]!;
    buf[x + i] = cs * xi + sn * yi;
    buf[y + i] = cs * yi - sn * xi;
  }
}

/**
 * The working state of the Golub–Kahan SVD of an m×n matrix (m ≥ n), LINPACK's dsvdc as JAMA
 * writes it: At holds A by columns (column j of A is At[j*m .. j*m+m)), s and e the bidiagonal's
 * diagonal and superdiagonal, ut and vt the columns of U and V as rows.
 */
interface SvdState {
  m: number;
  n: number;
  at: Float64Array;
  s: Float64Array;
  e: Float64Array;
  ut: Float64Array;
  vt: Float64Array;
  /** Householder steps on columns (nct) and rows (nrt). */
  nct: number;
  nrt: number;
  /** Size of the bidiagonal problem left. */
  p: number;
}

/** Householder reflections from both sides: A = U·B·Vᵀ with B bidiagonal (s, e). */
function bidiagonalize(st: SvdState): void {
  const { m, n, at, s, e, ut, vt, nct, nrt } = st;
  const work = new Float64Array(m);
  for (let k = 0; k < Math.max(nct, nrt); k++) {
    const ck = k * m;
    if (k < nct) {
      let ss = 0;
      for (let i = k; i < m; i++) ss += at[ck + i]! * at[ck + i]!;
      let sk = Math.sqrt(ss);
      if (!Number.isFinite(sk) || (ss < 1e-290 && ss > 0)) {
        sk = 0;
        for (let i = k; i < m; i++) sk = Math.hypot(sk, at[ck + i]!);
      }
      if (sk !== 0) {
        if (at[ck + k]! < 0) sk = -sk;
        for (let i = k; i < m; i++) at[ck + i]! /= sk;
        at[ck + k]! += 1;
      }
      s[k] = -sk;
    }
    for (let j = k + 1; j < n; j++) {
      const cj = j * m;
      if (k < nct && s[k] !== 0) {
        let t = 0;
        for (let i = k; i < m; i++) t += at[ck + i]! * at[cj + i]!;
        t = -t / at[ck + k]!;
        for (let i = k; i < m; i++) at[cj + i]! += t * at[ck + i]!;
      }
      e[j] = at[cj + k]!;
    }
    if (k < nct) {
      for (let i = k; i < m; i++) ut[k * m + i] = at[ck + i]!;
    }
    if (k < nrt) {
      let ss = 0;
      for (let i = k + 1; i < n; i++) ss += e[i]! * e[i]!;
      let ek = Math.sqrt(ss);
      if (!Number.isFinite(ek) || (ss < 1e-290 && ss > 0)) {
        ek = 0;
        for (let i = k + 1; i < n; i++) ek = Math.hypot(ek, e[i]!);
      }
      if (ek !== 0) {
        if (e[k + 1]! < 0) ek = -ek;
        for (let i = k + 1; i < n; i++) e[i]! /= ek;
        e[k + 1]! += 1;
      }
      ek = -ek;
      e[k] = ek;
      if (k + 1 < m && ek !== 0) {
        work.fill(0, k + 1, m);
        for (let j = k + 1; j < n; j++) {
          const ej = e[j]!;
          const cj = j * m;
          for (let i = k + 1; i < m; i++) work[i]! += ej * at[cj + i]!;
        }
        for (let j = k + 1; j < n; j++) {
          const t = -e[j]! / e[k + 1]!;
          const cj = j * m;
          for (let i = k + 1; i < m; i++) at[cj + i]! += t * work[i]!;
        }
      }
      for (let i = k + 1; i < n; i++) vt[k * n + i] = e[i]!;
    }
  }
  st.p = Math.min(n, m + 1);
  const p = st.p;
  if (nct < n) s[nct] = at[nct * m + nct]!;
  if (m < p) s[p - 1] = 0;
  if (nrt + 1 < p) e[nrt] = at[(p - 1) * m + nrt]!;
  e[p - 1] = 0;
}

/** U from the column reflections (kept in ut's rows). */
function accumulateU({ m, n, s, ut, nct }: SvdState): void {
  for (let j = nct; j < n; j++) {
    ut.fill(0, j * m, j * m + m);
    ut[j * m + j] = 1;
  }
  for (let k = nct - 1; k >= 0; k--) {
    const ck = k * m;
    if (s[k] !== 0) {
      for (let j = k + 1; j < n; j++) {
        const cj = j * m;
        let t = 0;
        for (let i = k; i < m; i++) t += ut[ck + i]! * ut[cj + i]!;
        t = -t / ut[ck + k]!;
        for (let i = k; i < m; i++) ut[cj + i]! += t * ut[ck + i]!;
      }
      for (let i = k; i < m; i++) ut[ck + i] = -ut[ck + i]!;
      ut[ck + k] = 1 + ut[ck + k]!;
      for (let i = 0; i < k; i++) ut[ck + i] = 0;
    } else {
      ut.fill(0, ck, ck + m);
      ut[ck + k] = 1;
    }
  }
}

/** V from the row reflections (kept in vt's rows). */
function accumulateV({ n, e, vt, nrt }: SvdState): void {
  for (let k = n - 1; k >= 0; k--) {
    const ck = k * n;
    if (k < nrt && e[k] !== 0) {
      for (let j = k + 1; j < n; j++) {
        const cj = j * n;
        let t = 0;
        for (let i = k + 1; i < n; i++) t += vt[ck + i]! * vt[cj + i]!;
        t = -t / vt[ck + k + 1]!;
        for (let i = k + 1; i < n; i++) vt[cj + i]! += t * vt[ck + i]!;
      }
    }
    vt.fill(0, ck, ck + n);
    vt[ck + k] = 1;
  }
}

const EPS = 2 ** -52;
const TINY = 2 ** -966;

/**
 * Where the bidiagonal problem s[k..p) splits and what to do there: 1 deflate a negligible s[p-1],
 * 2 split at a negligible s[k-1], 3 a QR step on s[k..p), 4 s[p-1] has converged.
 */
function nextCase({ s, e, p }: SvdState): { kase: number; k: number } {
  let k: number;
  for (k = p - 2; k >= -1; k--) {
    if (k === -1) break;
    if (Math.abs(e[k]!) <= TINY + EPS * (Math.abs(s[k]!) + Math.abs(s[k + 1]!))) {
      e[k] = 0;
      break;
    }
  }
  if (k === p - 2) return { kase: 4, k: k + 1 };
  let ks: number;
  for (ks = p - 1; ks >= k; ks--) {
    if (ks === k) break;
    const t = (ks !== p ? Math.abs(e[ks]!) : 0) + (ks !== k + 1 ? Math.abs(e[ks - 1]!) : 0);
    if (Math.abs(s[ks]!) <= TINY + EPS * t) {
      s[ks] = 0;
      break;
    }
  }
  if (ks === k) return { kase: 3, k: k + 1 };
  if (ks === p - 1) return { kase: 1, k: k + 1 };
  return { kase: 2, k: ks + 1 };
}

/** Case 1: chase a negligible s[p-1]'s superdiagonal entry out (rotations on V). */
function deflate({ n, s, e, vt, p }: SvdState, k: number): void {
  let f = e[p - 2]!;
  e[p - 2] = 0;
  for (let j = p - 2; j >= k; j--) {
    const t = hyp(s[j]!, f);
    const cs = s[j]! / t;
    const sn = f / t;
    s[j] = t;
    if (j !== k) {
      f = -sn * e[j - 1]!;
      e[j - 1] = cs * e[j - 1]!;
    }
    rot(vt, j * n, (p - 1) * n, n, cs, sn);
  }
}

/** Case 2: split at a negligible s[k-1] (rotations on U). */
function split({ m, s, e, ut, p }: SvdState, k: number): void {
  let f = e[k - 1]!;
  e[k - 1] = 0;
  for (let j = k; j < p; j++) {
    const t = hyp(s[j]!, f);
    const cs = s[j]! / t;
    const sn = f / t;
    s[j] = t;
    f = -sn * e[j]!;
    e[j] = cs * e[j]!;
    rot(ut, j * m, (k - 1) * m, m, cs, sn);
  }
}

/** Case 3: one implicit-shift QR step on s[k..p) (Wilkinson shift from the trailing 2×2). */
function qrStep({ m, n, s, e, ut, vt, p }: SvdState, k: number): void {
  const sc = Math.max(
    Math.abs(s[p - 1]!),
    Math.abs(s[p - 2]!),
    Math.abs(e[p - 2]!),
    Math.abs(s[k]!),
    Math.abs(e[k]!),
  );
  const sp = s[p - 1]! / sc;
  const spm1 = s[p - 2]! / sc;
  const epm1 = e[p - 2]! / sc;
  const sk = s[k]! / sc;
  const ek = e[k]! / sc;
  const b = ((spm1 + sp) * (spm1 - sp) + epm1 * epm1) / 2;
  const c = sp * epm1 * (sp * epm1);
  let shift = 0;
  if (b !== 0 || c !== 0) {
    shift = Math.sqrt(b * b + c);
    if (b < 0) shift = -shift;
    shift = c / (b + shift);
  }
  let f = (sk + sp) * (sk - sp) + shift;
  let g = sk * ek;
  for (let j = k; j < p - 1; j++) {
    let t = hyp(f, g);
    let cs = f / t;
    let sn = g / t;
    if (j !== k) e[j - 1] = t;
    f = cs * s[j]! + sn * e[j]!;
    e[j] = cs * e[j]! - sn * s[j]!;
    g = sn * s[j + 1]!;
    s[j + 1] = cs * s[j + 1]!;
    rot(vt, j * n, (j + 1) * n, n, cs, sn);
    t = hyp(f, g);
    cs = f / t;
    sn = g / t;
    s[j] = t;
    f = cs * e[j]! + sn * s[j + 1]!;
    s[j + 1] = -sn * e[j]! + cs * s[j + 1]!;
    g = sn * e[j + 1]!;
    e[j + 1] = cs * e[j + 1]!;
    if (j < m - 1) rot(ut, j * m, (j + 1) * m, m, cs, sn);
  }
  e[p - 2] = f;
}

/** Rotations until the bidiagonal is diagonal: s holds the singular values (≥ 0, unsorted). */
function diagonalize(st: SvdState): void {
  const { n, s, vt } = st;
  let iter = 0;
  while (st.p > 0) {
    const { kase, k } = nextCase(st);
    if (iter > 75 * n) throw new Error('svd: no convergence');
    if (kase === 1) deflate(st, k);
    else if (kase === 2) split(st, k);
    else if (kase === 3) {
      qrStep(st, k);
      iter++;
    } else {
      // converged: make the singular value non-negative
      if (s[k]! <= 0) {
        s[k] = s[k]! < 0 ? -s[k]! : 0;
        for (let i = 0; i < n; i++) vt[k * n + i] = -vt[k * n + i]!;
      }
      iter = 0;
      st.p--;
    }
  }
}

/** U, S, Vᵀ with S descending (one permutation of the columns). */
function sorted({ m, n, s, ut, vt }: SvdState): Svd {
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => s[y]! - s[x]!);
  const S = new Float64Array(n);
  const U = new Float64Array(m * n);
  const Vt = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    const j = order[r]!;
    S[r] = s[j]!;
    Vt.set(vt.subarray(j * n, j * n + n), r * n);
    for (let i = 0; i < m; i++) U[i * n + r] = ut[j * m + i]!;
  }
  return { U: { rows: m, cols: n, data: U }, S, Vt: { rows: n, cols: n, data: Vt } };
}

/** The SVD of a matrix with m ≥ n: bidiagonalize, build U and V, diagonalize, sort. */
function svdTall(a: Matrix): Svd {
  const m = a.rows;
  const n = a.cols;
  const st: SvdState = {
    m,
    n,
    at: transpose(a).data,
    s: new Float64Array(Math.min(m + 1, n)),
    e: new Float64Array(n),
    ut: new Float64Array(n * m),
    vt: new Float64Array(n * n),
    nct: Math.min(m - 1, n),
    nrt: Math.max(0, Math.min(n - 2, m)),
    p: 0,
  };
  bidiagonalize(st);
  accumulateU(st);
  accumulateV(st);
  diagonalize(st);
  return sorted(st);
}

/** Orthonormalise the rows of a k×len matrix in place (modified Gram–Schmidt, twice). */
export function orthonormalizeRows(q: Matrix): Matrix {
  const { rows, cols, data } = q;
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < rows; i++) {
      const oi = i * cols;
      for (let j = 0; j < i; j++) {
        const oj = j * cols;
        let d = 0;
        for (let t = 0; t < cols; t++) d += data[oi + t]! * data[oj + t]!;
        for (let t = 0; t < cols; t++) data[oi + t]! -= d * data[oj + t]!;
      }
      let nn = 0;
      for (let t = 0; t < cols; t++) nn += data[oi + t]! * data[oi + t]!;
      const norm = Math.sqrt(nn);
      if (norm > 1e-300) for (let t = 0; t < cols; t++) data[oi + t]! /= norm;
      else data.fill(0, oi, oi + cols);
    }
  }
  return q;
}

export interface RandomizedSvdOptions {
  /** Extra sample columns beyond the rank (default 10). */
  oversample?: number;
  /** Power iterations (default 2); each sharpens the spectrum by squaring it. */
  powerIters?: number;
  seed?: number;
}

/** Truncated SVD of rank `rank` by a randomized range finder. */
export function randomizedSvd(a: Matrix, rank: number, opts: RandomizedSvdOptions = {}): Svd {
  const m = a.rows;
  const n = a.cols;
  const full = Math.min(m, n);
  const r = Math.max(1, Math.min(rank, full));
  const l = Math.min(full, r + (opts.oversample ?? 10));
  if (l >= full) return truncateSvd(svd(a), r);
  const g = normalSampler(opts.seed ?? 0x5eed);
  const omegaT: Matrix = { rows: l, cols: n, data: new Float64Array(l * n) };
  for (let i = 0; i < omegaT.data.length; i++) omegaT.data[i] = g();
  // Qt (l×m): rows span the range of A.
  let qt = orthonormalizeRows(matmulABt(omegaT, a));
  for (let it = 0; it < (opts.powerIters ?? 2); it++) {
    const zt = orthonormalizeRows(matmul(qt, a)); // (Aᵀ Q)ᵀ, l×n
    qt = orthonormalizeRows(matmulABt(zt, a)); // (A Z)ᵀ, l×m
  }
  const b = matmul(qt, a); // l×n
  const sb = svd(b); // Ub l×l, Vt l×n
  const U = matmul(transpose(qt), sb.U); // m×l
  return truncateSvd({ U, S: sb.S, Vt: sb.Vt }, r);
}

/** Keep the leading r singular triplets. */
export function truncateSvd(d: Svd, r: number): Svd {
  const k = d.S.length;
  if (r >= k) return d;
  const m = d.U.rows;
  const n = d.Vt.cols;
  const U = new Float64Array(m * r);
  for (let i = 0; i < m; i++) U.set(d.U.data.subarray(i * k, i * k + r), i * r);
  return {
    U: { rows: m, cols: r, data: U },
    S: d.S.slice(0, r),
    Vt: { rows: r, cols: n, data: d.Vt.data.slice(0, r * n) },
  };
}
