// Per-layer statistics of a model: shapes in → out, params, bytes, FLOPs, with totals.
// Params are the elements of constant tensors (initializers and Constant-node values); each
// constant is counted once, on the first node (in topological order) that reads it. Bytes are what
// the tensors take in the file (a sparse initializer: nonzero values plus int64 indices). A node with
// subgraphs (If, Loop) carries the constants its bodies hold and the outer ones they read. Nodes
// computed from constants alone (DequantizeLinear of stored int4 weights …) are folded into the
// consuming layer: their inputs count as its params, and they are not layers themselves.

import { dtypeByteLength } from '../dtype.ts';
import type { Graph } from '../graph.ts';
import type { Model } from '../model.ts';
import type { Node } from '../node.ts';
import { sizeOf, type Tensor } from '../tensor.ts';
import { isSparse } from '../tensor-meta.ts';
import type { Dim, ValueType } from './dims.ts';
import { nodeFlops } from './flops.ts';
import { type InferResult, inferShapes } from './infer.ts';

export interface LayerStats {
  name: string;
  op: string;
  inputs: (ValueType | undefined)[];
  /** Index of the first input that is not a weight (the activation the layer transforms), or -1. */
  dataInput: number;
  outputs: (ValueType | undefined)[];
  params: number;
  bytes: number;
  /** Undefined when a dim is symbolic or the op has no FLOP formula. */
  flops: number | undefined;
}

export interface ModelStats {
  layers: LayerStats[];
  totals: {
    nodes: number;
    layers: number;
    params: number;
    bytes: number;
    flops: number;
    /** False when some layer's FLOPs are unknown (then `flops` is a lower bound). */
    flopsComplete: boolean;
    ops: Record<string, number>;
  };
  inference: InferResult;
}

/** Bytes a tensor takes in the file: its elements, or for a sparse initializer nonzeros + int64 indices. */
export function tensorBytes(t: Tensor): number {
  if (t.dtype === 'string') return (t.data as Uint8Array[]).reduce((s, b) => s + b.length, 0);
  if (isSparse(t)) {
    const d = t.data as Exclude<typeof t.data, Uint8Array[]>;
    let nnz = 0;
    for (let i = 0; i < d.length; i++) if (d[i] !== 0 && d[i] !== 0n) nnz++;
    return dtypeByteLength(t.dtype, nnz) + 8 * nnz;
  }
  return dtypeByteLength(t.dtype, sizeOf(t.dims));
}

function isConstantNode(n: Node): boolean {
  return n.opType === 'Constant' && (n.domain === '' || n.domain === 'ai.onnx');
}

/** Constants a subgraph holds itself (initializers, Constant nodes), nested bodies included. */
function subgraphConstants(g: Graph): { params: number; bytes: number } {
  let params = 0;
  let bytes = 0;
  const add = (t: Tensor | undefined) => {
    if (!t) return;
    params += sizeOf(t.dims);
    bytes += tensorBytes(t);
  };
  for (const t of g.initializers.values()) add(t);
  for (const n of g.nodes) {
    if (isConstantNode(n) && n.outputs[0]) add(g.constant(n.outputs[0]));
    for (const sg of n.subgraphs()) {
      const r = subgraphConstants(sg);
      params += r.params;
      bytes += r.bytes;
    }
  }
  return { params, bytes };
}

export function modelStats(model: Model, inputShapes?: Record<string, Dim[]>): ModelStats {
  const g = model.graph;
  const inference = inferShapes(g, { opset: model.opset() ?? 1, inputShapes });
  const seen = new Set<string>();
  const layers: LayerStats[] = [];
  const ops: Record<string, number> = {};
  let nodes = 0;
  // nodes computed from constants alone (DequantizeLinear of int4 weights, Cast, Reshape of a weight …)
  // are part of their consumer's weights, not layers: onnxruntime folds them once at load
  const folded = new Map<string, Node>();
  const order = g.topoOrder();
  for (const n of order) {
    if (isConstantNode(n) || !n.inputs.some(Boolean) || n.subgraphs().length) continue;
    if (n.inputs.every((i) => !i || folded.has(i) || g.constant(i)))
      for (const o of n.outputs) if (o) folded.set(o, n);
  }
  const foldedNodes = new Set(folded.values());
  for (const n of order) {
    nodes++;
    ops[n.opType] = (ops[n.opType] ?? 0) + 1;
    if (isConstantNode(n) || foldedNodes.has(n)) continue;
    let params = 0;
    let bytes = 0;
    const reads = [...n.inputs];
    for (const sg of n.subgraphs()) {
      reads.push(...sg.freeNames()); // outer constants a body reads
      const inner = subgraphConstants(sg);
      params += inner.params;
      bytes += inner.bytes;
    }
    for (let k = 0; k < reads.length; k++) {
      const i = reads[k]!;
      if (!i || seen.has(i)) continue;
      seen.add(i);
      const via = folded.get(i);
      if (via) {
        reads.push(...via.inputs); // the stored tensors behind a folded value
        continue;
      }
      const c = g.constant(i);
      if (!c) continue;
      params += sizeOf(c.dims);
      bytes += tensorBytes(c);
    }
    const inputs = n.inputs.map((i) => (i ? inference.types.get(i) : undefined));
    const outputs = n.outputs.map((o) => (o ? inference.types.get(o) : undefined));
    layers.push({
      name: n.name || n.outputs[0] || n.opType,
      op: n.domain ? `${n.domain}::${n.opType}` : n.opType,
      inputs,
      dataInput: n.inputs.findIndex((i) => i !== '' && !g.constant(i) && !folded.has(i)),
      outputs,
      params,
      bytes,
      flops: nodeFlops(n.opType, inputs, outputs, n.attrs, (k) => Boolean(n.inputs[k])),
    });
  }
  // constants no node reads (dead weights) still take space: one row so the totals add up
  let restParams = 0;
  let restBytes = 0;
  const all = new Map<string, Tensor>(g.initializers);
  for (const n of g.nodes)
    if (isConstantNode(n) && n.outputs[0]) {
      const c = g.constant(n.outputs[0]);
      if (c) all.set(n.outputs[0], c);
    }
  for (const [name, t] of all) {
    if (seen.has(name)) continue;
    restParams += sizeOf(t.dims);
    restBytes += tensorBytes(t);
  }
  if (restParams || restBytes) {
    layers.push({
      name: '(unused constants)',
      op: '-',
      inputs: [],
      dataInput: -1,
      outputs: [],
      params: restParams,
      bytes: restBytes,
      flops: 0,
    });
  }
  const totals = {
    nodes,
    layers: layers.length,
    params: layers.reduce((s, l) => s + l.params, 0),
    bytes: layers.reduce((s, l) => s + l.bytes, 0),
    flops: layers.reduce((s, l) => s + (l.flops ?? 0), 0),
    flopsComplete: layers.every((l) => l.flops !== undefined),
    ops,
  };
  return { layers, totals, inference };
}
