// Direct Conv on gpu.js (grouped/depthwise, pads, strides, dilations, bias, fused epilogue): x
// fastest so a quad of cells reads 4 consecutive inputs (one v128.load with the patched webasm
// backend); 4 output channels per cell when ungrouped, one otherwise; weights resident constants.
import type { Tensor } from '../../ir/tensor.ts';
import type { PreparedKernel } from '../backend.ts';
import type { Epilogue } from '../fusion/epilogue.ts';
import type { ConvGeometry } from '../geometry.ts';
import { epilogueSource } from './epilogue-source.ts';
import { gpujsPatched, type KernelHost } from './gpu.ts';

/**
 * Lay the padded input out as [C][Hp][sx][Wq]: element (c, r, col) of the padded image sits at
 * phase col % sx, column ⌊col / sx⌋, so a strided conv still reads consecutive columns.
 */
export function padPhases(src: Float32Array, srcOff: number, g: ConvGeometry, dst: Float32Array): void {
  const [pt, pl] = g.pads;
  const sx = g.strides[1];
  const hp = padRows(g);
  const wq = phaseCols(g);
  const row = sx * wq;
  for (let c = 0; c < g.c; c++) {
    for (let y = 0; y < g.h; y++) {
      const s = srcOff + (c * g.h + y) * g.w;
      const d = (c * hp + y + pt) * row;
      if (sx === 1) {
        dst.set(src.subarray(s, s + g.w), d + pl);
      } else {
        // one strided run per phase: padded column x + pl lands in phase (x + pl) % sx
        for (let p = 0; p < sx; p++) {
          const x0 = (((p - pl) % sx) + sx) % sx;
          let j = d + p * wq + (x0 + pl - p) / sx;
          for (let x = x0; x < g.w; x += sx) dst[j++] = src[s + x] as number;
        }
      }
    }
  }
}

export const padRows = (g: ConvGeometry) => g.h + g.pads[0] + g.pads[2];
export const phaseCols = (g: ConvGeometry) => Math.ceil((g.w + g.pads[1] + g.pads[3]) / g.strides[1]);

/** Kernel body for one output cell (x = ox, y = oy, z = oc). */
export function convSource(g: ConvGeometry, hasBias: boolean, ep: Epilogue): string {
  const [kh, kw] = g.kernel;
  const [sy, sx] = g.strides;
  const [dy, dx] = g.dilations;
  const icg = g.c / g.group;
  const ocg = g.oc / g.group;
  const hp = padRows(g);
  const wq = phaseCols(g);
  const row = sx * wq;
  const kk = kh * kw;
  const cbase =
    g.group === 1
      ? ''
      : ocg === 1
        ? `this.thread.z * ${icg} + `
        : `Math.floor(this.thread.z / ${ocg}) * ${icg} + `;
  const unroll = kk <= 2 && icg % 4 === 0 ? 4 : 1;
  const ci = (j: number) => (unroll === 1 ? 'ci' : `(cq * 4 + ${j})`);
  let taps = '';
  const yrow = sy === 1 ? 'this.thread.y' : `this.thread.y * ${sy}`;
  for (let j = 0; j < unroll; j++) {
    // row and weight bases once per input channel: i32 consts on patched gpu.js (stock gpu.js
    // would make them f32 locals, inexact past 2^24, so there they stay inline)
    const ibx = `((${cbase}${ci(j)}) * ${hp} + ${yrow}) * ${row}`;
    const wbx = `(this.thread.z * ${icg} + ${ci(j)}) * ${kk}`;
    const consts = gpujsPatched();
    if (consts) taps += `const ib${j} = ${ibx};\nconst wb${j} = ${wbx};\n`;
    const ib = consts ? `ib${j}` : ibx;
    const wb = consts ? `wb${j}` : wbx;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const off = ky * dy * row + ((kx * dx) % sx) * wq + Math.floor((kx * dx) / sx);
        taps += `v0 += inp[${ib} + ${off} + this.thread.x] * this.constants.w[${wb} + ${ky * kw + kx}];\n`;
      }
    }
  }
  const loop =
    unroll === 1
      ? `for (let ci = 0; ci < ${icg}; ci++) {\n${taps}}\n`
      : `for (let cq = 0; cq < ${icg / 4}; cq++) {\n${taps}}\n`;
  const { lines, result } = epilogueSource(ep.steps, (k) => `this.constants.e${k}[this.thread.z]`);
  return `let v0 = ${hasBias ? 'this.constants.b[this.thread.z]' : '0.0'};\n${loop}${lines}return ${result};`;
}

/**
 * Whether the 4-output-channels-per-cell kernel applies: ungrouped, channels a multiple of 4, and
 * the patched webasm backend (its planar Array(4) results come out in NCHW order).
 */
export const quadChannels = (g: ConvGeometry, host: KernelHost) =>
  g.group === 1 && g.oc % 4 === 0 && host.mode === 'webasm' && gpujsPatched();

/**
 * Kernel body for 4 output channels per cell (x = ox, y = oy, z < oc / 4): each input load feeds
 * 4 accumulators; component k is channel k · oc/4 + z, so the planar result is NCHW; weights
 * packed [z][ci][ky·kw+kx][k].
 */
export function convSource4(g: ConvGeometry, hasBias: boolean, ep: Epilogue): string {
  const [kh, kw] = g.kernel;
  const [sy, sx] = g.strides;
  const [dy, dx] = g.dilations;
  const hp = padRows(g);
  const wq = phaseCols(g);
  const row = sx * wq;
  const kk = kh * kw;
  const yrow = sy === 1 ? 'this.thread.y' : `this.thread.y * ${sy}`;
  // 1×1 convs unroll input channels ×4 (more work per loop trip)
  const unroll = kk <= 2 && g.c % 4 === 0 ? 4 : 1;
  const ci = (j: number) => (unroll === 1 ? 'ci' : `(cq * 4 + ${j})`);
  let taps = '';
  for (let j = 0; j < unroll; j++) {
    // i32 consts (patched gpu.js): the row and weight bases are computed once per input channel
    taps += `const ib${j} = (${ci(j)} * ${hp} + ${yrow}) * ${row};\n`;
    taps += `const wb${j} = (this.thread.z * ${g.c} + ${ci(j)}) * ${kk * 4};\n`;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const off = ky * dy * row + ((kx * dx) % sx) * wq + Math.floor((kx * dx) / sx);
        taps += `x = inp[ib${j} + ${off} + this.thread.x];\n`;
        for (let k = 0; k < 4; k++) {
          taps += `a${k}0 += x * this.constants.w[wb${j} + ${(ky * kw + kx) * 4 + k}];\n`;
        }
      }
    }
  }
  const loop =
    unroll === 1
      ? `for (let ci = 0; ci < ${g.c}; ci++) {\n${taps}}\n`
      : `for (let cq = 0; cq < ${g.c / 4}; cq++) {\n${taps}}\n`;
  let head = 'let x = 0.0;\n';
  let tail = '';
  const results: string[] = [];
  for (let k = 0; k < 4; k++) {
    const ch = `${k * (g.oc / 4)} + this.thread.z`;
    head += `let a${k}0 = ${hasBias ? `this.constants.b[${ch}]` : '0.0'};\n`;
    const e = epilogueSource(ep.steps, (c) => `this.constants.e${c}[${ch}]`, `a${k}`);
    tail += e.lines;
    results.push(e.result);
  }
  return `${head}${loop}${tail}return [${results.join(', ')}];`;
}

/** Weights [oc][ci][kh][kw] → [z][ci][kh·kw][k] with oc = k · (oc/4) + z. */
function packQuads(w: Float32Array, g: ConvGeometry): Float32Array {
  const kk = g.kernel[0] * g.kernel[1];
  const q = g.oc / 4;
  const out = new Float32Array(w.length);
  for (let o = 0; o < g.oc; o++) {
    const z = o % q;
    const k = Math.floor(o / q);
    for (let ci = 0; ci < g.c; ci++) {
      for (let t = 0; t < kk; t++)
        out[((z * g.c + ci) * kk + t) * 4 + k] = w[(o * g.c + ci) * kk + t] as number;
    }
  }
  return out;
}

/** A built conv kernel: the NCHW result for one image. */
export interface ConvKernel {
  runImage(x: Float32Array, offset: number): Promise<Float32Array>;
}

export function buildConvKernel(
  host: KernelHost,
  g: ConvGeometry,
  weight: Tensor,
  bias: Tensor | undefined,
  ep: Epilogue,
): ConvKernel {
  const quad = quadChannels(g, host);
  const w = weight.data as Float32Array;
  const constants: Record<string, Float32Array> = { w: quad ? packQuads(w, g) : w };
  if (bias) constants.b = bias.data as Float32Array;
  ep.channels.forEach((a, k) => {
    constants[`e${k}`] = a;
  });
  const k = quad
    ? host.kernel(['inp'], convSource4(g, bias !== undefined, ep), [g.ow, g.oh, g.oc / 4], constants, 4)
    : host.kernel(['inp'], convSource(g, bias !== undefined, ep), [g.ow, g.oh, g.oc], constants);
  const direct = g.pads.every((p) => p === 0) && g.strides[1] === 1;
  const padded = direct ? undefined : new Float32Array(g.c * padRows(g) * g.strides[1] * phaseCols(g));
  const inSize = g.c * g.h * g.w;
  return {
    runImage(x, offset) {
      if (padded) {
        padPhases(x, offset, g, padded);
        return k.run([padded]);
      }
      return k.run([offset === 0 && x.length === inSize ? x : x.subarray(offset, offset + inSize)]);
    },
  };
}

/** Prepare a Conv (x: [N,C,H,W] float32, weights constant) as a gpu.js kernel. */
export function prepareConv(
  host: KernelHost,
  g: ConvGeometry,
  weight: Tensor,
  bias: Tensor | undefined,
  ep: Epilogue,
): PreparedKernel {
  const k = buildConvKernel(host, g, weight, bias, ep);
  const inSize = g.c * g.h * g.w;
  const outSize = g.oc * g.oh * g.ow;
  const dims = [g.n, g.oc, g.oh, g.ow];
  return async (inputs) => {
    const x = inputs[0]?.data as Float32Array;
    if (g.n === 1) return [{ dtype: 'float32', dims, data: await k.runImage(x, 0) }];
    const out = new Float32Array(g.n * outSize);
    for (let b = 0; b < g.n; b++) out.set(await k.runImage(x, b * inSize), b * outSize);
    return [{ dtype: 'float32', dims, data: out }];
  };
}
