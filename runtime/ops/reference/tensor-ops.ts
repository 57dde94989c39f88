// Tensor construction and movement: Expand, Tile, Pad (constant/reflect/edge/wrap), Split, ConstantOfShape,
// Range, Size.

import { UserError } from '../../errors.ts';
import { sizeOf, type Tensor } from '../../ir/tensor.ts';
import type { Attrs } from '../../ir/types.ts';
import type { OpDef } from '../registry.ts';
import {
  attrFloat,
  attrInt,
  attrInts,
  attrString,
  broadcastDims,
  broadcastWalk,
  int64,
  normAxis,
  requireInput,
  stridesOf,
  tensor,
  toNumbers,
} from './util.ts';

type Any = { [i: number]: unknown; length: number };

function expand(inp: (Tensor | undefined)[]): Tensor[] {
  const X = requireInput(inp[0], 'Expand', 'input');
  const shape = toNumbers(requireInput(inp[1], 'Expand', 'shape'));
  const dims = broadcastDims(X.dims, shape, 'Expand');
  const out = tensor(X.dtype, dims);
  const s = X.data as unknown as Any;
  const o = out.data as unknown as Any;
  broadcastWalk([X.dims], dims, (i, idx) => {
    o[i] = s[idx[0]!];
  });
  return [out];
}

/** Copy X into an output of `dims`, where each output coordinate maps to an input one by `map`. */
function remap(X: Tensor, dims: number[], map: (axis: number, c: number) => number): Tensor {
  const out = tensor(X.dtype, dims);
  const n = sizeOf(dims);
  const r = dims.length;
  const xs = stridesOf(X.dims);
  const s = X.data as unknown as Any;
  const o = out.data as unknown as Any;
  const ctr = new Array<number>(r).fill(0);
  for (let i = 0; i < n; i++) {
    let off = 0;
    let inside = true;
    for (let a = 0; a < r; a++) {
      const c = map(a, ctr[a]!);
      if (c < 0) {
        inside = false;
        break;
      }
      off += c * xs[a]!;
    }
    if (inside) o[i] = s[off];
    for (let a = r - 1; a >= 0; a--) {
      if (++ctr[a]! < dims[a]!) break;
      ctr[a] = 0;
    }
  }
  return out;
}

function tile(inp: (Tensor | undefined)[]): Tensor[] {
  const X = requireInput(inp[0], 'Tile', 'input');
  const reps = toNumbers(requireInput(inp[1], 'Tile', 'repeats'));
  if (reps.length !== X.dims.length)
    throw new UserError(`Tile: ${reps.length} repeats for an input of rank ${X.dims.length}`);
  return [
    remap(
      X,
      X.dims.map((d, i) => d * reps[i]!),
      (a, c) => c % X.dims[a]!,
    ),
  ];
}

function pad(inp: (Tensor | undefined)[], attrs: Attrs, opset: number): Tensor[] {
  const X = requireInput(inp[0], 'Pad', 'data');
  const r = X.dims.length;
  const mode = attrString(attrs, 'mode', 'constant');
  let pads: number[];
  let value = 0;
  if (opset < 11) {
    pads = attrInts(attrs, 'pads') ?? [];
    value = attrFloat(attrs, 'value', 0);
  } else {
    pads = toNumbers(requireInput(inp[1], 'Pad', 'pads'));
    if (inp[2] && sizeOf(inp[2].dims) > 0) value = Number(inp[2].data[0]);
  }
  const full = new Array<number>(2 * r).fill(0);
  if (opset >= 18 && inp[3]) {
    const axes = toNumbers(inp[3]).map((a) => normAxis(a, r, 'Pad'));
    axes.forEach((a, i) => {
      full[a] = pads[i]!;
      full[a + r] = pads[i + axes.length]!;
    });
  } else {
    if (pads.length !== 2 * r) throw new UserError(`Pad: ${pads.length} pads for rank ${r} (need ${2 * r})`);
    pads.forEach((p, i) => {
      full[i] = p;
    });
  }
  const dims = X.dims.map((d, i) => d + full[i]! + full[i + r]!);
  const map = (a: number, c: number): number => {
    const n = X.dims[a]!;
    let i = c - full[a]!;
    if (i >= 0 && i < n) return i;
    switch (mode) {
      case 'edge':
        return Math.min(Math.max(i, 0), n - 1);
      case 'reflect': {
        if (n === 1) return 0;
        const period = 2 * (n - 1);
        i = ((i % period) + period) % period;
        return i < n ? i : period - i;
      }
      case 'wrap':
        return ((i % n) + n) % n;
      case 'constant':
        return -1;
      default:
        throw new UserError(`Pad: mode '${mode}' is not supported (constant, reflect, edge, wrap)`);
    }
  };
  const out = remap(X, dims, map);
  if (mode === 'constant' && value !== 0) {
    // remap left padded cells untouched (zero); fill them with the constant
    const mark = remap(
      { dtype: 'uint8', dims: X.dims, data: new Uint8Array(sizeOf(X.dims)).fill(1) },
      dims,
      map,
    );
    const o = out.data as unknown as Any;
    const m = mark.data as Uint8Array;
    const big = out.data instanceof BigInt64Array;
    for (let i = 0; i < m.length; i++) if (!m[i]) o[i] = big ? BigInt(value) : value;
  }
  return [out];
}

function split(inp: (Tensor | undefined)[], attrs: Attrs, opset: number, nOut: number): Tensor[] {
  const X = requireInput(inp[0], 'Split', 'input');
  const axis = normAxis(attrInt(attrs, 'axis', 0), X.dims.length, 'Split');
  const n = X.dims[axis]!;
  let sizes = opset >= 13 ? (inp[1] ? toNumbers(inp[1]) : undefined) : attrInts(attrs, 'split');
  if (!sizes) {
    const parts = attrInt(attrs, 'num_outputs', nOut);
    const each = Math.ceil(n / parts);
    sizes = Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(each, n - i * each)));
  }
  if (sizes.reduce((a, b) => a + b, 0) !== n)
    throw new UserError(`Split: sizes [${sizes}] do not add up to ${n} along axis ${axis}`);
  let start = 0;
  return sizes.map((len) => {
    const dims = [...X.dims];
    dims[axis] = len;
    const s0 = start;
    start += len;
    return remap(X, dims, (a, c) => (a === axis ? c + s0 : c));
  });
}

function constantOfShape(inp: (Tensor | undefined)[], attrs: Attrs): Tensor[] {
  const dims = toNumbers(requireInput(inp[0], 'ConstantOfShape', 'input'));
  const v = attrs.value as Tensor | undefined;
  const dtype = v?.dtype ?? 'float32';
  const out = tensor(dtype, dims);
  if (v) (out.data as unknown as { fill: (x: unknown) => void }).fill(v.data[0]);
  return [out];
}

function range(inp: (Tensor | undefined)[]): Tensor[] {
  const [s, l, d] = [0, 1, 2].map((i) => requireInput(inp[i], 'Range', ['start', 'limit', 'delta'][i]!));
  const start = Number(s!.data[0]);
  const limit = Number(l!.data[0]);
  const delta = Number(d!.data[0]);
  if (delta === 0) throw new UserError('Range: delta must not be 0');
  const n = Math.max(0, Math.ceil((limit - start) / delta));
  const out = tensor(s!.dtype, [n]);
  const o = out.data as unknown as Any;
  const big = out.data instanceof BigInt64Array;
  for (let i = 0; i < n; i++) o[i] = big ? BigInt(start + i * delta) : start + i * delta;
  return [out];
}

export const TENSOR_OPS: OpDef[] = [
  { type: 'Expand', reference: (inp) => expand(inp) },
  { type: 'Tile', reference: (inp) => tile(inp) },
  { type: 'Pad', reference: (inp, attrs, ctx) => pad(inp, attrs, ctx.opset) },
  { type: 'Split', reference: (inp, attrs, ctx) => split(inp, attrs, ctx.opset, ctx.nOutputs ?? 2) },
  { type: 'ConstantOfShape', reference: (inp, attrs) => constantOfShape(inp, attrs) },
  { type: 'Range', reference: (inp) => range(inp) },
  { type: 'Size', reference: (inp) => [int64([], [sizeOf(requireInput(inp[0], 'Size', 'data').dims)])] },
];
