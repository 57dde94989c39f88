// Elementwise reference kernels: broadcasting binary arithmetic, unary activations, Clip, Cast, Identity.

import { UserError } from '../../errors.ts';
import { type DType, dtypeFromCode } from '../../ir/dtype.ts';
import { type Dims, sizeOf, type Tensor } from '../../ir/tensor.ts';
import type { Attrs, ValueType } from '../../ir/types.ts';
import type { KernelContext, OpDef } from '../registry.ts';
import { attrFloat, attrInt, broadcastDims, isBig, requireInput, stridesOf, tensor } from './util.ts';

type NumArr = Exclude<Tensor['data'], Uint8Array[] | BigInt64Array | BigUint64Array>;

/** Axes of a broadcast with adjacent axes merged where both inputs step contiguously. */
function plan(a: Dims, b: Dims, out: Dims): { d: number[]; sa: number[]; sb: number[] } {
  const r = out.length;
  const pa = stridesOf(a);
  const pb = stridesOf(b);
  const axes: [number, number, number][] = [];
  for (let i = 0; i < r; i++) {
    const n = out[i]!;
    if (n === 1) continue;
    const ia = i - (r - a.length);
    const ib = i - (r - b.length);
    const sa = ia >= 0 && a[ia] !== 1 ? pa[ia]! : 0;
    const sb = ib >= 0 && b[ib] !== 1 ? pb[ib]! : 0;
    const last = axes[axes.length - 1];
    if (last && last[1] === sa * n && last[2] === sb * n) {
      last[0] *= n;
      last[1] = sa;
      last[2] = sb;
    } else axes.push([n, sa, sb]);
  }
  if (axes.length === 0) axes.push([1, 0, 0]);
  return { d: axes.map((x) => x[0]), sa: axes.map((x) => x[1]), sb: axes.map((x) => x[2]) };
}

/** One contiguous run of a binary op, with the four arithmetic ops as monomorphic loops. */
function innerLoop(
  op: string,
  f: (x: number, y: number) => number,
  o: NumArr,
  oi: number,
  a: NumArr,
  x: number,
  ia: number,
  b: NumArr,
  y: number,
  ib: number,
  n: number,
): void {
  switch (op) {
    case 'Add':
      for (let j = 0; j < n; j++, x += ia, y += ib) o[oi + j] = a[x]! + b[y]!;
      return;
    case 'Sub':
      for (let j = 0; j < n; j++, x += ia, y += ib) o[oi + j] = a[x]! - b[y]!;
      return;
    case 'Mul':
      for (let j = 0; j < n; j++, x += ia, y += ib) o[oi + j] = a[x]! * b[y]!;
      return;
    case 'Div':
      for (let j = 0; j < n; j++, x += ia, y += ib) o[oi + j] = a[x]! / b[y]!;
      return;
    default:
      for (let j = 0; j < n; j++, x += ia, y += ib) o[oi + j] = f(a[x]!, b[y]!);
  }
}

function binaryNum(
  op: string,
  a: NumArr,
  b: NumArr,
  o: NumArr,
  p: ReturnType<typeof plan>,
  f: (x: number, y: number) => number,
) {
  const { d, sa, sb } = p;
  const r = d.length;
  const inner = d[r - 1]!;
  const ia = sa[r - 1]!;
  const ib = sb[r - 1]!;
  const outer = o.length / inner;
  const ctr = new Array<number>(r).fill(0);
  let offA = 0;
  let offB = 0;
  let oi = 0;
  for (let t = 0; t < outer; t++) {
    const x = offA;
    const y = offB;
    innerLoop(op, f, o, oi, a, x, ia, b, y, ib, inner);
    oi += inner;
    for (let ax = r - 2; ax >= 0; ax--) {
      ctr[ax]!++;
      offA += sa[ax]!;
      offB += sb[ax]!;
      if (ctr[ax]! < d[ax]!) break;
      offA -= sa[ax]! * d[ax]!;
      offB -= sb[ax]! * d[ax]!;
      ctr[ax] = 0;
    }
  }
}

function binaryBig(
  a: BigInt64Array | BigUint64Array,
  b: BigInt64Array | BigUint64Array,
  o: BigInt64Array | BigUint64Array,
  p: ReturnType<typeof plan>,
  f: (x: bigint, y: bigint) => bigint,
) {
  const { d, sa, sb } = p;
  const r = d.length;
  const ctr = new Array<number>(r).fill(0);
  let x = 0;
  let y = 0;
  for (let i = 0; i < o.length; i++) {
    o[i] = f(a[x]!, b[y]!);
    for (let ax = r - 1; ax >= 0; ax--) {
      ctr[ax]!++;
      x += sa[ax]!;
      y += sb[ax]!;
      if (ctr[ax]! < d[ax]!) break;
      x -= sa[ax]! * d[ax]!;
      y -= sb[ax]! * d[ax]!;
      ctr[ax] = 0;
    }
  }
}

/** Broadcast a binary function over two tensors of the same dtype; output dtype = input dtype. */
export function binary(
  op: string,
  A: Tensor,
  B: Tensor,
  fnum: (x: number, y: number) => number,
  fbig: (x: bigint, y: bigint) => bigint,
): Tensor {
  if (A.dtype !== B.dtype && !(op === 'Pow'))
    throw new UserError(`${op}: input dtypes differ (${A.dtype} and ${B.dtype})`);
  const dims = broadcastDims(A.dims, B.dims, op);
  const out = tensor(A.dtype, dims);
  if (sizeOf(dims) === 0) return out;
  const p = plan(A.dims, B.dims, dims);
  if (isBig(A.data)) {
    const bd = isBig(B.data) ? B.data : BigInt64Array.from(Array.from(B.data as NumArr, (v) => BigInt(v)));
    binaryBig(A.data, bd, out.data as BigInt64Array, p, fbig);
  } else {
    const bd = isBig(B.data) ? Float64Array.from(B.data, Number) : (B.data as NumArr);
    binaryNum(op, A.data as NumArr, bd, out.data as NumArr, p, fnum);
  }
  return out;
}

function typeOfBinary(inputs: (ValueType | undefined)[]): ValueType[] {
  const [a, b] = inputs;
  if (!a) return [];
  if (!a.shape || !b?.shape) return [{ dtype: a.dtype, shape: undefined }];
  const r = Math.max(a.shape.length, b.shape.length);
  const shape = Array.from({ length: r }, (_, i) => {
    const x = a.shape![a.shape!.length - r + i] ?? 1;
    const y = b.shape![b.shape!.length - r + i] ?? 1;
    return x === 1 ? y : x;
  });
  return [{ dtype: a.dtype, shape }];
}

const sameType = (inputs: (ValueType | undefined)[]): ValueType[] => (inputs[0] ? [{ ...inputs[0] }] : []);

const bigDiv = (x: bigint, y: bigint) => x / y;
const bigPow = (x: bigint, y: bigint) => (y < 0n ? 0n : x ** y);

function binOp(
  type: string,
  fnum: (x: number, y: number) => number,
  fbig: (x: bigint, y: bigint) => bigint,
): OpDef {
  return {
    type,
    shape: typeOfBinary,
    reference: (inp) => [
      binary(type, requireInput(inp[0], type, 'A'), requireInput(inp[1], type, 'B'), fnum, fbig),
    ],
  };
}

function mapFloat(x: Tensor, f: (v: number) => number): Tensor {
  const out = tensor(x.dtype, x.dims);
  const s = x.data as NumArr;
  const o = out.data as NumArr;
  for (let i = 0; i < s.length; i++) o[i] = f(s[i]!);
  return out;
}

/** Clip to [lo, hi] (NaN stays NaN), a monomorphic loop: it runs on whole feature maps. */
function clipFloat(x: Tensor, lo: number, hi: number): Tensor {
  const out = tensor(x.dtype, x.dims);
  const s = x.data as NumArr;
  const o = out.data as NumArr;
  for (let i = 0; i < s.length; i++) {
    const v = s[i]!;
    // biome-ignore lint/complexity/useMathMinMax: the ternary keeps NaN as NaN, as onnxruntime does
    o[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return out;
}

/** max(0, min(1, alpha·x + beta)) as a monomorphic loop. */
function hardSigmoid(x: Tensor, alpha: number, beta: number): Tensor {
  const out = tensor(x.dtype, x.dims);
  const s = x.data as NumArr;
  const o = out.data as NumArr;
  for (let i = 0; i < s.length; i++) {
    const v = alpha * s[i]! + beta;
    // biome-ignore lint/complexity/useMathMinMax: the ternary keeps NaN as NaN, as onnxruntime does
    o[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return out;
}

function unary(type: string, make: (attrs: Attrs, ctx: KernelContext) => (v: number) => number): OpDef {
  return {
    type,
    shape: sameType,
    reference: (inp, attrs, ctx) => {
      const x = requireInput(inp[0], type, 'X');
      if (isBig(x.data)) throw new UserError(`${type}: int64 input is not supported`);
      return [mapFloat(x, make(attrs, ctx))];
    },
  };
}

const f32 = Math.fround;

/** Element type conversion as onnxruntime does it (float→int truncates toward zero). */
export function castTensor(x: Tensor, to: DType): Tensor {
  if (x.dtype === to) return x;
  const out = tensor(to, x.dims);
  const o = out.data;
  const s = x.data;
  if (Array.isArray(s) || Array.isArray(o)) throw new UserError('Cast: string tensors are not supported');
  const n = sizeOf(x.dims);
  if (isBig(o)) {
    for (let i = 0; i < n; i++) {
      const v = s[i]!;
      o[i] = typeof v === 'bigint' ? v : Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
    }
  } else if (to === 'bool') {
    for (let i = 0; i < n; i++) o[i] = s[i] ? 1 : 0;
  } else if (to === 'float16' || to === 'bfloat16') {
    throw new UserError(`Cast: to ${to} is not supported by the reference kernel`);
  } else {
    for (let i = 0; i < n; i++) {
      const v = Number(s[i]!);
      o[i] = out.dtype === 'float32' || out.dtype === 'float64' ? v : Math.trunc(v);
    }
  }
  return out;
}

export const ELEMENTWISE_OPS: OpDef[] = [
  binOp(
    'Add',
    (x, y) => x + y,
    (x, y) => x + y,
  ),
  binOp(
    'Sub',
    (x, y) => x - y,
    (x, y) => x - y,
  ),
  binOp(
    'Mul',
    (x, y) => x * y,
    (x, y) => x * y,
  ),
  binOp('Div', (x, y) => x / y, bigDiv),
  binOp('Pow', (x, y) => x ** y, bigPow),
  unary('Sqrt', () => Math.sqrt),
  {
    type: 'Relu',
    shape: sameType,
    reference: (inp) => [clipFloat(requireInput(inp[0], 'Relu', 'X'), 0, Infinity)],
  },
  unary('Sigmoid', () => (v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)))),
  {
    type: 'HardSigmoid',
    shape: sameType,
    reference: (inp, attrs) => [
      hardSigmoid(
        requireInput(inp[0], 'HardSigmoid', 'X'),
        f32(attrFloat(attrs, 'alpha', 0.2)),
        f32(attrFloat(attrs, 'beta', 0.5)),
      ),
    ],
  },
  unary('HardSwish', () => (v) => v * Math.max(0, Math.min(1, v / 6 + 0.5))),
  {
    type: 'Clip',
    shape: sameType,
    reference: (inp, attrs, ctx) => {
      const x = requireInput(inp[0], 'Clip', 'input');
      let lo = -Infinity;
      let hi = Infinity;
      if (ctx.opset < 11) {
        lo = attrFloat(attrs, 'min', -3.4028234663852886e38);
        hi = attrFloat(attrs, 'max', 3.4028234663852886e38);
      } else {
        if (inp[1]) lo = Number(inp[1].data[0]);
        if (inp[2]) hi = Number(inp[2].data[0]);
      }
      if (isBig(x.data)) {
        const out = tensor(x.dtype, x.dims);
        const o = out.data as BigInt64Array;
        const s = x.data;
        for (let i = 0; i < s.length; i++) {
          const v = Number(s[i]);
          o[i] = BigInt(Math.min(hi, Math.max(lo, v)));
        }
        return [out];
      }
      return [clipFloat(x, lo, hi)];
    },
  },
  { type: 'Identity', shape: sameType, reference: (inp) => [requireInput(inp[0], 'Identity', 'input')] },
  {
    type: 'Dropout',
    shape: (inputs) => (inputs[0] ? [{ ...inputs[0] }, { dtype: 'bool', shape: inputs[0].shape }] : []),
    reference: (inp) => {
      const x = requireInput(inp[0], 'Dropout', 'data');
      const mask = {
        dtype: 'bool' as DType,
        dims: [...x.dims],
        data: new Uint8Array(sizeOf(x.dims)).fill(1),
      };
      return [x, mask];
    },
  },
  {
    type: 'Cast',
    shape: (inputs, attrs) => {
      const to = dtypeFromCode(attrInt(attrs, 'to', 1));
      return to ? [{ dtype: to, shape: inputs[0]?.shape }] : [];
    },
    reference: (inp, attrs) => {
      const x = requireInput(inp[0], 'Cast', 'input');
      const code = attrInt(attrs, 'to', 0);
      const to = dtypeFromCode(code);
      if (!to) throw new UserError(`Cast: unknown target type ${code}`);
      return [castTensor(x, to)];
    },
  },
];
