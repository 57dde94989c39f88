// Shape functions: elementwise (broadcast), unary, casts, normalization, reductions, MatMul/Gemm.

import type { DType } from '../dtype.ts';
import { dtypeFromCode } from '../dtype.ts';
import { add, broadcastShapes, type Dim, floorDiv, mul, normAxis, sub, type ValueType } from './dims.ts';
import { REDUCE_OPS, UNARY_ELEMENTWISE } from './op-kinds.ts';
import type { OpShape, ShapeFn, ValueFn } from './types.ts';

const same: ShapeFn = (ins) => [
  ins[0] ? { dtype: ins[0].dtype, shape: ins[0].shape && [...ins[0].shape] } : undefined,
];

function bcast(dtype?: DType): ShapeFn {
  return (ins) => {
    const present = ins.filter((x) => x !== undefined) as ValueType[];
    if (present.length !== ins.length || !present.length) return [undefined];
    return [{ dtype: dtype ?? present[0]!.dtype, shape: broadcastShapes(present.map((t) => t.shape)) }];
  };
}

function arith(op: (a: Dim, b: Dim) => Dim): ValueFn {
  return (vals) => {
    const [a, b] = vals;
    if (!a || !b) return undefined;
    const n = Math.max(a.length, b.length);
    if (a.length !== n && a.length !== 1) return undefined;
    if (b.length !== n && b.length !== 1) return undefined;
    const out: Dim[] = [];
    for (let i = 0; i < n; i++) out.push(op(a[a.length === 1 ? 0 : i]!, b[b.length === 1 ? 0 : i]!));
    return out;
  };
}

const identityValue: ValueFn = (v) => v[0];

export const BASIC: Record<string, OpShape> = {
  Add: { shape: bcast(), value: arith(add) },
  Sub: { shape: bcast(), value: arith(sub) },
  Mul: { shape: bcast(), value: arith(mul) },
  Div: {
    shape: bcast(),
    value: arith((a, b) =>
      typeof a === 'number' && typeof b === 'number' ? Math.trunc(a / b) : floorDiv(a, b),
    ),
  },
  Pow: {
    shape: (ins) => [
      ins[0] && ins[1]
        ? { dtype: ins[0].dtype, shape: broadcastShapes([ins[0].shape, ins[1].shape]) }
        : undefined,
    ],
  },
  Max: { shape: bcast() },
  Min: { shape: bcast() },
  Sum: { shape: bcast() },
  Mean: { shape: bcast() },
  PRelu: { shape: bcast() },
  Mod: { shape: bcast() },
  BitShift: { shape: bcast() },
  Equal: { shape: bcast('bool') },
  Less: { shape: bcast('bool') },
  LessOrEqual: { shape: bcast('bool') },
  Greater: { shape: bcast('bool') },
  GreaterOrEqual: { shape: bcast('bool') },
  And: { shape: bcast('bool') },
  Or: { shape: bcast('bool') },
  Xor: { shape: bcast('bool') },
  Where: {
    shape: (ins) =>
      ins[0] && ins[1] && ins[2]
        ? [{ dtype: ins[1].dtype, shape: broadcastShapes([ins[0].shape, ins[1].shape, ins[2].shape]) }]
        : [undefined],
  },
  Not: { shape: same },
  Identity: { shape: same, value: identityValue },
  Cast: {
    shape: (ins, a) => [
      ins[0] ? { dtype: dtypeFromCode(a.to as number) ?? 'float32', shape: ins[0].shape } : undefined,
    ],
    value: identityValue,
  },
  CastLike: { shape: (ins) => [ins[0] && ins[1] ? { dtype: ins[1].dtype, shape: ins[0].shape } : undefined] },
  Dropout: {
    shape: (ins) => [ins[0], ins[0] ? { dtype: 'bool', shape: ins[0].shape } : undefined],
  },
  BatchNormalization: { shape: same },
  InstanceNormalization: { shape: same },
  LayerNormalization: { shape: same },
  LpNormalization: { shape: same },
  Softmax: { shape: same },
  LogSoftmax: { shape: same },
  Hardmax: { shape: same },
  QuantizeLinear: {
    shape: (ins, a) => [
      ins[0]
        ? {
            dtype: ins[2]?.dtype ?? dtypeFromCode((a.output_dtype as number) ?? 0) ?? 'uint8',
            shape: ins[0].shape,
          }
        : undefined,
    ],
  },
  DequantizeLinear: {
    shape: (ins) => [ins[0] ? { dtype: ins[1]?.dtype ?? 'float32', shape: ins[0].shape } : undefined],
  },
  MatMul: { shape: (ins) => [matmul(ins[0], ins[1])] },
  MatMulInteger: { shape: (ins) => [retype(matmul(ins[0], ins[1]), 'int32')] },
  QLinearMatMul: { shape: (ins) => [retype(matmul(ins[0], ins[3]), ins[7]?.dtype ?? 'uint8')] },
  DynamicQuantizeLinear: {
    shape: (ins) => [retype(ins[0], 'uint8'), { dtype: 'float32', shape: [] }, { dtype: 'uint8', shape: [] }],
  },
  Gemm: {
    shape: (ins, a) => {
      const [A, B] = ins;
      if (!A?.shape || !B?.shape) return [A ? { dtype: A.dtype, shape: undefined } : undefined];
      const m = a.transA ? A.shape[1]! : A.shape[0]!;
      const n = a.transB ? B.shape[0]! : B.shape[1]!;
      return [{ dtype: A.dtype, shape: [m, n] }];
    },
  },
};

for (const op of UNARY_ELEMENTWISE) {
  BASIC[op] = { shape: op === 'IsNaN' || op === 'IsInf' ? (ins) => [retype(ins[0], 'bool')] : same };
}

function retype(t: ValueType | undefined, dtype: DType): ValueType | undefined {
  return t ? { dtype, shape: t.shape } : undefined;
}

export function matmul(A: ValueType | undefined, B: ValueType | undefined): ValueType | undefined {
  if (!A || !B) return undefined;
  if (!A.shape || !B.shape) return { dtype: A.dtype, shape: undefined };
  const a = A.shape.length === 1 ? [1, A.shape[0]!] : A.shape;
  const b = B.shape.length === 1 ? [B.shape[0]!, 1] : B.shape;
  const batch = broadcastShapes([a.slice(0, -2), b.slice(0, -2)])!;
  const out = [...batch];
  if (A.shape.length !== 1) out.push(a[a.length - 2]!);
  if (B.shape.length !== 1) out.push(b[b.length - 1]!);
  return { dtype: A.dtype, shape: out };
}

function reduceAxes(
  ins: (ValueType | undefined)[],
  attrs: Record<string, unknown>,
  values: (Dim[] | undefined)[],
  op: string,
  opset: number,
): number[] | undefined | 'all' {
  const inputAxes = (op === 'ReduceSum' && opset >= 13) || opset >= 18;
  if (inputAxes && ins.length > 1 && ins[1]) {
    const v = values[1];
    if (!v || v.some((d) => typeof d !== 'number')) return undefined;
    return v.length ? (v as number[]) : attrs.noop_with_empty_axes ? [] : 'all';
  }
  if (inputAxes && attrs.noop_with_empty_axes) return []; // axes input absent: no reduction
  const a = attrs.axes as number[] | undefined;
  return a?.length ? a : 'all';
}

function reduce(op: string): ShapeFn {
  return (ins, attrs, ctx) => {
    const x = ins[0];
    if (!x?.shape) return [x ? { dtype: x.dtype, shape: undefined } : undefined];
    const keep = (attrs.keepdims as number | undefined) ?? 1;
    const axes = reduceAxes(ins, attrs as Record<string, unknown>, ctx.values, op, ctx.opset);
    if (axes === undefined) return [{ dtype: x.dtype, shape: undefined }];
    const r = x.shape.length;
    const set = new Set(axes === 'all' ? x.shape.map((_, i) => i) : axes.map((a) => normAxis(a, r)));
    const shape: Dim[] = [];
    x.shape.forEach((d, i) => {
      if (!set.has(i)) shape.push(d);
      else if (keep) shape.push(1);
    });
    return [{ dtype: x.dtype, shape }];
  };
}

for (const op of REDUCE_OPS) {
  BASIC[op] = { shape: reduce(op) };
}

function argReduce(): ShapeFn {
  return (ins, attrs) => {
    const x = ins[0];
    if (!x?.shape) return [x ? { dtype: 'int64', shape: undefined } : undefined];
    const axis = normAxis((attrs.axis as number) ?? 0, x.shape.length);
    const keep = (attrs.keepdims as number | undefined) ?? 1;
    const shape = x.shape.flatMap((d, i) => (i !== axis ? [d] : keep ? [1] : []));
    return [{ dtype: 'int64', shape }];
  };
}
BASIC.ArgMax = { shape: argReduce() };
BASIC.ArgMin = { shape: argReduce() };
