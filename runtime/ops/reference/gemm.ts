// Matrix products: a cache-blocked GEMM core, and the Gemm and MatMul reference kernels.

import { UserError } from '../../errors.ts';
import { sizeOf, type Tensor } from '../../ir/tensor.ts';
import type { Attrs, ValueType } from '../../ir/types.ts';
import type { OpDef } from '../registry.ts';
import { attrFloat, attrInt, broadcastDims, requireInput, stridesOf, tensor } from './util.ts';

export type FArr = Float32Array | Float64Array;

const NB = 128;

/** Pack rows of A into panels of 4 rows, k-major: Ap[(panel·K + k)·4 + r]; missing rows are 0. */
function packA(M: number, K: number, A: FArr, aOff: number, lda: number): Float64Array {
  const Mp = Math.ceil(M / 4);
  const Ap = new Float64Array(Mp * 4 * K);
  for (let i = 0; i < M; i++) {
    const src = aOff + i * lda;
    const dst = (i >> 2) * 4 * K + (i & 3);
    for (let k = 0; k < K; k++) Ap[dst + k * 4] = A[src + k]!;
  }
  return Ap;
}

/** Pack columns j0…j0+nb of B into panels of 4 columns, k-major: Bp[(panel·K + k)·4 + c]. */
function packB(
  K: number,
  nb: number,
  B: FArr,
  bOff: number,
  ldb: number,
  j0: number,
  Bp: Float64Array,
): void {
  const np = Math.ceil(nb / 4);
  for (let k = 0; k < K; k++) {
    const src = bOff + k * ldb + j0;
    for (let jp = 0; jp < np; jp++) {
      const d = (jp * K + k) * 4;
      const c0 = jp * 4;
      if (c0 + 4 <= nb) {
        Bp[d] = B[src + c0]!;
        Bp[d + 1] = B[src + c0 + 1]!;
        Bp[d + 2] = B[src + c0 + 2]!;
        Bp[d + 3] = B[src + c0 + 3]!;
      } else for (let c = 0; c < 4; c++) Bp[d + c] = c0 + c < nb ? B[src + c0 + c]! : 0;
    }
  }
}

/**
 * C[M×N] (+)= A[M×K] · B[K×N], all row-major with leading dimensions lda, ldb, ldc and offsets.
 * Packs A into 4-row panels and B (a block of NB columns at a time) into 4-column panels, then
 * runs a 4×4 register-tile micro-kernel that accumulates in doubles.
 */
export function gemm(
  M: number,
  N: number,
  K: number,
  A: FArr,
  aOff: number,
  lda: number,
  B: FArr,
  bOff: number,
  ldb: number,
  C: FArr,
  cOff: number,
  ldc: number,
  accumulate: boolean,
): void {
  const Mp = Math.ceil(M / 4);
  const Ap = packA(M, K, A, aOff, lda);
  const Bp = new Float64Array(K * NB);
  const tile = new Float64Array(16);
  for (let j0 = 0; j0 < N; j0 += NB) {
    const nb = Math.min(NB, N - j0);
    const np = Math.ceil(nb / 4);
    packB(K, nb, B, bOff, ldb, j0, Bp);
    for (let ip = 0; ip < Mp; ip++) {
      const rows = Math.min(4, M - ip * 4);
      for (let jp = 0; jp < np; jp++) {
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0; // biome-ignore format: tile
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0; // biome-ignore format: tile
        let pa = ip * 4 * K;
        let pb = jp * K * 4;
        for (let k = 0; k < K; k++, pa += 4, pb += 4) {
          const a0 = Ap[pa]!;
          const a1 = Ap[pa + 1]!;
          const a2 = Ap[pa + 2]!;
          const a3 = Ap[pa + 3]!;
          const b0 = Bp[pb]!;
          const b1 = Bp[pb + 1]!;
          const b2 = Bp[pb + 2]!;
          const b3 = Bp[pb + 3]!;
          c00 += a0 * b0;
          c01 += a0 * b1;
          c02 += a0 * b2;
          c03 += a0 * b3;
          c10 += a1 * b0;
          c11 += a1 * b1;
          c12 += a1 * b2;
          c13 += a1 * b3;
          c20 += a2 * b0;
          c21 += a2 * b1;
          c22 += a2 * b2;
          c23 += a2 * b3;
          c30 += a3 * b0;
          c31 += a3 * b1;
          c32 += a3 * b2;
          c33 += a3 * b3;
        }
        const col = j0 + jp * 4;
        const cols = Math.min(4, N - col);
        let o = cOff + ip * 4 * ldc + col;
        if (rows === 4 && cols === 4 && !accumulate) {
          C[o] = c00;
          C[o + 1] = c01;
          C[o + 2] = c02;
          C[o + 3] = c03;
          o += ldc;
          C[o] = c10;
          C[o + 1] = c11;
          C[o + 2] = c12;
          C[o + 3] = c13;
          o += ldc;
          C[o] = c20;
          C[o + 1] = c21;
          C[o + 2] = c22;
          C[o + 3] = c23;
          o += ldc;
          C[o] = c30;
          C[o + 1] = c31;
          C[o + 2] = c32;
          C[o + 3] = c33;
          continue;
        }
        tile[0] = c00;
        tile[1] = c01;
        tile[2] = c02;
        tile[3] = c03;
        tile[4] = c10;
        tile[5] = c11;
        tile[6] = c12;
        tile[7] = c13;
        tile[8] = c20;
        tile[9] = c21;
        tile[10] = c22;
        tile[11] = c23;
        tile[12] = c30;
        tile[13] = c31;
        tile[14] = c32;
        tile[15] = c33;
        for (let r = 0; r < rows; r++)
          for (let c = 0; c < cols; c++) {
            const at = o + r * ldc + c;
            C[at] = (accumulate ? C[at]! : 0) + tile[r * 4 + c]!;
          }
      }
    }
  }
}

/** Row-major transpose of an R×C matrix into a new array. */
export function transpose2d(src: FArr, off: number, R: number, Cn: number, like: FArr): FArr {
  const out = like instanceof Float64Array ? new Float64Array(R * Cn) : new Float32Array(R * Cn);
  for (let r = 0; r < R; r++) for (let c = 0; c < Cn; c++) out[c * R + r] = src[off + r * Cn + c]!;
  return out;
}

function gemmOp(inp: (Tensor | undefined)[], attrs: Attrs): Tensor[] {
  const A = requireInput(inp[0], 'Gemm', 'A');
  const B = requireInput(inp[1], 'Gemm', 'B');
  const C = inp[2];
  const tA = attrInt(attrs, 'transA', 0);
  const tB = attrInt(attrs, 'transB', 0);
  const alpha = attrFloat(attrs, 'alpha', 1);
  const beta = attrFloat(attrs, 'beta', 1);
  if (A.dims.length !== 2 || B.dims.length !== 2)
    throw new UserError(`Gemm: A and B must be 2-D, got [${A.dims}] and [${B.dims}]`);
  const M = tA ? A.dims[1]! : A.dims[0]!;
  const K = tA ? A.dims[0]! : A.dims[1]!;
  const Kb = tB ? B.dims[1]! : B.dims[0]!;
  const N = tB ? B.dims[0]! : B.dims[1]!;
  if (K !== Kb) throw new UserError(`Gemm: inner dimensions differ (A [${A.dims}], B [${B.dims}])`);
  const a = A.data as FArr;
  const b = B.data as FArr;
  const aa = tA ? transpose2d(a, 0, A.dims[0]!, A.dims[1]!, a) : a;
  const bb = tB ? transpose2d(b, 0, B.dims[0]!, B.dims[1]!, b) : b;
  const out = tensor(A.dtype, [M, N]);
  const o = out.data as FArr;
  gemm(M, N, K, aa, 0, K, bb, 0, N, o, 0, N, false);
  if (alpha !== 1) for (let i = 0; i < o.length; i++) o[i] *= alpha;
  if (C && beta !== 0) {
    broadcastDims(C.dims, [M, N], 'Gemm');
    const cd = C.data as FArr;
    const r = C.dims.length;
    const cm = r === 2 ? C.dims[0]! : 1;
    const cn = r >= 1 ? C.dims[r - 1]! : 1;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) o[i * N + j] += beta * cd[(cm === 1 ? 0 : i) * cn + (cn === 1 ? 0 : j)]!;
  }
  return [out];
}

/** numpy matmul: 1-D promotion and batch broadcasting; `mul` runs one [M×K]·[K×N] product. */
export function matmulShapes(
  ad: readonly number[],
  bd: readonly number[],
  op: string,
): { M: number; K: number; N: number; batch: number[]; outDims: number[]; aB: number[]; bB: number[] } {
  if (ad.length === 0 || bd.length === 0) throw new UserError(`${op}: inputs must have rank ≥ 1`);
  const a2 = ad.length === 1 ? [1, ad[0]!] : [...ad];
  const b2 = bd.length === 1 ? [bd[0]!, 1] : [...bd];
  const M = a2[a2.length - 2]!;
  const K = a2[a2.length - 1]!;
  const N = b2[b2.length - 1]!;
  if (b2[b2.length - 2] !== K)
    throw new UserError(`${op}: inner dimensions differ (A [${ad.join(',')}], B [${bd.join(',')}])`);
  const aB = a2.slice(0, -2);
  const bB = b2.slice(0, -2);
  const batch = broadcastDims(aB, bB, op);
  const outDims = [...batch];
  if (ad.length > 1) outDims.push(M);
  if (bd.length > 1) outDims.push(N);
  return { M, K, N, batch, outDims, aB, bB };
}

/** Flat batch offsets (in matrices) of A and B for each output batch index. */
export function batchOffsets(aB: number[], bB: number[], batch: number[]): [number[], number[]] {
  const nb = sizeOf(batch);
  const r = batch.length;
  const sa = stridesOf(aB);
  const sb = stridesOf(bB);
  const oa: number[] = [];
  const ob: number[] = [];
  for (let i = 0; i < nb; i++) {
    let rem = i;
    let xa = 0;
    let xb = 0;
    for (let ax = r - 1; ax >= 0; ax--) {
      const v = rem % batch[ax]!;
      rem = Math.floor(rem / batch[ax]!);
      const ia = ax - (r - aB.length);
      const ib = ax - (r - bB.length);
      if (ia >= 0 && aB[ia] !== 1) xa += v * sa[ia]!;
      if (ib >= 0 && bB[ib] !== 1) xb += v * sb[ib]!;
    }
    oa.push(xa);
    ob.push(xb);
  }
  return [oa, ob];
}

function matmul(A: Tensor, B: Tensor): Tensor {
  const { M, K, N, batch, outDims, aB, bB } = matmulShapes(A.dims, B.dims, 'MatMul');
  const out = tensor(A.dtype, outDims);
  const [oa, ob] = batchOffsets(aB, bB, batch);
  const a = A.data as FArr;
  const b = B.data as FArr;
  const o = out.data as FArr;
  for (let i = 0; i < oa.length; i++)
    gemm(M, N, K, a, oa[i]! * M * K, K, b, ob[i]! * K * N, N, o, i * M * N, N, false);
  return out;
}

function matmulType(inputs: (ValueType | undefined)[]): ValueType[] {
  const [a, b] = inputs;
  if (!a) return [];
  if (!a.shape || !b?.shape) return [{ dtype: a.dtype, shape: undefined }];
  const as = a.shape;
  const bs = b.shape;
  const ab = as.length > 2 ? as.slice(0, -2) : [];
  const bb = bs.length > 2 ? bs.slice(0, -2) : [];
  const r = Math.max(ab.length, bb.length);
  const shape = Array.from({ length: r }, (_, i) => {
    const x = ab[ab.length - r + i] ?? 1;
    const y = bb[bb.length - r + i] ?? 1;
    return x === 1 ? y : x;
  });
  if (as.length > 1) shape.push(as[as.length - 2]!);
  if (bs.length > 1) shape.push(bs[bs.length - 1]!);
  return [{ dtype: a.dtype, shape }];
}

export const GEMM_OPS: OpDef[] = [
  {
    type: 'Gemm',
    shape: (inputs, attrs) => {
      const [a, b] = inputs;
      if (!a?.shape || !b?.shape) return a ? [{ dtype: a.dtype, shape: undefined }] : [];
      const M = attrInt(attrs, 'transA', 0) ? a.shape[1]! : a.shape[0]!;
      const N = attrInt(attrs, 'transB', 0) ? b.shape[0]! : b.shape[1]!;
      return [{ dtype: a.dtype, shape: [M, N] }];
    },
    reference: (inp, attrs) => gemmOp(inp, attrs),
  },
  {
    type: 'MatMul',
    shape: matmulType,
    reference: (inp) => [matmul(requireInput(inp[0], 'MatMul', 'A'), requireInput(inp[1], 'MatMul', 'B'))],
  },
];

export { matmulType };
