// GPTQ for one Conv/Gemm/MatMul: its weight as rows = outputs × cols = inputs (MatMul Bᵀ, Gemm as
// stored or transposed, Conv [M, C/g·kh·kw] per group), quantized with the layer's calibration
// Hessian by compiler/quant/gptq.ts (static minmax grid, so never worse than rounding on that grid),
// and returned in the weight's own layout as quantizeTensor would give it (blocked along the
// reduction axis for `group N`, per output channel otherwise).

import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import type { Tensor } from '../../../runtime/ir/tensor.ts';
import type { Sample } from '../../data/calibration.ts';
import type { Matrix } from '../../linalg/matrix.ts';
import { inputGrams } from '../factorize/activations.ts';
import { convGeometry } from '../factorize/patches.ts';
import { gptq } from './gptq.ts';
import type { WeightSettings } from './options.ts';
import type { QuantizedTensor } from './uniform.ts';

export interface GptqTuning {
  /** Relative damping added to H's diagonal (default 0.01). */
  damp?: number;
}

/** Whether the weight is stored [K, N] (inputs × outputs), so rows × cols needs a transpose. */
function storedKxN(n: Node): boolean {
  return n.opType === 'MatMul' || (n.opType === 'Gemm' && n.attrs.transB !== 1);
}

/** Input width (columns of one Hessian) and Hessian count of a layer's weight. */
export function hessianShape(n: Node, dims: readonly number[]): { width: number; groups: number } {
  if (n.opType === 'Conv') {
    const groups = typeof n.attrs.group === 'number' ? n.attrs.group : 1;
    return { width: dims.slice(1).reduce((a, b) => a * b, 1), groups };
  }
  return { width: storedKxN(n) ? dims[0]! : dims[1]!, groups: 1 };
}

/** Why method gptq cannot quantize this layer's weight (a Conv with group N, an N-D MatMul weight), or undefined. */
export function gptqMismatch(
  n: Node,
  dims: readonly number[],
  s: Pick<WeightSettings, 'group'>,
): { message: string; help: string } | undefined {
  if (dims.length !== 2 && n.opType !== 'Conv')
    return {
      message: `method gptq: ${n.name} has a ${dims.length}-D weight`,
      help: 'use method minmax for it, or narrow the selectors',
    };
  if (n.opType === 'Conv' && s.group)
    return {
      message: `method gptq with group ${s.group} does not apply to Conv ${n.name}`,
      help: 'use per-channel with method gptq on convs, or group N with method minmax',
    };
  return undefined;
}

/** GPTQ codes for layer n's float weight w given its Hessian(s) (one per conv group). */
export function gptqLayer(
  n: Node,
  w: Tensor,
  s: WeightSettings,
  hs: Matrix[],
  tuning: GptqTuning = {},
): QuantizedTensor {
  const bits = s.bits ?? 8;
  const src = w.data as Float32Array;
  const mismatch = gptqMismatch(n, w.dims, s);
  if (mismatch) throw new Error(`${s.from}: ${mismatch.message} (passed the model checks)`);
  const opts = { bits, symmetric: s.symmetric, groupSize: s.group ?? 0, damp: tuning.damp ?? 0.01 };
  if (n.opType === 'Conv') {
    const M = w.dims[0]!;
    const per = src.length / M;
    const groups = hs.length;
    const mg = M / groups;
    const q = s.symmetric ? new Int8Array(src.length) : new Uint8Array(src.length);
    const scale = new Float32Array(M);
    const zeroPoint = s.symmetric ? new Int8Array(M) : new Uint8Array(M);
    let signed = true;
    for (let gi = 0; gi < groups; gi++) {
      const rows = src.subarray(gi * mg * per, (gi + 1) * mg * per);
      const r = gptq({ rows: mg, cols: per, data: Float64Array.from(rows) }, hs[gi]!, opts).quantized;
      q.set(r.q, gi * mg * per);
      scale.set(r.scale, gi * mg);
      zeroPoint.set(r.zeroPoint, gi * mg);
      signed = r.signed;
    }
    return {
      kind: 'uniform',
      bits,
      signed,
      shape: w.dims.slice(),
      q,
      scale,
      zeroPoint,
      scaleShape: [M],
      axis: 0,
      blockSize: 0,
    };
  }
  const [d0, d1] = w.dims as [number, number];
  const kxn = storedKxN(n);
  const [m, k] = kxn ? [d1, d0] : [d0, d1]; // m outputs, k inputs
  const W = new Float64Array(m * k);
  for (let o = 0; o < m; o++)
    for (let i = 0; i < k; i++) W[o * k + i] = kxn ? src[i * m + o]! : src[o * k + i]!;
  const r = gptq({ rows: m, cols: k, data: W }, hs[0]!, opts).quantized;
  if (!kxn) return r;
  // Back to [K, N]: codes transposed; scales [m, ng] → [ng, m] (blocked on axis 0) or [m] on axis 1.
  const q = r.signed ? new Int8Array(m * k) : new Uint8Array(m * k);
  for (let o = 0; o < m; o++) for (let i = 0; i < k; i++) q[i * m + o] = r.q[o * k + i]!;
  if (!s.group) return { ...r, shape: [k, m], q, axis: 1 };
  const ng = r.scaleShape[1]!;
  const scale = new Float32Array(ng * m);
  const zeroPoint = r.signed ? new Int8Array(ng * m) : new Uint8Array(ng * m);
  for (let o = 0; o < m; o++) {
    for (let b = 0; b < ng; b++) {
      scale[b * m + o] = r.scale[o * ng + b]!;
      zeroPoint[b * m + o] = r.zeroPoint[o * ng + b]!;
    }
  }
  return { ...r, shape: [k, m], q, scale, zeroPoint, scaleShape: [ng, m], axis: 0 };
}

/** The calibration Grams XᵀX (= H/2; GPTQ is scale-free) of each node's weight input, one executor run per sample. */
export async function gptqHessians(
  model: Model,
  nodes: Node[],
  samples: Sample[],
  progress?: (done: number, total: number) => void,
): Promise<Map<Node, Matrix[]>> {
  const g = model.graph;
  const specs = nodes.map((node) => {
    const dims = g.constant(node.inputs[1] ?? '')!.dims;
    const { width, groups } = hessianShape(node, dims);
    return { node, width, groups, ...(node.opType === 'Conv' ? { geometry: convGeometry(node, dims) } : {}) };
  });
  return inputGrams(model, specs, samples, progress);
}
