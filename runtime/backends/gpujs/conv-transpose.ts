// ConvTranspose on gpu.js for the upsampling case (kernel = stride, no pads/dilation/groups): each
// kernel tap (ky, kx) is a 1×1 conv over the input, computed as one output plane per
// (oc, ky, kx) with resident packed weights, then interleaved into NCHW.
import type { Tensor } from '../../ir/tensor.ts';
import type { PreparedKernel } from '../backend.ts';
import type { Epilogue } from '../fusion/epilogue.ts';
import type { ConvGeometry } from '../geometry.ts';
import { buildConvKernel } from './conv.ts';
import { epilogueSource } from './epilogue-source.ts';
import { gpujsPatched, type KernelHost } from './gpu.ts';

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
 * kw ∈ {2, 3, 4}, kh a power of two, patched webasm: one cell per (input column, output row, output channel) returning
 * Array(kw), one component per kernel column, interleaved — exactly the NCHW output row, so no
 * pass after the kernel; ky = output row mod kh is uniform per row.
 */
function prepareUpsampleRows(
  host: KernelHost,
  g: UpsampleGeometry,
  weight: Tensor,
  bias: Tensor | undefined,
  ep: Epilogue,
): PreparedKernel {
  const kw = g.kw as 2 | 3 | 4;
  const constants: Record<string, Float32Array> = { w: weight.data as Float32Array };
  if (bias) constants.b = bias.data as Float32Array;
  ep.channels.forEach((a, k) => {
    constants[`e${k}`] = a;
  });
  const hw = g.h * g.w;
  const taps = g.kh * kw;
  // weights [ic][oc][ky][kx]; iy = oy >> log2(kh) and ky = oy & (kh − 1) are uniform, i32 per row
  const shift = Math.log2(g.kh);
  let body = `const iy = this.thread.y >> ${shift};\nconst ky = this.thread.y & ${g.kh - 1};\n`;
  body += 'let x = 0.0;\n';
  for (let k = 0; k < kw; k++) body += `let a${k}0 = ${bias ? 'this.constants.b[this.thread.z]' : '0.0'};\n`;
  body += `for (let ic = 0; ic < ${g.c}; ic++) {\n`;
  body += `x = inp[ic * ${hw} + iy * ${g.w} + this.thread.x];\n`;
  for (let k = 0; k < kw; k++) {
    body += `a${k}0 += x * this.constants.w[(ic * ${g.oc} + this.thread.z) * ${taps} + ky * ${kw} + ${k}];\n`;
  }
  body += '}\n';
  const results: string[] = [];
  for (let k = 0; k < kw; k++) {
    const e = epilogueSource(ep.steps, (c) => `this.constants.e${c}[this.thread.z]`, `a${k}`);
    body += e.lines;
    results.push(e.result);
  }
  body += `return [${results.join(', ')}];`;
  const oh = g.h * g.kh;
  const k = host.kernel(['inp'], body, [g.w, oh, g.oc], constants, kw, 'interleaved');
  const inSize = g.c * hw;
  const outSize = g.oc * oh * g.w * kw;
  const dims = [g.n, g.oc, oh, g.w * kw];
  return async (inputs) => {
    const x = inputs[0]?.data as Float32Array;
    if (g.n === 1) return [{ dtype: 'float32', dims, data: await k.run([x]) }];
    const out = new Float32Array(g.n * outSize);
    for (let b = 0; b < g.n; b++)
      out.set(await k.run([x.subarray(b * inSize, (b + 1) * inSize)]), b * outSize);
    return [{ dtype: 'float32', dims, data: out }];
  };
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
  // the row kernel needs the patched gpu.js (i32 consts) and a power-of-two kernel height
  const rows = g.kw >= 2 && g.kw <= 4 && Number.isInteger(Math.log2(g.kh)) && host.mode === 'webasm';
  if (rows && gpujsPatched()) return prepareUpsampleRows(host, g, weight, bias, ep);
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
