// Decoded pixels → the float32 tensor a model reads: the sizing rules (fill, pad, none) and the
// normalization every image loader shares (sharp in Node, createImageBitmap in browsers).

import { UserError } from '../../runtime/errors.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';

export interface ImageOptions {
  /** Output width and height. With fit 'fill' the image is stretched to exactly width×height. */
  width?: number;
  height?: number;
  /**
   * 'fill': resize to exactly width×height. 'pad': resize to `height` keeping the aspect ratio,
   * width capped at `width`, then pad on the right with zeros after normalization (PaddleOCR's
   * text-line preprocessing). 'none': keep the decoded size.
   */
  fit?: 'fill' | 'pad' | 'none';
  /** Per channel (in the output channel order) or one scalar; applied as (x/255 − mean) / std. */
  mean?: number | number[];
  std?: number | number[];
  channels?: 'rgb' | 'bgr';
  layout?: 'nchw' | 'nhwc';
}

/** The tensor's size and the width the picture is resized to (the rest is zero padding). */
export function outputSize(srcW: number, srcH: number, opts: ImageOptions) {
  const fit = opts.fit ?? (opts.width || opts.height ? 'fill' : 'none');
  if (fit === 'fill') {
    const w = opts.width ?? srcW;
    return { outW: w, outH: opts.height ?? srcH, contentW: w };
  }
  if (fit === 'pad') {
    if (!opts.height || !opts.width) throw new UserError("fit 'pad' needs both width and height");
    const contentW = Math.min(opts.width, Math.ceil((opts.height * srcW) / srcH));
    return { outW: opts.width, outH: opts.height, contentW };
  }
  return { outW: srcW, outH: srcH, contentW: srcW };
}

function perChannel(v: number | number[] | undefined, dflt: number): [number, number, number] {
  if (v === undefined) return [dflt, dflt, dflt];
  if (typeof v === 'number') return [v, v, v];
  if (v.length === 1) return [v[0]!, v[0]!, v[0]!];
  if (v.length !== 3) throw new UserError(`normalize needs 1 or 3 values per channel, got ${v.length}`);
  return [v[0]!, v[1]!, v[2]!];
}

/**
 * Interleaved 8-bit pixels (`channels` per pixel, RGB first) of a contentW×outH picture → a
 * [1,3,outH,outW] (or [1,outH,outW,3]) tensor, (x/255 − mean)/std, zeros right of the picture.
 */
export function pixelsToTensor(
  data: ArrayLike<number>,
  channels: number,
  size: { outW: number; outH: number; contentW: number },
  opts: ImageOptions,
): Tensor {
  const { outW, outH, contentW } = size;
  const mean = perChannel(opts.mean, 0);
  const std = perChannel(opts.std, 1);
  const bgr = (opts.channels ?? 'rgb') === 'bgr';
  const nhwc = opts.layout === 'nhwc';
  const out = new Float32Array(3 * outH * outW);
  const plane = outH * outW;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < contentW; x++) {
      const src = (y * contentW + x) * channels;
      for (let c = 0; c < 3; c++) {
        const v = (data[src + (bgr ? 2 - c : c)]! / 255 - mean[c]!) / std[c]!;
        out[nhwc ? (y * outW + x) * 3 + c : c * plane + y * outW + x] = v;
      }
    }
  }
  return { dtype: 'float32', dims: nhwc ? [1, outH, outW, 3] : [1, 3, outH, outW], data: out };
}
