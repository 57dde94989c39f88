// Shape functions: Conv, ConvTranspose, pooling, Resize/Upsample, Pad.

import { add, ceilDiv, type Dim, floorDiv, isNum, mul, sub, tensorDims, type ValueType } from './dims.ts';
import type { OpShape, ShapeCtx, ShapeFn } from './types.ts';

type A = Record<string, unknown>;

function spatialOut(inDims: Dim[], k: number[], attrs: A, ceilMode = false): Dim[] {
  const n = inDims.length;
  const strides = (attrs.strides as number[] | undefined) ?? new Array(n).fill(1);
  const dil = (attrs.dilations as number[] | undefined) ?? new Array(n).fill(1);
  const pads = (attrs.pads as number[] | undefined) ?? new Array(2 * n).fill(0);
  const auto = (attrs.auto_pad as string | undefined) ?? 'NOTSET';
  return inDims.map((d, i) => {
    const s = strides[i]!;
    const ek = dil[i]! * (k[i]! - 1) + 1; // effective kernel
    if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') return ceilDiv(d, s);
    if (auto === 'VALID') return add(floorDiv(sub(d, ek), s), 1);
    const padded = add(d, pads[i]! + pads[i + n]!);
    if (!ceilMode) return add(floorDiv(sub(padded, ek), s), 1);
    if (!isNum(padded)) return add(ceilDiv(sub(padded, ek), s), 1);
    let o = Math.ceil((padded - ek) / s) + 1;
    // the last window must start inside the input or the left padding
    if ((o - 1) * s >= (d as number) + pads[i]!) o--;
    return o;
  });
}

const conv: ShapeFn = (ins, attrs) => {
  const [X, W] = ins;
  if (!X) return [undefined];
  if (!X.shape || !W?.shape) return [{ dtype: X.dtype, shape: undefined }];
  const k = (attrs.kernel_shape as number[] | undefined) ?? (W.shape.slice(2) as number[]);
  if (k.some((d) => !isNum(d))) return [{ dtype: X.dtype, shape: undefined }];
  return [{ dtype: X.dtype, shape: [X.shape[0]!, W.shape[0]!, ...spatialOut(X.shape.slice(2), k, attrs)] }];
};

const convTranspose: ShapeFn = (ins, attrs) => {
  const [X, W] = ins;
  if (!X) return [undefined];
  if (!X.shape || !W?.shape) return [{ dtype: X.dtype, shape: undefined }];
  const sp = X.shape.slice(2);
  const n = sp.length;
  const g = (attrs.group as number | undefined) ?? 1;
  const cout = mul(W.shape[1]!, g);
  const outShape = attrs.output_shape as number[] | undefined;
  if (outShape?.length) return [{ dtype: X.dtype, shape: [X.shape[0]!, cout, ...outShape.slice(-n)] }];
  const k = (attrs.kernel_shape as number[] | undefined) ?? (W.shape.slice(2) as number[]);
  const strides = (attrs.strides as number[] | undefined) ?? new Array(n).fill(1);
  const dil = (attrs.dilations as number[] | undefined) ?? new Array(n).fill(1);
  const pads = (attrs.pads as number[] | undefined) ?? new Array(2 * n).fill(0);
  const opad = (attrs.output_padding as number[] | undefined) ?? new Array(n).fill(0);
  const auto = (attrs.auto_pad as string | undefined) ?? 'NOTSET';
  const out = sp.map((d, i) => {
    if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
      // target in·stride; padding cannot be negative, so a small kernel gives less (as onnxruntime)
      const full = add(mul(strides[i]!, sub(d, 1)), opad[i]! + (k[i]! - 1) * dil[i]! + 1);
      return isNum(full) && isNum(d) ? Math.min(full, d * strides[i]!) : mul(d, strides[i]!);
    }
    const p = auto === 'VALID' ? 0 : pads[i]! + pads[i + n]!;
    return add(mul(strides[i]!, sub(d, 1)), opad[i]! + (k[i]! - 1) * dil[i]! + 1 - p);
  });
  return [{ dtype: X.dtype, shape: [X.shape[0]!, cout, ...out] }];
};

function pool(withIndices: boolean): ShapeFn {
  return (ins, attrs) => {
    const X = ins[0];
    if (!X) return [undefined];
    if (!X.shape) return [{ dtype: X.dtype, shape: undefined }];
    const k = attrs.kernel_shape as number[];
    const shape = [
      X.shape[0]!,
      X.shape[1]!,
      ...spatialOut(X.shape.slice(2), k, attrs as A, Boolean(attrs.ceil_mode)),
    ];
    const y: ValueType = { dtype: X.dtype, shape };
    return withIndices ? [y, { dtype: 'int64', shape }] : [y];
  };
}

const globalPool: ShapeFn = (ins) => {
  const X = ins[0];
  if (!X) return [undefined];
  if (!X.shape) return [{ dtype: X.dtype, shape: undefined }];
  return [{ dtype: X.dtype, shape: [X.shape[0]!, X.shape[1]!, ...X.shape.slice(2).map(() => 1)] }];
};

function scaled(d: Dim, s: number): Dim {
  if (isNum(d)) return Math.floor(d * s);
  if (Number.isInteger(s)) return mul(d, s);
  return `floor(${d}*${s})`;
}

/** Resize (opset 10: X, scales; 11+: X, roi, scales, sizes) and Upsample (X, scales | attr). */
function resize(upsample: boolean): ShapeFn {
  return (ins, attrs, ctx: ShapeCtx) => {
    const X = ins[0];
    if (!X) return [undefined];
    if (!X.shape) return [{ dtype: X.dtype, shape: undefined }];
    const r = X.shape.length;
    const axes = ((attrs.axes as number[] | undefined) ?? X.shape.map((_, i) => i)).map((a) =>
      a < 0 ? a + r : a,
    );
    const scalesIdx = upsample || ctx.opset < 11 ? 1 : 2;
    const sizes = !upsample && ctx.opset >= 11 ? ctx.values[3] : undefined;
    const scales =
      upsample && attrs.scales
        ? (attrs.scales as number[])
        : (ctx.values[scalesIdx] ?? tensorDims(ctx.consts[scalesIdx]));
    const out = [...X.shape];
    if (sizes?.length) {
      axes.forEach((a, i) => {
        out[a] = sizes[i]!;
      });
    } else if (scales?.length && scales.every(isNum)) {
      axes.forEach((a, i) => {
        out[a] = scaled(X.shape![a]!, scales[i] as number);
      });
    } else return [{ dtype: X.dtype, shape: undefined }];
    return [{ dtype: X.dtype, shape: out }];
  };
}

const pad: ShapeFn = (ins, attrs, ctx) => {
  const X = ins[0];
  if (!X) return [undefined];
  if (!X.shape) return [{ dtype: X.dtype, shape: undefined }];
  const r = X.shape.length;
  const pads = ctx.opset < 11 ? (attrs.pads as number[] | undefined) : ctx.values[1];
  if (!pads || pads.some((p) => !isNum(p))) return [{ dtype: X.dtype, shape: X.shape.map(() => '?') }];
  const axes =
    (ctx.opset >= 18 ? (ctx.values[3] as number[] | undefined) : undefined) ?? X.shape.map((_, i) => i);
  const out = [...X.shape];
  const n = axes.length;
  axes.forEach((a, i) => {
    const ax = a < 0 ? a + r : a;
    out[ax] = add(out[ax]!, (pads[i] as number) + (pads[i + n] as number));
  });
  return [{ dtype: X.dtype, shape: out }];
};

export const CONV: Record<string, OpShape> = {
  Conv: { shape: conv },
  ConvInteger: { shape: (ins, a, c) => conv(ins, a, c).map((t) => t && { dtype: 'int32', shape: t.shape }) },
  QLinearConv: {
    shape: (ins, a, c) =>
      conv([ins[0], ins[3]], a, c).map((t) => t && { dtype: ins[7]?.dtype ?? 'uint8', shape: t.shape }),
  },
  ConvTranspose: { shape: convTranspose },
  MaxPool: { shape: pool(true) },
  AveragePool: { shape: pool(false) },
  LpPool: { shape: pool(false) },
  GlobalAveragePool: { shape: globalPool },
  GlobalMaxPool: { shape: globalPool },
  GlobalLpPool: { shape: globalPool },
  Resize: { shape: resize(false) },
  Upsample: { shape: resize(true) },
  Pad: { shape: pad },
};
