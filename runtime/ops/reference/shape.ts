// Data movement: Concat, Reshape, Transpose, Flatten, Squeeze, Unsqueeze, Slice, Shape, Gather, Constant.

import { UserError } from '../../errors.ts';
import { sizeOf, type Tensor, type TensorData } from '../../ir/tensor.ts';
import type { Attrs } from '../../ir/types.ts';
import type { OpDef } from '../registry.ts';
import { attrInt, attrInts, int64, normAxis, requireInput, stridesOf, tensor, toNumbers } from './util.ts';

type Any = { [i: number]: unknown; length: number };

/** Copy elements of `src` at offsets produced by walking `dims` with `strides` from `base`. */
function gatherStrided(
  src: TensorData,
  dst: TensorData,
  dims: number[],
  strides: number[],
  base: number,
): void {
  const s = src as unknown as Any;
  const d = dst as unknown as Any;
  const n = sizeOf(dims);
  if (n === 0) return;
  const r = dims.length;
  if (r === 0) {
    d[0] = s[base];
    return;
  }
  const inner = dims[r - 1]!;
  const is = strides[r - 1]!;
  const ctr = new Array<number>(r).fill(0);
  let off = base;
  let o = 0;
  while (o < n) {
    for (let j = 0, x = off; j < inner; j++, x += is) d[o++] = s[x];
    let ax = r - 2;
    for (; ax >= 0; ax--) {
      ctr[ax]!++;
      off += strides[ax]!;
      if (ctr[ax]! < dims[ax]!) break;
      off -= strides[ax]! * dims[ax]!;
      ctr[ax] = 0;
    }
    if (ax < 0) break;
  }
}

function reshapeTo(X: Tensor, dims: number[]): Tensor {
  return { dtype: X.dtype, dims, data: X.data };
}

function concat(inp: (Tensor | undefined)[], attrs: Attrs): Tensor[] {
  const xs = inp.filter((t): t is Tensor => !!t);
  if (xs.length === 0) throw new UserError('Concat: needs at least one input');
  const r = xs[0]!.dims.length;
  const axis = normAxis(attrInt(attrs, 'axis', 0), r, 'Concat');
  const dims = [...xs[0]!.dims];
  dims[axis] = 0;
  for (const x of xs) {
    if (x.dims.length !== r || x.dims.some((d, i) => i !== axis && d !== xs[0]!.dims[i]))
      throw new UserError(`Concat: input shapes [${xs[0]!.dims}] and [${x.dims}] differ off axis ${axis}`);
    dims[axis]! += x.dims[axis]!;
  }
  const out = tensor(xs[0]!.dtype, dims);
  const outer = sizeOf(dims.slice(0, axis));
  const tail = sizeOf(dims.slice(axis + 1));
  const o = out.data as unknown as Any;
  let pos = 0;
  for (const x of xs) {
    const len = x.dims[axis]! * tail;
    const s = x.data as unknown as Any;
    for (let a = 0; a < outer; a++) {
      const ob = a * dims[axis]! * tail + pos;
      for (let i = 0; i < len; i++) o[ob + i] = s[a * len + i];
    }
    pos += len;
  }
  return [out];
}

function reshape(inp: (Tensor | undefined)[], attrs: Attrs, opset: number): Tensor[] {
  const X = requireInput(inp[0], 'Reshape', 'data');
  const spec = opset < 5 ? attrInts(attrs, 'shape') : inp[1] ? toNumbers(inp[1]) : undefined;
  if (!spec) throw new UserError('Reshape: the shape is missing');
  const allowZero = attrInt(attrs, 'allowzero', 0);
  const dims = spec.map((d, i) => (d === 0 && !allowZero ? X.dims[i]! : d));
  const neg = dims.indexOf(-1);
  const total = sizeOf(X.dims);
  if (neg >= 0) {
    const known = sizeOf(dims.filter((_, i) => i !== neg));
    dims[neg] = known === 0 ? 0 : total / known;
  }
  if (sizeOf(dims) !== total || dims.some((d) => d < 0 || !Number.isInteger(d)))
    throw new UserError(`Reshape: cannot reshape [${X.dims}] (${total} elements) to [${spec}]`);
  return [reshapeTo(X, dims)];
}

export function transposeTensor(X: Tensor, perm: number[]): Tensor {
  const dims = perm.map((p) => X.dims[p]!);
  const st = stridesOf(X.dims);
  const out = tensor(X.dtype, dims);
  gatherStrided(
    X.data,
    out.data,
    dims,
    perm.map((p) => st[p]!),
    0,
  );
  return out;
}

function squeezeAxes(inp: (Tensor | undefined)[], attrs: Attrs, opset: number): number[] | undefined {
  return opset >= 13 ? (inp[1] ? toNumbers(inp[1]) : undefined) : attrInts(attrs, 'axes');
}

function slice(inp: (Tensor | undefined)[], attrs: Attrs, opset: number): Tensor[] {
  const X = requireInput(inp[0], 'Slice', 'data');
  const r = X.dims.length;
  let starts: number[];
  let ends: number[];
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  if (opset < 10) {
    starts = attrInts(attrs, 'starts') ?? [];
    ends = attrInts(attrs, 'ends') ?? [];
    axes = attrInts(attrs, 'axes');
  } else {
    starts = toNumbers(requireInput(inp[1], 'Slice', 'starts'));
    ends = toNumbers(requireInput(inp[2], 'Slice', 'ends'));
    axes = inp[3] ? toNumbers(inp[3]) : undefined;
    steps = inp[4] ? toNumbers(inp[4]) : undefined;
  }
  axes ??= starts.map((_, i) => i);
  const begin = new Array<number>(r).fill(0);
  const step = new Array<number>(r).fill(1);
  const dims = [...X.dims];
  axes.forEach((a0, i) => {
    const a = normAxis(a0, r, 'Slice');
    const n = X.dims[a]!;
    const st = steps?.[i] ?? 1;
    if (st === 0) throw new UserError('Slice: steps must not be 0');
    let s = starts[i]!;
    let e = ends[i]!;
    if (s < 0) s += n;
    if (e < 0) e += n;
    if (st > 0) {
      s = Math.min(Math.max(s, 0), n);
      e = Math.min(Math.max(e, 0), n);
      dims[a] = Math.max(0, Math.ceil((e - s) / st));
    } else {
      s = Math.min(Math.max(s, -1), n - 1);
      e = Math.min(Math.max(e, -1), n - 1);
      dims[a] = Math.max(0, Math.ceil((s - e) / -st));
    }
    begin[a] = s;
    step[a] = st;
  });
  const xs = stridesOf(X.dims);
  let base = 0;
  for (let a = 0; a < r; a++) base += begin[a]! * xs[a]!;
  const out = tensor(X.dtype, dims);
  gatherStrided(
    X.data,
    out.data,
    dims,
    xs.map((s, a) => s * step[a]!),
    base,
  );
  return [out];
}

function gather(inp: (Tensor | undefined)[], attrs: Attrs): Tensor[] {
  const X = requireInput(inp[0], 'Gather', 'data');
  const I = requireInput(inp[1], 'Gather', 'indices');
  const r = X.dims.length;
  const axis = normAxis(attrInt(attrs, 'axis', 0), r, 'Gather');
  const n = X.dims[axis]!;
  const idx = toNumbers(I);
  const outer = sizeOf(X.dims.slice(0, axis));
  const tail = sizeOf(X.dims.slice(axis + 1));
  const dims = [...X.dims.slice(0, axis), ...I.dims, ...X.dims.slice(axis + 1)];
  const out = tensor(X.dtype, dims);
  const s = X.data as unknown as Any;
  const o = out.data as unknown as Any;
  let p = 0;
  for (let a = 0; a < outer; a++)
    for (let k = 0; k < idx.length; k++) {
      let j = idx[k]!;
      if (j < 0) j += n;
      if (j < 0 || j >= n)
        throw new UserError(`Gather: index ${idx[k]} is out of range for axis ${axis} of size ${n}`);
      const b = (a * n + j) * tail;
      if (tail === 1) o[p++] = s[b];
      else for (let t = 0; t < tail; t++) o[p++] = s[b + t];
    }
  return [out];
}

function constant(attrs: Attrs): Tensor[] {
  const v = attrs.value;
  if (v && typeof v === 'object' && !Array.isArray(v)) return [v as Tensor];
  if (attrs.value_float !== undefined)
    return [{ dtype: 'float32', dims: [], data: Float32Array.of(Number(attrs.value_float)) }];
  if (attrs.value_floats !== undefined) {
    const f = attrInts(attrs, 'value_floats')!;
    return [{ dtype: 'float32', dims: [f.length], data: Float32Array.from(f) }];
  }
  if (attrs.value_int !== undefined) return [int64([], [attrInt(attrs, 'value_int', 0)])];
  if (attrs.value_ints !== undefined) {
    const f = attrInts(attrs, 'value_ints')!;
    return [int64([f.length], f)];
  }
  throw new UserError('Constant: no supported value attribute (value, value_float(s), value_int(s))');
}

export const SHAPE_OPS: OpDef[] = [
  { type: 'Concat', reference: (inp, attrs) => concat(inp, attrs) },
  { type: 'Reshape', reference: (inp, attrs, ctx) => reshape(inp, attrs, ctx.opset) },
  {
    type: 'Transpose',
    reference: (inp, attrs) => {
      const X = requireInput(inp[0], 'Transpose', 'data');
      const perm = attrInts(attrs, 'perm') ?? X.dims.map((_, i) => X.dims.length - 1 - i);
      if (perm.length !== X.dims.length || [...perm].sort().some((p, i) => p !== i))
        throw new UserError(`Transpose: perm [${perm}] is not a permutation of rank ${X.dims.length}`);
      return [transposeTensor(X, perm)];
    },
  },
  {
    type: 'Flatten',
    reference: (inp, attrs) => {
      const X = requireInput(inp[0], 'Flatten', 'input');
      let axis = attrInt(attrs, 'axis', 1);
      if (axis < 0) axis += X.dims.length;
      return [reshapeTo(X, [sizeOf(X.dims.slice(0, axis)), sizeOf(X.dims.slice(axis))])];
    },
  },
  {
    type: 'Squeeze',
    reference: (inp, attrs, ctx) => {
      const X = requireInput(inp[0], 'Squeeze', 'data');
      const given = squeezeAxes(inp, attrs, ctx.opset);
      const axes = given
        ? given.map((a) => normAxis(a, X.dims.length, 'Squeeze'))
        : X.dims.flatMap((d, i) => (d === 1 ? [i] : []));
      for (const a of axes)
        if (X.dims[a] !== 1) throw new UserError(`Squeeze: axis ${a} of [${X.dims}] is not 1`);
      return [
        reshapeTo(
          X,
          X.dims.filter((_, i) => !axes.includes(i)),
        ),
      ];
    },
  },
  {
    type: 'Unsqueeze',
    reference: (inp, attrs, ctx) => {
      const X = requireInput(inp[0], 'Unsqueeze', 'data');
      const given = squeezeAxes(inp, attrs, ctx.opset);
      if (!given) throw new UserError('Unsqueeze: axes are missing');
      const r = X.dims.length + given.length;
      const axes = given.map((a) => normAxis(a, r, 'Unsqueeze'));
      const dims: number[] = [];
      let k = 0;
      for (let i = 0; i < r; i++) dims.push(axes.includes(i) ? 1 : X.dims[k++]!);
      return [reshapeTo(X, dims)];
    },
  },
  { type: 'Slice', reference: (inp, attrs, ctx) => slice(inp, attrs, ctx.opset) },
  {
    type: 'Shape',
    reference: (inp, attrs) => {
      const X = requireInput(inp[0], 'Shape', 'data');
      const r = X.dims.length;
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
      const s = clamp(attrInt(attrs, 'start', 0));
      const e = clamp(attrInt(attrs, 'end', r));
      const d = X.dims.slice(s, Math.max(s, e));
      return [int64([d.length], d)];
    },
  },
  { type: 'Gather', reference: (inp, attrs) => gather(inp, attrs) },
  { type: 'Constant', reference: (_inp, attrs) => constant(attrs) },
];
