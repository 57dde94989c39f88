// Matrix products: a cache-blocked GEMM core, and the Gemm and MatMul reference kernels.

import { UserError } from '../../errors.ts';
import { sizeOf, type Tensor } from '../../ir/tensor.ts';
import type { Attrs, OpDef, ValueType } from '../registry.ts';
import { attrFloat, attrInt, broadcastDims, requireInput, stridesOf, tensor } from './util.ts';

export type FArr = Float32Array | Float64Array;

const NB = 256;

/**
 * C[M×N] (+)= A[M×K] · B[K×N], all row-major with leading dimensions lda, ldb, ldc and offsets.
 * Blocks N so a B panel stays in cache, and runs 4 rows of C at a time.
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
  if (!accumulate) for (let i = 0; i < M; i++) C.fill(0, cOff + i * ldc, cOff + i * ldc + N);
  for (let j0 = 0; j0 < N; j0 += NB) {
    const j1 = Math.min(N, j0 + NB);
    let i = 0;
    for (; i + 4 <= M; i += 4) {
      const c0 = cOff + i * ldc;
      const c1 = c0 + ldc;
      const c2 = c1 + ldc;
      const c3 = c2 + ldc;
      const a0 = aOff + i * lda;
      for (let k = 0; k < K; k++) {
        const x0 = A[a0 + k]!;
        const x1 = A[a0 + lda + k]!;
        const x2 = A[a0 + 2 * lda + k]!;
        const x3 = A[a0 + 3 * lda + k]!;
        const bk = bOff + k * ldb;
        for (let j = j0; j < j1; j++) {
          const b = B[bk + j]!;
          C[c0 + j] += x0 * b;
          C[c1 + j] += x1 * b;
          C[c2 + j] += x2 * b;
          C[c3 + j] += x3 * b;
        }
      }
    }
    for (; i < M; i++) {
      const c0 = cOff + i * ldc;
      const a0 = aOff + i * lda;
      for (let k = 0; k < K; k++) {
        const x0 = A[a0 + k]!;
        if (x0 === 0) continue;
        const bk = bOff + k * ldb;
        for (let j = j0; j < j1; j++) C[c0 + j] += x0 * B[bk + j]!;
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
