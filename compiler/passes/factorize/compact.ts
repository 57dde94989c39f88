// The compact-design methods of `factorize` on a Conv, per group (compiler/linalg/compact.ts does
// the fitting):
//   separable: k×k → depthwise k×k (Ci·r channels, group Ci) then pointwise 1×1 (Ci·r → Co), r
//     depthwise kernels per input channel; full rank min(Co/g, kh·kw) is exact.
//   stacked: k×k (odd k ≥ 5) → (k−1)/2 stacked 3×3 convs with `mid` channels between them; the
//     first takes the pads, every stage the dilations, the last the strides; exact at the
//     construction's full rank. Earlier stages run at the input's resolution, so on a strided conv
//     they cost sh·sw times more per output pixel.
// Both take `rank N` / `rank P%` of that full rank, or `energy P%` (separable: of the per-channel
// spectra; stacked: the least mid whose plain fit keeps P% of the weight's energy). With a patch
// Gram (the default: these methods need calibration data) the last stage is fitted to the layer's
// output on the calibration patches.

import {
  type CompactFit,
  separableDecompose,
  separableFull,
  separableSpectra,
  stackedDecompose,
  stackedFull,
} from '../../linalg/compact.ts';
import { type RankSpec, selectRank } from '../../linalg/rank.ts';
import type { ConvFactors, ConvSlices, ConvStage } from './conv.ts';
import { dampedGram } from './patches.ts';

/** A stage weight of every group, one after the other (the conv's weight layout for `group`). */
export function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function concatStages(fits: CompactFit[], dims: (f: CompactFit, i: number) => ConvStage['dims']) {
  return fits[0]!.stages.map((_, i) => ({
    weight: concat(fits.map((f) => f.stages[i]!.weight)),
    dims: dims(fits[0]!, i),
  }));
}

function relativeError(fits: CompactFit[], c: ConvSlices): number {
  const errSq = fits.reduce((s, f) => s + f.errSq, 0);
  const denom = c.grams ? Math.sqrt(fits.reduce((s, f) => s + f.outSq, 0)) : c.total;
  return denom ? Math.sqrt(errSq) / denom : 0;
}

export function separableFactors(c: ConvSlices): ConvFactors {
  const { gshape, group } = c;
  const [cog, cig, kh, kw] = gshape;
  const full = separableFull(gshape);
  // energy: one rank for every channel of every group, the least whose leading σ² keep P% of them all
  const summed = new Float64Array(full);
  if (c.spec.kind === 'energy')
    for (const sp of c.slices.flatMap((w) => separableSpectra(w, gshape)))
      for (let k = 0; k < full && k < sp.length; k++) summed[k]! += sp[k]!;
  const r = selectRank(summed.map(Math.sqrt), c.spec, { full, roundTo: c.roundTo });
  const fits = c.slices.map((w, gi) => {
    const g = c.grams?.[gi];
    return separableDecompose(w, gshape, r, g ? { gram: dampedGram(g) } : {});
  });
  const stages = concatStages(fits, (_f, i) =>
    i === 0 ? [group * cig * r, 1, kh, kw] : [group * cog, cig * r, 1, 1],
  );
  return {
    stages: [
      { ...stages[0]!, geometry: 'all', group: group * cig },
      { ...stages[1]!, geometry: 'none' },
    ],
    ranks: [r],
    full: [full],
    error: relativeError(fits, c),
    params: group * (cig * r * kh * kw + cog * cig * r),
    macs: group * (cig * r * kh * kw + cog * cig * r),
  };
}

/** The least mid (binary search) whose plain stacked fit keeps P% of ‖W‖² over every group. */
function leastMid(c: ConvSlices, p: number, full: number): number {
  const goal = 1 - p / 100;
  const lost = (m: number) =>
    c.slices.reduce((s, w) => s + stackedDecompose(w, c.gshape, m, { sweeps: 6 }).errSq, 0) /
    (c.total * c.total || 1);
  let lo = 1;
  let hi = full;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (lost(m) <= goal + 1e-12) hi = m;
    else lo = m + 1;
  }
  return lo;
}

export function stackedFactors(c: ConvSlices): ConvFactors {
  const { gshape, group, stride } = c;
  const full = stackedFull(gshape);
  const spec: RankSpec = c.spec.kind === 'energy' ? { kind: 'rank', n: leastMid(c, c.spec.p, full) } : c.spec;
  const mid = selectRank([], spec, { full, roundTo: c.roundTo });
  const fits = c.slices.map((w, gi) => {
    const g = c.grams?.[gi];
    return stackedDecompose(w, gshape, mid, g ? { gram: dampedGram(g) } : {});
  });
  const n = fits[0]!.stages.length;
  const stages: ConvStage[] = concatStages(fits, (f, i) => {
    const d = f.stages[i]!.dims;
    return [group * d[0], d[1], d[2], d[3]];
  }).map((s, i) => ({ ...s, geometry: i === 0 ? 'first' : i === n - 1 ? 'last' : 'middle' }));
  const perGroup = fits[0]!.stages.map((s) => s.weight.length);
  const params = group * perGroup.reduce((a, b) => a + b, 0);
  const earlier = group * perGroup.slice(0, -1).reduce((a, b) => a + b, 0);
  return {
    stages,
    ranks: fits[0]!.stages.slice(0, -1).map((s) => s.dims[0]),
    full: [full],
    error: relativeError(fits, c),
    params,
    macs: earlier * stride[0] * stride[1] + (params - earlier),
  };
}
