// One layer's weight sharing: k-means on the non-zero weights, emitted as standard ONNX —
// uint8 (uint4 at opset ≥ 21 when the codebook has ≤ 16 entries, uint16 past 256) indices, a float32
// codebook (entry 0 = 0.0 exactly when the layer has zeros), Cast(indices → int32) → Gather → weight.
// With calibration Hessians: OBS assignment + codebook refit (aware.ts), else nearest centroid.

import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import { float32, makeTensor } from '../../../runtime/ir/tensor.ts';
import { codebookIndices, kmeans1d } from '../../codec/kmeans.ts';
import { dataAware } from './aware.ts';
import type { ClusterSettings } from './options.ts';

/** Ops whose input 1 is the weight that clustering shares. */
export const CLUSTER_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

export interface ClusterResult {
  /** ‖w − ŵ‖ / ‖w‖ over the layer's weight. */
  relError: number;
  /** Σ(w − c)² after Lloyd and at the initial centroids. */
  sse: number;
  initSse: number;
  iterations: number;
  converged: boolean;
  codebook: Float32Array;
  indexType: 'uint4' | 'uint8' | 'uint16';
  zeros: number;
  /** With calibration data: relative output error √(tr ΔW·H·ΔWᵀ / tr W·H·Wᵀ) of the OBS assignment … */
  outputError?: number;
  /** … and of plain nearest-centroid assignment (never smaller). */
  nearestOutputError?: number;
}

/** Clusters `n`'s weight in place (the node reads the Gather); a string says why it was skipped. */
export function clusterLayerWeight(
  model: Model,
  n: Node,
  s: ClusterSettings,
  hessians?: Float64Array[],
): ClusterResult | string {
  const g = model.graph;
  if (!CLUSTER_OPS.has(n.opType)) return `${n.opType} layers have no weight to cluster (Conv, Gemm, MatMul)`;
  const wName = n.inputs[1] ?? '';
  const w = g.constant(wName);
  if (!w) return 'its weight is not a constant';
  if (w.dtype !== 'float32') return `its weight is ${w.dtype}, not float32`;
  if (g.consumers(wName).length !== 1 || g.isOutput(wName)) return 'its weight is shared';
  const data = w.data as Float32Array;
  const r = kmeans1d(data, s.clusters, { init: s.init });
  const aware = hessians ? dataAware(model, n, data, r.centroids, hessians) : undefined;
  const { codebook, indices } = codebookIndices(
    aware ? { ...r, labels: aware.labels, centroids: aware.centroids } : r,
  );
  let zeros = 0;
  let energy = 0;
  for (const x of data) {
    if (x === 0) zeros++;
    energy += x * x;
  }
  const opset = model.opset('') ?? 0;
  const indexType =
    codebook.length <= 16 && opset >= 21 ? 'uint4' : codebook.length <= 256 ? 'uint8' : 'uint16';
  const base = n.name || n.outputs[0]!;
  const iName = g.uniqueName(`${base}.cluster_idx`);
  const bName = g.uniqueName(`${base}.codebook`);
  const i32 = g.uniqueName(`${base}.cluster_idx_i32`);
  const out = g.uniqueName(`${base}.shared_w`);
  g.addInitializer(iName, makeTensor(indexType, w.dims, indices));
  g.addInitializer(bName, float32([codebook.length], codebook));
  const cast = g.addNode(
    { op: 'Cast', name: `${base}.cluster_cast`, inputs: [iName], outputs: [i32], attrs: { to: 6 } },
    { before: n },
  );
  g.addNode(
    {
      op: 'Gather',
      name: `${base}.cluster_gather`,
      inputs: [bName, i32],
      outputs: [out],
      attrs: { axis: 0 },
    },
    { after: cast },
  );
  n.setInput(1, out);
  g.sweep();
  return {
    relError: aware ? aware.relOutputError : energy > 0 ? Math.sqrt(r.sse / energy) : 0,
    ...(aware ? { outputError: aware.relOutputError, nearestOutputError: aware.relNearestError } : {}),
    sse: r.sse,
    initSse: r.initSse,
    iterations: r.iterations,
    converged: r.converged,
    codebook,
    indexType,
    zeros,
  };
}
