// Uniform integer quantization of weight tensors as ONNX QuantizeLinear/DequantizeLinear define it.
//
// API:
//   quantizeTensor(w, shape, {bits, granularity, symmetric, signed?, method: minmax|mse}) → QuantizedTensor
//     granularity: {kind:'tensor'} | {kind:'channel', axis} | {kind:'group', axis, size} (blocked: the
//     scale has the input's shape with dim `axis` reduced to ceil(D/size), as DequantizeLinear's
//     block_size expects); symmetric ⇒ zero point 0 on a signed type (unsigned: the mid code);
//     asymmetric ⇒ range [min(0,lo), max(0,hi)] on an unsigned type (signed: opts.signed).
//     q = saturate(roundHalfEven(w / scale) + zp) in fp32, scale stored as fp32; mse grid-searches a
//     clipping ratio per scale slice (81 steps from 1 to 0.2) minimising Σ(w − dq(q(w)))².
//   dequantize(qt) → Float32Array: (q − zp)·scale in fp32.
//   scaleIndexer(shape, granularity) → (flat index → scale index); roundHalfEven; qRange(bits, signed).

export type Bits = 8 | 4 | 2;

export type Granularity =
  | { readonly kind: 'tensor' }
  | { readonly kind: 'channel'; readonly axis: number }
  | { readonly kind: 'group'; readonly axis: number; readonly size: number };

export interface UniformOptions {
  readonly bits: Bits;
  readonly granularity: Granularity;
  readonly symmetric: boolean;
  /** Integer type signedness; default: signed when symmetric, unsigned when asymmetric. */
  readonly signed?: boolean;
  readonly method?: 'minmax' | 'mse';
}

export interface QuantizedTensor {
  readonly kind: 'uniform' | 'binary' | 'ternary';
  readonly bits: Bits;
  readonly signed: boolean;
  readonly shape: readonly number[];
  /** One integer code per weight (unpacked; see pack.ts for the int4/int2 byte layout). */
  readonly q: Int8Array | Uint8Array;
  readonly scale: Float32Array;
  readonly zeroPoint: Int8Array | Uint8Array;
  /** [] per-tensor, [D] per-axis, the blocked shape for groups. */
  readonly scaleShape: readonly number[];
  /** ONNX `axis` (per-axis and blocked) or -1 per-tensor. */
  readonly axis: number;
  /** ONNX `block_size` (0 = not blocked). */
  readonly blockSize: number;
}

export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function qRange(bits: number, signed: boolean): { qmin: number; qmax: number } {
  return signed ? { qmin: -(2 ** (bits - 1)), qmax: 2 ** (bits - 1) - 1 } : { qmin: 0, qmax: 2 ** bits - 1 };
}

export interface ScaleLayout {
  readonly count: number;
  readonly scaleShape: number[];
  readonly axis: number;
  readonly blockSize: number;
  readonly index: (i: number) => number;
}

export function scaleIndexer(shape: readonly number[], g: Granularity): ScaleLayout {
  if (g.kind === 'tensor') return { count: 1, scaleShape: [], axis: -1, blockSize: 0, index: () => 0 };
  const rank = shape.length;
  const axis = g.axis < 0 ? g.axis + rank : g.axis;
  if (axis < 0 || axis >= rank)
    throw new RangeError(`quantize: axis ${g.axis} out of range for shape [${shape}]`);
  const D = shape[axis]!;
  let inner = 1;
  for (let i = axis + 1; i < rank; i++) inner *= shape[i]!;
  if (g.kind === 'channel') {
    return { count: D, scaleShape: [D], axis, blockSize: 0, index: (i) => Math.floor(i / inner) % D };
  }
  const B = g.size;
  if (!(B >= 1)) throw new RangeError(`quantize: group size must be ≥ 1, got ${B}`);
  const G = Math.ceil(D / B);
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  // One block holding the whole tensor is per-tensor quantization: onnxruntime rejects a blocked
  // QuantizeLinear whose scale has one element (it reads the [1, …, 1] zero point as a scalar).
  if (outer * G * inner === 1) return { count: 1, scaleShape: [], axis: -1, blockSize: 0, index: () => 0 };
  const scaleShape = shape.slice();
  scaleShape[axis] = G;
  return {
    count: outer * G * inner,
    scaleShape,
    axis,
    blockSize: B,
    index: (i) => {
      const inn = i % inner;
      const a = Math.floor(i / inner) % D;
      const o = Math.floor(i / (inner * D));
      return (o * G + Math.floor(a / B)) * inner + inn;
    },
  };
}

/** Smallest normal fp32: scales never underflow to 0 or to a denormal that runtimes may flush. */
const MIN_SCALE = 2 ** -126;

export interface SliceParams {
  scale: number;
  zeroPoint: number;
}

/** Scale and zero point for the range [lo, hi] (fp32 scale, integer zero point). */
export function paramsForRange(
  lo: number,
  hi: number,
  bits: number,
  symmetric: boolean,
  signed: boolean,
): SliceParams {
  const { qmin, qmax } = qRange(bits, signed);
  if (symmetric) {
    const amax = Math.max(Math.abs(lo), Math.abs(hi));
    const half = 2 ** (bits - 1) - 1; // codes −half … half around the zero point
    const scale = amax > 0 ? Math.max(MIN_SCALE, Math.fround(amax / half)) : 1;
    return { scale, zeroPoint: signed ? 0 : 2 ** (bits - 1) };
  }
  const l = Math.min(0, lo);
  const h = Math.max(0, hi);
  if (h - l <= 0) return { scale: 1, zeroPoint: signed ? 0 : qmin };
  const scale = Math.max(MIN_SCALE, Math.fround((h - l) / (qmax - qmin)));
  const zp = Math.min(qmax, Math.max(qmin, roundHalfEven(qmin - l / scale)));
  return { scale, zeroPoint: zp };
}

export const quantizeValue = (w: number, scale: number, zp: number, qmin: number, qmax: number): number =>
  Math.min(qmax, Math.max(qmin, roundHalfEven(Math.fround(w / scale)) + zp));

export const dequantizeValue = (q: number, scale: number, zp: number): number =>
  Math.fround((q - zp) * scale);

/** Squared error of quantizing `vals` with the given parameters. */
function sliceError(vals: Float64Array, p: SliceParams, qmin: number, qmax: number): number {
  let s = 0;
  for (let i = 0; i < vals.length; i++) {
    const w = vals[i]!;
    const d = w - dequantizeValue(quantizeValue(w, p.scale, p.zeroPoint, qmin, qmax), p.scale, p.zeroPoint);
    s += d * d;
  }
  return s;
}

/** Group element indices by scale slice (counting sort). */
function slices(n: number, layout: ScaleLayout): { start: Int32Array; order: Int32Array; sidx: Int32Array } {
  const sidx = new Int32Array(n);
  const start = new Int32Array(layout.count + 1);
  for (let i = 0; i < n; i++) {
    const s = layout.index(i);
    sidx[i] = s;
    start[s + 1]!++;
  }
  for (let s = 0; s < layout.count; s++) start[s + 1]! += start[s]!;
  const fill = start.slice(0, layout.count);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[fill[sidx[i]!]!++] = i;
  return { start, order, sidx };
}

export function quantizeTensor(
  w: ArrayLike<number>,
  shape: readonly number[],
  opts: UniformOptions,
): QuantizedTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (w.length !== n) throw new RangeError(`quantize: ${w.length} values for shape [${shape}]`);
  const signed = opts.signed ?? opts.symmetric;
  const { bits, symmetric } = opts;
  const { qmin, qmax } = qRange(bits, signed);
  const layout = scaleIndexer(shape, opts.granularity);
  const { start, order, sidx } = slices(n, layout);
  const scale = new Float32Array(layout.count);
  const zeroPoint = signed ? new Int8Array(layout.count) : new Uint8Array(layout.count);
  const params: SliceParams[] = new Array(layout.count);
  for (let s = 0; s < layout.count; s++) {
    const a = start[s]!;
    const b = start[s + 1]!;
    const vals = new Float64Array(b - a);
    let lo = 0;
    let hi = 0;
    for (let t = a; t < b; t++) {
      const v = w[order[t]!]!;
      vals[t - a] = v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    let best = paramsForRange(lo, hi, bits, symmetric, signed);
    if (opts.method === 'mse' && b > a && hi - lo > 0) {
      let bestErr = sliceError(vals, best, qmin, qmax);
      for (let step = 1; step <= 80; step++) {
        const r = 1 - step * 0.01;
        const p = paramsForRange(lo * r, hi * r, bits, symmetric, signed);
        const e = sliceError(vals, p, qmin, qmax);
        if (e < bestErr) {
          bestErr = e;
          best = p;
        }
      }
    }
    params[s] = best;
    scale[s] = best.scale;
    zeroPoint[s] = best.zeroPoint;
  }
  const q = signed ? new Int8Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const p = params[sidx[i]!]!;
    q[i] = quantizeValue(w[i]!, p.scale, p.zeroPoint, qmin, qmax);
  }
  return {
    kind: 'uniform',
    bits,
    signed,
    shape: shape.slice(),
    q,
    scale,
    zeroPoint,
    scaleShape: layout.scaleShape,
    axis: layout.axis,
    blockSize: layout.blockSize,
  };
}

/** Flat index → scale index for a quantized tensor's own layout. */
export function tensorScaleIndex(qt: QuantizedTensor): (i: number) => number {
  if (qt.axis < 0) return () => 0;
  const g: Granularity =
    qt.blockSize > 0
      ? { kind: 'group', axis: qt.axis, size: qt.blockSize }
      : { kind: 'channel', axis: qt.axis };
  return scaleIndexer(qt.shape, g).index;
}

export function dequantize(qt: QuantizedTensor): Float32Array {
  const idx = tensorScaleIndex(qt);
  const out = new Float32Array(qt.q.length);
  for (let i = 0; i < out.length; i++) {
    const s = idx(i);
    out[i] = dequantizeValue(qt.q[i]!, qt.scale[s]!, qt.zeroPoint[s]!);
  }
  return out;
}
