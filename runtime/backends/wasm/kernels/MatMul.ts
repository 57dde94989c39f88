// MatMul (batched, broadcast batch) and Gemm on float32: C = A·B tiled 4 rows × 8 columns in
// registers — per k two vectors of B and four splats of A. A constant B is packed once as
// [column block][k][8] (zero past N); a computed B is read as its rows. Gemm's alpha and bias
// (scalar, row, column or full) run as the pointwise epilogue of each row.

import type { GraphNode } from '../../backend.ts';
import type { Code } from '../asm/code.ts';
import { type Arg, type PlanIO, registerWasmKernel, type Step, type WasmKernel } from '../kernel.ts';
import { defineKernel } from '../library.ts';
import { ARGS, args, fmaPair, locals, scratchOf, share, whenInBlock } from './common.ts';
import { storeLanes } from './conv-direct.ts';
import { type Desc, descArgs } from './epilogue.ts';
import { encodePointwise, type PwStep, pointwiseScratch } from './pointwise.ts';

const MR = 4;
/** Columns per work unit. */
const CHUNK = 256;
const A_ = {
  a: 0,
  b: 1,
  out: 2,
  m: 3,
  n: 4,
  k: 5,
  batches: 6,
  aBatch: 7,
  bBatch: 8,
  program: 9,
  scratch: 10,
  descs: 12,
} as const;

for (const packed of [true, false])
  defineKernel(packed ? 'gemm_packed' : 'gemm_rows', (c) => emitGemm(c, packed));

function emitGemm(c: Code, packed: boolean): void {
  const {
    a,
    b,
    out,
    m: M,
    n: N,
    k: K,
    batches,
    aBatch,
    bBatch,
    program,
  } = args(c, A_, ['a', 'b', 'out', 'm', 'n', 'k', 'batches', 'aBatch', 'bBatch', 'program']);
  const scratch = scratchOf(c, A_.scratch);
  const [rowBlocks, chunks, total, u, bt, rb, n0, nEnd, n, kk, bp, bStep, op, left, row] = locals(
    c,
    'i32',
    15,
  );
  const rows = Array.from({ length: MR }, () => c.local('i32'));
  const acc = Array.from({ length: MR * 2 }, () => c.local('v128'));
  const v0 = c.local('v128');
  const v1 = c.local('v128');
  const av = c.local('v128');
  c.get(M)
    .i32(MR - 1)
    .i32_add()
    .i32(MR)
    .i32_div_u()
    .set(rowBlocks);
  c.get(N)
    .i32(CHUNK - 1)
    .i32_add()
    .i32(CHUNK)
    .i32_div_u()
    .set(chunks);
  c.get(batches).get(rowBlocks).i32_mul().get(chunks).i32_mul().set(total);
  // packed B: k advances one 8-column row (32 bytes); row-major B: one row of N
  if (packed) c.i32(32).set(bStep);
  else c.get(N).i32(2).i32_shl().set(bStep);
  const { start, end } = share(c, total);
  c.for(u, { local: start }, { local: end }, 1, () => {
    c.get(u).get(chunks).i32_rem_u().i32(CHUNK).i32_mul().set(n0);
    c.get(u).get(chunks).i32_div_u().tee(rb).get(rowBlocks).i32_div_u().set(bt);
    c.get(rb).get(rowBlocks).i32_rem_u().set(rb);
    c.get(n0)
      .i32(CHUNK)
      .i32_add()
      .tee(nEnd)
      .get(N)
      .i32_gt_s()
      .when(() => {
        c.get(N).set(nEnd);
      });
    // the block's row addresses in A (rows past M repeat the last row; their results are not stored)
    rows.forEach((r, j) => {
      c.get(rb)
        .i32(MR)
        .i32_mul()
        .i32(j)
        .i32_add()
        .tee(row)
        .get(M)
        .i32_ge_s()
        .when(() => {
          c.get(M).i32(1).i32_sub().set(row);
        });
      c.get(a)
        .get(bt)
        .get(aBatch)
        .i32_mul()
        .i32_add()
        .get(row)
        .get(K)
        .i32_mul()
        .i32(2)
        .i32_shl()
        .i32_add()
        .set(r);
    });
    c.for(n, { local: n0 }, { local: nEnd }, 8, () => {
      for (const v of acc) c.v128_f32x4([0, 0, 0, 0]).set(v);
      c.get(b).get(bt).get(bBatch).i32_mul().i32_add();
      if (packed) c.get(n).i32(3).i32_shr_u().get(K).i32_mul().i32(5).i32_shl().i32_add();
      else c.get(n).i32(2).i32_shl().i32_add();
      c.set(bp);
      c.for(kk, 0, { local: K }, 1, () => {
        c.get(bp).v128_load().set(v0);
        c.get(bp).v128_load(16).set(v1);
        rows.forEach((r, j) => {
          c.get(r).get(kk).i32(2).i32_shl().i32_add().v128_load32_splat().set(av);
          fmaPair(c, acc[j * 2] as number, acc[j * 2 + 1] as number, v0, v1, av);
        });
        c.get(bp).get(bStep).i32_add().set(bp);
      });
      c.get(N).get(n).i32_sub().set(left);
      for (let j = 0; j < MR; j++) {
        whenInBlock(
          c,
          rb,
          MR,
          j,
          M,
          () => {
            c.get(out).get(bt).get(M).i32_mul().get(row).i32_add().get(N).i32_mul().get(n).i32_add();
            c.i32(2).i32_shl().i32_add().set(op);
            storeLanes(c, op, left, acc[j * 2] as number, acc[j * 2 + 1] as number);
          },
          row,
        );
      }
    });
    c.get(program).when(() => {
      for (let j = 0; j < MR; j++) {
        whenInBlock(
          c,
          rb,
          MR,
          j,
          M,
          () => {
            c.get(program)
              .get(ARGS)
              .i32(A_.descs * 4)
              .i32_add();
            c.get(out).get(bt).get(M).i32_mul().get(row).i32_add().get(N).i32_mul().get(n0).i32_add();
            c.i32(2).i32_shl().i32_add();
            c.get(nEnd).get(n0).i32_sub().get(bt).get(row).get(n0).get(scratch);
            c.call('pointwise');
          },
          row,
        );
      }
    });
  });
}

/** B [k][n] (or [n][k] when transposed) packed as [⌈n/8⌉][k][8], zero past n. */
function packColumns(b: Float32Array, k: number, n: number, trans: boolean): Float32Array {
  const out = new Float32Array(Math.ceil(n / 8) * k * 8);
  for (let j = 0; j < n; j++)
    for (let i = 0; i < k; i++)
      out[(Math.floor(j / 8) * k + i) * 8 + (j % 8)] = b[trans ? j * k + i : i * n + j] as number;
  return out;
}

const prod = (d: readonly number[]) => d.reduce((x, y) => x * y, 1);

function plan(node: GraphNode, io: PlanIO): Step[] | undefined {
  const gemm = node.op === 'Gemm';
  const [aName, bName, cName] = node.inputs;
  const y = node.outputs[0];
  if (!aName || !bName || !y) return undefined;
  if (gemm && Number(node.attrs.transA ?? 0) === 1) return undefined;
  // a constant left operand (a training graph's Resize gradient) runs on the reference kernel
  if (io.constant(aName)) return undefined;
  const transB = gemm && Number(node.attrs.transB ?? 0) === 1;
  const aShape = io.shape(aName);
  const bConst = io.constant(bName);
  const bDims = bConst?.dims ?? io.shape(bName).dims;
  if (aShape.dtype !== 'float32' || (bConst?.dtype ?? io.shape(bName).dtype) !== 'float32') return undefined;
  if (aShape.dims.length < 2 || bDims.length < 2 || (transB && !bConst)) return undefined;
  const M = aShape.dims[aShape.dims.length - 2] as number;
  const K = aShape.dims[aShape.dims.length - 1] as number;
  const [bk, bn] = bDims.slice(-2) as [number, number];
  const N = transB ? bk : bn;
  if ((transB ? bn : bk) !== K) return undefined;
  const aBatches = prod(aShape.dims.slice(0, -2));
  const bBatches = prod(bDims.slice(0, -2));
  const out = io.shape(y).dims;
  const batches = prod(out.slice(0, -2));
  // batch broadcast: equal counts, or one side a single matrix
  if (!((aBatches === batches || aBatches === 1) && (bBatches === batches || bBatches === 1)))
    return undefined;
  if (aBatches !== 1 && bBatches !== 1 && aBatches !== bBatches) return undefined;
  const packed = bConst ? packColumns(bConst.data as Float32Array, K, N, transB) : undefined;
  if (packed && bBatches !== 1) return undefined;
  const steps: PwStep[] = [];
  const descs: Desc[] = [];
  if (gemm) {
    const alpha = Number(node.attrs.alpha ?? 1);
    const beta = Number(node.attrs.beta ?? 1);
    if (alpha !== 1) steps.push({ op: 'Mul', a: { ref: 0 }, b: { scalar: alpha } });
    const cT = cName ? io.constant(cName) : undefined;
    if (cName && cT?.dtype !== 'float32') return undefined;
    if (cT && beta !== 0) {
      const cd = Float32Array.from(cT.data as Float32Array, (v) => v * beta);
      const n = cd.length;
      const strides: [number, number, number] | undefined =
        n === 1
          ? [0, 0, 0]
          : n === N && cT.dims[cT.dims.length - 1] === N && n !== M * N
            ? [0, 0, 4]
            : n === M * N
              ? [0, N * 4, 4]
              : n === M
                ? [0, 4, 0]
                : undefined;
      if (!strides) return undefined;
      descs.push({ src: { data: cd }, batch: strides[0], channel: strides[1], element: strides[2] });
      steps.push({ op: 'Add', a: { ref: steps.length }, b: { input: 0 } });
    }
  }
  const args: Arg[] = [
    { value: aName },
    packed ? { data: packed } : { value: bName },
    { value: y },
    M,
    N,
    K,
    batches,
    aBatches === 1 ? 0 : M * K * 4,
    bBatches === 1 ? 0 : K * N * 4,
    steps.length ? { data: encodePointwise(steps) } : 0,
    { scratch: 'base' },
    { scratch: 'stride' },
    ...descArgs(descs),
  ];
  return [
    {
      kernel: packed ? 'gemm_packed' : 'gemm_rows',
      work: 2 * batches * M * N * K,
      args,
      scratch: steps.length ? pointwiseScratch(steps.length, CHUNK) : 0,
    },
  ];
}

const matmul: WasmKernel = { plan };
registerWasmKernel('MatMul', matmul);
registerWasmKernel('Gemm', matmul);
