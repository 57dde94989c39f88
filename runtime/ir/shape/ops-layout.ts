// Shape functions for layout ops (Reshape, Transpose, Slice, Concat, Gather, Shape …), with value
// propagation so shape arithmetic (Shape → Slice → Concat → Reshape) resolves, also symbolically.

import { dtypeFromCode } from '../dtype.ts';
import { add, type Dim, floorDiv, isNum, normAxis, product, sub, tensorDims } from './dims.ts';
import type { OpShape, ShapeFn } from './types.ts';

const BIG = 2 ** 31 - 1;

function nums(v: Dim[] | undefined): number[] | undefined {
  return v?.every(isNum) ? (v as number[]) : undefined;
}

const reshapeOut = (inShape: Dim[] | undefined, target: Dim[], allowzero: boolean): Dim[] => {
  const out = target.map((d, i) => (d === 0 && !allowzero && inShape ? inShape[i]! : d));
  const k = out.indexOf(-1);
  if (k >= 0) {
    if (!inShape) out[k] = '?';
    else {
      const others = out.filter((_, i) => i !== k);
      out[k] = floorDiv(product(inShape), product(others));
    }
  }
  return out;
};

const reshape: OpShape = {
  shape: (ins, a, ctx) => {
    const X = ins[0];
    if (!X) return [undefined];
    const target = ctx.values[1];
    if (!target) {
      const rank = ins[1]?.shape?.[0];
      return [{ dtype: X.dtype, shape: isNum(rank) ? new Array(rank).fill('?') : undefined }];
    }
    return [{ dtype: X.dtype, shape: reshapeOut(X.shape, target, Boolean(a.allowzero)) }];
  },
  value: (v) => v[0],
};

function sliceParams(
  ins: Parameters<ShapeFn>[0],
  a: Parameters<ShapeFn>[1],
  values: (Dim[] | undefined)[],
  opset: number,
): { starts: number[]; ends: number[]; axes?: number[]; steps?: number[] } | undefined {
  if (opset < 10) {
    return {
      starts: a.starts as number[],
      ends: a.ends as number[],
      axes: a.axes as number[] | undefined,
    };
  }
  const starts = nums(values[1]);
  const ends = nums(values[2]);
  if (!starts || !ends) return undefined;
  const axes = ins[3] ? nums(values[3]) : undefined;
  const steps = ins[4] ? nums(values[4]) : undefined;
  if ((ins[3] && !axes) || (ins[4] && !steps)) return undefined;
  return { starts, ends, axes, steps };
}

function sliceDim(d: Dim, start: number, end: number, step: number): Dim {
  if (isNum(d)) {
    const clamp = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi);
    let s = start < 0 ? start + d : start;
    let e = end < 0 ? end + d : end;
    if (step > 0) {
      s = clamp(s, 0, d);
      e = clamp(e, 0, d);
      return Math.max(0, Math.ceil((e - s) / step));
    }
    s = clamp(s, 0, d - 1);
    e = clamp(e, -1, d - 1);
    return Math.max(0, Math.ceil((s - e) / -step));
  }
  if (step !== 1) return '?';
  const s: Dim = start < 0 ? add(d, start) : start;
  const e: Dim = end >= BIG ? d : end < 0 ? add(d, end) : end;
  return sub(e, s);
}

const slice: OpShape = {
  shape: (ins, a, ctx) => {
    const X = ins[0];
    if (!X) return [undefined];
    if (!X.shape) return [{ dtype: X.dtype, shape: undefined }];
    const p = sliceParams(ins, a, ctx.values, ctx.opset);
    if (!p) return [{ dtype: X.dtype, shape: X.shape.map(() => '?') }];
    const r = X.shape.length;
    const out = [...X.shape];
    p.starts.forEach((s, i) => {
      const ax = normAxis(p.axes?.[i] ?? i, r);
      out[ax] = sliceDim(out[ax]!, s, p.ends[i]!, p.steps?.[i] ?? 1);
    });
    return [{ dtype: X.dtype, shape: out }];
  },
  value: (v, a, ins) => {
    const x = v[0];
    if (!x) return undefined;
    const ctxOpset = a.starts !== undefined ? 9 : 10;
    const p = sliceParams(ins, a, v, ctxOpset);
    if (p?.starts.length !== 1) return undefined;
    const step = p.steps?.[0] ?? 1;
    if (step !== 1) return undefined;
    const n = x.length;
    const s = Math.min(Math.max(p.starts[0]! < 0 ? p.starts[0]! + n : p.starts[0]!, 0), n);
    const e = Math.min(Math.max(p.ends[0]! < 0 ? p.ends[0]! + n : p.ends[0]!, 0), n);
    return x.slice(s, e);
  },
};

const concat: OpShape = {
  shape: (ins, a) => {
    if (ins.some((x) => !x)) return [undefined];
    const first = ins[0]!;
    if (ins.some((x) => !x!.shape)) return [{ dtype: first.dtype, shape: undefined }];
    const r = first.shape!.length;
    const axis = normAxis(a.axis as number, r);
    const out = [...first.shape!];
    out[axis] = ins.slice(1).reduce<Dim>((acc, x) => add(acc, x!.shape![axis]!), first.shape![axis]!);
    return [{ dtype: first.dtype, shape: out }];
  },
  value: (v) => (v.every((x) => x) ? v.flatMap((x) => x!) : undefined),
};

function axesOf(
  ins: Parameters<ShapeFn>[0],
  a: Parameters<ShapeFn>[1],
  values: (Dim[] | undefined)[],
  opset: number,
): number[] | undefined | 'none' {
  if (opset < 13) return (a.axes as number[] | undefined) ?? 'none';
  if (!ins[1]) return 'none';
  return nums(values[1]);
}

const squeeze: OpShape = {
  shape: (ins, a, ctx) => {
    const X = ins[0];
    if (!X?.shape) return [X ? { dtype: X.dtype, shape: undefined } : undefined];
    const axes = axesOf(ins, a, ctx.values, ctx.opset);
    if (axes === undefined) return [{ dtype: X.dtype, shape: undefined }];
    const r = X.shape.length;
    const drop =
      axes === 'none'
        ? new Set(X.shape.flatMap((d, i) => (d === 1 ? [i] : [])))
        : new Set(axes.map((x) => normAxis(x, r)));
    return [{ dtype: X.dtype, shape: X.shape.filter((_, i) => !drop.has(i)) }];
  },
  value: (v) => v[0],
};

const unsqueeze: OpShape = {
  shape: (ins, a, ctx) => {
    const X = ins[0];
    if (!X?.shape) return [X ? { dtype: X.dtype, shape: undefined } : undefined];
    const axes = axesOf(ins, a, ctx.values, ctx.opset);
    if (axes === undefined || axes === 'none') return [{ dtype: X.dtype, shape: undefined }];
    const r = X.shape.length + axes.length;
    const ins2 = new Set(axes.map((x) => normAxis(x, r)));
    const out: Dim[] = [];
    let k = 0;
    for (let i = 0; i < r; i++) out.push(ins2.has(i) ? 1 : X.shape[k++]!);
    return [{ dtype: X.dtype, shape: out }];
  },
  value: (v) => v[0],
};

const shapeOp: OpShape = {
  shape: (ins, a) => {
    const X = ins[0];
    if (!X?.shape) return [{ dtype: 'int64', shape: [X?.shape ? X.shape.length : '?'] }];
    const r = X.shape.length;
    const s = Math.min(Math.max(normAxis((a.start as number) ?? 0, r), 0), r);
    const e = Math.min(Math.max(normAxis((a.end as number) ?? r, r), 0), r);
    return [{ dtype: 'int64', shape: [Math.max(0, e - s)] }];
  },
  value: () => undefined, // filled by the driver from the input's shape (needs the attrs and shape)
};

const gather: OpShape = {
  shape: (ins, a) => {
    const [X, I] = ins;
    if (!X) return [undefined];
    if (!X.shape || !I?.shape) return [{ dtype: X.dtype, shape: undefined }];
    const axis = normAxis((a.axis as number) ?? 0, X.shape.length);
    return [{ dtype: X.dtype, shape: [...X.shape.slice(0, axis), ...I.shape, ...X.shape.slice(axis + 1)] }];
  },
  value: (v) => {
    const [x, i] = v;
    const idx = nums(i);
    if (!x || !idx) return undefined;
    return idx.map((k) => x[k < 0 ? k + x.length : k]!);
  },
};

const transpose: ShapeFn = (ins, a) => {
  const X = ins[0];
  if (!X?.shape) return [X ? { dtype: X.dtype, shape: undefined } : undefined];
  const perm = (a.perm as number[] | undefined) ?? X.shape.map((_, i) => X.shape!.length - 1 - i);
  return [{ dtype: X.dtype, shape: perm.map((p) => X.shape![p]!) }];
};

const flatten: ShapeFn = (ins, a) => {
  const X = ins[0];
  if (!X?.shape) return [X ? { dtype: X.dtype, shape: undefined } : undefined];
  const axis = normAxis((a.axis as number) ?? 1, X.shape.length);
  return [{ dtype: X.dtype, shape: [product(X.shape.slice(0, axis)), product(X.shape.slice(axis))] }];
};

const split: ShapeFn = (ins, a, ctx) => {
  const X = ins[0];
  const n = ctx.nOutputs ?? 1;
  if (!X?.shape) return new Array(n).fill(X ? { dtype: X.dtype, shape: undefined } : undefined);
  const axis = normAxis((a.axis as number) ?? 0, X.shape.length);
  const sizes = ctx.opset < 13 ? (a.split as number[] | undefined) : nums(ctx.values[1]);
  const d = X.shape[axis]!;
  return Array.from({ length: n }, (_, i) => {
    const out = [...X.shape!];
    if (sizes) out[axis] = sizes[i]!;
    else if (isNum(d))
      out[axis] = i < n - 1 || d % n === 0 ? Math.ceil(d / n) : d - Math.ceil(d / n) * (n - 1);
    else out[axis] = floorDiv(d, n);
    return { dtype: X.dtype, shape: out };
  });
};

const expand: ShapeFn = (ins, _a, ctx) => {
  const X = ins[0];
  const s = ctx.values[1];
  if (!X?.shape || !s) return [X ? { dtype: X.dtype, shape: undefined } : undefined];
  const r = Math.max(X.shape.length, s.length);
  const out: Dim[] = [];
  for (let i = 0; i < r; i++) {
    const a = X.shape[X.shape.length - r + i] ?? 1;
    const b = s[s.length - r + i] ?? 1;
    out.push(a === 1 ? b : b === 1 ? a : isNum(a) ? a : b);
  }
  return [{ dtype: X.dtype, shape: out }];
};

const tile: ShapeFn = (ins, _a, ctx) => {
  const X = ins[0];
  const r = ctx.values[1];
  if (!X?.shape || !r) return [X ? { dtype: X.dtype, shape: undefined } : undefined];
  return [
    { dtype: X.dtype, shape: X.shape.map((d, i) => (isNum(d) && isNum(r[i]) ? d * (r[i] as number) : '?')) },
  ];
};

const constantOfShape: ShapeFn = (_ins, a, ctx) => {
  const t = a.value as { dtype: import('../dtype.ts').DType } | undefined;
  return [{ dtype: t?.dtype ?? 'float32', shape: ctx.values[0] ? [...ctx.values[0]] : undefined }];
};

/** Range's length is known when start, limit and delta are (constants or known values). */
const range: ShapeFn = (ins, _a, ctx) => {
  if (!ins[0]) return [undefined];
  const [start, limit, delta] = [0, 1, 2].map((k) => ctx.values[k]?.[0] ?? ctx.consts[k]?.data[0]);
  if ([start, limit, delta].every((v) => typeof v === 'number' || typeof v === 'bigint')) {
    const n = Math.ceil((Number(limit) - Number(start)) / Number(delta));
    if (Number.isFinite(n)) return [{ dtype: ins[0].dtype, shape: [Math.max(n, 0)] }];
  }
  return [{ dtype: ins[0].dtype, shape: ['?'] }];
};

const constant: OpShape = {
  shape: (_ins, a) => {
    const t = a.value as { dtype: import('../dtype.ts').DType; dims: number[] } | undefined;
    if (t && typeof t === 'object' && 'dims' in t) return [{ dtype: t.dtype, shape: [...t.dims] }];
    if (a.value_float !== undefined) return [{ dtype: 'float32', shape: [] }];
    if (a.value_floats !== undefined)
      return [{ dtype: 'float32', shape: [(a.value_floats as number[]).length] }];
    if (a.value_int !== undefined) return [{ dtype: 'int64', shape: [] }];
    if (a.value_ints !== undefined) return [{ dtype: 'int64', shape: [(a.value_ints as number[]).length] }];
    if (a.value_string !== undefined) return [{ dtype: 'string', shape: [] }];
    if (a.value_strings !== undefined)
      return [{ dtype: 'string', shape: [(a.value_strings as string[]).length] }];
    return [undefined];
  },
  value: (_v, a) => {
    const t = a.value;
    if (t && typeof t === 'object' && 'dims' in t) return tensorDims(t as never);
    if (a.value_int !== undefined) return [a.value_int as number];
    if (a.value_ints !== undefined) return [...(a.value_ints as number[])];
    return undefined;
  },
};

export const LAYOUT: Record<string, OpShape> = {
  Reshape: reshape,
  Slice: slice,
  Concat: concat,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Shape: shapeOp,
  Size: { shape: () => [{ dtype: 'int64', shape: [] }] },
  Gather: gather,
  GatherElements: {
    shape: (ins) => [ins[1] && ins[0] ? { dtype: ins[0].dtype, shape: ins[1].shape } : undefined],
  },
  Transpose: { shape: transpose },
  Flatten: { shape: flatten, value: (v) => v[0] },
  Split: { shape: split },
  Expand: { shape: expand },
  Tile: { shape: tile },
  ConstantOfShape: { shape: constantOfShape },
  Constant: constant,
  ScatterND: { shape: (ins) => [ins[0]] },
  ScatterElements: { shape: (ins) => [ins[0]] },
  NonZero: { shape: (ins) => [{ dtype: 'int64', shape: [ins[0]?.shape?.length ?? '?', '?'] }] },
  Range: { shape: range },
  EyeLike: {
    shape: (ins, a) => [
      ins[0]
        ? { dtype: dtypeFromCode((a.dtype as number) ?? 0) ?? ins[0].dtype, shape: ins[0].shape }
        : undefined,
    ],
  },
};
