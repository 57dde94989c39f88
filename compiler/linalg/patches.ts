// im2col for calibration statistics: the input patch a 2-D Conv's weight sees at one output position,
// with the Conv's geometry (groups, strides, dilations, explicit or auto_pad padding). One reader
// serves every data-aware pass (factorize Grams, pruning and clustering Hessians, GPTQ).

import type { Node } from '../../runtime/ir/node.ts';

export interface ConvGeometry {
  group: number;
  cig: number;
  kh: number;
  kw: number;
  strides: [number, number];
  dilations: [number, number];
  /** [top, left, bottom, right] for input height h, width w. */
  pads: (h: number, w: number) => [number, number, number, number];
}

export function convGeometry(n: Node, wdims: readonly number[]): ConvGeometry {
  const a = n.attrs;
  const strides = ((a.strides as number[] | undefined) ?? [1, 1]) as [number, number];
  const dilations = ((a.dilations as number[] | undefined) ?? [1, 1]) as [number, number];
  const [, cig, kh, kw] = wdims as [number, number, number, number];
  const autoPad = typeof a.auto_pad === 'string' ? a.auto_pad : 'NOTSET';
  const explicit = ((a.pads as number[] | undefined) ?? [0, 0, 0, 0]) as [number, number, number, number];
  const same = (size: number, k: number, s: number, d: number, upper: boolean): [number, number] => {
    const out = Math.ceil(size / s);
    const total = Math.max(0, (out - 1) * s + (k - 1) * d + 1 - size);
    const small = Math.floor(total / 2);
    return upper ? [small, total - small] : [total - small, small];
  };
  const pads = (h: number, w: number): [number, number, number, number] => {
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const up = autoPad === 'SAME_UPPER';
      const [t, b] = same(h, kh, strides[0], dilations[0], up);
      const [l, r] = same(w, kw, strides[1], dilations[1], up);
      return [t, l, b, r];
    }
    if (autoPad === 'VALID') return [0, 0, 0, 0];
    return [explicit[0], explicit[1], explicit[2], explicit[3]];
  };
  return { group: typeof a.group === 'number' ? a.group : 1, cig, kh, kw, strides, dilations, pads };
}

/**
 * Reads patches of an input [N, C, H, W]. Order 'cyx' is the weight's own [c, y, x]; 'yxc' puts the
 * kernel position first (index (y·kw + x)·cig + c), the column order of the pruning views.
 */
export class PatchReader {
  readonly ho: number;
  readonly wo: number;
  /** Values per patch: cig·kh·kw. */
  readonly size: number;
  private readonly top: number;
  private readonly left: number;

  constructor(
    readonly dims: readonly number[],
    readonly geo: ConvGeometry,
    readonly order: 'cyx' | 'yxc',
  ) {
    const [, , H, W] = dims as [number, number, number, number];
    const [pt, pl, pb, pr] = geo.pads(H, W);
    const { kh, kw, strides, dilations } = geo;
    this.top = pt;
    this.left = pl;
    this.ho = Math.max(0, Math.floor((H + pt + pb - dilations[0] * (kh - 1) - 1) / strides[0]) + 1);
    this.wo = Math.max(0, Math.floor((W + pl + pr - dilations[1] * (kw - 1) - 1) / strides[1]) + 1);
    this.size = geo.cig * kh * kw;
  }

  /** Output positions per batch item and group (ho·wo). */
  get positions(): number {
    return this.ho * this.wo;
  }

  /** Writes the patch of batch item n, group g, output position pos (oy·wo + ox) of `data` into v. */
  read(data: Float32Array, n: number, g: number, pos: number, v: Float64Array): void {
    const [, C, H, W] = this.dims as [number, number, number, number];
    const { cig, kh, kw, strides, dilations } = this.geo;
    const oy = Math.floor(pos / this.wo);
    const ox = pos % this.wo;
    const cyx = this.order === 'cyx';
    for (let c = 0; c < cig; c++) {
      const plane = (n * C + g * cig + c) * H * W;
      for (let y = 0; y < kh; y++) {
        const iy = oy * strides[0] - this.top + y * dilations[0];
        const rowInside = iy >= 0 && iy < H;
        for (let x = 0; x < kw; x++) {
          const ix = ox * strides[1] - this.left + x * dilations[1];
          const at = cyx ? (c * kh + y) * kw + x : (y * kw + x) * cig + c;
          v[at] = rowInside && ix >= 0 && ix < W ? data[plane + iy * W + ix]! : 0;
        }
      }
    }
  }
}
