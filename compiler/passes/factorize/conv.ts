// Conv with a constant weight [Co, Ci/g, kh, kw] → a chain of cheaper convs, per group:
// channel (k×k into r channels → 1×1), spatial (kh×1 → 1×kw), tucker (1×1 → k×k core → 1×1,
// Tucker-2 by HOSVD + ALS). Pads/strides/dilations/auto_pad go where they keep the output exact
// at full rank; the bias goes on the last conv. Groups share one rank (the largest any group needs).

import type { Attribute } from '../../../runtime/ir/attribute.ts';
import type { Graph } from '../../../runtime/ir/graph.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import { float32 } from '../../../runtime/ir/tensor.ts';
import { channelDecompose, spatialDecompose } from '../../linalg/conv.ts';
import { type Matrix, quadraticForm } from '../../linalg/matrix.ts';
import type { RankSpec } from '../../linalg/rank.ts';
import { type ConvShape, tucker2, tucker2ConvWeights, tucker2Ranks } from '../../linalg/tucker.ts';
import { concat, separableFactors, stackedFactors } from './compact.ts';
import type { Outcome } from './matmul.ts';
import type { FactorizeSettings, FactorMethod } from './options.ts';
import { spatialDataAware } from './spatial-data.ts';
import { tuckerDataAware } from './tucker-data.ts';

/** One conv of the emitted chain: weight [o, i, kh, kw] and which of the original's attributes it keeps. */
export interface ConvStage {
  weight: Float32Array;
  dims: [number, number, number, number];
  /**
   * 'all': strides/pads/dilations as the original; 'h'/'w': only that axis's; 'none': 1×1 stride 1;
   * a stack of convs: 'first' pads and dilations, 'middle' dilations, 'last' strides and dilations.
   */
  geometry: 'all' | 'h' | 'w' | 'none' | 'first' | 'middle' | 'last';
  /** Its own group count (a depthwise stage), else the original's. */
  group?: number;
}

export interface ConvFactors {
  stages: ConvStage[];
  ranks: number[];
  full: number[];
  /** Relative Frobenius error of the weight, over all groups. */
  error: number;
  /** Cost per output pixel (multiply-adds), stride-aware; params of the chain. */
  params: number;
  macs: number;
}

function sumSq(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return s;
}

/** One conv weight split per group, with what every method's factors need. */
export interface ConvSlices {
  slices: Float32Array[];
  gshape: ConvShape;
  group: number;
  co: number;
  cog: number;
  cig: number;
  kh: number;
  kw: number;
  /** ‖W‖: the error's denominator without data. */
  total: number;
  stride: readonly [number, number];
  spec: RankSpec;
  roundTo: number | undefined;
  grams: Matrix[] | undefined;
}

/** Tucker-2: 1×1 (Ci → r2), k×k core (r2 → r1), 1×1 (r1 → Co). */
function tuckerFactors(c: ConvSlices): ConvFactors {
  const { slices, gshape, group, co, cog, cig, kh, kw, stride, grams } = c;
  const [sh, sw] = stride;
  let errSq = 0;
  let r1 = 1;
  let r2 = 1;
  for (const w of slices) {
    const [a, b] = tucker2Ranks(w, gshape, c.spec, { roundTo: c.roundTo });
    r1 = Math.max(r1, a);
    r2 = Math.max(r2, b);
  }
  let outSq = 0;
  const parts = slices.map((w, gi) => {
    const gram = grams?.[gi];
    if (gram) {
      const d = tuckerDataAware(w, gshape, [r1, r2], gram);
      errSq += d.errSq;
      outSq += d.outSq;
      return d;
    }
    const t = tucker2(w, gshape, [r1, r2], { sweeps: 3 });
    errSq += t.errors[t.errors.length - 1]! ** 2;
    return tucker2ConvWeights(t);
  });
  const denom = grams ? Math.sqrt(outSq) : c.total;
  return {
    stages: [
      { weight: concat(parts.map((p) => p.first)), dims: [group * r2, cig, 1, 1], geometry: 'none' },
      { weight: concat(parts.map((p) => p.core)), dims: [group * r1, r2, kh, kw], geometry: 'all' },
      { weight: concat(parts.map((p) => p.last)), dims: [co, r1, 1, 1], geometry: 'none' },
    ],
    ranks: [r1, r2],
    full: [cog, cig],
    error: denom ? Math.sqrt(errSq) / denom : 0,
    params: group * (r2 * cig + r1 * r2 * kh * kw + cog * r1),
    macs: group * (r2 * cig * sh * sw + r1 * r2 * kh * kw + cog * r1),
  };
}

/** Channel: k×k conv to r channels, then 1×1 (r → Co). */
function channelFactors(c: ConvSlices): ConvFactors {
  const { slices, gshape, group, co, cog, cig, kh, kw, grams } = c;
  let errSq = 0;
  const full = Math.min(cog, cig * kh * kw);
  let r = 1;
  for (const w of slices) {
    const f = channelDecompose(w, gshape, c.spec, { roundTo: c.roundTo });
    r = Math.max(r, f.rank);
  }
  const fixed: RankSpec = { kind: 'rank', n: r };
  let outSq = 0;
  const parts = slices.map((w, gi) => {
    // data-aware: the rank plain SVD picks, the factors that minimise the error on the patches
    const gram = grams?.[gi];
    const f = channelDecompose(w, gshape, fixed, gram ? { gram } : {});
    errSq += f.error ** 2;
    if (gram) outSq += quadraticForm(w, cog, gram);
    return f;
  });
  const denom = grams ? Math.sqrt(outSq) : c.total;
  return {
    stages: [
      { weight: concat(parts.map((p) => p.first)), dims: [group * r, cig, kh, kw], geometry: 'all' },
      { weight: concat(parts.map((p) => p.second)), dims: [co, r, 1, 1], geometry: 'none' },
    ],
    ranks: [r],
    full: [full],
    error: denom ? Math.sqrt(errSq) / denom : 0,
    params: group * (r * cig * kh * kw + cog * r),
    macs: group * (r * cig * kh * kw + cog * r),
  };
}

/** Spatial: kh×1 to r channels, then 1×kw (r → Co). */
function spatialFactors(c: ConvSlices): ConvFactors {
  const { slices, gshape, group, co, cog, cig, kh, kw, stride, grams } = c;
  const sw = stride[1];
  let errSq = 0;
  const full = Math.min(cig * kh, cog * kw);
  let r = 1;
  for (const w of slices) r = Math.max(r, spatialDecompose(w, gshape, c.spec, { roundTo: c.roundTo }).rank);
  let outSq = 0;
  const parts = slices.map((w, gi) => {
    const gram = grams?.[gi];
    if (gram) {
      const d = spatialDataAware(w, gshape, r, gram);
      errSq += d.errSq;
      outSq += d.outSq;
      return d;
    }
    const f = spatialDecompose(w, gshape, { kind: 'rank', n: r });
    errSq += f.error ** 2;
    return f;
  });
  const denom = grams ? Math.sqrt(outSq) : c.total;
  return {
    stages: [
      { weight: concat(parts.map((p) => p.vertical)), dims: [group * r, cig, kh, 1], geometry: 'h' },
      { weight: concat(parts.map((p) => p.horizontal)), dims: [co, r, 1, kw], geometry: 'w' },
    ],
    ranks: [r],
    full: [full],
    error: denom ? Math.sqrt(errSq) / denom : 0,
    params: group * (r * cig * kh + cog * r * kw),
    macs: group * (r * cig * kh * sw + cog * r * kw),
  };
}

/** The factor convs of weight W [Co, Ci/g, kh, kw] in `group` groups (stride s = [sh, sw] for costs). */
export function convFactors(
  W: Float32Array,
  dims: readonly number[],
  group: number,
  method: Exclude<FactorMethod, 'svd'>,
  spec: RankSpec,
  roundTo: number | undefined,
  stride: readonly [number, number] = [1, 1],
  grams?: Matrix[],
): ConvFactors {
  const [co, cig, kh, kw] = dims as [number, number, number, number];
  const cog = co / group;
  const per = cog * cig * kh * kw;
  const c: ConvSlices = {
    slices: Array.from({ length: group }, (_, i) => W.subarray(i * per, (i + 1) * per)),
    gshape: [cog, cig, kh, kw],
    group,
    co,
    cog,
    cig,
    kh,
    kw,
    total: Math.sqrt(sumSq(W)),
    stride,
    spec,
    roundTo,
    grams,
  };
  if (method === 'tucker') return tuckerFactors(c);
  if (method === 'separable') return separableFactors(c);
  if (method === 'stacked') return stackedFactors(c);
  return method === 'channel' ? channelFactors(c) : spatialFactors(c);
}

/** Attributes of one stage, from the original conv's. */
function stageAttrs(n: Node, st: ConvStage, group: number): Record<string, Attribute | number[] | number> {
  const a = n.attrs;
  const sp = (a.strides as number[] | undefined) ?? [1, 1];
  const dl = (a.dilations as number[] | undefined) ?? [1, 1];
  const pd = (a.pads as number[] | undefined) ?? [0, 0, 0, 0];
  const out: Record<string, Attribute | number[] | number> = {
    kernel_shape: [st.dims[2], st.dims[3]],
    group,
  };
  const autoPad = n.attributes.find((x) => x.name === 'auto_pad');
  if (st.geometry === 'none') return out;
  if (autoPad) out.auto_pad = autoPad;
  if (st.geometry === 'all') {
    out.strides = [...sp];
    out.dilations = [...dl];
    if (!autoPad) out.pads = [...pd];
  } else if (st.geometry === 'first' || st.geometry === 'middle' || st.geometry === 'last') {
    out.dilations = [...dl];
    out.strides = st.geometry === 'last' ? [...sp] : [1, 1];
    if (st.geometry === 'first') out.pads = [...pd];
  } else if (st.geometry === 'h') {
    out.strides = [sp[0]!, 1];
    out.dilations = [dl[0]!, 1];
    if (!autoPad) out.pads = [pd[0]!, 0, pd[2]!, 0];
  } else {
    out.strides = [1, sp[1]!];
    out.dilations = [1, dl[1]!];
    if (!autoPad) out.pads = [0, pd[1]!, 0, pd[3]!];
  }
  return out;
}

/** Why this method does not apply to a conv with this kernel. */
function compactUnfit(
  method: FactorMethod,
  n: Node,
  cig: number,
  kh: number,
  kw: number,
): string | undefined {
  if (method === 'spatial' && (kh === 1 || kw === 1))
    return `a ${kh}×${kw} kernel has nothing to split spatially`;
  if (method === 'separable' && kh * kw === 1) return 'a 1×1 kernel has no spatial part to separate';
  if (method === 'separable' && cig === 1) return 'it is already depthwise';
  if (method !== 'stacked') return undefined;
  if (kh !== kw || kh < 5 || kh % 2 === 0)
    return `stacked turns a square odd kernel of 5×5 or more into 3×3 convs; this one is ${kh}×${kw}`;
  const mode = String(n.attrs.auto_pad ?? 'NOTSET');
  if (mode !== 'NOTSET') return `its auto_pad ${mode} cannot be split over a stack; write explicit pads`;
  return undefined;
}

/** Why a conv cannot be factorized, or its weight. */
function convWeight(g: Graph, n: Node): Float32Array | string {
  const w = g.constant(n.inputs[1] ?? '');
  if (!w) return 'its weight is not a constant';
  if (w.dtype !== 'float32') return `its weight is ${w.dtype}, not float32`;
  if (w.dims.length !== 4) return `it is a ${w.dims.length - 2}-D conv; only 2-D convs are factorized`;
  return w.data as Float32Array;
}

/** Rewrites conv n in g (when it pays off); grams (one patch Gram per group) make the factors data-aware. */
export function factorizeConv(g: Graph, n: Node, s: FactorizeSettings, grams?: Matrix[]): Outcome {
  const method = s.method ?? 'tucker';
  if (method === 'svd')
    return { kind: 'skipped', reason: 'method svd is for Gemm/MatMul; use tucker, channel or spatial' };
  const W = convWeight(g, n);
  if (typeof W === 'string') return { kind: 'skipped', reason: W };
  const dims = g.constant(n.inputs[1]!)!.dims as number[];
  const group = typeof n.attrs.group === 'number' ? n.attrs.group : 1;
  const stride = ((n.attrs.strides as number[] | undefined) ?? [1, 1]) as [number, number];
  const [co, cig, kh, kw] = dims as [number, number, number, number];
  const before = co * cig * kh * kw;
  const unfit = compactUnfit(method, n, cig, kh, kw);
  if (unfit) return { kind: 'skipped', reason: unfit };
  const f = convFactors(W, dims, group, method, s.spec, s.roundTo, stride, grams);
  if ((f.params >= before || f.macs >= before) && !s.force) {
    return {
      kind: 'skipped',
      reason: `${method} at rank ${f.ranks.join('×')} would not reduce params or FLOPs (params ${f.params} vs ${before}, MACs/pixel ${f.macs} vs ${before}); kept as is`,
    };
  }
  const base = n.name || n.outputs[0]!;
  let x = n.inputs[0]!;
  f.stages.forEach((st, i) => {
    const last = i === f.stages.length - 1;
    const wName = g.uniqueName(`${base}.${method}.w${i}`);
    g.addInitializer(wName, float32(st.dims, st.weight));
    const y = last ? n.outputs[0]! : g.uniqueName(`${n.outputs[0]}.${method}${i}`);
    const bias = last && n.inputs[2] ? [n.inputs[2]] : [];
    g.addNode(
      {
        op: 'Conv',
        name: i === 0 ? n.name : `${base}.${method}${i}`,
        inputs: [x, wName, ...bias],
        outputs: [y],
        attrs: stageAttrs(n, st, st.group ?? group),
      },
      { before: n },
    );
    x = y;
  });
  g.removeNode(n);
  const wn = n.inputs[1]!;
  if (g.initializers.has(wn) && g.consumers(wn).length === 0) g.initializers.delete(wn);
  return {
    kind: 'done',
    method,
    ranks: f.ranks,
    full: f.full,
    paramsBefore: before,
    paramsAfter: f.params,
    flopsRatio: f.macs / before,
    error: f.error,
    parts: f.stages.slice(1).map((_, k) => `${base}.${method}${k + 1}`),
  };
}
