// Reductions over axes (ReduceSum/Mean/Max/Min/Prod/SumSquare/L1/L2, keepdims, axes as attribute or input)
// and ArgMax/ArgMin.

import { UserError } from '../../errors.ts';
import { sizeOf, type Tensor } from '../../ir/tensor.ts';
import type { Attrs } from '../../ir/types.ts';
import type { OpDef } from '../registry.ts';
import type { FArr } from './gemm.ts';
import { asFloat, attrInt, attrInts, normAxis, requireInput, tensor, toNumbers } from './util.ts';

type Kind = 'Sum' | 'Mean' | 'Max' | 'Min' | 'Prod' | 'SumSquare' | 'L1' | 'L2';

function reduceAxes(
  op: string,
  inp: (Tensor | undefined)[],
  attrs: Attrs,
  opset: number,
  r: number,
): number[] {
  const fromInput = op === 'ReduceSum' ? opset >= 13 : opset >= 18;
  let axes = fromInput ? (inp[1] ? toNumbers(inp[1]) : undefined) : attrInts(attrs, 'axes');
  if (!axes || axes.length === 0) {
    if (attrInt(attrs, 'noop_with_empty_axes', 0)) return [];
    axes = Array.from({ length: r }, (_, i) => i);
  }
  return [...new Set(axes.map((a) => normAxis(a, r, op)))].sort((a, b) => a - b);
}

/** For each input element (row-major walk), the flat index of its reduced cell. */
function cellIndex(dims: readonly number[], axes: number[]): { kd: number[]; at: Int32Array } {
  const r = dims.length;
  const kd = dims.map((d, i) => (axes.includes(i) ? 1 : d));
  const ks: number[] = new Array(r);
  let s = 1;
  for (let i = r - 1; i >= 0; i--) {
    ks[i] = axes.includes(i) ? 0 : s;
    s *= kd[i]!;
  }
  const n = sizeOf(dims);
  const at = new Int32Array(n);
  const ctr = new Array<number>(r).fill(0);
  let k = 0;
  for (let i = 0; i < n; i++) {
    at[i] = k;
    for (let ax = r - 1; ax >= 0; ax--) {
      ctr[ax]!++;
      k += ks[ax]!;
      if (ctr[ax]! < dims[ax]!) break;
      k -= ks[ax]! * dims[ax]!;
      ctr[ax] = 0;
    }
  }
  return { kd, at };
}

function reduce(kind: Kind, inp: (Tensor | undefined)[], attrs: Attrs, opset: number): Tensor[] {
  const op = `Reduce${kind}`;
  const X = requireInput(inp[0], op, 'data');
  const axes = reduceAxes(op, inp, attrs, opset, X.dims.length);
  if (axes.length === 0) return [X];
  const keep = attrInt(attrs, 'keepdims', 1);
  const { kd, at } = cellIndex(X.dims, axes);
  const x = asFloat(X);
  const init = kind === 'Max' ? -Infinity : kind === 'Min' ? Infinity : kind === 'Prod' ? 1 : 0;
  const acc = new Float64Array(sizeOf(kd)).fill(init);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const k = at[i]!;
    switch (kind) {
      case 'Max':
        if (v > acc[k]! || Number.isNaN(v)) acc[k] = v;
        break;
      case 'Min':
        if (v < acc[k]! || Number.isNaN(v)) acc[k] = v;
        break;
      case 'Prod':
        acc[k] *= v;
        break;
      case 'SumSquare':
      case 'L2':
        acc[k] += v * v;
        break;
      case 'L1':
        acc[k] += Math.abs(v);
        break;
      default:
        acc[k] += v;
    }
  }
  const cnt = sizeOf(X.dims) / acc.length;
  const out = tensor(X.dtype, keep ? kd : X.dims.filter((_, i) => !axes.includes(i)));
  const o = out.data as FArr | Int32Array;
  if (out.data instanceof BigInt64Array) {
    acc.forEach((v, i) => {
      (out.data as BigInt64Array)[i] = BigInt(Math.trunc(kind === 'Mean' ? v / cnt : v));
    });
    return [out];
  }
  for (let i = 0; i < acc.length; i++)
    o[i] = kind === 'Mean' ? acc[i]! / cnt : kind === 'L2' ? Math.sqrt(acc[i]!) : acc[i]!;
  return [out];
}

function argReduce(max: boolean, inp: (Tensor | undefined)[], attrs: Attrs): Tensor[] {
  const op = max ? 'ArgMax' : 'ArgMin';
  const X = requireInput(inp[0], op, 'data');
  if (X.dims.length === 0) throw new UserError(`${op}: input must have rank ≥ 1`);
  const axis = normAxis(attrInt(attrs, 'axis', 0), X.dims.length, op);
  const last = attrInt(attrs, 'select_last_index', 0);
  const keep = attrInt(attrs, 'keepdims', 1);
  const outer = sizeOf(X.dims.slice(0, axis));
  const len = X.dims[axis]!;
  const tail = sizeOf(X.dims.slice(axis + 1));
  const x = asFloat(X);
  const dims = keep ? X.dims.map((d, i) => (i === axis ? 1 : d)) : X.dims.filter((_, i) => i !== axis);
  const out = tensor('int64', dims);
  const o = out.data as BigInt64Array;
  for (let a = 0; a < outer; a++)
    for (let t = 0; t < tail; t++) {
      let best = 0;
      let bv = x[a * len * tail + t]!;
      for (let i = 1; i < len; i++) {
        const v = x[(a * len + i) * tail + t]!;
        if (max ? v > bv || (last && v === bv) : v < bv || (last && v === bv)) {
          best = i;
          bv = v;
        }
      }
      o[a * tail + t] = BigInt(best);
    }
  return [out];
}

const KINDS: Kind[] = ['Sum', 'Mean', 'Max', 'Min', 'Prod', 'SumSquare', 'L1', 'L2'];

export const REDUCE_OPS: OpDef[] = [
  ...KINDS.map(
    (k): OpDef => ({ type: `Reduce${k}`, reference: (inp, attrs, ctx) => reduce(k, inp, attrs, ctx.opset) }),
  ),
  { type: 'ArgMax', reference: (inp, attrs) => argReduce(true, inp, attrs) },
  { type: 'ArgMin', reference: (inp, attrs) => argReduce(false, inp, attrs) },
];
