// What a unit costs in a compiled model, per metric a target can bound: bytes (the ONNX tensors it
// stores, or its coded bytes in a .sqz), params, FLOPs, and latency (its ops timed alone). A model's
// total is its base (everything the search does not choose) plus the units' costs.

import type { Model } from '../../runtime/ir/model.ts';
import type { Dim } from '../../runtime/ir/shape/index.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { packSqz } from '../pack/index.ts';
import { sqzReport } from '../pack/report.ts';
import { measure } from '../report/stats.ts';
import type { Totals } from '../report/types.ts';

export type CostMetric = 'size' | 'params' | 'flops' | 'latency';
export const COST_METRICS: readonly CostMetric[] = ['size', 'params', 'flops', 'latency'];

export type Costs = Record<CostMetric, number>;

export interface ModelCosts {
  totals: Totals;
  /** Bytes of the file as written (ONNX, or the .sqz container). */
  fileBytes: number;
  /** Costs of each layer (node name) with weights: bytes, params, FLOPs; latency filled in later. */
  layers: Map<string, Costs>;
}

/** Per-layer costs of a compiled model in the output format (the .sqz is written and read back). */
export function modelCosts(model: Model, format: 'onnx' | 'sqz', shapes: Record<string, Dim[]>): ModelCosts {
  const bytes = format === 'sqz' ? packSqz(model).bytes : exportModel(model);
  const m = measure(model, bytes.length, shapes);
  const layers = new Map<string, Costs>();
  for (const [name, l] of m.layers)
    layers.set(name, { size: l.bytes, params: l.params, flops: l.flops ?? 0, latency: 0 });
  if (format === 'sqz') {
    // coded bytes per weight layer replace the raw tensor bytes
    for (const row of sqzReport(bytes).report.layers) {
      const c = layers.get(row.name);
      if (c) c.size = row.coded_bytes;
    }
  }
  return { totals: m.totals, fileBytes: bytes.length, layers };
}

/** The sum of `layers`' costs in `m` (zero for a layer it lacks). */
export function sumCosts(m: ModelCosts, layers: Iterable<string>): Costs {
  const out: Costs = { size: 0, params: 0, flops: 0, latency: 0 };
  for (const l of layers) {
    const c = m.layers.get(l);
    if (!c) continue;
    for (const k of COST_METRICS) out[k] += c[k];
  }
  return out;
}
