// Convolutions: Conv (grouped, depthwise, auto_pad) via im2col + blocked GEMM, and ConvTranspose via GEMM + col2im.

import { UserError } from '../../errors.ts';
import type { Tensor } from '../../ir/tensor.ts';
import type { Attrs, ValueType } from '../../ir/types.ts';
import type { OpDef } from '../registry.ts';
import { type FArr, gemm, transpose2d } from './gemm.ts';
import { attrInt, attrInts, attrString, requireInput, tensor } from './util.ts';

export interface Conv2dParams {
  group: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  pt: number;
  pl: number;
  pb: number;
  pr: number;
}

/** Resolve Conv/pool spatial attributes (1-D or 2-D) into 2-D parameters and the output size. */
export function convParams(
  op: string,
  attrs: Attrs,
  spatial: readonly number[],
  kernel: readonly number[],
): Conv2dParams & { oh: number; ow: number } {
  const r = spatial.length;
  if (r !== 1 && r !== 2)
    throw new UserError(`${op}: only 1-D and 2-D spatial inputs are supported, got ${r}-D`);
  const strides = attrInts(attrs, 'strides') ?? new Array(r).fill(1);
  const dil = attrInts(attrs, 'dilations') ?? new Array(r).fill(1);
  let pads = attrInts(attrs, 'pads') ?? new Array(2 * r).fill(0);
  const autoPad = attrString(attrs, 'auto_pad', 'NOTSET');
  const ceilMode = attrInt(attrs, 'ceil_mode', 0);
  const outs: number[] = [];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = new Array(2 * r).fill(0);
    for (let i = 0; i < r; i++) {
      const o = Math.ceil(spatial[i]! / strides[i]!);
      const total = Math.max(0, (o - 1) * strides[i]! + (kernel[i]! - 1) * dil[i]! + 1 - spatial[i]!);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + r] = total - pads[i]!;
      outs.push(o);
    }
  } else {
    if (autoPad === 'VALID') pads = new Array(2 * r).fill(0);
    else if (autoPad !== 'NOTSET') throw new UserError(`${op}: unknown auto_pad '${autoPad}'`);
    for (let i = 0; i < r; i++) {
      const span = spatial[i]! + pads[i]! + pads[i + r]! - ((kernel[i]! - 1) * dil[i]! + 1);
      let o = (ceilMode ? Math.ceil(span / strides[i]!) : Math.floor(span / strides[i]!)) + 1;
      // ceil_mode: the last window must start inside the input or the begin pad
      if (ceilMode && (o - 1) * strides[i]! >= spatial[i]! + pads[i]!) o--;
      outs.push(o);
    }
  }
  const two = (a: number[], d: number) => (r === 1 ? [d, a[0]!] : [a[0]!, a[1]!]);
  const [sh, sw] = two(strides, 1);
  const [dh, dw] = two(dil, 1);
  const [kh, kw] = two([...kernel], 1);
  const [pt, pl] = r === 1 ? [0, pads[0]!] : [pads[0]!, pads[1]!];
  const [pb, pr] = r === 1 ? [0, pads[1]!] : [pads[2]!, pads[3]!];
  const [oh, ow] = r === 1 ? [1, outs[0]!] : [outs[0]!, outs[1]!];
  return { group: attrInt(attrs, 'group', 1), kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, oh, ow };
}

/** im2col of one channel block: col[(c·kh+ky)·kw+kx][oy·OW+ox]. */
function im2col(
  x: FArr,
  xOff: number,
  C: number,
  H: number,
  W: number,
  p: Conv2dParams,
  oy0: number,
  oy1: number,
  ow: number,
  col: FArr,
) {
  const P = (oy1 - oy0) * ow;
  let row = 0;
  for (let c = 0; c < C; c++) {
    const xc = xOff + c * H * W;
    for (let ky = 0; ky < p.kh; ky++)
      for (let kx = 0; kx < p.kw; kx++, row++) {
        const base = row * P;
        const ox0 = Math.max(0, Math.ceil((p.pl - kx * p.dw) / p.sw));
        const ox1 = Math.min(ow, Math.floor((W - 1 + p.pl - kx * p.dw) / p.sw) + 1);
        for (let oy = oy0; oy < oy1; oy++) {
          const iy = oy * p.sh - p.pt + ky * p.dh;
          const o = base + (oy - oy0) * ow;
          if (iy < 0 || iy >= H || ox1 <= ox0) {
            col.fill(0, o, o + ow);
            continue;
          }
          if (ox0 > 0) col.fill(0, o, o + ox0);
          if (ox1 < ow) col.fill(0, o + ox1, o + ow);
          const xi = xc + iy * W - p.pl + kx * p.dw;
          if (p.sw === 1) col.set(x.subarray(xi + ox0, xi + ox1), o + ox0);
          else for (let ox = ox0; ox < ox1; ox++) col[o + ox] = x[xi + ox * p.sw]!;
        }
      }
  }
}

/** Direct kernel for one input channel → one output channel (depthwise). */
function depthwise(
  x: FArr,
  xOff: number,
  H: number,
  W: number,
  w: FArr,
  wOff: number,
  p: Conv2dParams,
  oh: number,
  ow: number,
  o: FArr,
  oOff: number,
) {
  for (let ky = 0; ky < p.kh; ky++)
    for (let kx = 0; kx < p.kw; kx++) {
      const wv = w[wOff + ky * p.kw + kx]!;
      const ox0 = Math.max(0, Math.ceil((p.pl - kx * p.dw) / p.sw));
      const ox1 = Math.min(ow, Math.floor((W - 1 + p.pl - kx * p.dw) / p.sw) + 1);
      for (let oy = 0; oy < oh; oy++) {
        const iy = oy * p.sh - p.pt + ky * p.dh;
        if (iy < 0 || iy >= H) continue;
        const xi = xOff + iy * W - p.pl + kx * p.dw;
        const oo = oOff + oy * ow;
        if (p.sw === 1) for (let ox = ox0; ox < ox1; ox++) o[oo + ox] += wv * x[xi + ox]!;
        else for (let ox = ox0; ox < ox1; ox++) o[oo + ox] += wv * x[xi + ox * p.sw]!;
      }
    }
}

/** 2-D convolution of NCHW `x` with MCkk `w` into a new array of the same type as `x`. */
export function conv2d(
  x: FArr,
  xd: number[],
  w: FArr,
  wd: number[],
  bias: FArr | undefined,
  p: Conv2dParams,
  oh: number,
  ow: number,
): FArr {
  const [N, C, H, W] = xd as [number, number, number, number];
  const M = wd[0]!;
  const g = p.group;
  const Cg = C / g;
  const Mg = M / g;
  if (!Number.isInteger(Cg) || !Number.isInteger(Mg) || wd[1] !== Cg)
    throw new UserError(`Conv: weight [${wd}] does not fit input channels ${C} with group ${g}`);
  const P = oh * ow;
  const out = x instanceof Float64Array ? new Float64Array(N * M * P) : new Float32Array(N * M * P);
  const K = Cg * p.kh * p.kw;
  const direct1x1 = p.kh === 1 && p.kw === 1 && p.sh === 1 && p.sw === 1 && p.pt + p.pl + p.pb + p.pr === 0;
  // rows of output per im2col band: about 4096 columns (at least one row)
  const band = Math.max(1, Math.min(oh, Math.floor(4096 / Math.max(1, ow))));
  const colSize = K * band * ow;
  const col =
    Cg === 1 || direct1x1
      ? undefined
      : x instanceof Float64Array
        ? new Float64Array(colSize)
        : new Float32Array(colSize);
  for (let n = 0; n < N; n++)
    for (let gi = 0; gi < g; gi++) {
      const xOff = (n * C + gi * Cg) * H * W;
      const oOff = (n * M + gi * Mg) * P;
      if (Cg === 1) {
        for (let m = 0; m < Mg; m++)
          depthwise(x, xOff, H, W, w, (gi * Mg + m) * K, p, oh, ow, out, oOff + m * P);
      } else if (direct1x1) {
        gemm(Mg, P, K, w, gi * Mg * K, K, x, xOff, P, out, oOff, P, false);
      } else {
        // im2col a band of output rows at a time: the column buffer stays small and in cache
        for (let oy0 = 0; oy0 < oh; oy0 += band) {
          const oy1 = Math.min(oh, oy0 + band);
          const cols = (oy1 - oy0) * ow;
          im2col(x, xOff, Cg, H, W, p, oy0, oy1, ow, col!);
          gemm(Mg, cols, K, w, gi * Mg * K, K, col!, 0, cols, out, oOff + oy0 * ow, P, false);
        }
      }
    }
  if (bias)
    for (let n = 0; n < N; n++)
      for (let m = 0; m < M; m++) {
        const b = bias[m]!;
        const o = (n * M + m) * P;
        for (let i = 0; i < P; i++) out[o + i] += b;
      }
  return out;
}

/** Shared front end of Conv-like ops: normalizes 1-D to 2-D and resolves attributes. */
export function convSetup(op: string, X: Tensor, Wt: Tensor, attrs: Attrs) {
  if (X.dims.length !== Wt.dims.length)
    throw new UserError(`${op}: input rank ${X.dims.length} and weight rank ${Wt.dims.length} differ`);
  const spatial = X.dims.slice(2);
  const kernel = attrInts(attrs, 'kernel_shape') ?? Wt.dims.slice(2);
  const p = convParams(op, attrs, spatial, kernel);
  const xd = spatial.length === 1 ? [X.dims[0]!, X.dims[1]!, 1, X.dims[2]!] : [...X.dims];
  const wd = spatial.length === 1 ? [Wt.dims[0]!, Wt.dims[1]!, 1, Wt.dims[2]!] : [...Wt.dims];
  const outDims =
    spatial.length === 1 ? [X.dims[0]!, Wt.dims[0]!, p.ow] : [X.dims[0]!, Wt.dims[0]!, p.oh, p.ow];
  return { p, xd, wd, outDims };
}

function convOp(inp: (Tensor | undefined)[], attrs: Attrs): Tensor[] {
  const X = requireInput(inp[0], 'Conv', 'X');
  const Wt = requireInput(inp[1], 'Conv', 'W');
  const { p, xd, wd, outDims } = convSetup('Conv', X, Wt, attrs);
  const data = conv2d(
    X.data as FArr,
    xd,
    Wt.data as FArr,
    wd,
    inp[2]?.data as FArr | undefined,
    p,
    p.oh,
    p.ow,
  );
  return [tensor(X.dtype, outDims, data)];
}

function convTranspose(inp: (Tensor | undefined)[], attrs: Attrs): Tensor[] {
  const X = requireInput(inp[0], 'ConvTranspose', 'X');
  const Wt = requireInput(inp[1], 'ConvTranspose', 'W');
  const r = X.dims.length - 2;
  if (r !== 1 && r !== 2)
    throw new UserError(`ConvTranspose: only 1-D and 2-D inputs are supported, got ${r}-D`);
  const spatial = X.dims.slice(2);
  const kernel = attrInts(attrs, 'kernel_shape') ?? Wt.dims.slice(2);
  const strides = attrInts(attrs, 'strides') ?? new Array(r).fill(1);
  const dil = attrInts(attrs, 'dilations') ?? new Array(r).fill(1);
  const outPad = attrInts(attrs, 'output_padding') ?? new Array(r).fill(0);
  const outShape = attrInts(attrs, 'output_shape');
  const autoPad = attrString(attrs, 'auto_pad', 'NOTSET');
  const g = attrInt(attrs, 'group', 1);
  let pads = attrInts(attrs, 'pads') ?? new Array(2 * r).fill(0);
  const outs: number[] = [];
  for (let i = 0; i < r; i++) {
    const full = strides[i]! * (spatial[i]! - 1) + outPad[i]! + (kernel[i]! - 1) * dil[i]! + 1;
    if (outShape || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const target = outShape ? outShape[outShape.length - r + i]! : spatial[i]! * strides[i]!;
      const total = Math.max(0, full - target);
      if (pads.length !== 2 * r) pads = new Array(2 * r).fill(0);
      const half = Math.floor(total / 2);
      // as onnxruntime: SAME_UPPER pads more at the end, SAME_LOWER and explicit output_shape at the start
      pads[i] = autoPad === 'SAME_UPPER' ? half : total - half;
      pads[i + r] = total - pads[i]!;
      outs.push(target);
    } else {
      if (autoPad === 'VALID') pads = new Array(2 * r).fill(0);
      outs.push(full - pads[i]! - pads[i + r]!);
    }
  }
  const [N, C] = [X.dims[0]!, X.dims[1]!];
  const H = r === 1 ? 1 : spatial[0]!;
  const Wd = spatial[r - 1]!;
  const [kh, kw] = r === 1 ? [1, kernel[0]!] : [kernel[0]!, kernel[1]!];
  const [sh, sw] = r === 1 ? [1, strides[0]!] : [strides[0]!, strides[1]!];
  const [dh, dw] = r === 1 ? [1, dil[0]!] : [dil[0]!, dil[1]!];
  const [pt, pl] = r === 1 ? [0, pads[0]!] : [pads[0]!, pads[1]!];
  const [OH, OW] = r === 1 ? [1, outs[0]!] : [outs[0]!, outs[1]!];
  const Cg = C / g;
  const Mg = Wt.dims[1]!;
  const M = Mg * g;
  const K = Mg * kh * kw;
  const P = H * Wd;
  const x = X.data as FArr;
  const w = Wt.data as FArr;
  const wide = x instanceof Float64Array;
  const out = wide ? new Float64Array(N * M * OH * OW) : new Float32Array(N * M * OH * OW);
  const col = wide ? new Float64Array(K * P) : new Float32Array(K * P);
  for (let gi = 0; gi < g; gi++) {
    // W_g is [Cg, Mg·kh·kw]; col = W_gᵀ · X_g
    const wt = transpose2d(w, gi * Cg * K, Cg, K, w);
    for (let n = 0; n < N; n++) {
      gemm(K, P, Cg, wt, 0, Cg, x, (n * C + gi * Cg) * P, P, col, 0, P, false);
      for (let m = 0; m < Mg; m++) {
        const oBase = (n * M + gi * Mg + m) * OH * OW;
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++) {
            const cBase = ((m * kh + ky) * kw + kx) * P;
            for (let iy = 0; iy < H; iy++) {
              const oy = iy * sh - pt + ky * dh;
              if (oy < 0 || oy >= OH) continue;
              for (let ix = 0; ix < Wd; ix++) {
                const ox = ix * sw - pl + kx * dw;
                if (ox < 0 || ox >= OW) continue;
                out[oBase + oy * OW + ox] += col[cBase + iy * Wd + ix]!;
              }
            }
          }
      }
    }
  }
  const B = inp[2]?.data as FArr | undefined;
  if (B)
    for (let n = 0; n < N; n++)
      for (let m = 0; m < M; m++) {
        const o = (n * M + m) * OH * OW;
        for (let i = 0; i < OH * OW; i++) out[o + i] += B[m]!;
      }
  const dims = r === 1 ? [N, M, OW] : [N, M, OH, OW];
  return [tensor(X.dtype, dims, out)];
}

function convType(inputs: (ValueType | undefined)[], attrs: Attrs): ValueType[] {
  const [x, w] = inputs;
  if (!x) return [];
  if (
    !x.shape ||
    !w?.shape ||
    x.shape.slice(2).some((d) => typeof d !== 'number') ||
    w.shape.some((d) => typeof d !== 'number')
  )
    return [
      {
        dtype: x.dtype,
        shape:
          x.shape && w?.shape
            ? [x.shape[0]!, w.shape[0]!, ...x.shape.slice(2).map((_, i) => `conv_${i}`)]
            : undefined,
      },
    ];
  const spatial = x.shape.slice(2) as number[];
  const kernel = attrInts(attrs, 'kernel_shape') ?? (w.shape.slice(2) as number[]);
  const p = convParams('Conv', attrs, spatial, kernel);
  return [
    {
      dtype: x.dtype,
      shape: spatial.length === 1 ? [x.shape[0]!, w.shape[0]!, p.ow] : [x.shape[0]!, w.shape[0]!, p.oh, p.ow],
    },
  ];
}

export const CONV_OPS: OpDef[] = [
  { type: 'Conv', shape: convType, reference: (inp, attrs) => convOp(inp, attrs) },
  { type: 'ConvTranspose', reference: (inp, attrs) => convTranspose(inp, attrs) },
];

export { convType };
