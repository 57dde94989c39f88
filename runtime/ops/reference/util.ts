// Helpers shared by the reference kernels: attribute reading, int tensors, broadcasting, axes.

import { UserError } from '../../errors.ts';
import type { DType } from '../../ir/dtype.ts';
import { allocData, type Dims, sizeOf, type Tensor, type TensorData } from '../../ir/tensor.ts';
import type { Attrs, AttrValue } from '../../ir/types.ts';

export function attrInt(attrs: Attrs, name: string, dflt: number): number {
  const v = attrs[name];
  if (v === undefined) return dflt;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return v;
  throw new UserError(`attribute ${name} must be an int, got ${describeAttr(v)}`);
}

export function attrFloat(attrs: Attrs, name: string, dflt: number): number {
  const v = attrs[name];
  if (v === undefined) return dflt;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return v;
  throw new UserError(`attribute ${name} must be a float, got ${describeAttr(v)}`);
}

export function attrInts(attrs: Attrs, name: string): number[] | undefined {
  const v = attrs[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return (v as unknown[]).map((x) => Number(x));
  if (typeof v === 'number' || typeof v === 'bigint') return [Number(v)];
  throw new UserError(`attribute ${name} must be a list of ints, got ${describeAttr(v)}`);
}

export function attrFloats(attrs: Attrs, name: string): number[] | undefined {
  return attrInts(attrs, name);
}

export function attrString(attrs: Attrs, name: string, dflt: string): string {
  const v = attrs[name];
  if (v === undefined) return dflt;
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  throw new UserError(`attribute ${name} must be a string, got ${describeAttr(v)}`);
}

function describeAttr(v: AttrValue): string {
  if (Array.isArray(v)) return 'a list';
  return typeof v;
}

/** Elements of an integer (or float) tensor as JS numbers. */
export function toNumbers(t: Tensor): number[] {
  const d = t.data;
  if (Array.isArray(d)) throw new UserError('expected a numeric tensor, got strings');
  const out = new Array<number>(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  return out;
}

export function isBig(d: TensorData): d is BigInt64Array | BigUint64Array {
  return d instanceof BigInt64Array || d instanceof BigUint64Array;
}

/** A tensor's data as an array of numbers (float64 view of any numeric dtype). */
export function asFloat(t: Tensor): Float32Array | Float64Array {
  const d = t.data;
  if (d instanceof Float32Array || d instanceof Float64Array) return d;
  if (Array.isArray(d)) throw new UserError('expected a numeric tensor, got strings');
  const out = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  return out;
}

export function tensor(dtype: DType, dims: Dims, data?: TensorData): Tensor {
  return { dtype, dims: [...dims], data: data ?? allocData(dtype, sizeOf(dims)) };
}

export function int64(dims: Dims, values: ArrayLike<number>): Tensor {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]!);
  return { dtype: 'int64', dims: [...dims], data };
}

/** Normalize a possibly negative axis against a rank; UserError when out of range. */
export function normAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new UserError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

export function stridesOf(dims: Dims): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i]!;
  }
  return s;
}

/** numpy broadcasting of shapes; UserError naming both when incompatible. */
export function broadcastDims(a: Dims, b: Dims, op: string): number[] {
  const r = Math.max(a.length, b.length);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1)
      throw new UserError(`${op}: shapes [${a.join(',')}] and [${b.join(',')}] cannot be broadcast`);
    out[i] = x === 1 ? y : x;
  }
  return out;
}

/** Strides of `dims` seen through broadcasting into `out` (0 on broadcast axes). */
export function broadcastStrides(dims: Dims, out: Dims): number[] {
  const s = stridesOf(dims);
  const r = out.length;
  const res = new Array<number>(r).fill(0);
  for (let i = 0; i < dims.length; i++) {
    const oi = r - dims.length + i;
    res[oi] = dims[i] === 1 && out[oi] !== 1 ? 0 : s[i]!;
  }
  return res;
}

/**
 * Walk every output index of a broadcast of `ins` into `out`, calling `f(o, i0, i1, …)` with the flat
 * offset of each input. The innermost axis runs as a tight loop.
 */
export function broadcastWalk(ins: Dims[], out: Dims, f: (o: number, idx: number[]) => void): void {
  const n = sizeOf(out);
  if (n === 0) return;
  const r = out.length;
  const st = ins.map((d) => broadcastStrides(d, out));
  const idx = new Array<number>(ins.length).fill(0);
  const ctr = new Array<number>(r).fill(0);
  for (let o = 0; o < n; o++) {
    f(o, idx);
    // increment odometer
    for (let ax = r - 1; ax >= 0; ax--) {
      ctr[ax]!++;
      for (let k = 0; k < idx.length; k++) idx[k]! += st[k]![ax]!;
      if (ctr[ax]! < out[ax]!) break;
      for (let k = 0; k < idx.length; k++) idx[k]! -= st[k]![ax]! * out[ax]!;
      ctr[ax] = 0;
    }
  }
}

export function requireInput(t: Tensor | undefined, op: string, which: string): Tensor {
  if (!t) throw new UserError(`${op}: required input ${which} is missing`);
  return t;
}

export function sameShape(a: Dims, b: Dims): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
