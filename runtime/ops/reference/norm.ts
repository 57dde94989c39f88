// Normalizations and reductions: BatchNormalization (inference), Softmax (both opset semantics), ReduceMean.

import { UserError } from '../../errors.ts';
import { sizeOf, type Tensor } from '../../ir/tensor.ts';
import type { Attrs, OpDef, ValueType } from '../registry.ts';
import type { FArr } from './gemm.ts';
import { attrFloat, attrInt, attrInts, normAxis, requireInput, tensor, toNumbers } from './util.ts';

function batchNorm(inp: (Tensor | undefined)[], attrs: Attrs): Tensor[] {
  const X = requireInput(inp[0], 'BatchNormalization', 'X');
  const [s, b, m, v] = [1, 2, 3, 4].map(
    (i) => requireInput(inp[i], 'BatchNormalization', `input ${i}`).data as FArr,
  );
  const eps = attrFloat(attrs, 'epsilon', 1e-5);
  const N = X.dims[0]!;
  const C = X.dims[1] ?? 1;
  const P = sizeOf(X.dims.slice(2));
  const out = tensor(X.dtype, X.dims);
  const x = X.data as FArr;
  const o = out.data as FArr;
  for (let c = 0; c < C; c++) {
    const k = Math.fround(s![c]! / Math.sqrt(v![c]! + eps));
    const a = Math.fround(b![c]! - m![c]! * k);
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * P;
      for (let i = 0; i < P; i++) o[base + i] = x[base + i]! * k + a;
    }
  }
  return [out];
}

/** Softmax over `inner` contiguous elements, for `outer` rows separated by `inner`·`tail`. */
function softmaxRows(x: FArr, o: FArr, outer: number, len: number, tail: number): void {
  for (let a = 0; a < outer; a++)
    for (let t = 0; t < tail; t++) {
      const base = a * len * tail + t;
      let mx = -Infinity;
      for (let i = 0; i < len; i++) mx = Math.max(mx, x[base + i * tail]!);
      let sum = 0;
      for (let i = 0; i < len; i++) {
        const e = Math.exp(x[base + i * tail]! - mx);
        o[base + i * tail] = e;
        sum += e;
      }
      for (let i = 0; i < len; i++) o[base + i * tail] /= sum;
    }
}

function softmax(inp: (Tensor | undefined)[], attrs: Attrs, opset: number): Tensor[] {
  const X = requireInput(inp[0], 'Softmax', 'input');
  const r = X.dims.length;
  const out = tensor(X.dtype, X.dims);
  if (opset < 13) {
    const axis = normAxis(attrInt(attrs, 'axis', 1), Math.max(r, 1), 'Softmax');
    const outer = sizeOf(X.dims.slice(0, axis));
    softmaxRows(X.data as FArr, out.data as FArr, outer, sizeOf(X.dims.slice(axis)), 1);
  } else {
    const axis = normAxis(attrInt(attrs, 'axis', -1), Math.max(r, 1), 'Softmax');
    softmaxRows(
      X.data as FArr,
      out.data as FArr,
      sizeOf(X.dims.slice(0, axis)),
      X.dims[axis] ?? 1,
      sizeOf(X.dims.slice(axis + 1)),
    );
  }
  return [out];
}

function reduceAxes(inp: (Tensor | undefined)[], attrs: Attrs, opset: number, r: number): number[] {
  let axes = opset >= 18 ? (inp[1] ? toNumbers(inp[1]) : undefined) : attrInts(attrs, 'axes');
  if (!axes || axes.length === 0) {
    if (attrInt(attrs, 'noop_with_empty_axes', 0)) return [];
    axes = Array.from({ length: r }, (_, i) => i);
  }
  return [...new Set(axes.map((a) => normAxis(a, r, 'ReduceMean')))].sort((a, b) => a - b);
}

function reduceMean(inp: (Tensor | undefined)[], attrs: Attrs, opset: number): Tensor[] {
  const X = requireInput(inp[0], 'ReduceMean', 'data');
  const r = X.dims.length;
  const axes = reduceAxes(inp, attrs, opset, r);
  const keep = attrInt(attrs, 'keepdims', 1);
  if (axes.length === 0) return [X];
  const kd = X.dims.map((d, i) => (axes.includes(i) ? 1 : d));
  const outDims = keep ? kd : X.dims.filter((_, i) => !axes.includes(i));
  const acc = new Float64Array(sizeOf(kd));
  const x = X.data as FArr;
  if (Array.isArray(X.data) || X.data instanceof BigInt64Array)
    throw new UserError('ReduceMean: numeric float input required');
  // walk input with an odometer, mapping to the kept-dims index
  const ks: number[] = new Array(r);
  let acc1 = 1;
  for (let i = r - 1; i >= 0; i--) {
    ks[i] = axes.includes(i) ? 0 : acc1;
    acc1 *= kd[i]!;
  }
  const ctr = new Array<number>(r).fill(0);
  let k = 0;
  const n = x.length;
  for (let i = 0; i < n; i++) {
    acc[k] += x[i]!;
    for (let ax = r - 1; ax >= 0; ax--) {
      ctr[ax]!++;
      k += ks[ax]!;
      if (ctr[ax]! < X.dims[ax]!) break;
      k -= ks[ax]! * X.dims[ax]!;
      ctr[ax] = 0;
    }
  }
  const cnt = sizeOf(X.dims) / sizeOf(kd);
  const out = tensor(X.dtype, outDims);
  const o = out.data as FArr;
  for (let i = 0; i < acc.length; i++) o[i] = acc[i]! / cnt;
  return [out];
}

const sameType = (inputs: (ValueType | undefined)[]): ValueType[] => (inputs[0] ? [{ ...inputs[0] }] : []);

export const NORM_OPS: OpDef[] = [
  { type: 'BatchNormalization', shape: sameType, reference: (inp, attrs) => batchNorm(inp, attrs) },
  { type: 'Softmax', shape: sameType, reference: (inp, attrs, ctx) => softmax(inp, attrs, ctx.opset) },
  {
    type: 'ReduceMean',
    shape: (inputs, attrs, ctx, consts) => {
      const x = inputs[0];
      if (!x?.shape) return x ? [{ dtype: x.dtype, shape: undefined }] : [];
      const axes = reduceAxes(consts, attrs, ctx.opset, x.shape.length);
      const keep = attrInt(attrs, 'keepdims', 1);
      const shape = keep
        ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
        : x.shape.filter((_, i) => !axes.includes(i));
      return [{ dtype: x.dtype, shape }];
    },
    reference: (inp, attrs, ctx) => reduceMean(inp, attrs, ctx.opset),
  },
];
