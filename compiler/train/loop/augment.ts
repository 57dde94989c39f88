// Random variants of training images (calibrate's `augment { … }`): one affine warp per sample —
// crop to a share of each side, rescale, small rotation, optional horizontal flip — sampled
// bilinearly with the edges extended, then brightness/contrast jitter and Gaussian noise on the
// normalized values. Inputs of rank 4 (NCHW or NHWC) are warped; other inputs get only the noise.

import type { Tensor } from '../../../runtime/ir/tensor.ts';
import { normal } from '../../data/random.ts';
import type { Augment } from './data.ts';

export interface AugmentSpec {
  /** Share of each side kept by a random crop, drawn in [lo, hi]. */
  crop?: [number, number];
  /** Rescale factor drawn in [lo, hi] (> 1 zooms in). */
  scale?: [number, number];
  /** Rotation up to ± this many degrees. */
  rotate?: number;
  /** Brightness and contrast change up to this share. */
  jitter?: number;
  /** Standard deviation of Gaussian noise added to the normalized values. */
  noise?: number;
  /** Random horizontal flips (only when asked: a flip changes what a text model reads). */
  flip?: boolean;
}

const draw = (random: () => number, [lo, hi]: [number, number]) => lo + (hi - lo) * random();

interface Warp {
  /** Output pixel (x, y) → source point, both in pixel units of one H×W plane. */
  map: (x: number, y: number) => [number, number];
}

function randomWarp(spec: AugmentSpec, H: number, W: number, random: () => number): Warp | undefined {
  const keep = spec.crop ? draw(random, spec.crop) : 1;
  const zoom = spec.scale ? draw(random, spec.scale) : 1;
  const angle = spec.rotate ? ((random() * 2 - 1) * spec.rotate * Math.PI) / 180 : 0;
  const flip = spec.flip ? random() < 0.5 : false;
  // the crop window's centre, anywhere that keeps the window inside the image
  const cx = (W - 1) / 2 + (random() - 0.5) * W * (1 - keep);
  const cy = (H - 1) / 2 + (random() - 0.5) * H * (1 - keep);
  if (keep === 1 && zoom === 1 && angle === 0 && !flip) return undefined;
  const k = keep / zoom;
  const cos = Math.cos(angle) * k;
  const sin = Math.sin(angle) * k;
  const ox = (W - 1) / 2;
  const oy = (H - 1) / 2;
  return {
    map: (x, y) => {
      const u = (flip ? W - 1 - x : x) - ox;
      const v = y - oy;
      return [cx + cos * u - sin * v, cy + sin * u + cos * v];
    },
  };
}

/** Bilinear resampling of every plane of an image tensor through one warp (edges extended). */
function warpImage(t: Tensor, nhwc: boolean, warp: Warp): Tensor {
  const [N, d1, d2, d3] = t.dims as [number, number, number, number];
  const [C, H, W] = nhwc ? [d3, d1, d2] : [d1, d2, d3];
  const src = t.data as Float32Array;
  const out = new Float32Array(src.length);
  const at = (n: number, c: number, y: number, x: number) =>
    nhwc ? ((n * H + y) * W + x) * C + c : ((n * C + c) * H + y) * W + x;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const [sx, sy] = warp.map(x, y);
      const fx = Math.min(Math.max(sx, 0), W - 1);
      const fy = Math.min(Math.max(sy, 0), H - 1);
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      const x1 = Math.min(x0 + 1, W - 1);
      const y1 = Math.min(y0 + 1, H - 1);
      const ax = fx - x0;
      const ay = fy - y0;
      for (let n = 0; n < N; n++)
        for (let c = 0; c < C; c++) {
          const top = src[at(n, c, y0, x0)]! * (1 - ax) + src[at(n, c, y0, x1)]! * ax;
          const bottom = src[at(n, c, y1, x0)]! * (1 - ax) + src[at(n, c, y1, x1)]! * ax;
          out[at(n, c, y, x)] = top * (1 - ay) + bottom * ay;
        }
    }
  return { dtype: 'float32', dims: [...t.dims], data: out };
}

/** Contrast about the mean and a brightness shift measured in the image's own spread. */
function jitterValues(d: Float32Array, amount: number, random: () => number): void {
  let mean = 0;
  for (const v of d) mean += v;
  mean /= d.length || 1;
  let varSum = 0;
  for (const v of d) varSum += (v - mean) * (v - mean);
  const spread = Math.sqrt(varSum / (d.length || 1)) || 1;
  const contrast = 1 + (random() * 2 - 1) * amount;
  const shift = (random() * 2 - 1) * amount * spread;
  for (let i = 0; i < d.length; i++) d[i] = mean + (d[i]! - mean) * contrast + shift;
}

/** The augmentation a spec describes; `layout` says how rank-4 inputs are laid out. */
export function augmentation(spec: AugmentSpec, layout: 'nchw' | 'nhwc' = 'nchw'): Augment {
  return (inputs, random) => {
    const out: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(inputs)) {
      if (t.dtype !== 'float32') {
        out[name] = t;
        continue;
      }
      let x = t;
      if (t.dims.length === 4) {
        const nhwc = layout === 'nhwc';
        const [H, W] = nhwc ? [t.dims[1]!, t.dims[2]!] : [t.dims[2]!, t.dims[3]!];
        const warp = randomWarp(spec, H, W, random);
        if (warp) x = warpImage(t, nhwc, warp);
        if (spec.jitter) {
          if (x === t) x = { ...t, dims: [...t.dims], data: Float32Array.from(t.data as Float32Array) };
          jitterValues(x.data as Float32Array, spec.jitter, random);
        }
      }
      if (spec.noise) {
        const d = x === t ? Float32Array.from(t.data as Float32Array) : (x.data as Float32Array);
        const gauss = normal(random);
        for (let i = 0; i < d.length; i++) d[i] = d[i]! + spec.noise * gauss();
        x = { dtype: 'float32', dims: [...t.dims], data: d };
      }
      out[name] = x;
    }
    return out;
  };
}
