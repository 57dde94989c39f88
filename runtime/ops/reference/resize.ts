// Resize (opset 10–19 nearest/linear, every common coordinate mode) and Upsample, as onnxruntime computes them.

import { UserError } from '../../errors.ts';
import type { Tensor } from '../../ir/tensor.ts';
import type { Attrs } from '../../ir/types.ts';
import type { OpDef } from '../registry.ts';
import type { FArr } from './gemm.ts';
import {
  attrFloat,
  attrFloats,
  attrInt,
  attrString,
  requireInput,
  stridesOf,
  tensor,
  toNumbers,
} from './util.ts';

const f = Math.fround;

interface ResizeSpec {
  mode: string;
  coord: string;
  nearest: string; // 'simple' = opset < 11 behaviour
  scales: number[];
  outDims: number[];
  cubicA?: number;
  excludeOutside?: boolean;
}

/** Resample one axis with the 4-tap cubic kernel (coefficient A; taps outside dropped when excluded). */
function cubicAxis(src: FArr, d: number[], axis: number, outN: number, s: ResizeSpec): [FArr, number[]] {
  const inN = d[axis]!;
  const nd = [...d];
  nd[axis] = outN;
  const outer = d.slice(0, axis).reduce((a, b) => a * b, 1);
  const tail = stridesOf(d)[axis]!;
  const dst =
    src instanceof Float64Array
      ? new Float64Array(outer * outN * tail)
      : new Float32Array(outer * outN * tail);
  const A = s.cubicA ?? -0.75;
  const idx = new Int32Array(outN * 4);
  const wt = new Float64Array(outN * 4);
  for (let x = 0; x < outN; x++) {
    const c = coordOf(s.coord, x, s.scales[axis]!, inN, outN);
    const x0 = Math.floor(c);
    const t = c - x0;
    const u = [t + 1, t, 1 - t, 2 - t];
    let sum = 0;
    for (let k = 0; k < 4; k++) {
      const z = u[k]!;
      let cw = z <= 1 ? ((A + 2) * z - (A + 3)) * z * z + 1 : ((A * z - 5 * A) * z + 8 * A) * z - 4 * A;
      const j = x0 - 1 + k;
      if (s.excludeOutside && (j < 0 || j >= inN)) cw = 0;
      idx[x * 4 + k] = Math.min(Math.max(j, 0), inN - 1);
      wt[x * 4 + k] = cw;
      sum += cw;
    }
    if (s.excludeOutside) for (let k = 0; k < 4; k++) wt[x * 4 + k]! /= sum;
  }
  for (let a = 0; a < outer; a++)
    for (let x = 0; x < outN; x++) {
      const o = (a * outN + x) * tail;
      for (let t = 0; t < tail; t++) {
        let v = 0;
        for (let k = 0; k < 4; k++) v += src[(a * inN + idx[x * 4 + k]!) * tail + t]! * wt[x * 4 + k]!;
        dst[o + t] = v;
      }
    }
  return [dst, nd];
}

function coordOf(coord: string, x: number, scale: number, inN: number, outN: number): number {
  switch (coord) {
    case 'half_pixel':
      return f(f(f(x + 0.5) / scale) - 0.5);
    case 'pytorch_half_pixel':
      return outN > 1 ? f(f(f(x + 0.5) / scale) - 0.5) : 0;
    case 'align_corners':
      return outN === 1 ? 0 : f(f(x * (inN - 1)) / (outN - 1));
    case 'asymmetric':
      return f(x / scale);
    case 'half_pixel_symmetric': {
      const adj = f(outN / f(scale * inN));
      const center = f(inN / 2);
      const off = f(center * f(1 - adj));
      return f(f(off + f(f(x + 0.5) / scale)) - 0.5);
    }
    default:
      throw new UserError(`Resize: coordinate_transformation_mode '${coord}' is not supported`);
  }
}

function nearestIndex(mode: string, x: number, scale: number): number {
  switch (mode) {
    case 'round_prefer_floor':
      return x === Math.floor(x) + 0.5 ? Math.floor(x) : Math.round(x);
    case 'round_prefer_ceil':
      return Math.round(x);
    case 'floor':
      return Math.floor(x);
    case 'ceil':
      return Math.ceil(x);
    case 'simple':
      return scale < 1 ? Math.ceil(x) : Math.trunc(x);
    default:
      throw new UserError(`Resize: nearest_mode '${mode}' is not supported`);
  }
}

/** Resample one axis of `src` (dims `d`) to `outN`, returning the new array and dims. */
function resampleAxis(src: FArr, d: number[], axis: number, outN: number, s: ResizeSpec): [FArr, number[]] {
  const inN = d[axis]!;
  const nd = [...d];
  nd[axis] = outN;
  const outer = d.slice(0, axis).reduce((a, b) => a * b, 1);
  const tail = stridesOf(d)[axis]!;
  const dst =
    src instanceof Float64Array
      ? new Float64Array(outer * outN * tail)
      : new Float32Array(outer * outN * tail);
  const i0 = new Int32Array(outN);
  const i1 = new Int32Array(outN);
  const w = new Float64Array(outN);
  const scale = s.scales[axis]!;
  for (let x = 0; x < outN; x++) {
    const c = coordOf(s.coord, x, scale, inN, outN);
    if (s.mode === 'nearest') {
      const k = Math.min(Math.max(nearestIndex(s.nearest, c, scale), 0), inN - 1);
      i0[x] = k;
      i1[x] = k;
    } else {
      const cc = Math.min(Math.max(c, 0), inN - 1);
      const lo = Math.floor(cc);
      i0[x] = lo;
      i1[x] = Math.min(lo + 1, inN - 1);
      w[x] = cc - lo;
    }
  }
  for (let a = 0; a < outer; a++)
    for (let x = 0; x < outN; x++) {
      const o = (a * outN + x) * tail;
      const p = (a * inN + i0[x]!) * tail;
      const q = (a * inN + i1[x]!) * tail;
      const wx = w[x]!;
      if (wx === 0) for (let t = 0; t < tail; t++) dst[o + t] = src[p + t]!;
      else for (let t = 0; t < tail; t++) dst[o + t] = src[p + t]! * (1 - wx) + src[q + t]! * wx;
    }
  return [dst, nd];
}

function runResize(X: Tensor, s: ResizeSpec): Tensor {
  if (s.mode !== 'nearest' && s.mode !== 'linear' && s.mode !== 'cubic')
    throw new UserError(`Resize: mode '${s.mode}' is not supported (nearest, linear, cubic)`);
  let data = X.data as FArr;
  let dims = [...X.dims];
  for (let a = 0; a < dims.length; a++) {
    if (s.outDims[a] === dims[a] && s.scales[a] === 1) continue;
    [data, dims] = (s.mode === 'cubic' ? cubicAxis : resampleAxis)(data, dims, a, s.outDims[a]!, s);
  }
  return tensor(X.dtype, dims, data === X.data ? (data.slice() as FArr) : data);
}

function fromScales(X: Tensor, scales: number[]): number[] {
  if (scales.length !== X.dims.length)
    throw new UserError(`Resize: ${scales.length} scales given for an input of rank ${X.dims.length}`);
  return X.dims.map((d, i) => Math.floor(f(d * scales[i]!)));
}

function resize(inp: (Tensor | undefined)[], attrs: Attrs, opset: number): Tensor[] {
  const X = requireInput(inp[0], 'Resize', 'X');
  const mode = attrString(attrs, 'mode', 'nearest');
  if (opset < 11) {
    const scales = toNumbers(requireInput(inp[1], 'Resize', 'scales')).map(f);
    return [
      runResize(X, { mode, coord: 'asymmetric', nearest: 'simple', scales, outDims: fromScales(X, scales) }),
    ];
  }
  if (attrs.axes !== undefined) throw new UserError('Resize: the axes attribute is not supported');
  const coord = attrString(attrs, 'coordinate_transformation_mode', 'half_pixel');
  const nearest = attrString(attrs, 'nearest_mode', 'round_prefer_floor');
  const scalesT = inp[2]?.dims.some((d) => d > 0) ? inp[2] : undefined;
  const sizesT = inp[3]?.dims.some((d) => d > 0) ? inp[3] : undefined;
  let scales: number[];
  let outDims: number[];
  if (scalesT) {
    scales = toNumbers(scalesT).map(f);
    outDims = fromScales(X, scales);
  } else if (sizesT) {
    outDims = toNumbers(sizesT);
    if (outDims.length !== X.dims.length)
      throw new UserError(`Resize: ${outDims.length} sizes given for rank ${X.dims.length}`);
    scales = outDims.map((o, i) => f(o / X.dims[i]!));
  } else throw new UserError('Resize: one of scales or sizes is required');
  const cubicA = attrFloat(attrs, 'cubic_coeff_a', -0.75);
  const excludeOutside = attrInt(attrs, 'exclude_outside', 0) === 1;
  return [runResize(X, { mode, coord, nearest, scales, outDims, cubicA, excludeOutside })];
}

function upsample(inp: (Tensor | undefined)[], attrs: Attrs, opset: number): Tensor[] {
  const X = requireInput(inp[0], 'Upsample', 'X');
  const mode = attrString(attrs, 'mode', 'nearest');
  const scales = (opset < 9 ? attrFloats(attrs, 'scales') : inp[1] ? toNumbers(inp[1]) : undefined)?.map(f);
  if (!scales) throw new UserError('Upsample: scales are missing');
  return [
    runResize(X, { mode, coord: 'asymmetric', nearest: 'simple', scales, outDims: fromScales(X, scales) }),
  ];
}

export const RESIZE_OPS: OpDef[] = [
  { type: 'Resize', reference: (inp, attrs, ctx) => resize(inp, attrs, ctx.opset) },
  { type: 'Upsample', reference: (inp, attrs, ctx) => upsample(inp, attrs, ctx.opset) },
];
