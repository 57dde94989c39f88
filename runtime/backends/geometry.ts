// Geometry from attributes, shared by the backends' kernels: convolutions (pads resolved, auto_pad
// too, and the output size) and nearest-neighbour upscaling factors of Resize.

import type { NodeSpec } from './backend.ts';

export interface ConvParams {
  group: number;
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** [top, left, bottom, right] */
  pads: [number, number, number, number];
}

export interface ConvGeometry extends ConvParams {
  n: number;
  c: number;
  h: number;
  w: number;
  oc: number;
  oh: number;
  ow: number;
}

/** Resolve pads (incl. auto_pad) and output size; undefined when the attrs are not 2-D conv. */
export function convGeometry(
  xDims: readonly number[],
  wDims: readonly number[],
  attrs: Readonly<Record<string, unknown>>,
): ConvGeometry | undefined {
  if (xDims.length !== 4 || wDims.length !== 4) return undefined;
  const [n, c, h, w] = xDims as [number, number, number, number];
  const [oc, , kh, kw] = wDims as [number, number, number, number];
  const ints = (v: unknown, d: number[]): number[] => (Array.isArray(v) ? (v as number[]).map(Number) : d);
  const group = Number(attrs.group ?? 1);
  const strides = ints(attrs.strides, [1, 1]) as [number, number];
  const dilations = ints(attrs.dilations, [1, 1]) as [number, number];
  let pads = ints(attrs.pads, [0, 0, 0, 0]);
  const auto = typeof attrs.auto_pad === 'string' ? attrs.auto_pad : 'NOTSET';
  if (strides.length !== 2 || dilations.length !== 2 || pads.length !== 4) return undefined;
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    const total = (i: number, size: number, k: number) => {
      const out = Math.ceil(size / (strides[i] as number));
      return Math.max(
        0,
        (out - 1) * (strides[i] as number) + ((k - 1) * (dilations[i] as number) + 1) - size,
      );
    };
    const th = total(0, h, kh);
    const tw = total(1, w, kw);
    const lo = (t: number) => (auto === 'SAME_UPPER' ? Math.floor(t / 2) : Math.ceil(t / 2));
    pads = [lo(th), lo(tw), th - lo(th), tw - lo(tw)];
  } else if (auto === 'VALID') {
    pads = [0, 0, 0, 0];
  }
  const [sy, sx] = strides;
  const [dy, dx] = dilations;
  const oh = Math.floor((h + (pads[0] as number) + (pads[2] as number) - dy * (kh - 1) - 1) / sy) + 1;
  const ow = Math.floor((w + (pads[1] as number) + (pads[3] as number) - dx * (kw - 1) - 1) / sx) + 1;
  if (oh <= 0 || ow <= 0 || c % group !== 0 || oc % group !== 0) return undefined;
  return {
    n,
    c,
    h,
    w,
    oc,
    oh,
    ow,
    group,
    kernel: [kh, kw],
    strides,
    dilations,
    pads: pads as [number, number, number, number],
  };
}

/** Integer [sy, sx] upscale factors when this Resize is a nearest-neighbour floor upscale. */
export function nearestUpscale(node: NodeSpec): [number, number] | undefined {
  const a = node.attrs;
  const mode = a.mode ?? 'nearest';
  const ctm = a.coordinate_transformation_mode ?? 'half_pixel';
  const nm = a.nearest_mode ?? 'round_prefer_floor';
  if (mode !== 'nearest' || ctm !== 'asymmetric') return undefined;
  // scales: input 2 (opset ≥ 11) or input 1 (opset 10); sizes are not taken here
  const scales = node.constInputs.length >= 3 ? node.constInputs[2] : node.constInputs[1];
  if (node.constInputs.length >= 4 && node.inputTypes[3] !== undefined) return undefined;
  if (scales?.dtype !== 'float32' || scales.dims[0] !== 4) return undefined;
  const [n, c, sy, sx] = Array.from(scales.data as Float32Array) as [number, number, number, number];
  if (n !== 1 || c !== 1 || !Number.isInteger(sy) || !Number.isInteger(sx) || sy < 1 || sx < 1)
    return undefined;
  // floor is exact for integer factors; round_prefer_floor agrees with it when the factor is ≤ 2
  if (nm !== 'floor' && !(nm === 'round_prefer_floor' && sy <= 2 && sx <= 2)) return undefined;
  return [sy, sx];
}
