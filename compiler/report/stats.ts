// Totals and per-layer figures of a model for the report (params and FLOPs from the IR's
// statistics, non-zero elements counted here, bytes = the ONNX file's size).

import type { Model } from '../../runtime/ir/model.ts';
import { type Dim, type LayerStats, modelStats } from '../../runtime/ir/shape/index.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import type { Totals } from './types.ts';

function nonzeroOf(t: Tensor): number {
  const d = t.data;
  if (Array.isArray(d)) return d.filter((s) => s.length > 0).length;
  let n = 0;
  for (let i = 0; i < d.length; i++) if (d[i] !== 0 && d[i] !== 0n) n++;
  if (t.dtype === 'complex64' || t.dtype === 'complex128') return Math.ceil(n / 2);
  return n;
}

/** Every constant of the main graph once: initializers and Constant-node values. */
export function constants(model: Model): Map<string, Tensor> {
  const g = model.graph;
  const all = new Map<string, Tensor>(g.initializers);
  for (const n of g.nodes) {
    if (n.opType !== 'Constant' || !n.outputs[0]) continue;
    const t = g.constant(n.outputs[0]);
    if (t) all.set(n.outputs[0], t);
  }
  return all;
}

export interface MeasuredModel {
  totals: Totals;
  layers: Map<string, LayerStats>;
}

export function measure(model: Model, fileBytes: number, inputShapes?: Record<string, Dim[]>): MeasuredModel {
  const stats = modelStats(model, inputShapes);
  let nonzero = 0;
  for (const t of constants(model).values()) nonzero += nonzeroOf(t);
  const layers = new Map<string, LayerStats>();
  for (const l of stats.layers) if (l.op !== '-') layers.set(l.name, l);
  return {
    totals: { bytes: fileBytes, params: stats.totals.params, nonzero, flops: stats.totals.flops },
    layers,
  };
}
