// Quantization: Quantize/DequantizeLinear (per tensor, per axis, blocked; 8/4/2-bit), MatMulInteger, ConvInteger,
// QLinearConv, QLinearMatMul — integer sums are exact (float64), requantization rounds half to even like onnxruntime.

import { UserError } from '../../errors.ts';
import { type DType, dtypeFromCode } from '../../ir/dtype.ts';
import { sizeOf, type Tensor } from '../../ir/tensor.ts';
import type { Attrs } from '../../ir/types.ts';
import type { OpDef } from '../registry.ts';
import { conv2d, convSetup } from './conv.ts';
import { batchOffsets, type FArr, gemm, matmulShapes, matmulType } from './gemm.ts';
import { asFloat, attrInt, normAxis, requireInput, tensor } from './util.ts';

const f = Math.fround;

export const INT_RANGE: Partial<Record<DType, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int4: [-8, 7],
  uint4: [0, 15],
  int2: [-2, 1],
  uint2: [0, 3],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
};

/** Round half to even (what std::nearbyint does in the default rounding mode). */
export function roundEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** For element i of X, the index of its scale / zero point (per tensor, per axis or blocked). */
function scaleIndexer(X: Tensor, S: Tensor, attrs: Attrs, op: string): (i: number) => number {
  const ns = sizeOf(S.dims);
  if (S.dims.length === 0 || (ns === 1 && S.dims.length <= 1)) return () => 0;
  const r = X.dims.length;
  const axis = normAxis(attrInt(attrs, 'axis', 1), r, op);
  const D = X.dims[axis]!;
  const inner = sizeOf(X.dims.slice(axis + 1));
  const block = attrInt(attrs, 'block_size', 0);
  if (block > 0) {
    const nb = Math.ceil(D / block);
    if (S.dims.length !== r || S.dims[axis] !== nb || S.dims.some((d, k) => k !== axis && d !== X.dims[k]))
      throw new UserError(
        `${op}: blocked scale must have shape [${X.dims.map((d, k) => (k === axis ? nb : d))}], got [${S.dims}]`,
      );
    return (i) => {
      const t = i % inner;
      const c = Math.floor(i / inner) % D;
      const o = Math.floor(i / (inner * D));
      return (o * nb + Math.floor(c / block)) * inner + t;
    };
  }
  if (S.dims.length !== 1 || S.dims[0] !== D)
    throw new UserError(`${op}: per-axis scale must have shape [${D}] (axis ${axis}), got [${S.dims}]`);
  return (i) => Math.floor(i / inner) % D;
}

function quantize(inp: (Tensor | undefined)[], attrs: Attrs): Tensor[] {
  const X = requireInput(inp[0], 'QuantizeLinear', 'x');
  const S = requireInput(inp[1], 'QuantizeLinear', 'y_scale');
  const Z = inp[2];
  const code = attrInt(attrs, 'output_dtype', 0);
  const dtype: DType = Z?.dtype ?? (code ? dtypeFromCode(code) : undefined) ?? 'uint8';
  const range = INT_RANGE[dtype];
  if (!range) throw new UserError(`QuantizeLinear: output type ${dtype} is not supported`);
  const idx = scaleIndexer(X, S, attrs, 'QuantizeLinear');
  const out = tensor(dtype, X.dims);
  const o = out.data as FArr | Int8Array | Uint8Array;
  const x = asFloat(X);
  const s = asFloat(S);
  const z = Z ? asFloat(Z) : undefined;
  for (let i = 0; i < x.length; i++) {
    const k = idx(i);
    const q = roundEven(f(x[i]! / s[k]!)) + (z ? z[k]! : 0);
    o[i] = Number.isNaN(q) ? 0 : Math.min(range[1], Math.max(range[0], q));
  }
  return [out];
}

function dequantize(inp: (Tensor | undefined)[], attrs: Attrs): Tensor[] {
  const X = requireInput(inp[0], 'DequantizeLinear', 'x');
  const S = requireInput(inp[1], 'DequantizeLinear', 'x_scale');
  const Z = inp[2];
  const idx = scaleIndexer(X, S, attrs, 'DequantizeLinear');
  const out = tensor(S.dtype === 'float64' ? 'float64' : 'float32', X.dims);
  const o = out.data as FArr;
  const x = asFloat(X);
  const s = asFloat(S);
  const z = Z ? asFloat(Z) : undefined;
  for (let i = 0; i < x.length; i++) {
    const k = idx(i);
    o[i] = (x[i]! - (z ? z[k]! : 0)) * s[k]!;
  }
  return [out];
}

/** X − zero point as float64 (zero point per tensor, or per row/column along `axis` of a 2-D operand). */
function centered(X: Tensor, Z: Tensor | undefined, perAxis: number): Float64Array {
  const x = asFloat(X);
  const out = new Float64Array(x.length);
  const z = Z ? asFloat(Z) : undefined;
  if (!z || z.length <= 1) {
    const zz = z ? z[0]! : 0;
    for (let i = 0; i < x.length; i++) out[i] = x[i]! - zz;
    return out;
  }
  const r = X.dims.length;
  const inner = perAxis === r - 1 ? 1 : sizeOf(X.dims.slice(perAxis + 1));
  const D = X.dims[perAxis]!;
  if (z.length !== D) throw new UserError(`zero point of length ${z.length} does not match dimension ${D}`);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! - z[Math.floor(i / inner) % D]!;
  return out;
}

function intMatmul(
  A: Float64Array,
  ad: readonly number[],
  B: Float64Array,
  bd: readonly number[],
  op: string,
) {
  const { M, K, N, batch, outDims, aB, bB } = matmulShapes(ad, bd, op);
  const acc = new Float64Array(sizeOf(outDims));
  const [oa, ob] = batchOffsets(aB, bB, batch);
  for (let i = 0; i < oa.length; i++)
    gemm(M, N, K, A, oa[i]! * M * K, K, B, ob[i]! * K * N, N, acc, i * M * N, N, false);
  return { acc, outDims };
}

function requant(
  acc: Float64Array,
  mult: (i: number) => number,
  zp: number,
  dtype: DType,
  dims: number[],
): Tensor {
  const range = INT_RANGE[dtype] ?? [0, 255];
  const out = tensor(dtype, dims);
  const o = out.data as Int8Array | Uint8Array;
  for (let i = 0; i < acc.length; i++) {
    const q = roundEven(f(f(acc[i]!) * mult(i))) + zp;
    o[i] = Math.min(range[1], Math.max(range[0], q));
  }
  return out;
}

function qlinearMatMul(inp: (Tensor | undefined)[]): Tensor[] {
  const [a, as, az, b, bs, bz, ys, yz] = inp;
  const A = requireInput(a, 'QLinearMatMul', 'a');
  const B = requireInput(b, 'QLinearMatMul', 'b');
  const { acc, outDims } = intMatmul(
    centered(A, az, A.dims.length - 2),
    A.dims,
    centered(B, bz, B.dims.length - 1),
    B.dims,
    'QLinearMatMul',
  );
  const sa = asFloat(requireInput(as, 'QLinearMatMul', 'a_scale'))[0]!;
  const sb = asFloat(requireInput(bs, 'QLinearMatMul', 'b_scale'));
  const sy = asFloat(requireInput(ys, 'QLinearMatMul', 'y_scale'))[0]!;
  const N = outDims[outDims.length - 1]!;
  const mult = (i: number) => f(f(sa * sb[sb.length === 1 ? 0 : i % N]!) / sy);
  const zp = yz ? Number(yz.data[0]) : 0;
  return [requant(acc, mult, zp, yz?.dtype ?? 'uint8', outDims)];
}

function intConv(
  X: Tensor,
  W: Tensor,
  xz: Tensor | undefined,
  wz: Tensor | undefined,
  attrs: Attrs,
  op: string,
) {
  const { p, xd, wd, outDims } = convSetup(op, X, W, attrs);
  const x = centered(X, xz, 1);
  const w = centered(W, wz, 0);
  const acc = conv2d(x, xd, w, wd, undefined, p, p.oh, p.ow) as Float64Array;
  return { acc, outDims };
}

function qlinearConv(inp: (Tensor | undefined)[], attrs: Attrs): Tensor[] {
  const [x, xs, xz, w, ws, wz, ys, yz, bias] = inp;
  const X = requireInput(x, 'QLinearConv', 'x');
  const W = requireInput(w, 'QLinearConv', 'w');
  const { acc, outDims } = intConv(X, W, xz, wz, attrs, 'QLinearConv');
  const M = outDims[1]!;
  const P = sizeOf(outDims.slice(2));
  if (bias) {
    const bb = asFloat(bias);
    for (let i = 0; i < acc.length; i++) acc[i] += bb[Math.floor(i / P) % M]!;
  }
  const sx = asFloat(requireInput(xs, 'QLinearConv', 'x_scale'))[0]!;
  const sw = asFloat(requireInput(ws, 'QLinearConv', 'w_scale'));
  const sy = asFloat(requireInput(ys, 'QLinearConv', 'y_scale'))[0]!;
  const mult = (i: number) => f(f(sx * sw[sw.length === 1 ? 0 : Math.floor(i / P) % M]!) / sy);
  const zp = yz ? Number(yz.data[0]) : 0;
  return [requant(acc, mult, zp, yz?.dtype ?? X.dtype, outDims)];
}

function toInt32(acc: Float64Array, dims: number[]): Tensor {
  return tensor('int32', dims, Int32Array.from(acc));
}

export const QUANT_OPS: OpDef[] = [
  {
    type: 'QuantizeLinear',
    shape: (inputs, attrs) => {
      const code = attrInt(attrs, 'output_dtype', 0);
      const dtype = inputs[2]?.dtype ?? (code ? dtypeFromCode(code) : undefined) ?? 'uint8';
      return [{ dtype, shape: inputs[0]?.shape }];
    },
    reference: (inp, attrs) => quantize(inp, attrs),
  },
  {
    type: 'DequantizeLinear',
    shape: (inputs) => [{ dtype: inputs[1]?.dtype ?? 'float32', shape: inputs[0]?.shape }],
    reference: (inp, attrs) => dequantize(inp, attrs),
  },
  {
    type: 'MatMulInteger',
    reference: (inp) => {
      const A = requireInput(inp[0], 'MatMulInteger', 'A');
      const B = requireInput(inp[1], 'MatMulInteger', 'B');
      const { acc, outDims } = intMatmul(
        centered(A, inp[2], A.dims.length - 2),
        A.dims,
        centered(B, inp[3], B.dims.length - 1),
        B.dims,
        'MatMulInteger',
      );
      return [toInt32(acc, outDims)];
    },
  },
  {
    type: 'ConvInteger',
    reference: (inp, attrs) => {
      const X = requireInput(inp[0], 'ConvInteger', 'x');
      const W = requireInput(inp[1], 'ConvInteger', 'w');
      const { acc, outDims } = intConv(X, W, inp[2], inp[3], attrs, 'ConvInteger');
      return [toInt32(acc, outDims)];
    },
  },
  { type: 'QLinearConv', reference: (inp, attrs) => qlinearConv(inp, attrs) },
  {
    type: 'QLinearMatMul',
    shape: (inputs) => {
      const [t] = matmulType([inputs[0], inputs[3]]);
      return t ? [{ dtype: inputs[7]?.dtype ?? 'uint8', shape: t.shape }] : [];
    },
    reference: (inp) => qlinearMatMul(inp),
  },
];
