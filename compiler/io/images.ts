// Image loader (Node): decodes PNG/JPEG with sharp and turns it into a normalized float32 tensor.
// This is a loader, not core: core code receives tensors from a host.

import sharp, { type Metadata } from 'sharp';
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

function perChannel(v: number | number[] | undefined, dflt: number): number[] {
  if (v === undefined) return [dflt, dflt, dflt];
  if (typeof v === 'number') return [v, v, v];
  if (v.length === 1) return [v[0], v[0], v[0]];
  if (v.length !== 3) throw new UserError(`normalize needs 1 or 3 values per channel, got ${v.length}`);
  return v;
}

/** Decode an image file (or bytes) into a [1,3,H,W] (or [1,H,W,3]) float32 tensor. */
export async function loadImage(source: string | Uint8Array, opts: ImageOptions = {}): Promise<Tensor> {
  const where = typeof source === 'string' ? source : 'image';
  const fit = opts.fit ?? (opts.width || opts.height ? 'fill' : 'none');
  let img = sharp(source).flatten({ background: '#ffffff' }).removeAlpha().toColourspace('srgb');
  let meta: Metadata;
  try {
    meta = await sharp(source).metadata();
  } catch (e) {
    throw new UserError(`${where}: cannot decode image (${(e as Error).message})`, 'use PNG or JPEG files');
  }
  const srcW = meta.autoOrient?.width ?? meta.width ?? 0;
  const srcH = meta.autoOrient?.height ?? meta.height ?? 0;
  let outW = srcW;
  let outH = srcH;
  let contentW = srcW;
  if (fit === 'fill') {
    outW = opts.width ?? srcW;
    outH = opts.height ?? srcH;
    contentW = outW;
  } else if (fit === 'pad') {
    if (!opts.height || !opts.width) throw new UserError("fit 'pad' needs both width and height");
    outH = opts.height;
    outW = opts.width;
    contentW = Math.min(outW, Math.ceil((outH * srcW) / srcH));
  }
  if (contentW !== srcW || outH !== srcH) img = img.resize(contentW, outH, { fit: 'fill', kernel: 'linear' });
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  const mean = perChannel(opts.mean, 0);
  const std = perChannel(opts.std, 1);
  const bgr = (opts.channels ?? 'rgb') === 'bgr';
  const nhwc = opts.layout === 'nhwc';
  const out = new Float32Array(3 * outH * outW);
  const plane = outH * outW;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < info.width; x++) {
      const src = (y * info.width + x) * info.channels;
      for (let c = 0; c < 3; c++) {
        const v = (data[src + (bgr ? 2 - c : c)] / 255 - mean[c]) / std[c];
        out[nhwc ? (y * outW + x) * 3 + c : c * plane + y * outW + x] = v;
      }
    }
  }
  return { dtype: 'float32', dims: nhwc ? [1, outH, outW, 3] : [1, 3, outH, outW], data: out };
}
