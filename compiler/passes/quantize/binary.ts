// Binary (XNOR-Net: sign(w)·α, α = mean|w|) and ternary (TWN: Δ = 0.7·mean|w|, α = mean{|w| : |w| > Δ})
// weight quantization, one α per output channel (axis 0 unless told otherwise).
//
// API: binarize(w, shape, {axis}) / ternarize(w, shape, {axis, deltaFactor}) → QuantizedTensor with
// codes in {−1, +1} / {−1, 0, +1}, scale = α per channel, zero point 0, bits 2 (int2 holds both;
// the emitter may widen to int8 when the opset lacks int2). dequantize() from uniform.ts applies.

import { type QuantizedTensor, scaleIndexer } from './uniform.ts';

function channelStats(w: ArrayLike<number>, shape: readonly number[], axis: number) {
  const layout = scaleIndexer(shape, { kind: 'channel', axis });
  const idx = new Int32Array(w.length);
  for (let i = 0; i < w.length; i++) idx[i] = layout.index(i);
  return { layout, idx };
}

function result(
  shape: readonly number[],
  q: Int8Array,
  alpha: Float32Array,
  axis: number,
  kind: 'binary' | 'ternary',
): QuantizedTensor {
  return {
    kind,
    bits: 2,
    signed: true,
    shape: shape.slice(),
    q,
    scale: alpha,
    zeroPoint: new Int8Array(alpha.length),
    scaleShape: [alpha.length],
    axis,
    blockSize: 0,
  };
}

export function binarize(
  w: ArrayLike<number>,
  shape: readonly number[],
  opts: { axis?: number } = {},
): QuantizedTensor {
  const axis = opts.axis ?? 0;
  const { layout, idx } = channelStats(w, shape, axis);
  const sum = new Float64Array(layout.count);
  const cnt = new Float64Array(layout.count);
  for (let i = 0; i < w.length; i++) {
    sum[idx[i]!]! += Math.abs(w[i]!);
    cnt[idx[i]!]!++;
  }
  const alpha = new Float32Array(layout.count);
  for (let c = 0; c < layout.count; c++) alpha[c] = cnt[c]! > 0 && sum[c]! > 0 ? sum[c]! / cnt[c]! : 1;
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) q[i] = w[i]! < 0 ? -1 : 1;
  return result(shape, q, alpha, layout.axis, 'binary');
}

export function ternarize(
  w: ArrayLike<number>,
  shape: readonly number[],
  opts: { axis?: number; deltaFactor?: number } = {},
): QuantizedTensor {
  const axis = opts.axis ?? 0;
  const k = opts.deltaFactor ?? 0.7;
  const { layout, idx } = channelStats(w, shape, axis);
  const C = layout.count;
  const sum = new Float64Array(C);
  const cnt = new Float64Array(C);
  for (let i = 0; i < w.length; i++) {
    sum[idx[i]!]! += Math.abs(w[i]!);
    cnt[idx[i]!]!++;
  }
  const delta = new Float64Array(C);
  for (let c = 0; c < C; c++) delta[c] = cnt[c]! > 0 ? (k * sum[c]!) / cnt[c]! : 0;
  const big = new Float64Array(C);
  const nbig = new Float64Array(C);
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const c = idx[i]!;
    const a = Math.abs(w[i]!);
    if (a > delta[c]!) {
      big[c]! += a;
      nbig[c]!++;
      q[i] = w[i]! < 0 ? -1 : 1;
    }
  }
  const alpha = new Float32Array(C);
  for (let c = 0; c < C; c++) alpha[c] = nbig[c]! > 0 ? big[c]! / nbig[c]! : 1;
  return result(shape, q, alpha, layout.axis, 'ternary');
}
