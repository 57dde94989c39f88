// Spec helpers: small IR models built in code, run in onnxruntime-node, compared element-wise, and
// the fast-check arbitraries their properties share.
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { Graph } from '../../runtime/ir/graph.ts';
import { Model } from '../../runtime/ir/model.ts';
import type { NodeInit } from '../../runtime/ir/node.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import { exportModel } from '../../runtime/onnx/export.ts';

export interface TinyModel {
  inputs: { name: string; dims: number[] }[];
  outputs: string[];
  nodes: NodeInit[];
  initializers?: Record<string, Tensor>;
  opset?: number;
}

export function buildModel(spec: TinyModel): Model {
  const g = new Graph('tiny');
  g.inputs = spec.inputs.map((i) => ({ name: i.name, type: { dtype: 'float32', shape: [...i.dims] } }));
  g.outputs = spec.outputs.map((name) => ({ name, type: { dtype: 'float32', shape: undefined } }));
  for (const [k, t] of Object.entries(spec.initializers ?? {})) g.addInitializer(k, t);
  for (const n of spec.nodes) g.addNode(n);
  const m = new Model(g);
  m.irVersion = 8;
  m.opsetImports = [{ domain: '', version: spec.opset ?? 13 }];
  return m;
}

/** Run model bytes in onnxruntime-node; float32 outputs as Float32Array by name. */
export async function ortRun(
  bytes: Uint8Array,
  feeds: Record<string, Tensor>,
): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    const f: Record<string, ort.Tensor> = {};
    for (const [k, t] of Object.entries(feeds))
      f[k] = new ort.Tensor('float32', t.data as Float32Array, [...t.dims]);
    const r = await s.run(f);
    const out: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(r)) out[k] = v.data as Float32Array;
    return out;
  } finally {
    await s.release();
  }
}

export const bytesOf = (m: Model) => exportModel(m);

/** Largest |a−b| / (1 + |a|) over two arrays (Infinity on a length mismatch). */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / (1 + Math.abs(a[i])));
  return m;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** n finite float32 values in [min, max]. */
export const floats = (n: number, min = -2, max = 2) =>
  fc.array(fc.float({ min, max, noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n });

/** A small 2-D Conv: groups, channels per group, square kernel, stride, symmetric pad, input size. */
export const convShape = fc.record({
  group: fc.constantFrom(1, 2),
  cinPer: fc.integer({ min: 1, max: 3 }),
  coutPer: fc.integer({ min: 1, max: 3 }),
  k: fc.integer({ min: 1, max: 3 }),
  stride: fc.integer({ min: 1, max: 2 }),
  pad: fc.integer({ min: 0, max: 1 }),
  hw: fc.integer({ min: 3, max: 6 }),
  bias: fc.boolean(),
});
