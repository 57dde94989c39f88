// What the conv kernels share when planning: the epilogue's leading affine folded into weights and
// bias, weight packing by channel blocks, and the padded input's geometry and tap offsets.

import type { Epilogue } from '../../fusion/epilogue.ts';
import type { ConvGeometry } from '../../geometry.ts';
import type { PadGeometry } from './pad.ts';

/** Weights and bias with the epilogue's leading per-channel affine (Mul/Div, Add/Sub) folded in. */
export interface Folded {
  w: Float32Array;
  bias: Float32Array;
  ep: Epilogue;
}

/**
 * Fold steps v1 = v0 ∘ k (∘ ∈ Mul, Div, Add, Sub; k a scalar or per-channel constant) into the
 * producer while nothing later reads v0. `perChannel` = weights per output channel.
 */
export function foldAffine(
  w: Float32Array,
  bias: Float32Array | undefined,
  oc: number,
  ep: Epilogue,
): Folded {
  const W = new Float32Array(w);
  const b = bias ? new Float32Array(bias) : new Float32Array(oc);
  const per = w.length / oc;
  let steps = ep.steps;
  for (;;) {
    const s = steps[0];
    if (!s || !['Mul', 'Div', 'Add', 'Sub'].includes(s.op)) break;
    const [a, k] = s.args;
    if (!a || !k || !('ref' in a) || a.ref !== 0 || !('scalar' in k || 'chan' in k)) break;
    const later = steps.slice(1);
    const readsV0 = later.some((t) => t.args.some((o) => 'ref' in o && o.ref === 0));
    if (readsV0) break;
    const value = (c: number) => ('scalar' in k ? k.scalar : (ep.channels[k.chan]?.[c] as number));
    for (let c = 0; c < oc; c++) {
      const v = value(c);
      if (s.op === 'Mul' || s.op === 'Div') {
        const f = s.op === 'Mul' ? v : 1 / v;
        for (let i = c * per; i < (c + 1) * per; i++) W[i] = (W[i] as number) * f;
        b[c] = (b[c] as number) * f;
      } else b[c] = (b[c] as number) + (s.op === 'Add' ? v : -v);
    }
    // what read v1 now reads v0
    steps = later.map((t) => ({ ...t, args: t.args.map((o) => ('ref' in o ? { ref: o.ref - 1 } : o)) }));
  }
  return { w: W, bias: b, ep: { steps, channels: ep.channels } };
}

/** Pack [oc][icg][taps] weights as [group][block][icg][taps][MR], zero past each group's channels. */
export function packBlocks(w: Float32Array, g: ConvGeometry, mr: number): Float32Array {
  const icg = g.c / g.group;
  const ocg = g.oc / g.group;
  const kk = g.kernel[0] * g.kernel[1];
  const blocks = Math.ceil(ocg / mr);
  const out = new Float32Array(g.group * blocks * icg * kk * mr);
  for (let gr = 0; gr < g.group; gr++)
    for (let o = 0; o < ocg; o++) {
      const blk = Math.floor(o / mr);
      const m = o % mr;
      for (let ci = 0; ci < icg; ci++)
        for (let t = 0; t < kk; t++)
          out[(((gr * blocks + blk) * icg + ci) * kk + t) * mr + m] = w[
            ((gr * ocg + o) * icg + ci) * kk + t
          ] as number;
    }
  return out;
}

/** The padded, phase-split layout of the input (rows a whole number of vectors). */
export function padGeometry(g: ConvGeometry): PadGeometry {
  const sx = g.strides[1];
  const wp = g.w + g.pads[1] + g.pads[3];
  let wq = Math.ceil(wp / sx) + 8;
  while ((sx * wq) % 4 !== 0) wq++;
  return { c: g.c, h: g.h, w: g.w, top: g.pads[0], left: g.pads[1], hp: g.h + g.pads[0] + g.pads[2], sx, wq };
}

/** Byte offset of tap (ky, kx) inside a padded channel plane. */
export function tapOffset(g: ConvGeometry, p: PadGeometry, ky: number, kx: number): number {
  const [dy, dx] = g.dilations;
  const sx = g.strides[1];
  return (ky * dy * sx * p.wq + ((kx * dx) % sx) * p.wq + Math.floor((kx * dx) / sx)) * 4;
}
