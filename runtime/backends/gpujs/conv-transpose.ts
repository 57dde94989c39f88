// ConvTranspose on gpu.js for the upsampling case (kernel = stride, no pads/dilation/groups): each
// kernel tap (ky, kx) is a 1×1 conv over the input, computed as one output plane per
// (oc, ky, kx) with resident packed weights, then interleaved into NCHW.
import type { Tensor } from '../../ir/tensor.ts';
import type { PreparedKernel } from '../backend.ts';
import type { Epilogue } from './epilogue.ts';
import { epilogueSource } from './epilogue.ts';
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
  // wz[z][ic] with z = (oc * kh + ky) * kw + kx
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
  const constants: Record<string, Float32Array> = { w: wz };
  if (bias) constants.b = perPlane(bias.data as Float32Array);
  ep.channels.forEach((a, k) => {
    constants[`e${k}`] = perPlane(a);
  });
  const hw = g.h * g.w;
  const unroll = g.c % 4 === 0 ? 4 : 1;
  let body = '';
  for (let j = 0; j < unroll; j++) {
    const ic = unroll === 1 ? 'ic' : `(cq * 4 + ${j})`;
    body += `v0 += inp[${ic} * ${hw} + this.thread.y * ${g.w} + this.thread.x] * this.constants.w[this.thread.z * ${g.c} + ${ic}];\n`;
  }
  const loop =
    unroll === 1
      ? `for (let ic = 0; ic < ${g.c}; ic++) {\n${body}}\n`
      : `for (let cq = 0; cq < ${g.c / 4}; cq++) {\n${body}}\n`;
  const { lines, result } = epilogueSource(ep.steps, (k) => `this.constants.e${k}[this.thread.z]`);
  const src = `let v0 = ${bias ? 'this.constants.b[this.thread.z]' : '0.0'};\n${loop}${lines}return ${result};`;
  const k = host.kernel(['inp'], src, [g.w, g.h, planes], constants);
  const oh = g.h * g.kh;
  const ow = g.w * g.kw;
  const inSize = g.c * hw;
  const outSize = g.oc * oh * ow;
  return async (inputs) => {
    const x = inputs[0]?.data as Float32Array;
    const out = new Float32Array(g.n * outSize);
    for (let b = 0; b < g.n; b++) {
      const r = await k.run([g.n === 1 ? x : x.subarray(b * inSize, (b + 1) * inSize)]);
      for (let o = 0; o < g.oc; o++) {
        for (let ky = 0; ky < g.kh; ky++) {
          for (let kx = 0; kx < g.kw; kx++) {
            const src0 = ((o * g.kh + ky) * g.kw + kx) * hw;
            for (let y = 0; y < g.h; y++) {
              const d = b * outSize + (o * oh + y * g.kh + ky) * ow + kx;
              const s = src0 + y * g.w;
              for (let xx = 0; xx < g.w; xx++) out[d + xx * g.kw] = r[s + xx] as number;
            }
          }
        }
      }
    }
    return [{ dtype: 'float32', dims: [g.n, g.oc, oh, ow], data: out }];
  };
}
