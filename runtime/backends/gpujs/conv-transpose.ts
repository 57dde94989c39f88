// ConvTranspose on gpu.js for the upsampling case (kernel = stride, no pads/dilation/groups): each
// kernel tap (ky, kx) is a 1×1 conv over the input, computed as one output plane per
// (oc, ky, kx) with resident packed weights, then interleaved into NCHW.
import type { Tensor } from '../../ir/tensor.ts';
import type { PreparedKernel } from '../backend.ts';
import { buildConvKernel, type ConvGeometry } from './conv.ts';
import type { Epilogue } from './epilogue.ts';
import type { KernelHost } from './gpu.ts';

export interface UpsampleGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  oc: number;
  kh: number;
  kw: number;
}

/** The geometry when this ConvTranspose is a pure upsampling one; undefined otherwise. */
export function upsampleGeometry(
  xDims: readonly number[],
  wDims: readonly number[],
  attrs: Readonly<Record<string, unknown>>,
): UpsampleGeometry | undefined {
  if (xDims.length !== 4 || wDims.length !== 4) return undefined;
  const [n, c, h, w] = xDims as [number, number, number, number];
  const [wc, oc, kh, kw] = wDims as [number, number, number, number];
  const ints = (v: unknown, d: number[]) => (Array.isArray(v) ? (v as number[]).map(Number) : d);
  const strides = ints(attrs.strides, [1, 1]);
  const pads = ints(attrs.pads, [0, 0, 0, 0]);
  const dil = ints(attrs.dilations, [1, 1]);
  const outPad = ints(attrs.output_padding, [0, 0]);
  const ok =
    wc === c &&
    Number(attrs.group ?? 1) === 1 &&
    strides[0] === kh &&
    strides[1] === kw &&
    pads.every((p) => p === 0) &&
    dil.every((d) => d === 1) &&
    outPad.every((p) => p === 0) &&
    attrs.output_shape === undefined &&
    (attrs.auto_pad === undefined || attrs.auto_pad === 'NOTSET');
  return ok ? { n, c, h, w, oc, kh, kw } : undefined;
}

/**
 * Each output plane (oc, ky, kx) is a 1×1 conv of the input: one conv kernel over oc·kh·kw planes
 * (4 planes per cell when their count is a multiple of 4), then one pass interleaves the planes.
 */
export function prepareUpsample(
  host: KernelHost,
  g: UpsampleGeometry,
  weight: Tensor,
  bias: Tensor | undefined,
  ep: Epilogue,
): PreparedKernel {
  const taps = g.kh * g.kw;
  const planes = g.oc * taps;
  const w = weight.data as Float32Array;
  // as conv weights [plane][ic][1][1], plane = (oc * kh + ky) * kw + kx
  const wz = new Float32Array(planes * g.c);
  for (let ic = 0; ic < g.c; ic++) {
    for (let o = 0; o < g.oc; o++) {
      for (let t = 0; t < taps; t++) wz[(o * taps + t) * g.c + ic] = w[(ic * g.oc + o) * taps + t] as number;
    }
  }
  const perPlane = (a: Float32Array) => {
    const r = new Float32Array(planes);
    for (let z = 0; z < planes; z++) r[z] = a[Math.floor(z / taps)] as number;
    return r;
  };
  const geometry: ConvGeometry = {
    n: 1,
    c: g.c,
    h: g.h,
    w: g.w,
    oc: planes,
    oh: g.h,
    ow: g.w,
    group: 1,
    kernel: [1, 1],
    strides: [1, 1],
    dilations: [1, 1],
    pads: [0, 0, 0, 0],
  };
  const k = buildConvKernel(
    host,
    geometry,
    { dtype: 'float32', dims: [planes, g.c, 1, 1], data: wz },
    bias ? { dtype: 'float32', dims: [planes], data: perPlane(bias.data as Float32Array) } : undefined,
    { steps: ep.steps, channels: ep.channels.map(perPlane) },
  );
  const hw = g.h * g.w;
  const oh = g.h * g.kh;
  const ow = g.w * g.kw;
  const inSize = g.c * hw;
  const outSize = g.oc * oh * ow;
  return async (inputs) => {
    const x = inputs[0]?.data as Float32Array;
    const out = new Float32Array(g.n * outSize);
    for (let b = 0; b < g.n; b++) {
      const r = await k.runImage(x, b * inSize);
      for (let o = 0; o < g.oc; o++) {
        for (let ky = 0; ky < g.kh; ky++) {
          for (let kx = 0; kx < g.kw; kx++) {
            const z = (o * g.kh + ky) * g.kw + kx;
            for (let y = 0; y < g.h; y++) {
              const d = b * outSize + (o * oh + y * g.kh + ky) * ow + kx;
              const s0 = z * hw + y * g.w;
              for (let xx = 0; xx < g.w; xx++) out[d + xx * g.kw] = r[s0 + xx] as number;
            }
          }
        }
      }
    }
    return [{ dtype: 'float32', dims: [g.n, g.oc, oh, ow], data: out }];
  };
}
